//! `GET /newsroom/`: the page a press office opens every morning. Drafters and editors see
//! their department's releases (filter by state, author, topic and words; keyset paging);
//! ministers' offices see what awaits their sign-off first, then what they signed before;
//! everyone sees what publishes in the next 48 hours, with a countdown.

use askama::Template;
use chrono::Duration;
use poem::web::{Data, Query};
use poem::{Response, handler};
use pressroom_domain::approval::ApprovalStatus;
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::Role;
use pressroom_storage::newsroom::WorkFilter;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::{StorageError, Store};
use pressroom_web::time_format;
use serde::Deserialize;

use crate::frame::{self, Frame, SITE, Staff};
use crate::release::{When, state_in_words};

/// The work list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct WorkQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: Option<String>,
}

/// One release in a list.
pub struct Row {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// State in words.
    pub state: &'static str,
    /// The state's name, for CSS.
    pub state_key: &'static str,
    /// Revision and its author.
    pub author: String,
    /// Revision.
    pub revision: i32,
    /// Embargo, when scheduled.
    pub embargo: Option<When>,
}

fn row(release: &StoredRelease, now: chrono::DateTime<chrono::Utc>, zones: &Zones) -> Row {
    let state =
        pressroom_domain::visibility::effective_state(release.state, release.embargo_until, now);
    Row {
        id: release.id.clone(),
        title: release.content.title().to_owned(),
        state: state_in_words(state),
        state_key: state.as_str(),
        author: release.author.clone(),
        revision: release.revision,
        embargo: release
            .embargo_until
            .filter(|_| state == State::Embargoed)
            .map(|at| When::new(at, zones.of(&release.department_id))),
    }
}

/// One release in review on the "waiting on" board.
pub struct Waiting {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The revision asked about.
    pub revision: i32,
    /// Every required office.
    pub offices: Vec<OfficeLine>,
}

/// One office on the board.
pub struct OfficeLine {
    /// The person's name.
    pub name: String,
    /// "signed", "changes requested" or "not yet".
    pub status: &'static str,
    /// Who answered for the office.
    pub by: Option<String>,
    /// Its sign-off links and their states, in words.
    pub links: Vec<String>,
}

/// The time zone of each department, read once per page.
struct Zones(std::collections::HashMap<String, chrono_tz::Tz>);

impl Zones {
    fn of(&self, department_id: &str) -> chrono_tz::Tz {
        self.0
            .get(department_id)
            .copied()
            .unwrap_or_else(|| time_format::zone(""))
    }
}

#[derive(Template)]
#[template(path = "newsroom/dashboard.html")]
struct Dashboard {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    is_office: bool,
    awaiting: Vec<Row>,
    releases: Vec<Row>,
    scheduled: Vec<Row>,
    waiting: Vec<Waiting>,
    next_href: Option<String>,
    states: Vec<(&'static str, &'static str)>,
    query: WorkQuery,
    error: Option<String>,
}

fn encode(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// `GET /newsroom/`.
#[handler]
pub async fn show(staff: Staff, store: Data<&Store>, Query(query): Query<WorkQuery>) -> Response {
    match build(&staff, &store, query).await {
        Ok(page) => frame::render(&page),
        Err(err) => frame::internal_error(&err),
    }
}

async fn build(staff: &Staff, store: &Store, query: WorkQuery) -> Result<Dashboard, StorageError> {
    let now = store.now();
    let viewer = &staff.viewer;
    let is_office = viewer.role == Role::MinisterOffice;
    let zones = Zones(
        store
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.id, time_format::zone(&d.time_zone)))
            .collect(),
    );
    let mut error = None;
    let page = match PageRequest::new(Some(25), query.after.as_deref().filter(|a| !a.is_empty())) {
        Ok(page) => page,
        Err(_) => {
            error =
                Some("That page of the list no longer exists; showing the first page.".to_owned());
            PageRequest::new(Some(25), None)?
        }
    };
    let awaiting = if is_office {
        store
            .review_queue(viewer, &PageRequest::new(Some(100), None)?)
            .await?
            .items
            .iter()
            .map(|(_, r)| row(r, now, &zones))
            .collect()
    } else {
        Vec::new()
    };
    // Offices: what they signed before. Everyone else: the work list with its filters.
    let listed = if is_office {
        store.signed_by_office(viewer, &page).await?
    } else {
        let filter = WorkFilter {
            states: State::parse(&query.state).map(|state| vec![state]),
            author: Some(query.author.clone()).filter(|t| !t.is_empty()),
            topic: Some(query.topic.clone()).filter(|t| !t.is_empty()),
            query: Some(query.q.clone()).filter(|t| !t.trim().is_empty()),
        };
        store.work_list(viewer, &filter, &page).await?
    };
    let next_href = listed.has_next_page.then(|| {
        let cursor = listed
            .items
            .last()
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        format!(
            "{}/?state={}&author={}&topic={}&q={}&after={}",
            crate::BASE,
            encode(&query.state),
            encode(&query.author),
            encode(&query.topic),
            encode(&query.q),
            encode(&cursor)
        )
    });
    let releases = listed
        .items
        .iter()
        .map(|(_, r)| row(r, now, &zones))
        .collect();
    let scheduled = store
        .scheduled_between(viewer, now, now + Duration::hours(48))
        .await?
        .iter()
        .map(|s| row(&s.release, now, &zones))
        .collect();
    let waiting = if is_office {
        Vec::new()
    } else {
        store
            .waiting_on(viewer)
            .await?
            .iter()
            .map(|w| Waiting {
                id: w.release.id.clone(),
                title: w.release.content.title().to_owned(),
                revision: w.release.revision,
                offices: w
                    .offices
                    .iter()
                    .map(|o| {
                        let links = w.links.as_deref().unwrap_or_default();
                        OfficeLine {
                            name: o.name.clone().unwrap_or_else(|| o.person_id.to_string()),
                            status: match o.status {
                                ApprovalStatus::Approved => "signed",
                                ApprovalStatus::ChangesRequested => "changes requested",
                                ApprovalStatus::Pending => "not yet",
                            },
                            by: o.by_user.clone(),
                            links: links
                                .iter()
                                .filter(|l| l.link.person_id == o.person_id)
                                .map(|l| {
                                    format!(
                                        "link for {}: {}",
                                        l.link.signer,
                                        l.status.as_str().to_lowercase()
                                    )
                                })
                                .collect(),
                        }
                    })
                    .collect(),
            })
            .collect()
    };
    Ok(Dashboard {
        lang: "en",
        page_title: format!("Work – {SITE}"),
        frame: staff.frame.clone(),
        is_office,
        awaiting,
        releases,
        scheduled,
        waiting,
        next_href,
        states: State::ALL
            .iter()
            .map(|s| (s.as_str(), state_in_words(*s)))
            .collect(),
        query,
        error,
    })
}
