//! Keeps the benchmark harness working: every scenario runs at tiny sizes on SQLite (and on
//! PostgreSQL when `PRESSROOM_TEST_POSTGRES_URL` is set), in throwaway databases, and must print
//! its JSON object with every key outside scripts read, each a finite, non-negative number.
//!
//! Nothing here asserts a duration or a rate: on a shared machine such assertions only flake.
//! What is asserted besides the keys is correctness the harness reports on: no failed request,
//! and no release published before its instant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use pressroom_test_support::binary::pressroom_binary;
use pressroom_test_support::database::postgres_server_url;
use serde_json::Value;

/// The benchmark binary under test.
const BENCH: &str = env!("CARGO_BIN_EXE_pressroom-bench");

/// The backends to run on: SQLite always, PostgreSQL when the variable names a server.
fn backends() -> Vec<(&'static str, Option<String>)> {
    let mut backends = vec![("sqlite", None)];
    if let Some(url) = postgres_server_url() {
        backends.push(("postgres", Some(url)));
    }
    backends
}

/// Runs one scenario with `--json` on every backend and checks its object; returns each
/// backend's object with the context for messages.
fn smoke(scenario: &str, args: &[&str], keys: &[&str]) -> Vec<(Value, String)> {
    let mut objects = Vec::new();
    for (backend, postgres_url) in backends() {
        let data_dir = tempfile::Builder::new()
            .prefix("pressroom-bench-smoke-")
            .tempdir()
            .expect("a temporary directory");
        let mut command = Command::new(BENCH);
        command
            .args(["--json", "--scratch", "--backend", backend, "--data-dir"])
            .arg(data_dir.path())
            .arg("--pressroom-bin")
            .arg(pressroom_binary())
            .arg(scenario)
            .args(args);
        if let Some(url) = &postgres_url {
            command.env("PRESSROOM_BENCH_POSTGRES_URL", url);
        }
        let output = command.output().expect("run pressroom-bench");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let context =
            format!("{scenario} on {backend}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}");
        assert!(output.status.success(), "failed: {context}");
        let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "one JSON object expected: {context}");
        let object: Value = serde_json::from_str(lines[0]).expect("stdout is JSON");
        assert_eq!(object["scenario"], scenario, "{context}");
        assert_eq!(object["backend"], backend, "{context}");
        for key in keys {
            let value = object[*key]
                .as_f64()
                .unwrap_or_else(|| panic!("`{key}` is missing or not a number: {context}"));
            assert!(
                value.is_finite() && value >= 0.0,
                "`{key}` = {value}: {context}"
            );
        }
        for key in ["errors", "early"] {
            if let Some(value) = object.get(key) {
                assert_eq!(value.as_f64(), Some(0.0), "`{key}`: {context}");
            }
        }
        // Scratch databases are removed: nothing may be left behind but the (empty) data dir.
        let left: Vec<_> = std::fs::read_dir(data_dir.path())
            .expect("read the data dir")
            .collect();
        assert!(left.is_empty(), "left behind {left:?}: {context}");
        objects.push((object, context));
    }
    objects
}

const READ: &[&str] = &[
    "--releases",
    "60",
    "--concurrency",
    "2",
    "--seconds",
    "0.5",
    "--warmup-seconds",
    "0.2",
    "--settle-seconds",
    "0.2",
];

const READ_KEYS: &[&str] = &[
    "rps",
    "p50_ms",
    "p99_ms",
    "raw_rps",
    "ratio",
    "statements_per_request",
    "peak_rss_mib",
];

#[test]
fn read_reports_throughput_against_raw_sql() {
    for (object, context) in smoke("read", READ, READ_KEYS) {
        assert_eq!(object["cache"], "on", "{context}");
        assert_eq!(object["query"], "page", "{context}");
    }
}

#[test]
fn read_by_id_with_the_cache_off_reads_a_new_release_each_time() {
    let mut args = READ.to_vec();
    args.extend(["--query", "release", "--vary", "--cache", "off", "--engine"]);
    for (object, context) in smoke("read", &args, READ_KEYS) {
        assert_eq!(object["cache"], "off", "{context}");
        assert_eq!(object["query"], "release", "{context}");
        assert_eq!(object["vary"], true, "{context}");
    }
}

#[test]
fn cache_cost_runs_both_servers_in_alternating_slices() {
    let args = [
        "--releases",
        "60",
        "--concurrency",
        "2",
        "--settle-seconds",
        "0.2",
        "--query",
        "release",
        "--vary",
        "--pairs",
        "2",
        "--slice-seconds",
        "0.3",
        "--slice-warmup-seconds",
        "0.1",
    ];
    for (object, context) in smoke(
        "cache-cost",
        &args,
        &[
            "on_rps",
            "off_rps",
            "on_p99_ms",
            "off_p99_ms",
            "on_cpu_ms",
            "off_cpu_ms",
        ],
    ) {
        for key in ["change_pct", "pair_change_median_pct", "cpu_change_pct"] {
            let value = object[key].as_f64();
            assert!(value.is_some_and(f64::is_finite), "`{key}`: {context}");
        }
        assert_eq!(object["pairs"], 2, "{context}");
        assert_eq!(object["query"], "release", "{context}");
    }
}

#[test]
fn idle_rss_reports_memory_before_and_after_load() {
    smoke("idle-rss", READ, &["idle_rss_mib", "loaded_rss_mib"]);
}

#[test]
fn publish_burst_reports_time_and_lateness() {
    smoke(
        "publish-burst",
        &["--releases", "30", "--lead-ms", "1500"],
        &[
            "seconds",
            "lateness_p50_ms",
            "lateness_p99_ms",
            "lateness_max_ms",
        ],
    );
}

#[test]
fn publish_burst_beside_published_releases_checks_only_its_own() {
    // The bench itself fails the run unless exactly the 20 embargoed releases were published,
    // each with one audit entry and one outbox event, beside the 50 seeded as published.
    let objects = smoke(
        "publish-burst",
        &["--releases", "20", "--existing", "50", "--lead-ms", "1500"],
        &["seconds", "lateness_max_ms", "base_seed_seconds"],
    );
    for (object, context) in objects {
        assert_eq!(object["existing"], 50, "{context}");
        assert_eq!(object["releases"], 20, "{context}");
    }
}

#[test]
fn lateness_reports_percentiles() {
    smoke(
        "lateness",
        &[
            "--releases",
            "4",
            "--spread-seconds",
            "0.6",
            "--lead-ms",
            "1500",
        ],
        &["p50_ms", "p99_ms", "max_ms"],
    );
}

#[test]
fn audit_verify_reports_entries_and_time() {
    smoke(
        "audit-verify",
        &["--entries", "300"],
        &["entries", "seconds"],
    );
}

#[test]
fn engine_reports_each_layer() {
    smoke(
        "engine",
        &["--releases", "60", "--iterations", "5"],
        &[
            "storage_us",
            "bare_schema_us",
            "schema_us",
            "http_us",
            "http_cpu_us",
        ],
    );
}

#[test]
fn load_reports_no_error_and_no_lost_write() {
    let objects = smoke(
        "load",
        &[
            "--seconds",
            "3",
            "--writers",
            "2",
            "--readers",
            "4",
            "--releases",
            "40",
            "--embargo-seconds",
            "1.5",
        ],
        &[
            "requests",
            "errors",
            "lost_writes",
            "p99_ms",
            "read_p99_ms",
            "write_p99_ms",
            "published",
            "double_publications",
            "audit_chain_ok",
        ],
    );
    for (object, context) in objects {
        // Correctness, not timing: every count of something wrong is zero, and the run did
        // publish through the racing schedulers (so that the zeros are not vacuous).
        for key in [
            "lost_writes",
            "double_publications",
            "wrong_published_at",
            "early_reads",
            "late_reads",
        ] {
            assert_eq!(object[key].as_f64(), Some(0.0), "`{key}`: {context}");
        }
        assert_eq!(object["audit_chain_ok"].as_f64(), Some(1.0), "{context}");
        assert!(object["requests"].as_f64() > Some(0.0), "{context}");
        let scheduled = object["scheduled"].as_f64().unwrap_or_default();
        assert!(scheduled >= 1.0, "nothing was scheduled: {context}");
        assert_eq!(object["published"].as_f64(), Some(scheduled), "{context}");
    }
}

#[test]
fn subscribe_delivers_every_publication_once_to_every_subscription() {
    let objects = smoke(
        "subscribe",
        &[
            "--steps",
            "0,20",
            "--per-connection",
            "2",
            "--seconds",
            "0.5",
            "--releases",
            "2",
        ],
        &[
            "polls_per_s_at_0",
            "polls_per_s_at_20",
            "rss_mib_at_0",
            "rss_mib_at_20",
            "events_expected",
            "events_missing",
            "events_duplicated",
            "delivery_seconds",
        ],
    );
    for (object, context) in objects {
        // Correctness, not timing: 20 subscriptions × 2 releases, none missing, none twice.
        assert_eq!(object["events_expected"].as_f64(), Some(40.0), "{context}");
        assert_eq!(object["events_missing"].as_f64(), Some(0.0), "{context}");
        assert_eq!(object["events_duplicated"].as_f64(), Some(0.0), "{context}");
    }
}
