//! The message an endpoint receives: its JSON body and its Standard Webhooks signature.
//!
//! The body is rebuilt from the stored outbox event on every attempt and is the same bytes each
//! time; the signature covers `webhook-id`, `webhook-timestamp` and the body, so it changes with
//! the timestamp of each attempt.

use chrono::{DateTime, Utc};
use pressroom_domain::lifecycle::format_instant;
use pressroom_domain::links::PublicBaseUrl;
use standardwebhooks::Webhook;

/// Why a message could not be built or signed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The stored payload is not a JSON object.
    #[error("the outbox payload is not a JSON object")]
    Payload,
    /// The endpoint's secret is not a valid `whsec_` secret.
    #[error("the endpoint's signing secret is not valid base64")]
    Secret,
    /// The signing library refused the message.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// The body of an event: `{"type": …, "timestamp": …, "data": …}`, where `data` is the outbox
/// payload exactly as stored and `timestamp` the instant the event was recorded (RFC 3339, UTC).
/// With a public base URL, `data.url` (stored as a path) is made absolute under it, and `data`
/// is written again with its keys in the same sorted order as stored.
pub fn event_body(
    event: &str,
    occurred_at: DateTime<Utc>,
    payload: &str,
    public_base_url: Option<&PublicBaseUrl>,
) -> Result<String, MessageError> {
    // Without a base URL the payload is embedded as stored rather than re-serialized, so `data`
    // is byte for byte what the publish transaction wrote; it is parsed only to make sure it is
    // an object.
    let parsed: serde_json::Value =
        serde_json::from_str(payload).map_err(|_| MessageError::Payload)?;
    let serde_json::Value::Object(mut data) = parsed else {
        return Err(MessageError::Payload);
    };
    let event = serde_json::Value::from(event);
    let timestamp = serde_json::Value::from(format_instant(occurred_at));
    let absolute = public_base_url.and_then(|base| {
        data.get("url")
            .and_then(serde_json::Value::as_str)
            .filter(|path| path.starts_with('/'))
            .map(|path| base.join(path))
    });
    let data = match absolute {
        Some(url) => {
            data.insert("url".to_owned(), serde_json::Value::from(url));
            serde_json::Value::Object(data).to_string()
        }
        None => payload.trim().to_owned(),
    };
    Ok(format!(
        r#"{{"type":{event},"timestamp":{timestamp},"data":{data}}}"#
    ))
}

/// The `webhook-signature` header value (`v1,<base64>`) of `body` sent as message `id` at
/// `timestamp` (Unix seconds), with the endpoint's `whsec_` secret.
pub fn signature(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, MessageError> {
    let signer = Webhook::new(secret).map_err(|_| MessageError::Secret)?;
    signer
        .sign(id, timestamp, body.as_bytes())
        .map_err(|e| MessageError::Signing(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 2, 7, 0, 0).single().unwrap()
    }

    #[test]
    fn the_body_wraps_the_stored_payload_with_its_type_and_timestamp() {
        let payload = r#"{"department":"miljodepartementet","id":"r1","title":"Sverige ska axla ledarskapet – på riktigt"}"#;
        let body = event_body("release.published", at(), payload, None).unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"type":"release.published","timestamp":"2026-06-02T07:00:00Z","data":{payload}}}"#
            )
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed["data"]["title"],
            "Sverige ska axla ledarskapet – på riktigt"
        );
    }

    #[test]
    fn a_payload_that_is_not_an_object_is_refused() {
        assert!(event_body("release.published", at(), "[1]", None).is_err());
        assert!(event_body("release.published", at(), "{", None).is_err());
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_test_vector() {
        // The example from the Standard Webhooks specification's reference libraries.
        let signed = signature(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1_649_367_553,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        )
        .unwrap();
        assert_eq!(signed, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    }

    #[test]
    fn a_secret_that_is_not_base64_is_refused() {
        assert!(matches!(
            signature("whsec_***", "msg_1", 1, "{}"),
            Err(MessageError::Secret)
        ));
    }

    #[test]
    fn with_a_public_base_url_the_url_is_absolute_and_the_rest_unchanged() {
        let payload =
            r#"{"department":"miljodepartementet","id":"r1","slug":"a","url":"/releases/a"}"#;
        let base = PublicBaseUrl::parse("https://press.example.se").unwrap();
        let body = event_body("release.published", at(), payload, Some(&base)).unwrap();
        assert!(
            body.ends_with(
                r#""data":{"department":"miljodepartementet","id":"r1","slug":"a","url":"https://press.example.se/releases/a"}}"#
            ),
            "{body}"
        );
        let relative = event_body("release.published", at(), payload, None).unwrap();
        assert!(
            relative.ends_with(&format!(r#""data":{payload}}}"#)),
            "{relative}"
        );
    }
}
