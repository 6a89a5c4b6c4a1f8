# Pressroom's front door: `just --list` explains every recipe.

# Cargo's target directory: CARGO_TARGET_DIR when set, else target/ in this folder.
target_dir := env_var_or_default("CARGO_TARGET_DIR", "target")

# The PostgreSQL server `test-pg` uses unless PRESSROOM_TEST_POSTGRES_URL says otherwise.
pg_url := env_var_or_default("PRESSROOM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

# List the recipes
default:
    @just --list

# Serve the example data on SQLite (pressroom.db in this folder)
run:
    cargo run -p pressroom -- demo

# Like `run`, but start from an empty pressroom.db
demo:
    rm -f pressroom.db pressroom.db-wal pressroom.db-shm
    cargo run -p pressroom -- demo

# Serve the API and the scheduler on the configured database
serve:
    cargo run -p pressroom -- serve

# Run every test (SQLite only unless PRESSROOM_TEST_POSTGRES_URL is set)
test:
    cargo test --workspace

# Run every test on SQLite and on the local PostgreSQL server, including the PostgreSQL-only ones
test-pg:
    PRESSROOM_TEST_POSTGRES_URL='{{pg_url}}' cargo test --workspace
    PRESSROOM_TEST_POSTGRES_URL='{{pg_url}}' cargo test --workspace --tests -- --ignored postgres_only

# Check formatting and run clippy with warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the whole workspace
fmt:
    cargo fmt --all

# Fail when crates/domain depends on sea-orm, sqlx, tokio, poem or async-graphql, other crates on sea-orm or sqlx, or the newsroom on the API crate
check-deps:
    bash .ci/check-deps

# Export the GraphQL schema to docs/schema.graphql (CI fails when that file is stale)
schema:
    cargo run -q -p pressroom -- schema > docs/schema.graphql.new
    mv docs/schema.graphql.new docs/schema.graphql

# Check the pages in a real browser (Debian's chromium, playwright-core, axe-core); screenshots in target/browser-screenshots
browser:
    cargo build -p pressroom
    cd tests/browser && npm ci --no-audit --no-fund && npm test

# Run everything CI runs
ci:
    bash .ci/run

# The PostgreSQL server `bench` uses unless PRESSROOM_BENCH_POSTGRES_URL says otherwise.
bench_pg_url := env_var_or_default("PRESSROOM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

# Run every benchmark scenario at the target sizes on a release build (docs/benchmarks.md): tables on the terminal, one JSON line per scenario in bench-results.jsonl of the target directory. The reads: (a) one release by id and (b) a random department's first page, each a new target per request, with the response cache on and off, against raw SQL; then what the cache costs reads that all miss (both servers at once, alternating slices)
bench backend="postgres":
    cargo build --release -p pressroom -p pressroom-bench
    rm -f {{target_dir}}/bench-results.jsonl
    for query in release page; do for cache in on off; do \
        PRESSROOM_BENCH_POSTGRES_URL='{{bench_pg_url}}' {{target_dir}}/release/pressroom-bench --json --backend {{backend}} read --query $query --vary --cache $cache >> {{target_dir}}/bench-results.jsonl || exit 1; \
    done; done
    PRESSROOM_BENCH_POSTGRES_URL='{{bench_pg_url}}' {{target_dir}}/release/pressroom-bench --json --backend {{backend}} cache-cost --query release --vary >> {{target_dir}}/bench-results.jsonl
    for scenario in publish-burst lateness audit-verify idle-rss; do \
        PRESSROOM_BENCH_POSTGRES_URL='{{bench_pg_url}}' {{target_dir}}/release/pressroom-bench --json --backend {{backend}} $scenario >> {{target_dir}}/bench-results.jsonl || exit 1; \
    done

# Run every benchmark scenario at tiny sizes, as CI does (SQLite; PostgreSQL too when PRESSROOM_TEST_POSTGRES_URL is set)
bench-smoke:
    cargo test -p pressroom-bench

# Mixed reads and writes for a few minutes against a real server with two racing schedulers, on a release build (docs/benchmarks.md, "Load"): exits 1 on any error, lost write or double publication; the JSON line goes to load-results.jsonl of the target directory
load backend="postgres" seconds="180":
    cargo build --release -p pressroom -p pressroom-bench
    PRESSROOM_BENCH_POSTGRES_URL='{{bench_pg_url}}' {{target_dir}}/release/pressroom-bench --json --backend {{backend}} load --seconds {{seconds}} > {{target_dir}}/load-results.jsonl

# Fuzz one target of fuzz/ (release_content or directory_input) for `seconds`; needs nightly and cargo-fuzz (docs/fuzzing.md)
fuzz target seconds="300":
    mkdir -p fuzz/corpus/{{target}}
    cd fuzz && cargo +nightly fuzz run {{target}} corpus/{{target}} seeds/{{target}} -- -dict=dicts/{{target}}.dict -max_total_time={{seconds}}
