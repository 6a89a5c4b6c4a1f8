//! The GraphQL documents the scenarios send, and typed wrappers around them.
//!
//! Every document is written against `contract.graphql` only. Reads by anonymous callers and
//! integrators select [`public_release_fields!`], which leaves out what only staff may need
//! (approvals); staff reads and mutations select [`release_fields!`].
//!
//! The lifecycle wrappers take the release as last returned by the server and send its `id` and
//! `version` as `expectedVersion`, so a scenario reads as the sequence of steps it checks:
//! `let release = app.approve(&office, &release).await;`.

use serde_json::{Value, json};

use crate::harness::{IssuedToken, TestApp};

/// The release fields everybody may read, as a fragment named `PublicReleaseFields`.
macro_rules! public_release_fields {
    () => {
        "
fragment PublicReleaseFields on Release {
  id slug kind state version revision contentHash language
  department { id slug name timeZone }
  responsibleMinister { id name title }
  title lead
  body { __typename ... on Paragraph { text } ... on Quote { speaker { id name } text } }
  quotes { speaker { id name } text }
  contacts { name role phone mobile email }
  factBoxes { heading text }
  topics embargoUntil publishedAt createdAt updatedAt
  corrections { at note revision }
  withdrawal { at reason }
}
"
    };
}

/// Every release field staff work with, as a fragment named `ReleaseFields`.
macro_rules! release_fields {
    () => {
        concat!(
            "
fragment ReleaseFields on Release {
  ...PublicReleaseFields
  approvals { office { id name } status by at comment }
}
",
            public_release_fields!()
        )
    };
}

/// `release(id)` with the public fields.
pub const RELEASE: &str = concat!(
    "query Release($id: ID!) { release(id: $id) { ...PublicReleaseFields } }",
    public_release_fields!()
);

/// `release(id)` with the staff fields (approvals).
pub const RELEASE_FOR_STAFF: &str = concat!(
    "query ReleaseForStaff($id: ID!) { release(id: $id) { ...ReleaseFields } }",
    release_fields!()
);

/// `releaseBySlug(slug)` with the public fields.
pub const RELEASE_BY_SLUG: &str = concat!(
    "query ReleaseBySlug($slug: String!) { releaseBySlug(slug: $slug) { ...PublicReleaseFields } }",
    public_release_fields!()
);

/// `releases(filter, first: 100)`: ids, states and slugs of the first page.
pub const RELEASES: &str = "query Releases($filter: ReleaseFilter) {
  releases(filter: $filter, first: 100) { nodes { id state slug } pageInfo { hasNextPage } }
}";

/// One page of `auditLog`.
pub const AUDIT_LOG: &str = "query AuditLog($releaseId: ID, $after: String) {
  auditLog(releaseId: $releaseId, first: 100, after: $after) {
    nodes { seq at actor action releaseId fromState toState revision details prevHash hash }
    pageInfo { hasNextPage endCursor }
  }
}";

/// `me`.
pub const ME: &str = "query Me {
  me { name role embargoAccess department { id slug } person { id name } }
}";

/// `departments` and `people`.
pub const DIRECTORY: &str = "query Directory {
  departments { id slug name timeZone }
  people { id name title department { slug } }
}";

/// `createRelease(input)`.
pub const CREATE_RELEASE: &str = concat!(
    "mutation CreateRelease($input: ReleaseInput!) { createRelease(input: $input) { ...ReleaseFields } }",
    release_fields!()
);

/// `updateRelease(id, expectedVersion, input)`.
pub const UPDATE_RELEASE: &str = concat!(
    "mutation UpdateRelease($id: ID!, $expectedVersion: Int!, $input: ReleaseInput!) {
  updateRelease(id: $id, expectedVersion: $expectedVersion, input: $input) { ...ReleaseFields }
}",
    release_fields!()
);

/// `submitForReview(id, expectedVersion)`.
pub const SUBMIT_FOR_REVIEW: &str = concat!(
    "mutation SubmitForReview($id: ID!, $expectedVersion: Int!) {
  submitForReview(id: $id, expectedVersion: $expectedVersion) { ...ReleaseFields }
}",
    release_fields!()
);

/// `requestChanges(id, expectedVersion, comment)`.
pub const REQUEST_CHANGES: &str = concat!(
    "mutation RequestChanges($id: ID!, $expectedVersion: Int!, $comment: String!) {
  requestChanges(id: $id, expectedVersion: $expectedVersion, comment: $comment) { ...ReleaseFields }
}",
    release_fields!()
);

/// `approveRelease(id, expectedVersion)`.
pub const APPROVE_RELEASE: &str = concat!(
    "mutation ApproveRelease($id: ID!, $expectedVersion: Int!) {
  approveRelease(id: $id, expectedVersion: $expectedVersion) { ...ReleaseFields }
}",
    release_fields!()
);

/// `scheduleRelease(id, expectedVersion, embargoUntil)`.
pub const SCHEDULE_RELEASE: &str = concat!(
    "mutation ScheduleRelease($id: ID!, $expectedVersion: Int!, $embargoUntil: DateTime!) {
  scheduleRelease(id: $id, expectedVersion: $expectedVersion, embargoUntil: $embargoUntil) { ...ReleaseFields }
}",
    release_fields!()
);

/// `cancelEmbargo(id, expectedVersion, reason)`.
pub const CANCEL_EMBARGO: &str = concat!(
    "mutation CancelEmbargo($id: ID!, $expectedVersion: Int!, $reason: String!) {
  cancelEmbargo(id: $id, expectedVersion: $expectedVersion, reason: $reason) { ...ReleaseFields }
}",
    release_fields!()
);

/// `publishNow(id, expectedVersion)`.
pub const PUBLISH_NOW: &str = concat!(
    "mutation PublishNow($id: ID!, $expectedVersion: Int!) {
  publishNow(id: $id, expectedVersion: $expectedVersion) { ...ReleaseFields }
}",
    release_fields!()
);

/// `correctRelease(id, expectedVersion, input, note)`.
pub const CORRECT_RELEASE: &str = concat!(
    "mutation CorrectRelease($id: ID!, $expectedVersion: Int!, $input: ReleaseInput!, $note: String!) {
  correctRelease(id: $id, expectedVersion: $expectedVersion, input: $input, note: $note) { ...ReleaseFields }
}",
    release_fields!()
);

/// `withdrawRelease(id, expectedVersion, reason)`.
pub const WITHDRAW_RELEASE: &str = concat!(
    "mutation WithdrawRelease($id: ID!, $expectedVersion: Int!, $reason: String!) {
  withdrawRelease(id: $id, expectedVersion: $expectedVersion, reason: $reason) { ...ReleaseFields }
}",
    release_fields!()
);

/// `createDepartment(input)`.
pub const CREATE_DEPARTMENT: &str = "mutation CreateDepartment($input: DepartmentInput!) {
  createDepartment(input: $input) { id slug name timeZone }
}";

/// `createPerson(input)`.
pub const CREATE_PERSON: &str = "mutation CreatePerson($input: PersonInput!) {
  createPerson(input: $input) { id name title department { slug } }
}";

/// `createToken(input)`.
pub const CREATE_TOKEN: &str = "mutation CreateToken($input: TokenInput!) {
  createToken(input: $input) { id token }
}";

/// `revokeToken(id)`.
pub const REVOKE_TOKEN: &str = "mutation RevokeToken($id: ID!) { revokeToken(id: $id) }";

/// The release's `id`.
pub fn id(release: &Value) -> &str {
    release["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a release without a string id: {release:#}"))
}

/// The release's `version`.
pub fn version(release: &Value) -> i64 {
    release["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("a release without an integer version: {release:#}"))
}

/// The release's `revision`.
pub fn revision(release: &Value) -> i64 {
    release["revision"]
        .as_i64()
        .unwrap_or_else(|| panic!("a release without an integer revision: {release:#}"))
}

/// Variables `{id, expectedVersion}` for a lifecycle mutation on `release`, plus `extra`.
pub fn lifecycle_vars(release: &Value, extra: Value) -> Value {
    let mut variables = json!({ "id": id(release), "expectedVersion": version(release) });
    if let (Some(variables), Value::Object(extra)) = (variables.as_object_mut(), extra) {
        variables.extend(extra);
    }
    variables
}

/// The approval of the office of `person_id` in `release.approvals`, if listed.
pub fn find_approval<'a>(release: &'a Value, person_id: &str) -> Option<&'a Value> {
    release["approvals"].as_array().and_then(|approvals| {
        approvals
            .iter()
            .find(|approval| approval["office"]["id"] == person_id)
    })
}

/// The approval of the office of `person_id` in `release.approvals`; fails when there is none.
pub fn approval_of<'a>(release: &'a Value, person_id: &str) -> &'a Value {
    find_approval(release, person_id).unwrap_or_else(|| {
        panic!(
            "release.approvals should list the office of person {person_id} (a required \
             office), but does not: {release:#}"
        )
    })
}

/// The status of the approval of the office of `person_id` in `release.approvals`, or
/// `"(not listed)"`, so that the caller's assertion shows what it expected.
pub fn approval_status<'a>(release: &'a Value, person_id: &str) -> &'a str {
    find_approval(release, person_id).map_or("(not listed)", |approval| {
        approval["status"].as_str().unwrap_or("(no status)")
    })
}

/// Fails unless `release` is in `expected` state, showing the release.
#[track_caller]
pub fn assert_state(app: &TestApp, release: &Value, expected: &str) {
    assert_eq!(
        release["state"], expected,
        "[{}] expected state {expected}, release is {release:#}",
        app.backend
    );
}

impl TestApp {
    /// Runs a mutation that must succeed and returns the field `field` of its data.
    async fn mutate(&self, token: &str, document: &str, field: &str, variables: Value) -> Value {
        self.data(Some(token), document, variables).await[field].clone()
    }

    /// `createRelease` as `token`.
    pub async fn create_release(&self, token: &str, input: &Value) -> Value {
        self.mutate(
            token,
            CREATE_RELEASE,
            "createRelease",
            json!({ "input": input }),
        )
        .await
    }

    /// `updateRelease` of `release` (at its current version) as `token`.
    pub async fn update_release(&self, token: &str, release: &Value, input: &Value) -> Value {
        self.mutate(
            token,
            UPDATE_RELEASE,
            "updateRelease",
            lifecycle_vars(release, json!({ "input": input })),
        )
        .await
    }

    /// `submitForReview` of `release` as `token`.
    pub async fn submit_for_review(&self, token: &str, release: &Value) -> Value {
        self.mutate(
            token,
            SUBMIT_FOR_REVIEW,
            "submitForReview",
            lifecycle_vars(release, json!({})),
        )
        .await
    }

    /// `requestChanges` of `release` as `token`.
    pub async fn request_changes(&self, token: &str, release: &Value, comment: &str) -> Value {
        self.mutate(
            token,
            REQUEST_CHANGES,
            "requestChanges",
            lifecycle_vars(release, json!({ "comment": comment })),
        )
        .await
    }

    /// `approveRelease` of `release` as `token`.
    pub async fn approve(&self, token: &str, release: &Value) -> Value {
        self.mutate(
            token,
            APPROVE_RELEASE,
            "approveRelease",
            lifecycle_vars(release, json!({})),
        )
        .await
    }

    /// `scheduleRelease` of `release` at `embargo_until` (RFC 3339) as `token`.
    pub async fn schedule(&self, token: &str, release: &Value, embargo_until: &str) -> Value {
        self.mutate(
            token,
            SCHEDULE_RELEASE,
            "scheduleRelease",
            lifecycle_vars(release, json!({ "embargoUntil": embargo_until })),
        )
        .await
    }

    /// `cancelEmbargo` of `release` as `token`.
    pub async fn cancel_embargo(&self, token: &str, release: &Value, reason: &str) -> Value {
        self.mutate(
            token,
            CANCEL_EMBARGO,
            "cancelEmbargo",
            lifecycle_vars(release, json!({ "reason": reason })),
        )
        .await
    }

    /// `publishNow` of `release` as `token`.
    pub async fn publish_now(&self, token: &str, release: &Value) -> Value {
        self.mutate(
            token,
            PUBLISH_NOW,
            "publishNow",
            lifecycle_vars(release, json!({})),
        )
        .await
    }

    /// `correctRelease` of `release` as `token`.
    pub async fn correct(&self, token: &str, release: &Value, input: &Value, note: &str) -> Value {
        self.mutate(
            token,
            CORRECT_RELEASE,
            "correctRelease",
            lifecycle_vars(release, json!({ "input": input, "note": note })),
        )
        .await
    }

    /// `withdrawRelease` of `release` as `token`.
    pub async fn withdraw(&self, token: &str, release: &Value, reason: &str) -> Value {
        self.mutate(
            token,
            WITHDRAW_RELEASE,
            "withdrawRelease",
            lifecycle_vars(release, json!({ "reason": reason })),
        )
        .await
    }

    /// `release(id)` with the public fields; `None` when it reads as null.
    pub async fn release(&self, token: Option<&str>, id: &str) -> Option<Value> {
        let data = self.data(token, RELEASE, json!({ "id": id })).await;
        non_null(&data["release"])
    }

    /// `release(id)` with the staff fields; `None` when it reads as null.
    pub async fn release_for_staff(&self, token: &str, id: &str) -> Option<Value> {
        let data = self
            .data(Some(token), RELEASE_FOR_STAFF, json!({ "id": id }))
            .await;
        non_null(&data["release"])
    }

    /// `releaseBySlug(slug)` with the public fields; `None` when it reads as null.
    pub async fn release_by_slug(&self, token: Option<&str>, slug: &str) -> Option<Value> {
        let data = self
            .data(token, RELEASE_BY_SLUG, json!({ "slug": slug }))
            .await;
        non_null(&data["releaseBySlug"])
    }

    /// The ids on the first page of `releases(filter)` as the caller sees it.
    pub async fn release_ids(&self, token: Option<&str>, filter: Value) -> Vec<String> {
        let data = self
            .data(token, RELEASES, json!({ "filter": filter }))
            .await;
        data["releases"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("[{}] releases without nodes: {data:#}", self.backend))
            .iter()
            .filter_map(|node| node["id"].as_str().map(str::to_owned))
            .collect()
    }

    /// Every audit entry the caller may read (of one release, or all), following the pages.
    pub async fn audit_entries(&self, token: &str, release_id: Option<&str>) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut after = Value::Null;
        for _page in 0..1_000 {
            let data = self
                .data(
                    Some(token),
                    AUDIT_LOG,
                    json!({ "releaseId": release_id, "after": after }),
                )
                .await;
            let connection = &data["auditLog"];
            let nodes = connection["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("[{}] auditLog without nodes: {data:#}", self.backend));
            entries.extend(nodes.iter().cloned());
            if connection["pageInfo"]["hasNextPage"] != true {
                return entries;
            }
            after = connection["pageInfo"]["endCursor"].clone();
            assert!(
                after.is_string(),
                "[{}] auditLog says hasNextPage but gives no endCursor: {data:#}",
                self.backend
            );
        }
        panic!("[{}] auditLog pagination did not end", self.backend);
    }

    /// `me` as `token`; `None` when it reads as null.
    pub async fn me(&self, token: Option<&str>) -> Option<Value> {
        let data = self.data(token, ME, json!({})).await;
        non_null(&data["me"])
    }

    /// `createDepartment` as admin.
    pub async fn create_department(&self, slug: &str, name: &str, time_zone: &str) -> Value {
        let input = json!({ "slug": slug, "name": name, "timeZone": time_zone });
        self.mutate(
            &self.admin_token,
            CREATE_DEPARTMENT,
            "createDepartment",
            json!({ "input": input }),
        )
        .await
    }

    /// `createPerson` as admin.
    pub async fn create_person(&self, name: &str, title: &str, department: Option<&str>) -> Value {
        let input = json!({ "name": name, "title": title, "department": department });
        self.mutate(
            &self.admin_token,
            CREATE_PERSON,
            "createPerson",
            json!({ "input": input }),
        )
        .await
    }

    /// `createToken` as admin. `role` is the GraphQL enum value (`DRAFTER`, `MINISTER_OFFICE`…).
    pub async fn create_token(
        &self,
        name: &str,
        role: &str,
        department: Option<&str>,
        person_id: Option<&str>,
        embargo_access: bool,
    ) -> IssuedToken {
        let input = json!({
            "name": name,
            "role": role,
            "department": department,
            "personId": person_id,
            "embargoAccess": embargo_access,
        });
        let created = self
            .mutate(
                &self.admin_token,
                CREATE_TOKEN,
                "createToken",
                json!({ "input": input }),
            )
            .await;
        let field = |key: &str| {
            created[key]
                .as_str()
                .unwrap_or_else(|| {
                    panic!("[{}] createToken without {key}: {created:#}", self.backend)
                })
                .to_owned()
        };
        IssuedToken {
            id: field("id"),
            token: field("token"),
        }
    }
}

/// `Some(value)` unless it is JSON null.
fn non_null(value: &Value) -> Option<Value> {
    (!value.is_null()).then(|| value.clone())
}
