//! GraphQL input types and their conversion into domain input.

use async_graphql::{ID, InputObject, OneofObject};
use pressroom_domain::content::{self, ContentInput, ReleaseContent};

use crate::error::ApiResult;
use crate::scalars::Instant;
use crate::types::{ReleaseKind, ReleaseState, Role};

/// Filters of `releases`.
#[derive(InputObject, Default, Debug)]
pub struct ReleaseFilter {
    /// Department slug.
    pub department: Option<String>,
    /// Language tag.
    pub language: Option<String>,
    /// States as they read now (default: every state but WITHDRAWN).
    pub states: Option<Vec<ReleaseState>>,
    /// Exact topic.
    pub topic: Option<String>,
    /// Words to find in title, lead, body and quotes.
    pub query: Option<String>,
    /// Public at or after.
    pub published_after: Option<Instant>,
    /// Public at or before.
    pub published_before: Option<Instant>,
}

impl ReleaseFilter {
    /// Storage's filter.
    pub fn into_storage(self) -> ApiResult<pressroom_storage::releases::ReleaseFilter> {
        Ok(pressroom_storage::releases::ReleaseFilter {
            department: self.department,
            language: self.language,
            states: self.states.map(|s| s.into_iter().map(Into::into).collect()),
            topic: self.topic,
            query: self.query,
            published_after: self
                .published_after
                .map(|i| i.valid("filter.publishedAfter"))
                .transpose()?,
            published_before: self
                .published_before
                .map(|i| i.valid("filter.publishedBefore"))
                .transpose()?,
            author: None,
        })
    }
}

/// A body block: exactly one of a paragraph or a quote.
#[derive(OneofObject, Debug)]
pub enum BlockInput {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A quote.
    Quote(QuoteInput),
}

/// A quote.
#[derive(InputObject, Debug)]
pub struct QuoteInput {
    /// Person quoted.
    pub speaker_id: ID,
    /// The words, without dash or attribution.
    pub text: String,
}

/// A press contact.
#[derive(InputObject, Debug)]
pub struct ContactInput {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

/// A fact box.
#[derive(InputObject, Debug)]
pub struct FactBoxInput {
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}

/// The content of a release.
#[derive(InputObject, Debug)]
pub struct ReleaseInput {
    /// Kind.
    #[graphql(default_with = "Some(ReleaseKind::PressRelease)")]
    pub kind: Option<ReleaseKind>,
    /// BCP 47 language tag, e.g. `sv`.
    pub language: String,
    /// Department slug.
    pub department: String,
    /// Responsible minister (a person id).
    pub responsible_minister_id: Option<ID>,
    /// Title (at most 300 characters).
    pub title: String,
    /// Lead (at most 2,000 characters).
    pub lead: String,
    /// Body blocks (at most 200).
    pub body: Vec<BlockInput>,
    /// Press contacts (at most 20).
    #[graphql(default)]
    pub contacts: Vec<ContactInput>,
    /// Fact boxes (at most 20).
    #[graphql(default)]
    pub fact_boxes: Vec<FactBoxInput>,
    /// Topics (at most 30).
    #[graphql(default)]
    pub topics: Vec<String>,
    /// The release this one translates.
    pub translation_of: Option<ID>,
}

impl ReleaseInput {
    /// Validated content plus the department slug it names.
    pub fn into_content(self) -> ApiResult<(String, ReleaseContent)> {
        let input = ContentInput {
            kind: self.kind.unwrap_or_default().into(),
            language: self.language,
            responsible_minister_id: self.responsible_minister_id.map(|id| id.0),
            title: self.title,
            lead: self.lead,
            body: self
                .body
                .into_iter()
                .map(|b| match b {
                    BlockInput::Paragraph(text) => content::Block::Paragraph { text },
                    BlockInput::Quote(q) => content::Block::Quote {
                        speaker_id: q.speaker_id.0,
                        text: q.text,
                    },
                })
                .collect(),
            contacts: self
                .contacts
                .into_iter()
                .map(|c| content::Contact {
                    name: c.name,
                    role: c.role,
                    phone: c.phone,
                    mobile: c.mobile,
                    email: c.email,
                })
                .collect(),
            fact_boxes: self
                .fact_boxes
                .into_iter()
                .map(|f| content::FactBox {
                    heading: f.heading,
                    text: f.text,
                })
                .collect(),
            topics: self.topics,
            translation_of: self.translation_of.map(|id| id.0),
        };
        Ok((self.department, ReleaseContent::parse(input)?))
    }
}

/// A new department.
#[derive(InputObject, Debug)]
pub struct DepartmentInput {
    /// URL slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    #[graphql(default_with = "Some(\"Europe/Stockholm\".to_owned())")]
    pub time_zone: Option<String>,
}

/// A new person.
#[derive(InputObject, Debug)]
pub struct PersonInput {
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Department slug.
    pub department: Option<String>,
}

/// What `updatePerson` changes; a field left out stays as it is.
#[derive(InputObject, Debug)]
pub struct PersonUpdateInput {
    /// New name.
    pub name: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New department slug; `null` takes the person out of their department.
    pub department: async_graphql::MaybeUndefined<String>,
}

impl PersonUpdateInput {
    /// Storage's change.
    pub fn into_change(self) -> pressroom_storage::directory::PersonChange {
        use async_graphql::MaybeUndefined;
        pressroom_storage::directory::PersonChange {
            name: self.name,
            title: self.title,
            department: match self.department {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(slug) => Some(Some(slug)),
            },
        }
    }
}

/// What `updateDepartment` changes; a field left out stays as it is. The slug does not change:
/// feeds and pages are addressed by it.
#[derive(InputObject, Debug)]
pub struct DepartmentUpdateInput {
    /// New name.
    pub name: Option<String>,
    /// New IANA time zone.
    pub time_zone: Option<String>,
}

/// A new token.
#[derive(InputObject, Debug)]
pub struct TokenInput {
    /// The user's name; tokens with the same name belong to the same user.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department slug (drafters, editors).
    pub department: Option<String>,
    /// Person id (a minister's office).
    pub person_id: Option<ID>,
    /// Accredited for embargoed releases (integrators).
    #[graphql(default_with = "Some(false)")]
    pub embargo_access: Option<bool>,
    /// When the token stops working (explicit offset, in the future); none = until revoked.
    pub expires_at: Option<Instant>,
}

/// A new webhook endpoint.
#[derive(InputObject, Debug)]
pub struct WebhookEndpointInput {
    /// Where to POST deliveries.
    pub url: String,
    /// Event types to deliver.
    pub event_types: Vec<String>,
}
