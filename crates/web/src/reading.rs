//! What every public rendering needs about a set of releases, loaded in a constant number of
//! queries: their departments, the people they name (responsible ministers and speakers) and
//! their correction notes.
//!
//! The releases themselves always come from a `secure_*` read of the store with one `now` per
//! request; this module only adds what they refer to and answers the read-time questions (the
//! effective state and publication time of `pressroom_domain::visibility`).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use pressroom_domain::content::Block;
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::{effective_published_at, effective_state};
use pressroom_storage::directory::{Department, Person};
use pressroom_storage::releases::{CorrectionRecord, StoredRelease};
use pressroom_storage::{StorageResult, Store};

use crate::time_format;

/// Departments, people and corrections of some releases, keyed by id.
#[derive(Debug, Default)]
pub struct Related {
    departments: HashMap<String, Department>,
    people: HashMap<String, Person>,
    corrections: HashMap<String, Vec<CorrectionRecord>>,
}

impl Related {
    /// Loads what `releases` refer to: three queries whatever their number.
    pub async fn load(store: &Store, releases: &[&StoredRelease]) -> StorageResult<Self> {
        let department_ids: Vec<String> = releases
            .iter()
            .map(|r| r.department_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let person_ids: Vec<String> = releases
            .iter()
            .flat_map(|r| r.content.referenced_people())
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let release_ids: Vec<String> = releases.iter().map(|r| r.id.clone()).collect();
        Ok(Self {
            departments: store.departments_by_ids(&department_ids).await?,
            people: store.people_by_ids(&person_ids).await?,
            corrections: store.corrections_for(&release_ids).await?,
        })
    }

    /// Loads only the departments of `releases` (listings show no people or corrections).
    pub async fn load_departments(
        store: &Store,
        releases: &[&StoredRelease],
    ) -> StorageResult<Self> {
        let department_ids: Vec<String> = releases
            .iter()
            .map(|r| r.department_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(Self {
            departments: store.departments_by_ids(&department_ids).await?,
            ..Self::default()
        })
    }

    /// `release` with what it refers to, read at `now`; `None` if its department is missing
    /// (a broken database: callers treat it as an internal error or skip the release).
    pub fn view<'a>(
        &'a self,
        release: &'a StoredRelease,
        now: DateTime<Utc>,
    ) -> Option<PublicRelease<'a>> {
        let public_since = effective_published_at(
            release.state,
            release.published_at,
            release.embargo_until,
            now,
        );
        let department = self
            .departments
            .get(&release.department_id)?
            .as_of(public_since);
        Some(PublicRelease {
            release,
            department,
            related: self,
            now,
        })
    }
}

/// One release as a public rendering sees it at the request's instant.
#[derive(Debug, Clone, Copy)]
pub struct PublicRelease<'a> {
    /// The release as stored.
    pub release: &'a StoredRelease,
    /// Its department, as it was when the release went public (as it is now before that).
    pub department: &'a Department,
    related: &'a Related,
    now: DateTime<Utc>,
}

impl<'a> PublicRelease<'a> {
    /// The state the release reads as now (an embargo whose instant has passed reads as PUBLISHED).
    pub fn state(&self) -> State {
        effective_state(self.release.state, self.release.embargo_until, self.now)
    }

    /// When it was (or reads as) published; `None` while it is still under embargo.
    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        effective_published_at(
            self.release.state,
            self.release.published_at,
            self.release.embargo_until,
            self.now,
        )
    }

    /// The embargo instant while the release is still embargoed at `now`.
    pub fn pending_embargo(&self) -> Option<DateTime<Utc>> {
        self.release
            .embargo_until
            .filter(|_| self.state() == State::Embargoed)
    }

    /// Its correction notes, oldest first.
    pub fn corrections(&self) -> &'a [CorrectionRecord] {
        self.related
            .corrections
            .get(&self.release.id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// When its public content last changed: the publication, or the latest correction.
    /// Feeds' `updated` uses it, so an entry moves when (and only when) it is corrected.
    pub fn content_updated_at(&self) -> Option<DateTime<Utc>> {
        let published = self.published_at()?;
        Some(
            self.corrections()
                .iter()
                .map(|c| c.at)
                .fold(published, DateTime::max),
        )
    }

    /// When anything public about it last changed: content, or the withdrawal notice.
    pub fn public_updated_at(&self) -> Option<DateTime<Utc>> {
        let content = self.content_updated_at()?;
        Some(match self.withdrawn_at() {
            Some(withdrawn) => content.max(withdrawn),
            None => content,
        })
    }

    /// The withdrawal instant, when withdrawn.
    pub fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        if self.state() == State::Withdrawn {
            self.release.withdrawn_at
        } else {
            None
        }
    }

    /// The public withdrawal reason, when withdrawn.
    pub fn withdrawal_reason(&self) -> Option<&'a str> {
        if self.state() == State::Withdrawn {
            self.release.withdrawal_reason.as_deref()
        } else {
            None
        }
    }

    /// A person the release names, if the directory still has them: as they were when the
    /// release went public (a minister's new title does not rewrite a published release), as
    /// they are now before that.
    pub fn person(&self, id: &str) -> Option<&'a Person> {
        let public_since = self.published_at();
        self.related
            .people
            .get(id)
            .map(|person| person.as_of(public_since))
    }

    /// The responsible minister, if set and known.
    pub fn responsible_minister(&self) -> Option<&'a Person> {
        self.release
            .content
            .responsible_minister_id()
            .and_then(|id| self.person(id))
    }

    /// Everyone quoted, in order of first appearance, each once.
    pub fn speakers(&self) -> Vec<&'a Person> {
        let mut seen = BTreeSet::new();
        self.release
            .content
            .body()
            .iter()
            .filter_map(|block| match block {
                Block::Quote { speaker_id, .. } => Some(speaker_id.as_str()),
                Block::Paragraph { .. } => None,
            })
            .filter(|id| seen.insert(*id))
            .filter_map(|id| self.person(id))
            .collect()
    }

    /// The department's time zone.
    pub fn zone(&self) -> Tz {
        time_format::zone(&self.department.time_zone)
    }

    /// The release's language tag.
    pub fn language(&self) -> &'a str {
        self.release.content.language()
    }
}
