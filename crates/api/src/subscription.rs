//! The root subscription.
//!
//! `releasePublished` follows the change feed (the outbox), so it sees publications made by any
//! process on the same database; it polls every [`POLL_INTERVAL`] (LISTEN/NOTIFY arrives with the
//! integrations issue). It only ever yields releases the subscriber may see at that moment, and
//! an event exists only once a publication is committed, so it never fires early.

use std::collections::VecDeque;
use std::time::Duration;

use async_graphql::{Context, Subscription};
use futures_util::Stream;
use pressroom_domain::lifecycle::PublicEvent;
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;
use pressroom_storage::pagination::PageRequest;

use crate::context::{request, store};
use crate::error::{ApiError, ApiResult};
use crate::types::Release;

/// How often a subscription looks for new events.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Live events.
#[derive(Default, Debug)]
pub struct Subscription;

struct Follow {
    store: Store,
    viewer: Option<Viewer>,
    department: Option<String>,
    cursor: Option<String>,
    ready: VecDeque<Release>,
}

impl Follow {
    /// Fetches events after the cursor and queues the visible publications of the department.
    async fn poll(&mut self) -> ApiResult<()> {
        let now = self.store.now();
        let page = PageRequest::new(Some(100), self.cursor.as_deref())?;
        let events = self.store.public_changes(&page, now).await?;
        if let Some((cursor, _)) = events.items.last() {
            self.cursor = Some(cursor.clone());
        }
        let ids: Vec<String> = events
            .items
            .iter()
            .filter(|(_, e)| e.event == PublicEvent::Published.as_str())
            .map(|(_, e)| e.release_id.clone())
            .collect();
        let releases = self
            .store
            .secure_releases_by_ids(self.viewer.as_ref(), &ids, now)
            .await?;
        let department_ids: Vec<String> =
            releases.values().map(|r| r.department_id.clone()).collect();
        let departments = self.store.departments_by_ids(&department_ids).await?;
        for id in ids {
            let Some(release) = releases.get(&id) else {
                continue;
            };
            let wanted = match &self.department {
                Some(slug) => departments
                    .get(&release.department_id)
                    .is_some_and(|d| &d.slug == slug),
                None => true,
            };
            if wanted {
                self.ready.push_back(Release::from(release.clone()));
            }
        }
        Ok(())
    }
}

#[Subscription]
impl Subscription {
    /// Fires once per release as it becomes public (scheduler or publishNow), optionally only
    /// for one department (slug).
    async fn release_published(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
    ) -> Result<impl Stream<Item = Result<Release, ApiError>> + use<>, ApiError> {
        let store = store(ctx)?.clone();
        let viewer = request(ctx)?.viewer.clone();
        let cursor = store.change_feed_head().await?;
        let follow = Follow {
            store,
            viewer,
            department,
            cursor,
            ready: VecDeque::new(),
        };
        Ok(futures_util::stream::unfold(
            follow,
            |mut follow| async move {
                loop {
                    if let Some(release) = follow.ready.pop_front() {
                        return Some((Ok(release), follow));
                    }
                    tokio::time::sleep(POLL_INTERVAL).await;
                    if let Err(err) = follow.poll().await {
                        return Some((Err(err), follow));
                    }
                }
            },
        ))
    }
}
