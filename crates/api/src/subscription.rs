//! The root subscription.
//!
//! `releasePublished` follows the change feed (the outbox), so it sees publications made by any
//! process on the same database. It does not read the feed itself: the process's one
//! [`LiveFeed`] reads it every [`crate::live::POLL_INTERVAL`] for all subscriptions and hands
//! each publication to each of them, which keep those of their department that their viewer
//! may see at that moment (see [`crate::live`]). An event exists only once a publication is
//! committed, so it never fires early.

use async_graphql::{Context, Subscription};
use futures_util::Stream;

use crate::context::request;
use crate::error::ApiError;
use crate::live::LiveFeed;
use crate::types::Release;

/// Live events.
#[derive(Default, Debug)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Fires once per release as it becomes public (scheduler or publishNow), optionally only
    /// for one department (slug).
    async fn release_published(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
    ) -> Result<impl Stream<Item = Result<Release, ApiError>> + use<>, ApiError> {
        let viewer = request(ctx)?.viewer.clone();
        let feed = ctx.data::<LiveFeed>().map_err(ApiError::from)?;
        let follower = feed.follow(viewer, department).await?;
        Ok(futures_util::stream::unfold(
            follower,
            |mut follower| async move {
                let next = follower.next().await.map(Release);
                Some((next, follower))
            },
        ))
    }
}
