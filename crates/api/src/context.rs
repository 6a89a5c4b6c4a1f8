//! What every resolver of one request shares: who asks, the instant the request reads at, and
//! the request's DataLoaders (which batch and cache lookups so a page of releases costs a
//! constant number of queries).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, Utc};
use pressroom_domain::approval::ApprovalRecord;
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;
use pressroom_storage::directory::{Department, Person};
use pressroom_storage::releases::{CorrectionRecord, StoredRelease};

use crate::error::{ApiError, ApiResult};

/// Per-request state.
pub struct RequestContext {
    /// The caller; `None` is anonymous.
    pub viewer: Option<Viewer>,
    /// The instant every read of this request is decided at (visibility, embargo read rule);
    /// `None` for a long-lived subscription connection, which reads the clock each time.
    fixed_now: Option<DateTime<Utc>>,
    store: Store,
    /// Departments by id.
    pub departments: DataLoader<DepartmentLoader, HashMapCache>,
    /// People by id.
    pub people: DataLoader<PersonLoader, HashMapCache>,
    /// Approval records by release id.
    pub approvals: DataLoader<ApprovalLoader, HashMapCache>,
    /// Corrections by release id.
    pub corrections: DataLoader<CorrectionLoader, HashMapCache>,
    /// Releases by id, as this viewer may see them.
    pub releases: DataLoader<VisibleReleaseLoader, HashMapCache>,
}

impl RequestContext {
    /// A context for one request by `viewer`, reading at the store's current instant.
    pub fn new(store: &Store, viewer: Option<Viewer>) -> Self {
        Self::build(store, viewer, Some(store.now()))
    }

    /// A context for a subscription connection: it reads the clock afresh for every event and
    /// caches nothing, so nothing it resolves goes stale over the connection's life.
    pub fn live(store: &Store, viewer: Option<Viewer>) -> Self {
        let context = Self::build(store, viewer, None);
        context.departments.enable_all_cache(false);
        context.people.enable_all_cache(false);
        context.approvals.enable_all_cache(false);
        context.corrections.enable_all_cache(false);
        context.releases.enable_all_cache(false);
        context
    }

    fn build(store: &Store, viewer: Option<Viewer>, fixed_now: Option<DateTime<Utc>>) -> Self {
        fn loader<L: Loader<String>>(loader: L) -> DataLoader<L, HashMapCache> {
            DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
        }
        Self {
            departments: loader(DepartmentLoader(store.clone())),
            people: loader(PersonLoader(store.clone())),
            approvals: loader(ApprovalLoader(store.clone())),
            corrections: loader(CorrectionLoader(store.clone())),
            releases: loader(VisibleReleaseLoader {
                store: store.clone(),
                viewer: viewer.clone(),
                fixed_now,
            }),
            viewer,
            fixed_now,
            store: store.clone(),
        }
    }

    /// The instant reads are decided at.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(|| self.store.now())
    }

    /// The authenticated caller, or `UNAUTHENTICATED`.
    pub fn require_viewer(&self) -> ApiResult<&Viewer> {
        self.viewer.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    /// The caller if it is an admin; `UNAUTHENTICATED` or `FORBIDDEN` otherwise.
    pub fn require_admin(&self) -> ApiResult<&Viewer> {
        let viewer = self.require_viewer()?;
        if viewer.role == pressroom_domain::visibility::Role::Admin {
            Ok(viewer)
        } else {
            Err(ApiError::forbidden("only admins may do this"))
        }
    }

    /// A department by id.
    pub async fn department(&self, id: &str) -> ApiResult<Option<Department>> {
        self.departments
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))
    }

    /// A person by id.
    pub async fn person(&self, id: &str) -> ApiResult<Option<Person>> {
        self.people
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))
    }

    /// Approval records of a release, oldest first (none recorded: empty).
    pub async fn approvals(&self, release_id: &str) -> ApiResult<Vec<ApprovalRecord>> {
        Ok(self
            .approvals
            .load_one(release_id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
            .unwrap_or_default())
    }

    /// Corrections of a release, oldest first (none recorded: empty).
    pub async fn corrections(&self, release_id: &str) -> ApiResult<Vec<CorrectionRecord>> {
        Ok(self
            .corrections
            .load_one(release_id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
            .unwrap_or_default())
    }

    /// A release by id if this viewer may see it.
    pub async fn release(&self, id: &str) -> ApiResult<Option<StoredRelease>> {
        self.releases
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))
    }
}

/// The request context of a resolver.
pub fn request<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>().map_err(ApiError::from)
}

/// The store of a resolver.
pub fn store<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a Store> {
    ctx.data::<Store>().map_err(ApiError::from)
}

/// A storage error as a loader reports it (the DataLoader needs a `Clone` error).
fn loader_error(error: pressroom_storage::StorageError) -> Arc<String> {
    Arc::new(error.to_string())
}

/// Departments by id.
pub struct DepartmentLoader(Store);

impl Loader<String> for DepartmentLoader {
    type Value = Department;
    type Error = Arc<String>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Department>, Self::Error> {
        self.0.departments_by_ids(ids).await.map_err(loader_error)
    }
}

/// People by id.
pub struct PersonLoader(Store);

impl Loader<String> for PersonLoader {
    type Value = Person;
    type Error = Arc<String>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Person>, Self::Error> {
        self.0.people_by_ids(ids).await.map_err(loader_error)
    }
}

/// Approval records by release id.
pub struct ApprovalLoader(Store);

impl Loader<String> for ApprovalLoader {
    type Value = Vec<ApprovalRecord>;
    type Error = Arc<String>;

    async fn load(
        &self,
        release_ids: &[String],
    ) -> Result<HashMap<String, Vec<ApprovalRecord>>, Self::Error> {
        self.0
            .approvals_for(release_ids)
            .await
            .map_err(loader_error)
    }
}

/// Correction notes by release id.
pub struct CorrectionLoader(Store);

impl Loader<String> for CorrectionLoader {
    type Value = Vec<CorrectionRecord>;
    type Error = Arc<String>;

    async fn load(
        &self,
        release_ids: &[String],
    ) -> Result<HashMap<String, Vec<CorrectionRecord>>, Self::Error> {
        self.0
            .corrections_for(release_ids)
            .await
            .map_err(loader_error)
    }
}

/// Releases by id, only those the request's viewer may see at the request's instant.
pub struct VisibleReleaseLoader {
    store: Store,
    viewer: Option<Viewer>,
    fixed_now: Option<DateTime<Utc>>,
}

impl Loader<String> for VisibleReleaseLoader {
    type Value = StoredRelease;
    type Error = Arc<String>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, StoredRelease>, Self::Error> {
        self.store
            .secure_releases_by_ids(
                self.viewer.as_ref(),
                ids,
                self.fixed_now.unwrap_or_else(|| self.store.now()),
            )
            .await
            .map_err(loader_error)
    }
}
