//! One HTTP attempt: build the body, sign it, POST it, and say what came back.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pressroom_storage::deliveries::ClaimedDelivery;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::address_policy::{PublicOnly, is_public, literal_ip};
use crate::config::WebhookConfig;
use crate::message::{MessageError, event_body, signature};

/// What one attempt ended with, short of a response.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message could not be built or signed (a stored payload or secret is damaged).
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The endpoint's URL does not parse.
    #[error("the endpoint URL does not parse")]
    Url,
    /// The address is private or loopback and the policy refuses those.
    #[error("refused: the endpoint's address is private or loopback")]
    RefusedAddress,
    /// No answer within the attempt timeout.
    #[error("timed out")]
    Timeout,
    /// Connecting or sending failed (refused connection, DNS, TLS, a reset…).
    #[error("request failed: {0}")]
    Request(String),
}

/// The HTTP client every attempt of one worker shares.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    client: reqwest::Client,
    refuse_private_addresses: bool,
    public_base_url: Option<pressroom_domain::links::PublicBaseUrl>,
}

impl Sender {
    /// A client with the attempt timeout, no redirects, and, when private addresses are refused,
    /// a resolver that keeps only public answers and no proxy (a proxy would resolve and
    /// connect on the client's behalf, out of the policy's sight).
    pub(crate) fn new(config: &WebhookConfig) -> Result<Self, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.attempt_timeout)
            .connect_timeout(config.attempt_timeout.min(Duration::from_secs(5)))
            // A redirect is an answer like any other non-2xx one; following it could lead a
            // delivery somewhere its admin never registered.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Pressroom-Webhooks/", env!("CARGO_PKG_VERSION")));
        if config.refuse_private_addresses {
            builder = builder.dns_resolver(Arc::new(PublicOnly)).no_proxy();
        }
        Ok(Self {
            client: builder.build()?,
            refuse_private_addresses: config.refuse_private_addresses,
            public_base_url: config.public_base_url.clone(),
        })
    }

    /// Sends `delivery` signed at `at`; returns the HTTP status of the answer.
    pub(crate) async fn send(
        &self,
        delivery: &ClaimedDelivery,
        at: DateTime<Utc>,
    ) -> Result<u16, SendError> {
        let url = reqwest::Url::parse(&delivery.url).map_err(|_| SendError::Url)?;
        if self.refuse_private_addresses && literal_ip(&url).is_some_and(|ip| !is_public(ip)) {
            return Err(SendError::RefusedAddress);
        }
        let body = event_body(
            &delivery.event,
            delivery.occurred_at,
            &delivery.payload,
            self.public_base_url.as_ref(),
        )?;
        let timestamp = at.timestamp();
        let signed = signature(delivery.secret(), &delivery.message_id, timestamp, &body)?;
        let response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &delivery.message_id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signed)
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        // The answer's body is of no interest; dropping the response closes or frees the
        // connection without reading it.
        Ok(response.status().as_u16())
    }
}

/// Turns a client error into a [`SendError`] whose text never contains the URL, which may carry
/// credentials in its query.
fn classify(error: reqwest::Error) -> SendError {
    if error.is_timeout() {
        return SendError::Timeout;
    }
    if source_chain_has_refusal(&error) {
        return SendError::RefusedAddress;
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::Request(text)
}

fn source_chain_has_refusal(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<crate::address_policy::RefusedAddress>()
            .is_some()
        {
            return true;
        }
        source = cause.source();
    }
    false
}
