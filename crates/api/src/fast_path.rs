//! A compiled path for the read shapes integrators send most: `release(id:)`,
//! `releaseBySlug(slug:)` and `releases(first:, after:, filter:)` with the release's plain
//! fields, its department, responsible minister, quotes with their speakers and contacts.
//!
//! [`plan`] looks at the parsed (and cached) document and recognises those shapes; anything it
//! does not recognise (another root field, several root fields, an alias, a fragment, a
//! directive, `__typename`, a field it does not know, a variable it cannot type exactly, a
//! default value) gets `None`, and the request goes to the resolver engine as before. A plan is
//! run by [`run`] with the same storage reads as the resolvers (the same visibility rule, the
//! same instant), in one statement (the release or the page, with the audit `seq` that says
//! whether the cached directory of departments and people is current; see
//! `pressroom_storage::directory_cache`; three more when it is not), and the JSON response is written
//! directly, keys in selection order. Whenever the resolvers would answer with an error (a
//! malformed argument, a missing department or speaker, a storage failure) [`run`] gives `None`
//! as well, so that the engine produces the error: the fast path only ever writes answers
//! without errors, and those byte for byte as the engine would (`tests/fast_path.rs`).

use std::collections::{HashMap, HashSet};
use std::io::Write;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{InputType, Name, Value as ConstValue};
use pressroom_domain::lifecycle::format_instant;
use pressroom_domain::visibility;
use pressroom_storage::Store;
use pressroom_storage::directory::{Department, Person};
use pressroom_storage::directory_cache::Directory;
use pressroom_storage::pagination::{Page, PageRequest};
use pressroom_storage::releases::{ReleaseKey, StoredRelease};

use crate::context::RequestContext;
use crate::inputs::ReleaseFilter;
use crate::types::{ReleaseKind, ReleaseState};

/// A recognised operation, its arguments coerced.
#[derive(Debug)]
pub struct Plan {
    root: Root,
}

#[derive(Debug)]
enum Root {
    Release { id: String, fields: Vec<RField> },
    ReleaseBySlug { slug: String, fields: Vec<RField> },
    Releases { args: ListArgs, fields: Vec<CField> },
}

impl Root {
    /// The root field's name (also its key: aliases are not planned).
    fn name(&self) -> &'static str {
        match self {
            Self::Release { .. } => "release",
            Self::ReleaseBySlug { .. } => "releaseBySlug",
            Self::Releases { .. } => "releases",
        }
    }
}

#[derive(Debug)]
struct ListArgs {
    first: Option<i32>,
    after: Option<String>,
    filter: Option<ConstValue>,
}

/// A selected field of a `Release`.
#[derive(Debug, Clone)]
enum RField {
    Id,
    Slug,
    Kind,
    State,
    Version,
    Revision,
    ContentHash,
    Language,
    Title,
    Lead,
    Topics,
    EmbargoUntil,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Department(Vec<DField>),
    ResponsibleMinister(Vec<PField>),
    Quotes(Vec<QField>),
    Contacts(Vec<KField>),
}

/// A selected field of a `Department`.
#[derive(Debug, Clone, Copy)]
enum DField {
    Id,
    Slug,
    Name,
    TimeZone,
}

/// A selected field of a `Person` (its `department` and `officeEmail` are not planned).
#[derive(Debug, Clone, Copy)]
enum PField {
    Id,
    Name,
    Title,
}

/// A selected field of a `Quote`.
#[derive(Debug, Clone)]
enum QField {
    Text,
    Speaker(Vec<PField>),
}

/// A selected field of a `Contact`.
#[derive(Debug, Clone, Copy)]
enum KField {
    Name,
    Role,
    Phone,
    Mobile,
    Email,
}

/// A selected field of a `ReleaseConnection`.
#[derive(Debug)]
enum CField {
    Nodes(Vec<RField>),
    Edges(Vec<EField>),
    PageInfo(Vec<IField>),
}

/// A selected field of a `ReleaseEdge`.
#[derive(Debug)]
enum EField {
    Cursor,
    Node(Vec<RField>),
}

/// A selected field of a `PageInfo`.
#[derive(Debug, Clone, Copy)]
enum IField {
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

/// The variables of the operation, with their declared types; each must be used, and used
/// where exactly its type (or its nullable form) is expected.
struct Variables<'a> {
    declared: HashMap<&'a str, &'a Type>,
    values: &'a async_graphql::Variables,
    used: HashSet<String>,
}

impl<'a> Variables<'a> {
    /// The value of `$name` at a place of type `expected`, or `None` when the engine could
    /// disagree about it (undeclared, another type, not provided, null for a non-null type).
    fn value(&mut self, name: &str, expected: &str) -> Option<ConstValue> {
        let declared = self.declared.get(name)?;
        let text = declared.to_string();
        if text != expected && text != format!("{expected}!") {
            return None;
        }
        let value = self.values.get(&Name::new(name))?;
        if !declared.nullable && matches!(value, ConstValue::Null) {
            return None;
        }
        self.used.insert(name.to_owned());
        Some(value.clone())
    }
}

/// The plan of the request's operation, or `None` when the engine must run it.
pub fn plan(document: &ExecutableDocument, request: &async_graphql::Request) -> Option<Plan> {
    if !document.fragments.is_empty() {
        return None;
    }
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => operation,
        DocumentOperations::Multiple(operations) => {
            if operations.len() != 1 {
                return None;
            }
            let (name, operation) = operations.iter().next()?;
            if request
                .operation_name
                .as_deref()
                .is_some_and(|wanted| wanted != name.as_str())
            {
                return None;
            }
            operation
        }
    };
    if matches!(&document.operations, DocumentOperations::Single(_))
        && request.operation_name.is_some()
    {
        return None;
    }
    let operation = &operation.node;
    if operation.ty != OperationType::Query || !operation.directives.is_empty() {
        return None;
    }
    let mut declared = HashMap::new();
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        if definition.default_value.is_some() || !definition.directives.is_empty() {
            return None;
        }
        if declared
            .insert(definition.name.node.as_str(), &definition.var_type.node)
            .is_some()
        {
            return None;
        }
    }
    let mut variables = Variables {
        declared,
        values: &request.variables,
        used: HashSet::new(),
    };
    let [root] = operation.selection_set.node.items.as_slice() else {
        return None;
    };
    let Selection::Field(root) = &root.node else {
        return None;
    };
    let root = &root.node;
    if root.alias.is_some() || !root.directives.is_empty() {
        return None;
    }
    let root = match root.name.node.as_str() {
        "release" => {
            let id = single_string(marked_arguments(root)?, "id", "ID", &mut variables)?;
            Root::Release {
                id,
                fields: release_fields(&root.selection_set.node)?,
            }
        }
        "releaseBySlug" => {
            let slug = single_string(marked_arguments(root)?, "slug", "String", &mut variables)?;
            Root::ReleaseBySlug {
                slug,
                fields: release_fields(&root.selection_set.node)?,
            }
        }
        "releases" => Root::Releases {
            args: list_args(marked_arguments(root)?, &mut variables)?,
            fields: connection_fields(&root.selection_set.node)?,
        },
        _ => return None,
    };
    // An unused variable is a validation error.
    if variables.used.len() != variables.declared.len() {
        return None;
    }
    Some(Plan { root })
}

/// The one non-null string argument `name` (of GraphQL type `ty!`): a string literal or a
/// variable holding a string.
fn single_string(
    arguments: Vec<(&str, ConstValue)>,
    name: &str,
    ty: &str,
    variables: &mut Variables<'_>,
) -> Option<String> {
    let [(argument, value)] = <[_; 1]>::try_from(arguments).ok()?;
    if argument != name {
        return None;
    }
    match resolve(value, &format!("{ty}!"), variables)? {
        ConstValue::String(text) => Some(text),
        _ => None,
    }
}

/// The arguments of `releases`.
fn list_args(
    arguments: Vec<(&str, ConstValue)>,
    variables: &mut Variables<'_>,
) -> Option<ListArgs> {
    let mut args = ListArgs {
        first: None,
        after: None,
        filter: None,
    };
    let mut seen = HashSet::new();
    for (name, value) in arguments {
        if !seen.insert(name) {
            return None;
        }
        match name {
            "first" => {
                let value = resolve(value, "Int", variables)?;
                args.first = match value {
                    ConstValue::Null => None,
                    value => Some(i32::parse(Some(value)).ok()?),
                };
            }
            "after" => {
                let value = resolve(value, "String", variables)?;
                args.after = match value {
                    ConstValue::Null => None,
                    ConstValue::String(text) => Some(text),
                    _ => return None,
                };
            }
            "filter" => args.filter = Some(resolve(value, "ReleaseFilter", variables)?),
            _ => return None,
        }
    }
    Some(args)
}

/// The type of each field of `ReleaseFilter`, for variables inside a literal filter.
fn filter_field_type(name: &str) -> Option<&'static str> {
    Some(match name {
        "department" | "language" | "topic" | "query" => "String",
        "states" => "[ReleaseState!]",
        "publishedAfter" | "publishedBefore" => "DateTime",
        _ => return None,
    })
}

/// The arguments of `field` as constants, each variable replaced by a marker: an enum value
/// named `$name`, which no document can contain ([`resolve`] types and replaces them where they
/// stand). The type of an argument as written is not reachable through async-graphql's
/// re-exports, hence the markers.
fn marked_arguments(
    field: &async_graphql::parser::types::Field,
) -> Option<Vec<(&str, ConstValue)>> {
    field
        .arguments
        .iter()
        .map(|(name, value)| {
            let value = value
                .node
                .clone()
                .into_const_with(|variable| {
                    Ok::<_, std::convert::Infallible>(ConstValue::Enum(Name::new(format!(
                        "${variable}"
                    ))))
                })
                .ok()?;
            Some((name.node.as_str(), value))
        })
        .collect()
}

/// Replaces the markers of [`marked_arguments`] at a place of type `expected`; `None` when a
/// variable cannot be typed exactly.
fn resolve(value: ConstValue, expected: &str, variables: &mut Variables<'_>) -> Option<ConstValue> {
    Some(match value {
        ConstValue::Enum(name) if name.starts_with('$') => {
            variables.value(&name.as_str()[1..], expected)?
        }
        ConstValue::List(items) => {
            let inner = expected.strip_suffix('!').unwrap_or(expected);
            let inner = inner.strip_prefix('[')?.strip_suffix(']')?;
            ConstValue::List(
                items
                    .into_iter()
                    .map(|item| resolve(item, inner, variables))
                    .collect::<Option<_>>()?,
            )
        }
        ConstValue::Object(fields) => {
            if expected.strip_suffix('!').unwrap_or(expected) != "ReleaseFilter" {
                return None;
            }
            let mut object = async_graphql::indexmap::IndexMap::new();
            for (name, field) in fields {
                let ty = filter_field_type(name.as_str())?;
                let field = resolve(field, ty, variables)?;
                object.insert(name, field);
            }
            ConstValue::Object(object)
        }
        other => other,
    })
}

/// The fields of a selection set: each a plain field (no alias, argument or directive),
/// each name once.
fn plain_fields(set: &SelectionSet) -> Option<Vec<(&str, &SelectionSet)>> {
    let mut names = HashSet::new();
    let mut fields = Vec::with_capacity(set.items.len());
    for item in &set.items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        let field = &field.node;
        if field.alias.is_some() || !field.arguments.is_empty() || !field.directives.is_empty() {
            return None;
        }
        let name = field.name.node.as_str();
        if !names.insert(name) {
            return None;
        }
        fields.push((name, &field.selection_set.node));
    }
    if fields.is_empty() {
        return None;
    }
    Some(fields)
}

/// A leaf: no selection set.
fn leaf<T>(set: &SelectionSet, field: T) -> Option<T> {
    set.items.is_empty().then_some(field)
}

fn release_fields(set: &SelectionSet) -> Option<Vec<RField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| {
            Some(match name {
                "id" => leaf(sub, RField::Id)?,
                "slug" => leaf(sub, RField::Slug)?,
                "kind" => leaf(sub, RField::Kind)?,
                "state" => leaf(sub, RField::State)?,
                "version" => leaf(sub, RField::Version)?,
                "revision" => leaf(sub, RField::Revision)?,
                "contentHash" => leaf(sub, RField::ContentHash)?,
                "language" => leaf(sub, RField::Language)?,
                "title" => leaf(sub, RField::Title)?,
                "lead" => leaf(sub, RField::Lead)?,
                "topics" => leaf(sub, RField::Topics)?,
                "embargoUntil" => leaf(sub, RField::EmbargoUntil)?,
                "publishedAt" => leaf(sub, RField::PublishedAt)?,
                "createdAt" => leaf(sub, RField::CreatedAt)?,
                "updatedAt" => leaf(sub, RField::UpdatedAt)?,
                "department" => RField::Department(department_fields(sub)?),
                "responsibleMinister" => RField::ResponsibleMinister(person_fields(sub)?),
                "quotes" => RField::Quotes(quote_fields(sub)?),
                "contacts" => RField::Contacts(contact_fields(sub)?),
                _ => return None,
            })
        })
        .collect()
}

fn department_fields(set: &SelectionSet) -> Option<Vec<DField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| match name {
            "id" => leaf(sub, DField::Id),
            "slug" => leaf(sub, DField::Slug),
            "name" => leaf(sub, DField::Name),
            "timeZone" => leaf(sub, DField::TimeZone),
            _ => None,
        })
        .collect()
}

fn person_fields(set: &SelectionSet) -> Option<Vec<PField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| match name {
            "id" => leaf(sub, PField::Id),
            "name" => leaf(sub, PField::Name),
            "title" => leaf(sub, PField::Title),
            _ => None,
        })
        .collect()
}

fn quote_fields(set: &SelectionSet) -> Option<Vec<QField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| match name {
            "text" => leaf(sub, QField::Text),
            "speaker" => Some(QField::Speaker(person_fields(sub)?)),
            _ => None,
        })
        .collect()
}

fn contact_fields(set: &SelectionSet) -> Option<Vec<KField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| match name {
            "name" => leaf(sub, KField::Name),
            "role" => leaf(sub, KField::Role),
            "phone" => leaf(sub, KField::Phone),
            "mobile" => leaf(sub, KField::Mobile),
            "email" => leaf(sub, KField::Email),
            _ => None,
        })
        .collect()
}

fn connection_fields(set: &SelectionSet) -> Option<Vec<CField>> {
    plain_fields(set)?
        .into_iter()
        .map(|(name, sub)| match name {
            "nodes" => Some(CField::Nodes(release_fields(sub)?)),
            "edges" => Some(CField::Edges(
                plain_fields(sub)?
                    .into_iter()
                    .map(|(name, sub)| match name {
                        "cursor" => leaf(sub, EField::Cursor),
                        "node" => Some(EField::Node(release_fields(sub)?)),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            )),
            "pageInfo" => Some(CField::PageInfo(
                plain_fields(sub)?
                    .into_iter()
                    .map(|(name, sub)| match name {
                        "hasPreviousPage" => leaf(sub, IField::HasPreviousPage),
                        "hasNextPage" => leaf(sub, IField::HasNextPage),
                        "startCursor" => leaf(sub, IField::StartCursor),
                        "endCursor" => leaf(sub, IField::EndCursor),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            )),
            _ => None,
        })
        .collect()
}

impl Plan {
    /// The root field's name, for the metrics.
    pub fn field(&self) -> &'static str {
        self.root.name()
    }
}

/// A compiled read's answer.
#[derive(Debug)]
pub struct Answer {
    /// The JSON body.
    pub body: Vec<u8>,
    /// The audit `seq` the read's statement saw; `None` when it found no row (a missing
    /// release, an empty page).
    pub seq: Option<i64>,
}

/// Runs `plan` for the request of `context`: the JSON body of the answer, or `None` when the
/// engine must answer (an argument it refuses, a missing row it reports, a storage error).
pub async fn run(plan: &Plan, store: &Store, context: &RequestContext) -> Option<Answer> {
    let viewer = context.viewer.as_ref();
    let now = context.now();
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"data\":{\"");
    out.extend_from_slice(plan.root.name().as_bytes());
    out.extend_from_slice(b"\":");
    let seq = match &plan.root {
        Root::Release { id, fields } | Root::ReleaseBySlug { slug: id, fields } => {
            let key = match &plan.root {
                Root::Release { .. } => ReleaseKey::Id(id),
                _ => ReleaseKey::Slug(id),
            };
            match store
                .secure_release_with_directory(viewer, key, now)
                .await
                .ok()?
            {
                None => {
                    out.extend_from_slice(b"null");
                    None
                }
                Some((release, seen)) => {
                    let writer = Writer {
                        directory: &seen.directory,
                        now,
                    };
                    writer.release(&mut out, &release, fields)?;
                    Some(seen.seq)
                }
            }
        }
        Root::Releases { args, fields } => {
            let page_request = PageRequest::new(args.first, args.after.as_deref()).ok()?;
            let filter = match &args.filter {
                None | Some(ConstValue::Null) => ReleaseFilter::default(),
                Some(value) => ReleaseFilter::parse(Some(value.clone())).ok()?,
            };
            let filter = filter.into_storage().ok()?;
            let (page, seen) = store
                .secure_releases_with_directory(viewer, &filter, &page_request, now)
                .await
                .ok()?;
            let empty = Directory::default();
            let writer = Writer {
                directory: seen.as_ref().map_or(&empty, |seen| &seen.directory),
                now,
            };
            writer.connection(&mut out, &page, fields)?;
            seen.map(|seen| seen.seq)
        }
    };
    out.extend_from_slice(b"}}");
    Some(Answer { body: out, seq })
}

/// Writes JSON as async-graphql's response serializes it (serde_json, compact).
struct Writer<'a> {
    directory: &'a Directory,
    now: chrono::DateTime<chrono::Utc>,
}

fn string(out: &mut Vec<u8>, text: &str) {
    // serde_json's escaping, as the engine's response uses.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn optional_string(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn enum_name<T: InputType>(value: &T) -> Option<String> {
    match value.to_value() {
        ConstValue::Enum(name) => Some(name.to_string()),
        _ => None,
    }
}

fn instant(out: &mut Vec<u8>, at: Option<chrono::DateTime<chrono::Utc>>) {
    optional_string(out, at.map(format_instant).as_deref());
}

impl Writer<'_> {
    fn connection(
        &self,
        out: &mut Vec<u8>,
        page: &Page<StoredRelease>,
        fields: &[CField],
    ) -> Option<()> {
        out.push(b'{');
        let mut first = true;
        for field in fields {
            match field {
                CField::Nodes(fields) => {
                    key(out, &mut first, "nodes");
                    out.push(b'[');
                    for (i, (_, release)) in page.items.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        self.release(out, release, fields)?;
                    }
                    out.push(b']');
                }
                CField::Edges(edge) => {
                    key(out, &mut first, "edges");
                    out.push(b'[');
                    for (i, (cursor, release)) in page.items.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.push(b'{');
                        let mut first = true;
                        for field in edge {
                            match field {
                                EField::Cursor => {
                                    key(out, &mut first, "cursor");
                                    string(out, cursor);
                                }
                                EField::Node(fields) => {
                                    key(out, &mut first, "node");
                                    self.release(out, release, fields)?;
                                }
                            }
                        }
                        out.push(b'}');
                    }
                    out.push(b']');
                }
                CField::PageInfo(info) => {
                    key(out, &mut first, "pageInfo");
                    out.push(b'{');
                    let mut first = true;
                    for field in info {
                        match field {
                            IField::HasPreviousPage => {
                                key(out, &mut first, "hasPreviousPage");
                                boolean(out, page.has_previous_page);
                            }
                            IField::HasNextPage => {
                                key(out, &mut first, "hasNextPage");
                                boolean(out, page.has_next_page);
                            }
                            IField::StartCursor => {
                                key(out, &mut first, "startCursor");
                                optional_string(out, page.items.first().map(|(c, _)| c.as_str()));
                            }
                            IField::EndCursor => {
                                key(out, &mut first, "endCursor");
                                optional_string(out, page.items.last().map(|(c, _)| c.as_str()));
                            }
                        }
                    }
                    out.push(b'}');
                }
            }
        }
        out.push(b'}');
        Some(())
    }

    fn release(&self, out: &mut Vec<u8>, release: &StoredRelease, fields: &[RField]) -> Option<()> {
        out.push(b'{');
        let mut first = true;
        // As the resolvers do: a public release shows its department and people as they were
        // when it went public (`Person::as_of`), anything else as they are now.
        let public_since = visibility::effective_published_at(
            release.state,
            release.published_at,
            release.embargo_until,
            self.now,
        );
        for field in fields {
            match field {
                RField::Id => {
                    key(out, &mut first, "id");
                    string(out, release.id.as_ref());
                }
                RField::Slug => {
                    key(out, &mut first, "slug");
                    string(out, &release.slug);
                }
                RField::Kind => {
                    key(out, &mut first, "kind");
                    string(out, &enum_name(&ReleaseKind::from(release.content.kind()))?);
                }
                RField::State => {
                    key(out, &mut first, "state");
                    let state =
                        visibility::effective_state(release.state, release.embargo_until, self.now);
                    string(out, &enum_name(&ReleaseState::from(state))?);
                }
                RField::Version => {
                    key(out, &mut first, "version");
                    let _ = write!(out, "{}", release.version);
                }
                RField::Revision => {
                    key(out, &mut first, "revision");
                    let _ = write!(out, "{}", release.revision);
                }
                RField::ContentHash => {
                    key(out, &mut first, "contentHash");
                    string(out, &release.content_hash);
                }
                RField::Language => {
                    key(out, &mut first, "language");
                    string(out, release.content.language());
                }
                RField::Title => {
                    key(out, &mut first, "title");
                    string(out, release.content.title());
                }
                RField::Lead => {
                    key(out, &mut first, "lead");
                    string(out, release.content.lead());
                }
                RField::Topics => {
                    key(out, &mut first, "topics");
                    out.push(b'[');
                    for (i, topic) in release.content.topics().iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        string(out, topic);
                    }
                    out.push(b']');
                }
                RField::EmbargoUntil => {
                    key(out, &mut first, "embargoUntil");
                    instant(out, release.embargo_until);
                }
                RField::PublishedAt => {
                    key(out, &mut first, "publishedAt");
                    instant(
                        out,
                        visibility::effective_published_at(
                            release.state,
                            release.published_at,
                            release.embargo_until,
                            self.now,
                        ),
                    );
                }
                RField::CreatedAt => {
                    key(out, &mut first, "createdAt");
                    instant(out, Some(release.created_at));
                }
                RField::UpdatedAt => {
                    key(out, &mut first, "updatedAt");
                    instant(out, Some(release.updated_at));
                }
                RField::Department(fields) => {
                    key(out, &mut first, "department");
                    // The resolver reports a missing department as an error: the engine's case.
                    let department = self.directory.departments.get(&release.department_id)?;
                    department_object(out, department.as_of(public_since), fields);
                }
                RField::ResponsibleMinister(fields) => {
                    key(out, &mut first, "responsibleMinister");
                    match release
                        .content
                        .responsible_minister_id()
                        .and_then(|id| self.directory.people.get(id))
                    {
                        Some(person) => person_object(out, person.as_of(public_since), fields),
                        None => out.extend_from_slice(b"null"),
                    }
                }
                RField::Quotes(fields) => {
                    key(out, &mut first, "quotes");
                    out.push(b'[');
                    for (i, quote) in release.content.quotes().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.push(b'{');
                        let mut first = true;
                        for field in fields {
                            match field {
                                QField::Text => {
                                    key(out, &mut first, "text");
                                    string(out, quote.text);
                                }
                                QField::Speaker(fields) => {
                                    key(out, &mut first, "speaker");
                                    // A missing speaker is an error: the engine's case.
                                    let person = self.directory.people.get(quote.speaker_id)?;
                                    person_object(out, person.as_of(public_since), fields);
                                }
                            }
                        }
                        out.push(b'}');
                    }
                    out.push(b']');
                }
                RField::Contacts(fields) => {
                    key(out, &mut first, "contacts");
                    out.push(b'[');
                    for (i, contact) in release.content.contacts().iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.push(b'{');
                        let mut first = true;
                        for field in fields {
                            match field {
                                KField::Name => {
                                    key(out, &mut first, "name");
                                    string(out, &contact.name);
                                }
                                KField::Role => {
                                    key(out, &mut first, "role");
                                    optional_string(out, contact.role.as_deref());
                                }
                                KField::Phone => {
                                    key(out, &mut first, "phone");
                                    optional_string(out, contact.phone.as_deref());
                                }
                                KField::Mobile => {
                                    key(out, &mut first, "mobile");
                                    optional_string(out, contact.mobile.as_deref());
                                }
                                KField::Email => {
                                    key(out, &mut first, "email");
                                    optional_string(out, contact.email.as_deref());
                                }
                            }
                        }
                        out.push(b'}');
                    }
                    out.push(b']');
                }
            }
        }
        out.push(b'}');
        Some(())
    }
}

fn boolean(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// An object whose selected fields are all strings: `entry` gives each field's key and value.
fn string_object<'a, F>(
    out: &mut Vec<u8>,
    fields: &[F],
    entry: impl Fn(&F) -> (&'static str, &'a str),
) {
    out.push(b'{');
    let mut first = true;
    for field in fields {
        let (name, value) = entry(field);
        key(out, &mut first, name);
        string(out, value);
    }
    out.push(b'}');
}

fn department_object(out: &mut Vec<u8>, department: &Department, fields: &[DField]) {
    string_object(out, fields, |field| match field {
        DField::Id => ("id", department.id.as_ref()),
        DField::Slug => ("slug", &department.slug),
        DField::Name => ("name", &department.name),
        DField::TimeZone => ("timeZone", &department.time_zone),
    });
}

fn person_object(out: &mut Vec<u8>, person: &Person, fields: &[PField]) {
    string_object(out, fields, |field| match field {
        PField::Id => ("id", person.id.as_ref()),
        PField::Name => ("name", &person.name),
        PField::Title => ("title", &person.title),
    });
}
