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
    pub departments: DataLoader<StoreLoader, HashMapCache>,
    /// People by id.
    pub people: DataLoader<StoreLoader, HashMapCache>,
    /// Approval records by release id.
    pub approvals: DataLoader<StoreLoader, HashMapCache>,
    /// Corrections by release id.
    pub corrections: DataLoader<StoreLoader, HashMapCache>,
    /// Releases by id, as this viewer may see them.
    pub releases: DataLoader<StoreLoader, HashMapCache>,
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
        for loader in [
            &context.departments,
            &context.people,
            &context.approvals,
            &context.corrections,
            &context.releases,
        ] {
            loader.enable_all_cache(false);
        }
        context
    }

    fn build(store: &Store, viewer: Option<Viewer>, fixed_now: Option<DateTime<Utc>>) -> Self {
        let loader = |kind| {
            DataLoader::with_cache(
                StoreLoader {
                    store: store.clone(),
                    kind,
                    viewer: viewer.clone(),
                    fixed_now,
                },
                tokio::spawn,
                HashMapCache::default(),
            )
        };
        Self {
            departments: loader(Kind::Departments),
            people: loader(Kind::People),
            approvals: loader(Kind::Approvals),
            corrections: loader(Kind::Corrections),
            releases: loader(Kind::Releases),
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
        match self
            .departments
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
        {
            Some(Loaded::Department(d)) => Ok(Some(d)),
            _ => Ok(None),
        }
    }

    /// A person by id.
    pub async fn person(&self, id: &str) -> ApiResult<Option<Person>> {
        match self
            .people
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
        {
            Some(Loaded::Person(p)) => Ok(Some(p)),
            _ => Ok(None),
        }
    }

    /// Approval records of a release, oldest first.
    pub async fn approvals(&self, release_id: &str) -> ApiResult<Vec<ApprovalRecord>> {
        match self
            .approvals
            .load_one(release_id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
        {
            Some(Loaded::Approvals(a)) => Ok(a),
            _ => Ok(Vec::new()),
        }
    }

    /// Corrections of a release, oldest first.
    pub async fn corrections(&self, release_id: &str) -> ApiResult<Vec<CorrectionRecord>> {
        match self
            .corrections
            .load_one(release_id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
        {
            Some(Loaded::Corrections(c)) => Ok(c),
            _ => Ok(Vec::new()),
        }
    }

    /// A release by id if this viewer may see it.
    pub async fn release(&self, id: &str) -> ApiResult<Option<StoredRelease>> {
        match self
            .releases
            .load_one(id.to_owned())
            .await
            .map_err(|e| ApiError::internal(&e))?
        {
            Some(Loaded::Release(r)) => Ok(Some(*r)),
            _ => Ok(None),
        }
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

/// What a loader loads.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Departments by id.
    Departments,
    /// People by id.
    People,
    /// Approvals by release id.
    Approvals,
    /// Corrections by release id.
    Corrections,
    /// Visible releases by id.
    Releases,
}

/// A loaded value.
#[derive(Clone, Debug)]
pub enum Loaded {
    /// A department.
    Department(Department),
    /// A person.
    Person(Person),
    /// Approval records.
    Approvals(Vec<ApprovalRecord>),
    /// Corrections.
    Corrections(Vec<CorrectionRecord>),
    /// A release.
    Release(Box<StoredRelease>),
}

/// One batch loader over the store, parameterized by what it loads.
pub struct StoreLoader {
    store: Store,
    kind: Kind,
    viewer: Option<Viewer>,
    fixed_now: Option<DateTime<Utc>>,
}

impl Loader<String> for StoreLoader {
    type Value = Loaded;
    type Error = Arc<String>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Loaded>, Self::Error> {
        let wrap = |e: pressroom_storage::StorageError| Arc::new(e.to_string());
        Ok(match self.kind {
            Kind::Departments => self
                .store
                .departments_by_ids(keys)
                .await
                .map_err(wrap)?
                .into_iter()
                .map(|(k, v)| (k, Loaded::Department(v)))
                .collect(),
            Kind::People => self
                .store
                .people_by_ids(keys)
                .await
                .map_err(wrap)?
                .into_iter()
                .map(|(k, v)| (k, Loaded::Person(v)))
                .collect(),
            Kind::Approvals => self
                .store
                .approvals_for(keys)
                .await
                .map_err(wrap)?
                .into_iter()
                .map(|(k, v)| (k, Loaded::Approvals(v)))
                .collect(),
            Kind::Corrections => self
                .store
                .corrections_for(keys)
                .await
                .map_err(wrap)?
                .into_iter()
                .map(|(k, v)| (k, Loaded::Corrections(v)))
                .collect(),
            Kind::Releases => self
                .store
                .secure_releases_by_ids(
                    self.viewer.as_ref(),
                    keys,
                    self.fixed_now.unwrap_or_else(|| self.store.now()),
                )
                .await
                .map_err(wrap)?
                .into_iter()
                .map(|(k, v)| (k, Loaded::Release(Box::new(v))))
                .collect(),
        })
    }
}
