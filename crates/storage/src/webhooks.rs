//! Webhook endpoints registered by admins, and the record of deliveries to them.
//!
//! Secrets follow the Standard Webhooks format: `whsec_` and the base64 of 24 random bytes. They
//! are stored as given (the sender needs them to sign) and shown to the admin once.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use pressroom_domain::UserName;
use pressroom_domain::content::check_no_control_characters;
use pressroom_domain::lifecycle::PublicEvent;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use crate::audit;
use crate::clock::{from_micros, micros};
use crate::directory::admin_entry;
use crate::entity::{webhook_deliveries, webhook_endpoints};
use crate::error::{StorageError, StorageResult};
use crate::pagination::MAX_PAGE;
use crate::store::Store;

/// The event types an endpoint can subscribe to.
pub const EVENT_TYPES: [PublicEvent; 3] = [
    PublicEvent::Published,
    PublicEvent::Corrected,
    PublicEvent::Withdrawn,
];

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Id.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Subscribed event types.
    pub event_types: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Registration instant.
    pub created_at: DateTime<Utc>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Id.
    pub id: String,
    /// Endpoint.
    pub endpoint_id: String,
    /// Event type.
    pub event: String,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// HTTP status, when a response came.
    pub status: Option<i32>,
    /// Whether the endpoint accepted it.
    pub succeeded: bool,
    /// When.
    pub at: DateTime<Utc>,
}

fn endpoint(m: webhook_endpoints::Model) -> StorageResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        event_types: serde_json::from_str(&m.event_types)?,
        id: m.id,
        url: m.url,
        enabled: m.enabled,
        created_at: from_micros(m.created_at),
    })
}

fn check_endpoint(url: &str, event_types: &[String]) -> StorageResult<()> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > 2_000 || url.chars().any(char::is_whitespace) {
        return Err(StorageError::validation(
            "input.url",
            "must be an http or https URL",
        ));
    }
    check_no_control_characters("input.url", url, false)?;
    if event_types.is_empty() {
        return Err(StorageError::validation(
            "input.eventTypes",
            "name at least one event type",
        ));
    }
    if let Some(unknown) = event_types
        .iter()
        .find(|t| !EVENT_TYPES.iter().any(|e| e.as_str() == t.as_str()))
    {
        return Err(StorageError::validation(
            "input.eventTypes",
            format!(
                "unknown event type {unknown:?}; known: release.published, release.corrected, release.withdrawn"
            ),
        ));
    }
    Ok(())
}

impl Store {
    /// Registers an endpoint; returns it with its secret (shown once).
    pub async fn create_webhook_endpoint(
        &self,
        actor: &UserName,
        url: &str,
        event_types: &[String],
    ) -> StorageResult<(WebhookEndpoint, String)> {
        check_endpoint(url, event_types)?;
        let mut key = [0u8; 24];
        rand::rng().fill_bytes(&mut key);
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        );
        let now = self.now();
        let txn = self.begin_write().await?;
        let mut types = event_types.to_vec();
        types.dedup();
        let row = webhook_endpoints::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            url: Set(url.to_owned()),
            event_types: Set(serde_json::to_string(&types)?),
            secret: Set(secret.clone()),
            enabled: Set(true),
            created_at: Set(micros(now)),
        }
        .insert(&txn)
        .await?;
        let details: BTreeMap<String, Value> = [
            ("endpointId".to_owned(), json!(row.id)),
            ("url".to_owned(), json!(url)),
            ("eventTypes".to_owned(), json!(types)),
        ]
        .into_iter()
        .collect();
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "createWebhookEndpoint", &details),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok((endpoint(row)?, secret))
    }

    /// Disables an endpoint (idempotent); `NotFound` when no endpoint has this id.
    pub async fn disable_webhook_endpoint(
        &self,
        actor: &UserName,
        id: &str,
    ) -> StorageResult<WebhookEndpoint> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let result = webhook_endpoints::Entity::update_many()
            .col_expr(webhook_endpoints::Column::Enabled, Expr::value(false))
            .filter(webhook_endpoints::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        let details: BTreeMap<String, Value> =
            [("endpointId".to_owned(), json!(id))].into_iter().collect();
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "disableWebhookEndpoint", &details),
            now,
        )
        .await?;
        let row = webhook_endpoints::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or(StorageError::NotFound)?;
        txn.commit().await?;
        endpoint(row)
    }

    /// Every endpoint, oldest first.
    pub async fn webhook_endpoints(&self) -> StorageResult<Vec<WebhookEndpoint>> {
        webhook_endpoints::Entity::find()
            .order_by_asc(webhook_endpoints::Column::CreatedAt)
            .order_by_asc(webhook_endpoints::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(endpoint)
            .collect()
    }

    /// The newest deliveries to an endpoint, newest first (at most [`MAX_PAGE`]).
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        first: u64,
    ) -> StorageResult<Vec<WebhookDelivery>> {
        Ok(webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::EndpointId.eq(endpoint_id))
            .order_by_desc(webhook_deliveries::Column::At)
            .order_by_desc(webhook_deliveries::Column::Id)
            .limit(first.min(MAX_PAGE))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| WebhookDelivery {
                id: m.id,
                endpoint_id: m.endpoint_id,
                event: m.event,
                attempt: m.attempt,
                status: m.status,
                succeeded: m.succeeded,
                at: from_micros(m.at),
            })
            .collect())
    }
}
