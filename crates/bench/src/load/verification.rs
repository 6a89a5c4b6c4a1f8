//! Afterwards: what the database and its audit log say, checked against what the client saw.

use std::collections::{BTreeMap, HashMap, HashSet};

use pressroom_storage::Store;
use pressroom_storage::entity::{audit_log, outbox, releases};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use super::{Ack, Scheduled, format_instant};
use crate::seed;
use crate::setup::{Env, run_cli};

/// What the database says after the run.
#[derive(Debug, Default)]
pub(super) struct Checked {
    /// Acknowledged writes without their audit entry.
    pub(super) lost_acknowledged: u64,
    /// Acknowledged writes whose entry exists, but not at the place of their version.
    pub(super) out_of_place: u64,
    /// Audit entries of the run's releases that no acknowledged write accounts for (writes that
    /// committed although the client saw them fail), besides the schedulers'.
    pub(super) unacknowledged: u64,
    /// Scheduled releases not PUBLISHED after the grace period.
    pub(super) unpublished: u64,
    /// Published releases without a `release.published` outbox event.
    pub(super) missing_events: u64,
    /// Published releases without a publication audit entry.
    pub(super) unaudited_publications: u64,
    /// Releases whose stored version is behind one the client saw.
    pub(super) stale_versions: u64,
    /// Releases with more than one publication audit entry or outbox event.
    pub(super) double_publications: u64,
    /// Published releases whose `publishedAt` or `embargoUntil` is not the instant scheduled.
    pub(super) wrong_published_at: u64,
    /// `refusePublication` entries written during the run.
    pub(super) refused: u64,
    /// Scheduled releases that are PUBLISHED.
    pub(super) published: u64,
    /// `lateMs` of every `scheduledPublish` entry of the run.
    pub(super) late_ms: Vec<f64>,
    /// Audit entries written since the run began (directory and tokens excluded).
    pub(super) entries_written: u64,
    /// A few examples of what went wrong, for the notes.
    pub(super) examples: Vec<String>,
}

impl Checked {
    pub(super) fn lost_writes(&self) -> u64 {
        self.lost_acknowledged
            + self.unpublished
            + self.missing_events
            + self.unaudited_publications
            + self.stale_versions
    }

    fn example(&mut self, text: String) {
        if self.examples.len() < 8 {
            self.examples.push(text);
        }
    }
}

/// One audit entry of the run.
#[derive(Debug, Clone)]
struct Entry {
    action: String,
    release_id: Option<String>,
    to_state: Option<String>,
    revision: Option<i32>,
    details: String,
}

/// The stored row of one of the run's releases.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    state: String,
    version: i32,
    embargo_until: Option<i64>,
    published_at: Option<i64>,
}

/// What the database holds after the run.
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// Audit entries written since the run began, in chain order.
    entries: Vec<Entry>,
    /// The rows of the releases the run created.
    rows: Vec<Row>,
    /// The release id of every `release.published` outbox event.
    published_events: Vec<String>,
}

/// Reads the [`Facts`] directly from the database.
pub(super) async fn read_facts(store: &Store, start_seq: i64) -> anyhow::Result<Facts> {
    type AuditRow = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<i32>,
        String,
    );
    let audit: Vec<AuditRow> = audit_log::Entity::find()
        .select_only()
        .columns([
            audit_log::Column::Seq,
            audit_log::Column::Action,
            audit_log::Column::ReleaseId,
            audit_log::Column::ToState,
            audit_log::Column::Revision,
            audit_log::Column::Details,
        ])
        .filter(audit_log::Column::Seq.gt(start_seq))
        .order_by_asc(audit_log::Column::Seq)
        .into_tuple()
        .all(store.connection())
        .await?;
    type ReleaseRow = (String, String, i32, Option<i64>, Option<i64>);
    let rows: Vec<ReleaseRow> = releases::Entity::find()
        .select_only()
        .columns([
            releases::Column::Id,
            releases::Column::State,
            releases::Column::Version,
            releases::Column::EmbargoUntil,
            releases::Column::PublishedAt,
        ])
        .filter(releases::Column::CreatedBy.ne(seed::ACTOR))
        .into_tuple()
        .all(store.connection())
        .await?;
    let published_events: Vec<String> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::ReleaseId)
        .filter(outbox::Column::Event.eq("release.published"))
        .into_tuple()
        .all(store.connection())
        .await?;
    Ok(Facts {
        entries: audit
            .into_iter()
            .map(
                |(_, action, release_id, to_state, revision, details)| Entry {
                    action,
                    release_id,
                    to_state,
                    revision,
                    details,
                },
            )
            .collect(),
        rows: rows
            .into_iter()
            .map(|(id, state, version, embargo_until, published_at)| Row {
                id,
                state,
                version,
                embargo_until,
                published_at,
            })
            .collect(),
        published_events,
    })
}

/// Checks the facts against what the client saw: its acknowledged writes and its schedules.
pub(super) fn evaluate(facts: &Facts, acks: &[Ack], scheduled: &[Scheduled]) -> Checked {
    let mut checked = Checked {
        entries_written: facts.entries.len() as u64,
        ..Checked::default()
    };
    let mut entries: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for entry in &facts.entries {
        if entry.action == "refusePublication" {
            checked.refused += 1;
        }
        if let Some(release_id) = &entry.release_id {
            entries.entry(release_id.as_str()).or_default().push(entry);
        }
    }

    // Every acknowledged write has its entry; the k-th entry of a release is its version k.
    let mut used: HashSet<(&str, usize)> = HashSet::new();
    let matches = |entry: &Entry, ack: &Ack| {
        entry.action == ack.action
            && entry.to_state.as_deref() == Some(ack.to_state.as_str())
            && entry.revision.map(i64::from) == Some(ack.revision)
    };
    let no_entries = Vec::new();
    for ack in acks {
        let id = ack.release_id.as_str();
        let list = entries.get(id).unwrap_or(&no_entries);
        if let Ok(place) = usize::try_from(ack.version - 1)
            && list.get(place).is_some_and(|entry| matches(entry, ack))
            && used.insert((id, place))
        {
            continue;
        }
        let elsewhere = list
            .iter()
            .enumerate()
            .position(|(i, entry)| matches(entry, ack) && !used.contains(&(id, i)));
        match elsewhere {
            Some(i) => {
                used.insert((id, i));
                checked.out_of_place += 1;
            }
            None => {
                checked.lost_acknowledged += 1;
                checked.example(format!(
                    "acknowledged {} of release {id} (version {}, {}) has no audit entry",
                    ack.action, ack.version, ack.to_state
                ));
            }
        }
    }
    let ours: HashSet<&str> = acks.iter().map(|ack| ack.release_id.as_str()).collect();
    for id in &ours {
        if let Some(list) = entries.get(id) {
            checked.unacknowledged += list
                .iter()
                .enumerate()
                .filter(|(i, entry)| {
                    !used.contains(&(*id, *i)) && entry.action != "scheduledPublish"
                })
                .count() as u64;
        }
    }

    // No stored version is behind one the client saw.
    let stored: HashMap<&str, &Row> = facts
        .rows
        .iter()
        .map(|row| (row.id.as_str(), row))
        .collect();
    let mut acked_version: BTreeMap<&str, i64> = BTreeMap::new();
    for ack in acks {
        let version = acked_version.entry(ack.release_id.as_str()).or_default();
        *version = (*version).max(ack.version);
    }
    for (id, version) in &acked_version {
        let current = stored.get(id).map_or(0, |row| i64::from(row.version));
        if current < *version {
            checked.stale_versions += 1;
            checked.example(format!(
                "release {id} is stored at version {current}, the client saw {version}"
            ));
        }
    }

    // Every scheduled release is published once, at its instant, audited, with its event.
    let mut event_count: HashMap<&str, u64> = HashMap::new();
    for id in &facts.published_events {
        *event_count.entry(id.as_str()).or_default() += 1;
    }
    for target in scheduled {
        let id = target.id.as_str();
        let list = entries.get(id).unwrap_or(&no_entries);
        let publications: Vec<&&Entry> = list
            .iter()
            .filter(|entry| entry.action == "scheduledPublish" || entry.action == "publishNow")
            .collect();
        for entry in &publications {
            if entry.action == "scheduledPublish"
                && let Ok(details) = serde_json::from_str::<Value>(&entry.details)
                && let Some(late) = details["lateMs"].as_f64()
            {
                checked.late_ms.push(late);
            }
        }
        let events = event_count.get(id).copied().unwrap_or_default();
        if publications.len() > 1 || events > 1 {
            checked.double_publications += 1;
            checked.example(format!(
                "release {id} has {} publication entries and {events} release.published events",
                publications.len()
            ));
        }
        let Some(row) = stored.get(id) else {
            checked.unpublished += 1;
            checked.example(format!("scheduled release {id} has no row"));
            continue;
        };
        if row.state != "PUBLISHED" {
            checked.unpublished += 1;
            checked.example(format!(
                "release {id} is {}, instant {}",
                row.state,
                format_instant(target.instant)
            ));
            continue;
        }
        checked.published += 1;
        if row.published_at != Some(target.instant) || row.embargo_until != Some(target.instant) {
            checked.wrong_published_at += 1;
            checked.example(format!(
                "release {id} scheduled for {} was published at {:?} (embargoUntil {:?})",
                format_instant(target.instant),
                row.published_at.map(format_instant),
                row.embargo_until.map(format_instant)
            ));
        }
        if publications.is_empty() {
            checked.unaudited_publications += 1;
            checked.example(format!(
                "release {id} is PUBLISHED without a publication audit entry"
            ));
        }
        if events == 0 {
            checked.missing_events += 1;
            checked.example(format!(
                "release {id} is PUBLISHED without a release.published event"
            ));
        }
    }
    checked
}

/// How many of the run's releases are PUBLISHED.
pub(super) async fn published_count(store: &Store) -> anyhow::Result<u64> {
    Ok(releases::Entity::find()
        .filter(releases::Column::CreatedBy.ne(seed::ACTOR))
        .filter(releases::Column::State.eq("PUBLISHED"))
        .count(store.connection())
        .await?)
}

/// What `pressroom audit verify` said of the hash chain.
pub(super) struct Chain {
    /// Whether the chain is intact.
    pub(super) ok: bool,
    /// How many entries it holds (NaN when unknown).
    pub(super) entries: f64,
    /// Why the check failed, when it did.
    pub(super) note: Option<String>,
}

/// Runs `pressroom audit verify` on the database at `url`.
pub(super) async fn verify_chain(env: &Env, url: &str) -> Chain {
    let (ok, entries, note) = match run_cli(env, url, &["audit", "verify"]).await {
        Ok(run) => {
            let entries = run
                .stdout
                .lines()
                .last()
                .and_then(|line| line.trim().strip_prefix("ok: "))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok());
            match entries {
                Some(entries) => (true, entries, None),
                None => (
                    false,
                    f64::NAN,
                    Some(format!("unexpected audit verify output: {}", run.stdout)),
                ),
            }
        }
        Err(error) => (false, f64::NAN, Some(format!("{error:#}"))),
    };
    Chain { ok, entries, note }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One release's clean history: six acknowledged writes, then the scheduler's publication.
    fn history() -> (Facts, Vec<Ack>, Vec<Scheduled>) {
        let instant = 1_780_000_000_000_000;
        let steps = [
            ("createRelease", "DRAFT", 1),
            ("updateRelease", "DRAFT", 2),
            ("submitForReview", "IN_REVIEW", 2),
            ("approveRelease", "IN_REVIEW", 2),
            ("approveRelease", "APPROVED", 2),
            ("scheduleRelease", "EMBARGOED", 2),
        ];
        let entry = |action: &str, to_state: &str, revision: i32, details: &str| Entry {
            action: action.into(),
            release_id: Some("r1".into()),
            to_state: Some(to_state.into()),
            revision: Some(revision),
            details: details.into(),
        };
        let mut entries: Vec<Entry> = steps
            .iter()
            .map(|&(action, state, revision)| entry(action, state, revision, "{}"))
            .collect();
        entries.push(entry("scheduledPublish", "PUBLISHED", 2, r#"{"lateMs":3}"#));
        let acks = steps
            .iter()
            .enumerate()
            .map(|(i, &(action, state, revision))| Ack {
                release_id: "r1".into(),
                action,
                to_state: state.into(),
                revision: revision.into(),
                version: i as i64 + 1,
            })
            .collect();
        let facts = Facts {
            entries,
            rows: vec![Row {
                id: "r1".into(),
                state: "PUBLISHED".into(),
                version: 7,
                embargo_until: Some(instant),
                published_at: Some(instant),
            }],
            published_events: vec!["r1".into()],
        };
        let scheduled = vec![Scheduled {
            id: "r1".into(),
            slug: "r1".into(),
            instant,
        }];
        (facts, acks, scheduled)
    }

    #[test]
    fn a_clean_history_has_nothing_lost() {
        let (facts, acks, scheduled) = history();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.lost_writes(), 0, "{checked:?}");
        assert_eq!(
            (checked.double_publications, checked.wrong_published_at),
            (0, 0)
        );
        assert_eq!((checked.out_of_place, checked.unacknowledged), (0, 0));
        assert_eq!((checked.published, checked.entries_written), (1, 7));
        assert_eq!(checked.late_ms, vec![3.0]);
    }

    #[test]
    fn an_acknowledged_write_without_its_audit_entry_is_lost() {
        let (mut facts, acks, scheduled) = history();
        facts.entries.remove(3);
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.lost_acknowledged, 1, "{checked:?}");
        assert_eq!(checked.lost_writes(), 1);
        // The later entries moved up one place: still found, but not where their version says.
        assert_eq!(checked.out_of_place, 2);
    }

    #[test]
    fn a_second_publication_or_event_is_a_double_publication() {
        let (mut facts, acks, scheduled) = history();
        facts.published_events.push("r1".into());
        assert_eq!(evaluate(&facts, &acks, &scheduled).double_publications, 1);
        let (mut facts, acks, scheduled) = history();
        let again = facts.entries[6].clone();
        facts.entries.push(again);
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.double_publications, 1, "{checked:?}");
        assert_eq!(checked.lost_writes(), 0);
    }

    #[test]
    fn unpublished_late_stale_and_unannounced_releases_are_counted() {
        let (mut facts, acks, scheduled) = history();
        facts.rows[0].state = "EMBARGOED".into();
        facts.entries.pop();
        facts.published_events.clear();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(
            (checked.unpublished, checked.published),
            (1, 0),
            "{checked:?}"
        );

        let (mut facts, acks, scheduled) = history();
        facts.rows[0].published_at = facts.rows[0].published_at.map(|at| at + 1);
        assert_eq!(evaluate(&facts, &acks, &scheduled).wrong_published_at, 1);

        let (mut facts, acks, scheduled) = history();
        facts.rows[0].version = 5;
        assert_eq!(evaluate(&facts, &acks, &scheduled).stale_versions, 1);

        let (mut facts, acks, scheduled) = history();
        facts.published_events.clear();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.missing_events, 1);
        assert_eq!(checked.lost_writes(), 1);

        let (mut facts, acks, scheduled) = history();
        facts.entries.pop();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.unaudited_publications, 1, "{checked:?}");
    }
}
