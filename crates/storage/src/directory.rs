//! Departments, people and tokens: what an admin maintains. Every change is audited.
//!
//! Tokens are 32 random bytes, shown once as `prt_<64 hex>`; only their SHA-256 is stored, and a
//! token is found by looking its hash up (an indexed equality, so no secret is ever compared
//! byte by byte in application code).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicI64;

use chrono::{DateTime, Utc};
use pressroom_domain::UserName;
use pressroom_domain::content::sha256_hex;
use pressroom_domain::directory::{check_department, check_grant, check_person};
use pressroom_domain::visibility::{Role, Viewer};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde_json::{Value, json};

use crate::audit::{self, AtSeq, NewEntry};
use crate::clock::{from_micros, micros};
use crate::entity::{departments, departments_history, people, people_history, tokens};
use crate::error::{StorageError, StorageResult};
use crate::store::Store;
use crate::token_cache;

/// A department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Id.
    pub id: String,
    /// URL slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// What it was called (and its zone) before each change, oldest first; empty when it was
    /// never changed, and in the entries themselves. See [`Department::as_of`].
    pub earlier: Vec<Earlier<Department>>,
}

impl From<departments::Model> for Department {
    fn from(m: departments::Model) -> Self {
        Self {
            id: m.id,
            slug: m.slug,
            name: m.name,
            time_zone: m.time_zone,
            earlier: Vec::new(),
        }
    }
}

impl Department {
    /// The department as it was at `at` (its name and time zone then), or as it is now when
    /// `at` is `None`: published releases show their department as it was when they went
    /// public.
    pub fn as_of(&self, at: Option<DateTime<Utc>>) -> &Self {
        as_of(self, &self.earlier, at)
    }

    pub(crate) fn with_history(
        m: departments::Model,
        history: Vec<departments_history::Model>,
    ) -> Self {
        let mut earlier: Vec<Earlier<Department>> = history
            .into_iter()
            .map(|h| Earlier {
                replaced_at: from_micros(h.replaced_at),
                was: Department {
                    id: m.id.clone(),
                    slug: m.slug.clone(),
                    name: h.name,
                    time_zone: h.time_zone,
                    earlier: Vec::new(),
                },
            })
            .collect();
        earlier.sort_by_key(|e| e.replaced_at);
        Self {
            earlier,
            ..m.into()
        }
    }
}

/// What a person or department was until an admin changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier<T> {
    /// When these values were replaced.
    pub replaced_at: DateTime<Utc>,
    /// The values before that instant.
    pub was: T,
}

/// `current` as it was at `at`: the oldest earlier version replaced after `at`, if any.
fn as_of<'a, T>(current: &'a T, earlier: &'a [Earlier<T>], at: Option<DateTime<Utc>>) -> &'a T {
    let Some(at) = at else { return current };
    earlier
        .iter()
        .find(|e| e.replaced_at > at)
        .map_or(current, |e| &e.was)
}

/// A person: a minister or another speaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Title, e.g. "klimat- och miljöminister".
    pub title: String,
    /// Department id.
    pub department_id: Option<String>,
    /// Their name and title before each change, oldest first; empty when never changed, and in
    /// the entries themselves. See [`Person::as_of`].
    pub earlier: Vec<Earlier<Person>>,
}

impl From<people::Model> for Person {
    fn from(m: people::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            title: m.title,
            department_id: m.department_id,
            earlier: Vec::new(),
        }
    }
}

impl Person {
    /// The person as they were at `at` (name and title then), or as they are now when `at` is
    /// `None`: a published release shows its speakers as they were when it went public, so a
    /// new title does not rewrite it.
    pub fn as_of(&self, at: Option<DateTime<Utc>>) -> &Self {
        as_of(self, &self.earlier, at)
    }

    pub(crate) fn with_history(m: people::Model, history: Vec<people_history::Model>) -> Self {
        let mut earlier: Vec<Earlier<Person>> = history
            .into_iter()
            .map(|h| Earlier {
                replaced_at: from_micros(h.replaced_at),
                was: Person {
                    id: m.id.clone(),
                    name: h.name,
                    title: h.title,
                    department_id: h.department_id,
                    earlier: Vec::new(),
                },
            })
            .collect();
        earlier.sort_by_key(|e| e.replaced_at);
        Self {
            earlier,
            ..m.into()
        }
    }
}

/// What an admin changes about a person; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonChange {
    /// New name.
    pub name: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New department (a slug); `Some(None)` removes the person from their department.
    pub department: Option<Option<String>>,
}

/// What an admin changes about a department; `None` leaves a field as it is. The slug never
/// changes: feeds and pages are addressed by it.
#[derive(Debug, Clone, Default)]
pub struct DepartmentChange {
    /// New name.
    pub name: Option<String>,
    /// New IANA time zone.
    pub time_zone: Option<String>,
}

/// What a new token grants.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The user's name (tokens with the same name belong to the same user).
    pub user_name: String,
    /// Role.
    pub role: Role,
    /// Department slug, for drafters and editors.
    pub department: Option<String>,
    /// Person id, for a minister's office.
    pub person_id: Option<String>,
    /// Accredited for embargoed releases (integrators).
    pub embargo_access: bool,
    /// Optional expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A freshly created token: its id and the secret, shown once.
/// A token as admins see it: everything but the secret, which is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// Id (for revoking).
    pub id: String,
    /// The user it belongs to.
    pub user_name: String,
    /// Its role.
    pub role: Role,
    /// Department of a drafter or editor.
    pub department_id: Option<String>,
    /// Person whose office a minister-office token speaks for.
    pub person_id: Option<String>,
    /// Whether an integrator is accredited for embargoed releases.
    pub embargo_access: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request, to the minute ([`LAST_USED_INTERVAL_SECS`]);
    /// `None` when never (or not since this was recorded).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// How often, at most, authenticating a request with a token writes its `last_used_at`, so
/// that a busy integrator's requests are normally one `SELECT` each.
pub const LAST_USED_INTERVAL_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// Id (for revoking).
    pub id: String,
    /// The bearer token.
    pub token: String,
}

fn details(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl Store {
    /// Creates a department.
    pub async fn create_department(
        &self,
        actor: &UserName,
        slug: &str,
        name: &str,
        time_zone: &str,
    ) -> StorageResult<Department> {
        check_department(slug, name, time_zone)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let row = departments::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            slug: Set(slug.to_owned()),
            name: Set(name.to_owned()),
            time_zone: Set(time_zone.to_owned()),
            created_at: Set(micros(now)),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if StorageError::is_unique_violation(&e) {
                StorageError::validation("input.slug", "a department with this slug exists")
            } else {
                e.into()
            }
        })?;
        let d = details([
            ("departmentId", json!(row.id)),
            ("slug", json!(slug)),
            ("name", json!(name)),
            ("timeZone", json!(time_zone)),
        ]);
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "createDepartment", &d),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// Creates a person, optionally in a department (by slug).
    pub async fn create_person(
        &self,
        actor: &UserName,
        name: &str,
        title: &str,
        department: Option<&str>,
    ) -> StorageResult<Person> {
        check_person(name, title)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        let department_id = match department {
            Some(slug) => Some(department_by_slug(&txn, slug).await?.id),
            None => None,
        };
        let row = people::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            name: Set(name.to_owned()),
            title: Set(title.to_owned()),
            department_id: Set(department_id),
            created_at: Set(micros(now)),
        }
        .insert(&txn)
        .await?;
        let d = details([
            ("personId", json!(row.id)),
            ("name", json!(name)),
            ("title", json!(title)),
        ]);
        audit::append(&txn, admin_entry(actor.as_str(), "createPerson", &d), now).await?;
        txn.commit().await?;
        Ok(row.into())
    }

    /// Changes a person's name, title or department (an admin, or `cli`): the values they
    /// replace go to `people_history` with the instant, so releases published before keep
    /// showing the person as they were (see [`Person::as_of`]); audited as `updatePerson` with
    /// the values before and after, in the same transaction. `VALIDATION` for a blank name or
    /// title or an unknown department, `NotFound` for an unknown person; a change that changes
    /// nothing writes nothing.
    pub async fn update_person(
        &self,
        actor: &UserName,
        id: &str,
        change: PersonChange,
    ) -> StorageResult<Person> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let before = lock_person(&txn, id).await?;
        let name = change.name.unwrap_or_else(|| before.name.clone());
        let title = change.title.unwrap_or_else(|| before.title.clone());
        check_person(&name, &title)?;
        let department_id = match change.department {
            None => before.department_id.clone(),
            Some(None) => None,
            Some(Some(slug)) => Some(department_by_slug(&txn, &slug).await?.id),
        };
        if name == before.name && title == before.title && department_id == before.department_id {
            drop(txn);
            return self.person(id).await;
        }
        people_history::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            person_id: Set(before.id.clone()),
            name: Set(before.name.clone()),
            title: Set(before.title.clone()),
            department_id: Set(before.department_id.clone()),
            replaced_at: Set(micros(now)),
        }
        .insert(&txn)
        .await?;
        people::Entity::update_many()
            .col_expr(people::Column::Name, Expr::value(name.clone()))
            .col_expr(people::Column::Title, Expr::value(title.clone()))
            .col_expr(
                people::Column::DepartmentId,
                Expr::value(department_id.clone()),
            )
            .filter(people::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let d = details([
            ("personId", json!(id)),
            (
                "before",
                json!({"name": before.name, "title": before.title, "departmentId": before.department_id}),
            ),
            (
                "after",
                json!({"name": name, "title": title, "departmentId": department_id}),
            ),
        ]);
        audit::append(&txn, admin_entry(actor.as_str(), "updatePerson", &d), now).await?;
        txn.commit().await?;
        self.person(id).await
    }

    /// Changes a department's name or time zone (an admin, or `cli`); the slug never changes.
    /// Like [`Store::update_person`]: the replaced values go to `departments_history`, so
    /// releases published before keep their department's name and zone (see
    /// [`Department::as_of`]); audited as `updateDepartment` in the same transaction.
    pub async fn update_department(
        &self,
        actor: &UserName,
        id: &str,
        change: DepartmentChange,
    ) -> StorageResult<Department> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let before = lock_department(&txn, id).await?;
        let name = change.name.unwrap_or_else(|| before.name.clone());
        let time_zone = change.time_zone.unwrap_or_else(|| before.time_zone.clone());
        check_department(&before.slug, &name, &time_zone)?;
        if name == before.name && time_zone == before.time_zone {
            drop(txn);
            return self.department(id).await;
        }
        departments_history::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            department_id: Set(before.id.clone()),
            name: Set(before.name.clone()),
            time_zone: Set(before.time_zone.clone()),
            replaced_at: Set(micros(now)),
        }
        .insert(&txn)
        .await?;
        departments::Entity::update_many()
            .col_expr(departments::Column::Name, Expr::value(name.clone()))
            .col_expr(
                departments::Column::TimeZone,
                Expr::value(time_zone.clone()),
            )
            .filter(departments::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let d = details([
            ("departmentId", json!(id)),
            ("slug", json!(before.slug)),
            (
                "before",
                json!({"name": before.name, "timeZone": before.time_zone}),
            ),
            ("after", json!({"name": name, "timeZone": time_zone})),
        ]);
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "updateDepartment", &d),
            now,
        )
        .await?;
        txn.commit().await?;
        self.department(id).await
    }

    /// One person by id, with their earlier names and titles.
    pub async fn person(&self, id: &str) -> StorageResult<Person> {
        self.people_by_ids(&[id.to_owned()])
            .await?
            .remove(id)
            .ok_or(StorageError::NotFound)
    }

    /// One department by id, with its earlier names and zones.
    pub async fn department(&self, id: &str) -> StorageResult<Department> {
        self.departments_by_ids(&[id.to_owned()])
            .await?
            .remove(id)
            .ok_or(StorageError::NotFound)
    }

    /// Every department, by name.
    pub async fn departments(&self) -> StorageResult<Vec<Department>> {
        Ok(departments::Entity::find()
            .order_by_asc(departments::Column::Name)
            .order_by_asc(departments::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every person, by name.
    pub async fn people(&self) -> StorageResult<Vec<Person>> {
        Ok(people::Entity::find()
            .order_by_asc(people::Column::Name)
            .order_by_asc(people::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Departments by id, each with its earlier names and zones (one query, a join).
    pub async fn departments_by_ids(
        &self,
        ids: &[String],
    ) -> StorageResult<HashMap<String, Department>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(departments::Entity::find()
            .filter(departments::Column::Id.is_in(ids.iter().cloned()))
            .find_with_related(departments_history::Entity)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(m, history)| (m.id.clone(), Department::with_history(m, history)))
            .collect())
    }

    /// People by id, each with their earlier names and titles (one query, a join).
    pub async fn people_by_ids(&self, ids: &[String]) -> StorageResult<HashMap<String, Person>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(people::Entity::find()
            .filter(people::Column::Id.is_in(ids.iter().cloned()))
            .find_with_related(people_history::Entity)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(m, history)| (m.id.clone(), Person::with_history(m, history)))
            .collect())
    }

    /// Creates a token; `actor` is the admin (or `cli` for the command line).
    pub async fn create_token(
        &self,
        actor: &UserName,
        grant: TokenGrant,
    ) -> StorageResult<CreatedToken> {
        check_grant_shape(&grant)?;
        let now = self.now();
        if grant.expires_at.is_some_and(|at| at <= now) {
            return Err(StorageError::validation(
                "input.expiresAt",
                "must lie in the future",
            ));
        }
        let txn = self.begin_write().await?;
        let department_id = resolve_grant(&txn, &grant).await?;
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = format!("prt_{}", hex::encode(secret));
        let id = uuid::Uuid::now_v7().to_string();
        tokens::ActiveModel {
            id: Set(id.clone()),
            user_name: Set(grant.user_name.clone()),
            token_hash: Set(sha256_hex(token.as_bytes())),
            role: Set(grant.role.as_str().to_owned()),
            department_id: Set(department_id),
            person_id: Set(grant.person_id.clone()),
            embargo_access: Set(grant.embargo_access),
            created_at: Set(micros(now)),
            revoked_at: Set(None),
            expires_at: Set(grant.expires_at.map(micros)),
            last_used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        let d = details([
            ("tokenId", json!(id)),
            ("name", json!(grant.user_name)),
            ("role", json!(grant.role.as_str())),
            ("department", json!(grant.department)),
            ("personId", json!(grant.person_id)),
            ("embargoAccess", json!(grant.embargo_access)),
            (
                "expiresAt",
                json!(
                    grant
                        .expires_at
                        .map(pressroom_domain::lifecycle::format_instant)
                ),
            ),
        ]);
        audit::append(&txn, admin_entry(actor.as_str(), "createToken", &d), now).await?;
        txn.commit().await?;
        Ok(CreatedToken { id, token })
    }

    /// Every token, newest first, keyset paged by (creation instant, id); never a secret (only
    /// hashes are stored). For admins: the caller checks the role, as for creating tokens.
    pub async fn tokens(
        &self,
        page: &crate::pagination::PageRequest,
    ) -> StorageResult<crate::pagination::Page<TokenRecord>> {
        use crate::pagination::{Cursor, Page};
        use sea_orm::QuerySelect;
        let mut query = tokens::Entity::find();
        if let Some(cursor) = &page.after {
            let (created_at, id) = cursor.release_key()?;
            query = query.filter(
                Condition::any()
                    .add(tokens::Column::CreatedAt.lt(created_at))
                    .add(
                        Condition::all()
                            .add(tokens::Column::CreatedAt.eq(created_at))
                            .add(tokens::Column::Id.lt(id)),
                    ),
            );
        }
        let rows = query
            .order_by_desc(tokens::Column::CreatedAt)
            .order_by_desc(tokens::Column::Id)
            .limit(page.limit_plus_one())
            .all(self.connection())
            .await?;
        let records = rows
            .into_iter()
            .map(|m| {
                Ok(TokenRecord {
                    role: Role::parse(&m.role).ok_or_else(|| {
                        StorageError::Internal(format!("unknown role {}", m.role))
                    })?,
                    id: m.id,
                    user_name: m.user_name,
                    department_id: m.department_id,
                    person_id: m.person_id,
                    embargo_access: m.embargo_access,
                    created_at: from_micros(m.created_at),
                    expires_at: m.expires_at.map(from_micros),
                    revoked_at: m.revoked_at.map(from_micros),
                    last_used_at: m.last_used_at.map(from_micros),
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(Page::from_rows(records, page, |t| {
            Cursor::for_release(micros(t.created_at), &t.id)
        }))
    }

    /// Revokes a token with immediate effect; false when no unrevoked token has this id.
    pub async fn revoke_token(&self, actor: &UserName, id: &str) -> StorageResult<bool> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let result = tokens::Entity::update_many()
            .col_expr(tokens::Column::RevokedAt, Expr::value(micros(now)))
            .filter(tokens::Column::Id.eq(id))
            .filter(tokens::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Ok(false);
        }
        let d = details([("tokenId", json!(id))]);
        audit::append(&txn, admin_entry(actor.as_str(), "revokeToken", &d), now).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The viewer a bearer token stands for, if it is known, unrevoked and unexpired.
    pub async fn authenticate(&self, token: &str) -> StorageResult<Option<Viewer>> {
        Ok(self
            .authenticate_token(token)
            .await?
            .map(|(_, viewer)| viewer))
    }

    /// The id of a known, unrevoked and unexpired bearer token, and the viewer it stands for.
    pub(crate) async fn authenticate_token(
        &self,
        token: &str,
    ) -> StorageResult<Option<(String, Viewer)>> {
        self.authenticate_digest(token_cache::digest(token)).await
    }

    /// [`Store::authenticate_token`] by the token's SHA-256. The statement also reads the audit
    /// head's `seq`, and a valid token is kept in the token cache as of that `seq` (see
    /// [`crate::token_cache`]); the entry of one no longer valid is dropped.
    pub(crate) async fn authenticate_digest(
        &self,
        digest: token_cache::TokenDigest,
    ) -> StorageResult<Option<(String, Viewer)>> {
        let now = micros(self.now());
        let found = tokens::Entity::find()
            .filter(tokens::Column::TokenHash.eq(hex::encode(digest)))
            .filter(tokens::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(tokens::Column::ExpiresAt.is_null())
                    .add(tokens::Column::ExpiresAt.gt(now)),
            )
            .expr_as(audit::head_seq(), audit::SEQ_ALIAS)
            .into_model::<AtSeq<tokens::Model>>()
            .one(self.connection())
            .await?;
        let Some(AtSeq { row, seq }) = found else {
            self.token_cache().forget(&digest);
            return Ok(None);
        };
        let role = Role::parse(&row.role)
            .ok_or_else(|| StorageError::Internal(format!("unknown role {}", row.role)))?;
        let stale = now - LAST_USED_INTERVAL_SECS * 1_000_000;
        let last_used_at = match row.last_used_at {
            Some(at) if at > stale => at,
            _ => {
                self.record_token_use(&row.id, now, stale).await;
                now
            }
        };
        let viewer = Viewer {
            user_name: pressroom_domain::UserName::from(row.user_name),
            role,
            department_id: row.department_id.map(pressroom_domain::DepartmentId::from),
            person_id: row.person_id.map(pressroom_domain::PersonId::from),
            embargo_access: row.embargo_access,
        };
        self.token_cache().put(
            digest,
            token_cache::Entry {
                id: row.id.clone(),
                viewer: viewer.clone(),
                expires_at: row.expires_at,
                seq,
                last_used_at: AtomicI64::new(last_used_at),
            },
        );
        Ok(Some((row.id, viewer)))
    }
}

impl Store {
    /// Records that token `id` authenticated a request at `now`, unless another request did
    /// since `stale` (a guarded update, so concurrent requests write once). Best effort: a
    /// failure is logged and the request goes on, since it only costs the admin's listing a
    /// minute of precision.
    pub(crate) async fn record_token_use(&self, id: &str, now: i64, stale: i64) {
        let written = tokens::Entity::update_many()
            .col_expr(tokens::Column::LastUsedAt, Expr::value(now))
            .filter(tokens::Column::Id.eq(id))
            .filter(
                Condition::any()
                    .add(tokens::Column::LastUsedAt.is_null())
                    .add(tokens::Column::LastUsedAt.lte(stale)),
            )
            .exec(self.connection())
            .await;
        if let Err(error) = written {
            tracing::warn!(token.id = %id, %error, "could not record a token's last use");
        }
    }
}

/// The checks of a grant that need no database (`check_grant`): what tokens and sign-in links
/// share.
pub(crate) fn check_grant_shape(grant: &TokenGrant) -> StorageResult<()> {
    check_grant(
        &grant.user_name,
        grant.role,
        grant.department.is_some(),
        grant.person_id.is_some(),
        grant.embargo_access,
    )?;
    Ok(())
}

/// The id of the department a grant names, once its department and person are found to exist
/// (`VALIDATION` on `input.department` or `input.personId` otherwise): what tokens and sign-in
/// links share.
pub(crate) async fn resolve_grant(
    txn: &sea_orm::DatabaseTransaction,
    grant: &TokenGrant,
) -> StorageResult<Option<String>> {
    let department_id = match grant.department.as_deref() {
        Some(slug) => Some(department_by_slug(txn, slug).await?.id),
        None => None,
    };
    if let Some(person) = grant.person_id.as_deref()
        && people::Entity::find_by_id(person.to_owned())
            .one(txn)
            .await?
            .is_none()
    {
        return Err(StorageError::validation(
            "input.personId",
            "no person has this id",
        ));
    }
    Ok(department_id)
}

/// The person with this id, locked for the rest of `txn` (a no-op update takes the row lock on
/// PostgreSQL; SQLite's write transaction holds the database), or `NotFound`.
async fn lock_person(txn: &sea_orm::DatabaseTransaction, id: &str) -> StorageResult<people::Model> {
    let locked = people::Entity::update_many()
        .col_expr(people::Column::Name, Expr::col(people::Column::Name))
        .filter(people::Column::Id.eq(id))
        .exec(txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StorageError::NotFound);
    }
    people::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)
}

/// Department `id`, its row locked for the rest of `txn` (a no-op update), or `NotFound`.
async fn lock_department(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
) -> StorageResult<departments::Model> {
    let locked = departments::Entity::update_many()
        .col_expr(
            departments::Column::Name,
            Expr::col(departments::Column::Name),
        )
        .filter(departments::Column::Id.eq(id))
        .exec(txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StorageError::NotFound);
    }
    departments::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or(StorageError::NotFound)
}

/// The department with this slug, or `VALIDATION` on `input.department`.
pub(crate) async fn department_by_slug(
    txn: &sea_orm::DatabaseTransaction,
    slug: &str,
) -> StorageResult<departments::Model> {
    departments::Entity::find()
        .filter(departments::Column::Slug.eq(slug))
        .one(txn)
        .await?
        .ok_or_else(|| StorageError::validation("input.department", "no department has this slug"))
}

/// An audit entry for an admin action (no release).
pub(crate) fn admin_entry<'a>(
    actor: &'a str,
    action: &'a str,
    details: &'a BTreeMap<String, Value>,
) -> NewEntry<'a> {
    NewEntry {
        actor,
        action,
        release_id: None,
        from_state: None,
        to_state: None,
        revision: None,
        details,
    }
}
