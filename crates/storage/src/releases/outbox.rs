//! The payload of a public event, stored in the outbox beside the audit entry.

use pressroom_domain::lifecycle::{Release, format_instant};
use serde_json::json;

/// The body of a public event (the `data` of a webhook delivery), as JSON text with sorted keys.
pub(crate) fn event_payload(release: &Release, slug: &str, department_slug: &str) -> String {
    let payload: std::collections::BTreeMap<&str, serde_json::Value> = [
        ("id", json!(release.id)),
        ("slug", json!(slug)),
        ("version", json!(release.version)),
        ("department", json!(department_slug)),
        ("title", json!(release.content.title())),
        (
            "publishedAt",
            json!(release.published_at.map(format_instant)),
        ),
        ("url", json!(format!("/releases/{slug}"))),
    ]
    .into_iter()
    .collect();
    // A JSON value always serializes (its `Display` cannot fail), so no fallback is needed.
    serde_json::Value::Object(
        payload
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
    .to_string()
}
