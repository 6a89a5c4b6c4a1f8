//! What the newsroom's pages read: the work list, the schedule of the next hours, the "waiting
//! on" board, what an office signed before and the revision it last approved, and a release's
//! history.
//!
//! Every function costs a small constant number of SQL statements whatever the length of the
//! list (a page is one query per kind of record, batched with `… WHERE id IN (…)`), and every
//! one reads releases through the visibility rule ([`visible_condition`]) or, for internal
//! detail (approvals, earlier revisions, the audit trail), through [`internal_detail_ids`]: the
//! releases a viewer sees by role and whose internal detail it may see. Each returns plain structs; the approval standings come from the domain
//! (`pressroom_domain::approval::standings`) and a sign-off link's status from
//! `SignoffLink::status`, as everywhere else.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pressroom_domain::approval::{ApprovalStatus, Verdict, standings};
use pressroom_domain::lifecycle::State;
use pressroom_domain::signoff::manages_links;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_domain::{DepartmentId, PersonId};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::audit::AuditEntry;
use crate::clock::{from_micros, micros};
use crate::entity::{approvals, releases, signoff_links};
use crate::error::StorageResult;
use crate::pagination::{Page, PageRequest};
use crate::releases::{ReleaseFilter, StoredRelease};
use crate::signoff::{LinkView, link_from};
use crate::store::Store;
use crate::visibility::{
    effective_state_condition, internal_detail_condition, privileged_condition, visible_condition,
};

/// The most releases [`Store::scheduled_between`] and [`Store::waiting_on`] return: a bound on
/// one page's work, far above what a press office has scheduled or in review at once.
pub const BOARD_LIMIT: u64 = 200;

/// The work list's filters.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    /// States as they read now; `None` means every state but WITHDRAWN.
    pub states: Option<Vec<State>>,
    /// Only releases whose current revision this user wrote.
    pub author: Option<String>,
    /// Exact topic.
    pub topic: Option<String>,
    /// Words to find in title, lead, body and quotes (plain text, no operators).
    pub query: Option<String>,
}

/// An embargoed release due in a window, with its instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    /// When it publishes.
    pub embargo_until: DateTime<Utc>,
    /// The release.
    pub release: StoredRelease,
}

/// One required office of a release in review, and where it stands on the current revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeWait {
    /// The person whose office it is.
    pub person_id: PersonId,
    /// That person's name (`None` only if the person is missing from the directory).
    pub name: Option<String>,
    /// That person's title.
    pub title: Option<String>,
    /// Approved (a valid approval covers the current content), changes requested on this
    /// revision, or pending.
    pub status: ApprovalStatus,
    /// Who gave the approval or the request for changes that decides the status.
    pub by_user: Option<String>,
    /// When.
    pub at: Option<DateTime<Utc>>,
}

/// A release in review and who it waits on.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingOn {
    /// The release.
    pub release: StoredRelease,
    /// Its required offices, the responsible minister's first, each with its standing.
    pub offices: Vec<OfficeWait>,
    /// Its sign-off links, oldest first, with their status now; `None` for viewers who may not
    /// see them (anyone but the release's drafters and editors, and admins).
    pub links: Option<Vec<LinkView>>,
}

/// The revision an office last approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedRevision {
    /// Revision number.
    pub revision: i32,
    /// Its content hash.
    pub content_hash: String,
    /// Who approved it for the office.
    pub by_user: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The ids of the releases whose internal detail (approvals, earlier revisions, the audit
/// trail) `viewer` may read, as a subquery: those it sees by role ([`privileged_condition`])
/// and whose internal detail it may see ([`internal_detail_condition`]), as
/// `secure_audit_entries` decides. `None`: none (integrators).
pub(crate) fn internal_detail_ids(viewer: &Viewer) -> Option<SelectStatement> {
    let (Some(internal), Some(privileged)) = (
        internal_detail_condition(viewer),
        privileged_condition(viewer),
    ) else {
        return None;
    };
    Some(
        Query::select()
            .column(releases::Column::Id)
            .from(releases::Entity)
            .cond_where(Condition::all().add(internal).add(privileged))
            .to_owned(),
    )
}

impl Store {
    /// A page of the work list, newest first (keyset paging as in `secure_releases`, whose
    /// filter it is): for drafters and editors their department's releases, for everyone
    /// else what they may see. Three statements at most.
    pub async fn work_list(
        &self,
        viewer: &Viewer,
        filter: &WorkFilter,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
        let department = match viewer.department_id.as_ref().map(DepartmentId::as_str) {
            Some(id) if viewer.role.is_staff() => {
                match self.departments_by_ids(&[id.to_owned()]).await?.remove(id) {
                    Some(department) => Some(department.slug),
                    None => return Ok(Page::empty(page)),
                }
            }
            _ => None,
        };
        let filter = ReleaseFilter {
            department,
            states: filter.states.clone(),
            author: filter.author.clone(),
            topic: filter.topic.clone(),
            query: filter.query.clone(),
            ..ReleaseFilter::default()
        };
        self.secure_releases(Some(viewer), &filter, page, self.now())
            .await
    }

    /// A page of the releases the viewer's office gave a verdict on (approved or sent back),
    /// newest first, that it still sees: "what you signed before" (one statement; empty for
    /// other roles).
    pub async fn signed_by_office(
        &self,
        viewer: &Viewer,
        page: &PageRequest,
    ) -> StorageResult<Page<StoredRelease>> {
        let Some(person) = viewer
            .person_id
            .as_ref()
            .map(PersonId::as_str)
            .filter(|_| viewer.role == Role::MinisterOffice)
        else {
            return Ok(Page::empty(page));
        };
        let signed = Query::select()
            .column(approvals::Column::ReleaseId)
            .from(approvals::Entity)
            .and_where(approvals::Column::OfficeId.eq(person))
            .to_owned();
        let condition = Condition::all()
            .add(visible_condition(Some(viewer), self.now()))
            .add(releases::Column::Id.in_subquery(signed));
        self.release_page(condition, page).await
    }

    /// The embargoed releases `viewer` may see that publish in `[from, to)` and have not yet
    /// (their instant is still ahead), soonest first, each with its instant; at most
    /// [`BOARD_LIMIT`]. One statement.
    pub async fn scheduled_between(
        &self,
        viewer: &Viewer,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StorageResult<Vec<Scheduled>> {
        let now = self.now();
        let rows = releases::Entity::find()
            .filter(visible_condition(Some(viewer), now))
            .filter(effective_state_condition(State::Embargoed, now))
            .filter(releases::Column::EmbargoUntil.gte(micros(from)))
            .filter(releases::Column::EmbargoUntil.lt(micros(to)))
            .order_by_asc(releases::Column::EmbargoUntil)
            .order_by_asc(releases::Column::Id)
            .limit(BOARD_LIMIT)
            .into_partial_model::<releases::Row>()
            .all(self.connection())
            .await?;
        rows.into_iter()
            .filter_map(|row| {
                let at = row.embargo_until.map(from_micros)?;
                Some(StoredRelease::from_model(row).map(|release| Scheduled {
                    embargo_until: at,
                    release,
                }))
            })
            .collect()
    }

    /// The "waiting on" board: every release in review that `viewer` may see (newest first, at
    /// most [`BOARD_LIMIT`]), with its required offices (who approved the current revision,
    /// who asked for changes, who has not answered) and, for its drafters, editors and admins,
    /// its sign-off links with their status. Four statements whatever the number of releases.
    pub async fn waiting_on(&self, viewer: &Viewer) -> StorageResult<Vec<WaitingOn>> {
        let now = self.now();
        let rows = releases::Entity::find()
            .filter(visible_condition(Some(viewer), now))
            .filter(releases::Column::State.eq(State::InReview.as_str()))
            .order_by_desc(releases::Column::SortAt)
            .order_by_desc(releases::Column::Id)
            .limit(BOARD_LIMIT)
            .into_partial_model::<releases::Row>()
            .all(self.connection())
            .await?;
        let in_review = rows
            .into_iter()
            .map(StoredRelease::from_model)
            .collect::<StorageResult<Vec<_>>>()?;
        if in_review.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = in_review.iter().map(|r| r.id.clone()).collect();
        let mut records = self.approvals_for(&ids).await?;
        let mut offices: Vec<String> = in_review
            .iter()
            .flat_map(|r| pressroom_domain::approval::required_offices(&r.content))
            .map(PersonId::into_string)
            .collect();
        offices.sort();
        offices.dedup();
        let people = self.people_by_ids(&offices).await?;
        let with_links: Vec<String> = in_review
            .iter()
            .filter(|r| manages_links(viewer, &r.department_id))
            .map(|r| r.id.clone())
            .collect();
        let mut links: HashMap<String, Vec<signoff_links::Model>> = HashMap::new();
        if !with_links.is_empty() {
            for row in signoff_links::Entity::find()
                .filter(signoff_links::Column::ReleaseId.is_in(with_links))
                .order_by_asc(signoff_links::Column::CreatedAt)
                .order_by_asc(signoff_links::Column::Id)
                .all(self.connection())
                .await?
            {
                links.entry(row.release_id.clone()).or_default().push(row);
            }
        }
        in_review
            .into_iter()
            .map(|release| {
                let records = records.remove(&release.id).unwrap_or_default();
                let offices = standings(
                    &records,
                    &release.content,
                    &release.content_hash,
                    release.revision,
                )
                .into_iter()
                .map(|standing| {
                    let person = people.get(standing.office_id.as_str());
                    OfficeWait {
                        name: person.map(|p| p.name.clone()),
                        title: person.map(|p| p.title.clone()),
                        status: standing.status,
                        by_user: standing.record.map(|r| r.by_user.to_string()),
                        at: standing.record.map(|r| r.at),
                        person_id: standing.office_id,
                    }
                })
                .collect();
                let links = manages_links(viewer, &release.department_id)
                    .then(|| {
                        links
                            .remove(&release.id)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|m| {
                                let link = link_from(m)?;
                                let status = link.status(release.state, release.revision, now);
                                Ok(LinkView { link, status })
                            })
                            .collect::<StorageResult<Vec<_>>>()
                    })
                    .transpose()?;
                Ok(WaitingOn {
                    release,
                    offices,
                    links,
                })
            })
            .collect()
    }

    /// The revision of release `release_id` that the office of person `office_id` last
    /// approved (whether or not that approval still holds), for the newsroom's diff of what the
    /// office approved against what it is asked now. `None` when it never approved one, or when
    /// `viewer` does not see the release by role (internal detail). One statement.
    pub async fn last_approved_revision(
        &self,
        viewer: &Viewer,
        release_id: &str,
        office_id: &PersonId,
    ) -> StorageResult<Option<ApprovedRevision>> {
        let Some(readable) = internal_detail_ids(viewer) else {
            return Ok(None);
        };
        Ok(approvals::Entity::find()
            .filter(approvals::Column::ReleaseId.eq(release_id))
            .filter(approvals::Column::OfficeId.eq(office_id.as_str()))
            .filter(approvals::Column::Status.eq(Verdict::Approved.as_str()))
            .filter(approvals::Column::ReleaseId.in_subquery(readable))
            .order_by_desc(approvals::Column::Id)
            .one(self.connection())
            .await?
            .map(|m| ApprovedRevision {
                revision: m.revision,
                content_hash: m.content_hash,
                by_user: m.by_user,
                at: from_micros(m.at),
            }))
    }

    /// A page of release `release_id`'s audit entries, oldest first, for viewers who may read
    /// its internal detail (`secure_audit_entries`; an empty page for anyone else). One
    /// statement.
    pub async fn release_history(
        &self,
        viewer: &Viewer,
        release_id: &str,
        page: &PageRequest,
    ) -> StorageResult<Page<AuditEntry>> {
        self.secure_audit_entries(Some(viewer), Some(release_id), page)
            .await
    }
}
