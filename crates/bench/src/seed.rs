//! Fast, valid test data: a directory of departments and people made through the `Store` API,
//! then releases and audit entries inserted directly with multi-row `INSERT`s in large
//! transactions.
//!
//! Every seeded row is one the application could have written: release content is built with
//! `ReleaseContent::parse` and stored as its canonical JSON with its content hash; each release
//! has its first revision, its topic, its offices and an approval from every required office that
//! covers the content (the responsible minister's on the content hash, the other speaker's on the
//! fingerprint of their quotes), so the scheduler's re-check in the domain accepts it. Audit
//! entries form a valid hash chain continuing from the recorded head, and the head is moved to
//! the last one, so `pressroom audit verify` reports the chain intact.

use std::ops::Range;

use anyhow::Context;
use chrono::{DateTime, Utc};
use pressroom_domain::UserName;
use pressroom_domain::approval::Verdict;
use pressroom_domain::audit::AuditFields;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::State;
use pressroom_storage::Store;
use pressroom_storage::directory::{Department, Person};
use pressroom_storage::entity::{
    approvals, audit_head, audit_log, release_offices, release_revisions, release_topics, releases,
};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

/// How many departments the directory has.
pub const DEPARTMENTS: usize = 10;

/// People per department: the minister first, then two others who are quoted.
const PEOPLE_PER_DEPARTMENT: usize = 3;

/// Releases per transaction.
const RELEASES_PER_TRANSACTION: usize = 2_000;

/// Rows per multi-row `INSERT` (the widest row, a release, has 25 columns: 12,500 bound values,
/// under SQLite's limit of 32,766).
const ROWS_PER_INSERT: usize = 500;

/// Audit entries per transaction, and per multi-row `INSERT`.
const AUDIT_PER_TRANSACTION: usize = 25_000;
const AUDIT_PER_INSERT: usize = 1_000;

/// The user name seeded rows are written by.
pub const ACTOR: &str = "bench";

/// [`ACTOR`] as the user name the store's admin writes take.
pub fn actor() -> UserName {
    UserName::new(ACTOR)
}

/// An embargo instant far in the future (2100-01-01): embargoed releases are seeded there, then
/// moved to the real instant in one statement once the scheduler runs ([`shift_embargoes`]).
pub const PARKED_EMBARGO_MICROS: i64 = 4_102_444_800_000_000;

/// The seeded departments and their people (`people[d][0]` is department `d`'s minister).
#[derive(Debug, Clone)]
pub struct Directory {
    /// Departments, `departement-0` first.
    pub departments: Vec<Department>,
    /// People per department, the minister first.
    pub people: Vec<Vec<Person>>,
}

/// The slug of department `d`.
pub fn department_slug(d: usize) -> String {
    format!("departement-{d}")
}

/// Creates the directory through the `Store` API (with its audit entries), or loads it when a
/// previous run made it.
pub async fn directory(store: &Store) -> anyhow::Result<Directory> {
    let existing = store.departments().await?;
    if existing.is_empty() {
        let mut departments = Vec::new();
        let mut people = Vec::new();
        for d in 0..DEPARTMENTS {
            let slug = department_slug(d);
            departments.push(
                store
                    .create_department(
                        &actor(),
                        &slug,
                        &format!("Departement {d}"),
                        "Europe/Stockholm",
                    )
                    .await
                    .with_context(|| format!("creating department {slug}"))?,
            );
            let mut staff = Vec::new();
            for (k, title) in ["minister", "statssekreterare", "generaldirektör"]
                .into_iter()
                .enumerate()
                .take(PEOPLE_PER_DEPARTMENT)
            {
                staff.push(
                    store
                        .create_person(&actor(), &format!("Person {d}-{k}"), title, Some(&slug))
                        .await
                        .with_context(|| format!("creating person {d}-{k}"))?,
                );
            }
            people.push(staff);
        }
        return Ok(Directory {
            departments,
            people,
        });
    }
    let all_people = store.people().await?;
    let mut departments = Vec::new();
    let mut people = Vec::new();
    for d in 0..DEPARTMENTS {
        let slug = department_slug(d);
        let department = existing
            .iter()
            .find(|dep| dep.slug == slug)
            .cloned()
            .with_context(|| format!("the database has departments, but not {slug}"))?;
        let mut staff: Vec<Person> = all_people
            .iter()
            .filter(|p| p.department_id.as_deref() == Some(department.id.as_str()))
            .cloned()
            .collect();
        staff.sort_by(|a, b| a.name.cmp(&b.name));
        if staff.len() < PEOPLE_PER_DEPARTMENT {
            anyhow::bail!("department {slug} has {} people, not 3", staff.len());
        }
        departments.push(department);
        people.push(staff);
    }
    Ok(Directory {
        departments,
        people,
    })
}

/// The content of release `i`: two paragraphs, a quote of the minister and one of a colleague,
/// one press contact and one topic (about 1.3 KB of canonical JSON).
pub fn content_for(i: usize, minister: &str, colleague: &str) -> anyhow::Result<ReleaseContent> {
    let paragraph = "Regeringen föreslår att stödet förlängs till och med nästa år och att \
        ansökningstiden förenklas för kommuner och regioner. Förslaget bygger på erfarenheterna \
        från de senaste åren och på synpunkter från remissinstanserna, som i stort sett har \
        ställt sig bakom inriktningen.";
    let content = ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(minister.to_owned()),
        title: format!("Pressmeddelande {i}: förlängt stöd till kommunerna"),
        lead: format!(
            "Regeringen ger i dag besked om ett förlängt stöd (ärende {i}). Beslutet fattades \
             vid dagens regeringssammanträde."
        ),
        body: vec![
            Block::Paragraph {
                text: paragraph.to_owned(),
            },
            Block::Quote {
                speaker_id: minister.to_owned(),
                text: "Det här är en viktig reform för hela landet, och vi genomför den nu.".into(),
            },
            Block::Paragraph {
                text: paragraph.to_owned(),
            },
            Block::Quote {
                speaker_id: colleague.to_owned(),
                text: "Kommunerna har efterfrågat det här länge, och nu kommer det.".into(),
            },
        ],
        contacts: vec![Contact {
            name: "Tove Pressekreterare".into(),
            role: Some("Pressekreterare".into()),
            phone: Some("08-405 10 00".into()),
            mobile: Some("070-123 45 67".into()),
            email: Some("tove@example.se".into()),
        }],
        topics: vec![format!("amne-{}", i % 7)],
        ..ContentInput::default()
    })
    .map_err(|error| anyhow::anyhow!("seed content {i} is invalid: {error}"))?;
    Ok(content)
}

/// The state a seeded release is in.
#[derive(Debug, Clone, Copy)]
pub enum Seeded {
    /// Published at this instant (microseconds).
    Published {
        /// Publication instant.
        at: i64,
    },
    /// Embargoed until this instant (microseconds), fully approved.
    Embargoed {
        /// Embargo instant.
        until: i64,
    },
}

/// Inserts releases with the indices `indices`, each in the state `state(i)`, department
/// `i % 10`; returns how many.
pub async fn insert_releases(
    store: &Store,
    directory: &Directory,
    indices: Range<usize>,
    state: impl Fn(usize) -> Seeded,
) -> anyhow::Result<usize> {
    let backend = store.backend();
    let now = Utc::now().timestamp_micros();
    let mut inserted = 0;
    let all: Vec<usize> = indices.collect();
    for block in all.chunks(RELEASES_PER_TRANSACTION) {
        let mut rows = Rows::default();
        for &i in block {
            rows.add(i, directory, state(i), now)?;
        }
        let txn = store.connection().begin().await?;
        for chunk in rows.releases.chunks(ROWS_PER_INSERT) {
            releases::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in rows.revisions.chunks(ROWS_PER_INSERT) {
            release_revisions::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in rows.topics.chunks(ROWS_PER_INSERT) {
            release_topics::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in rows.offices.chunks(ROWS_PER_INSERT) {
            release_offices::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        for chunk in rows.approvals.chunks(ROWS_PER_INSERT) {
            approvals::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        if backend == DbBackend::Sqlite {
            // SQLite's full-text mirror is kept by the application (PostgreSQL's by a trigger).
            for chunk in rows.search.chunks(ROWS_PER_INSERT) {
                let mut insert = Query::insert();
                insert
                    .into_table(Alias::new("release_search"))
                    .columns([Alias::new("release_id"), Alias::new("body")]);
                for (id, body) in chunk {
                    insert.values([id.clone().into(), body.clone().into()])?;
                }
                txn.execute(&insert).await?;
            }
        }
        txn.commit().await?;
        inserted += block.len();
    }
    Ok(inserted)
}

/// The rows of one transaction's worth of releases.
#[derive(Default)]
struct Rows {
    releases: Vec<releases::ActiveModel>,
    revisions: Vec<release_revisions::ActiveModel>,
    topics: Vec<release_topics::ActiveModel>,
    offices: Vec<release_offices::ActiveModel>,
    approvals: Vec<approvals::ActiveModel>,
    search: Vec<(String, String)>,
}

impl Rows {
    fn add(
        &mut self,
        i: usize,
        directory: &Directory,
        state: Seeded,
        now: i64,
    ) -> anyhow::Result<()> {
        let d = i % DEPARTMENTS;
        let department = &directory.departments[d];
        let staff = &directory.people[d];
        let minister = &staff[0];
        let colleague = &staff[1 + (i / DEPARTMENTS) % (PEOPLE_PER_DEPARTMENT - 1)];
        let content = content_for(i, &minister.id, &colleague.id)?;
        let json = content.canonical_json();
        let hash = content.content_hash();
        let id = uuid::Uuid::now_v7().to_string();
        let (state_name, embargo_until, published_at, sort_at) = match state {
            Seeded::Published { at } => (State::Published, None, Some(at), at),
            Seeded::Embargoed { until } => (State::Embargoed, Some(until), None, until),
        };
        let created_at = Ord::min(sort_at, now) - 86_400_000_000;
        let approved_at = created_at + 3_600_000_000;
        // Created, submitted, approved twice, then published or scheduled: version 5.
        self.releases.push(releases::ActiveModel {
            id: Set(id.clone()),
            slug: Set(format!("bench-{i}")),
            kind: Set(content.kind().as_str().to_owned()),
            language: Set(content.language().to_owned()),
            department_id: Set(department.id.clone()),
            responsible_minister_id: Set(Some(minister.id.clone())),
            translation_of_id: Set(None),
            state: Set(state_name.as_str().to_owned()),
            version: Set(5),
            revision: Set(1),
            content_hash: Set(hash.clone()),
            title: Set(content.title().to_owned()),
            lead: Set(content.lead().to_owned()),
            content: Set(json.clone()),
            author: Set(ACTOR.to_owned()),
            embargo_until: Set(embargo_until),
            published_at: Set(published_at),
            sort_at: Set(sort_at),
            withdrawn_at: Set(None),
            withdrawal_reason: Set(None),
            created_by: Set(ACTOR.to_owned()),
            created_at: Set(created_at),
            updated_at: Set(approved_at),
            search_text: Set(content.search_text()),
        });
        self.revisions.push(release_revisions::ActiveModel {
            release_id: Set(id.clone()),
            revision: Set(1),
            content: Set(json),
            content_hash: Set(hash.clone()),
            author: Set(ACTOR.to_owned()),
            created_at: Set(created_at),
        });
        for topic in content.topics() {
            self.topics.push(release_topics::ActiveModel {
                release_id: Set(id.clone()),
                topic: Set(topic.clone()),
            });
        }
        for office in [minister, colleague] {
            self.offices.push(release_offices::ActiveModel {
                release_id: Set(id.clone()),
                person_id: Set(office.id.clone()),
                required: Set(true),
                approved: Set(true),
            });
            self.approvals.push(approvals::ActiveModel {
                id: NotSet,
                release_id: Set(id.clone()),
                revision: Set(1),
                office_id: Set(office.id.clone()),
                status: Set(Verdict::Approved.as_str().to_owned()),
                by_user: Set(format!("office-{}", office.id)),
                at: Set(approved_at),
                comment: Set(None),
                content_hash: Set(hash.clone()),
                quotes_hash: Set(content.quotes_hash(&office.id)),
            });
        }
        self.search.push((id, content.search_text()));
        Ok(())
    }
}

/// Gives PostgreSQL's planner statistics of the freshly loaded tables, as autovacuum would
/// within a minute or so of a bulk load (without them, PostgreSQL 15 plans the page of a
/// department at 100,000 releases as a bitmap scan of the whole department plus a sort, 53 ms,
/// instead of a backward index scan that stops after 21 rows). SQLite is left as Pressroom
/// leaves it, without `ANALYZE` statistics.
pub async fn analyze(store: &Store) -> anyhow::Result<()> {
    if store.backend() == DbBackend::Postgres {
        store.connection().execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

/// [`analyze`], and on PostgreSQL a `VACUUM` too, as autovacuum gives an insert-only table a
/// while after a bulk load: the reads measured next then do not set the hint bits of every row
/// they meet first (and write those pages out). The read scenarios use it; on a table vacuumed
/// before, it skips the pages already all-visible.
pub async fn vacuum_analyze(store: &Store) -> anyhow::Result<()> {
    if store.backend() == DbBackend::Postgres {
        store
            .connection()
            .execute_unprepared("VACUUM (ANALYZE)")
            .await?;
    }
    Ok(())
}

/// How many releases are in `state`.
pub async fn count_in_state(store: &Store, state: State) -> anyhow::Result<u64> {
    Ok(releases::Entity::find()
        .filter(releases::Column::State.eq(state.as_str()))
        .count(store.connection())
        .await?)
}

/// Moves every embargoed release's instant (and listing key) by `delta_micros`, in one
/// statement; returns how many moved.
pub async fn shift_embargoes(store: &Store, delta_micros: i64) -> anyhow::Result<u64> {
    let result = releases::Entity::update_many()
        .col_expr(
            releases::Column::EmbargoUntil,
            Expr::col(releases::Column::EmbargoUntil).add(delta_micros),
        )
        .col_expr(
            releases::Column::SortAt,
            Expr::col(releases::Column::SortAt).add(delta_micros),
        )
        .filter(releases::Column::State.eq(State::Embargoed.as_str()))
        .exec(store.connection())
        .await?;
    Ok(result.rows_affected)
}

/// Appends `count` entries to the audit chain, continuing from the recorded head, and moves the
/// head to the last one. The entries look like a release's life (create, submit, approve twice,
/// publish) with details of realistic size.
pub async fn append_audit_chain(store: &Store, count: usize) -> anyhow::Result<()> {
    let head = audit_head::Entity::find_by_id(1)
        .one(store.connection())
        .await?
        .context("audit_head row is missing; was the database migrated?")?;
    let start = Utc::now() - chrono::Duration::days(365);
    let mut seq = head.seq;
    let mut prev_hash = head.hash;
    let mut remaining = count;
    let mut release_id = String::new();
    while remaining > 0 {
        let in_transaction = remaining.min(AUDIT_PER_TRANSACTION);
        let mut rows = Vec::with_capacity(in_transaction);
        for _ in 0..in_transaction {
            seq += 1;
            let step = (seq % 5) as usize;
            if step == 1 || release_id.is_empty() {
                release_id = uuid::Uuid::now_v7().to_string();
            }
            let (action, from, to) = [
                ("publishNow", Some("APPROVED"), "PUBLISHED"),
                ("createRelease", None, "DRAFT"),
                ("submitForReview", Some("DRAFT"), "IN_REVIEW"),
                ("approveRelease", Some("IN_REVIEW"), "IN_REVIEW"),
                ("approveRelease", Some("IN_REVIEW"), "APPROVED"),
            ][step];
            let at = micros(start) + seq * 1_000;
            let details = format!(
                "{{\"contentHash\":\"{:064x}\",\"office\":\"{release_id}\",\"revision\":1}}",
                seq
            );
            let hash = AuditFields {
                seq,
                at_micros: at,
                actor: ACTOR,
                action,
                release_id: Some(&release_id),
                from_state: from,
                to_state: Some(to),
                revision: Some(1),
                details: &details,
                prev_hash: &prev_hash,
            }
            .hash();
            rows.push(audit_log::ActiveModel {
                seq: Set(seq),
                at: Set(at),
                actor: Set(ACTOR.to_owned()),
                action: Set(action.to_owned()),
                release_id: Set(Some(release_id.clone())),
                from_state: Set(from.map(str::to_owned)),
                to_state: Set(Some(to.to_owned())),
                revision: Set(Some(1)),
                details: Set(details),
                prev_hash: Set(std::mem::replace(&mut prev_hash, hash.clone())),
                hash: Set(hash),
            });
        }
        let txn = store.connection().begin().await?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(AUDIT_PER_INSERT).collect();
            audit_log::Entity::insert_many(chunk).exec(&txn).await?;
        }
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::value(seq))
            .col_expr(audit_head::Column::Hash, Expr::value(prev_hash.clone()))
            .filter(audit_head::Column::Id.eq(1))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        remaining -= in_transaction;
    }
    Ok(())
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pressroom_domain::approval::{ApprovalRecord, fully_approved};

    #[test]
    fn seeded_content_is_valid_and_its_approvals_cover_it() {
        let content = content_for(42, "minister", "colleague").expect("valid content");
        let hash = content.content_hash();
        content.check_complete().expect("complete content");
        let records: Vec<ApprovalRecord> = ["minister", "colleague"]
            .into_iter()
            .map(|office| ApprovalRecord {
                office_id: office.into(),
                revision: 1,
                verdict: Verdict::Approved,
                by_user: UserName::new(format!("office-{office}")),
                at: Utc::now(),
                comment: None,
                content_hash: hash.clone(),
                quotes_hash: content.quotes_hash(office),
            })
            .collect();
        assert!(fully_approved(&records, &content, &hash));
        assert!(!fully_approved(&records[..1], &content, &hash));
        let json = content.canonical_json();
        assert!((1_000..2_000).contains(&json.len()), "{} bytes", json.len());
    }
}
