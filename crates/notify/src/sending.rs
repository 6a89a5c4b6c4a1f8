//! Sending one rendered message over SMTP with lettre.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, MailConfigError};
use crate::render::Rendered;

/// How an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try: a 4xx answer, a refused or broken connection, a timeout.
    #[error("{0}")]
    Transient(String),
    /// Not worth another try: a 5xx answer, a malformed recipient.
    #[error("{0}")]
    Permanent(String),
}

/// The transport for `config`'s SMTP URL (no connection is made until a message is sent).
pub(crate) fn transport(
    config: &MailConfig,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailConfigError> {
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url())
            .map_err(|e| MailConfigError::SmtpUrl(e.to_string()))?
            .timeout(Some(config.attempt_timeout))
            .build(),
    )
}

/// Sends messages through one SMTP transport; clones share it.
#[derive(Clone)]
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The longest one attempt may take, whatever the server does.
    timeout: std::time::Duration,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender for `config`.
    pub fn new(config: &MailConfig) -> Result<Self, MailConfigError> {
        Ok(Self {
            transport: transport(config)?,
            from: config.from.clone(),
            timeout: config.attempt_timeout,
        })
    }

    /// Sends `rendered` to `recipient` as message `id` (the same `Message-ID` on every
    /// attempt, so a receiving system can drop a repeat).
    pub async fn send(
        &self,
        id: &str,
        recipient: &str,
        rendered: Rendered,
    ) -> Result<(), SendError> {
        let to: Mailbox = recipient
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                SendError::Permanent(format!("recipient: {e}"))
            })?;
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{id}@{domain}>")))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| SendError::Permanent(format!("message: {e}")))?;
        // lettre bounds connecting and each command; this bounds the whole conversation, so a
        // server that stops answering mid-message cannot hold the attempt past its lease.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Ok(Err(e)) => Err(SendError::Transient(e.to_string())),
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        }
    }
}
