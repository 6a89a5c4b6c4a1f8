//! The embargo probes: reads of a release just scheduled that check the embargo rule.

use std::sync::PoisonError;

use serde_json::json;

use super::readers::{Rng, read_by_slug};
use super::{Ctx, Failure, Side, format_instant, now_micros, parse_instant};

/// How many of the most recently scheduled releases the probes choose from.
const PROBE_WINDOW: usize = 16;

const PROBE: &str =
    "query Probe($id: ID!) { release(id: $id) { id state publishedAt embargoUntil } }";
/// The embargo rule on one of the most recently scheduled releases, read by a plain integrator
/// over GraphQL or anonymously through its press page: hidden while the instant is ahead of the
/// request, public (and with `publishedAt = embargoUntil`) once it is behind the request.
pub(super) async fn probe(ctx: &Ctx, rng: &mut Rng, html: bool) -> Result<(), Failure> {
    let target = {
        let scheduled = ctx.scheduled.lock().unwrap_or_else(PoisonError::into_inner);
        let from = scheduled.len().saturating_sub(PROBE_WINDOW);
        let window = &scheduled[from..];
        (!window.is_empty()).then(|| window[rng.below(window.len())].clone())
    };
    let Some(target) = target else {
        return read_by_slug(ctx, rng).await;
    };
    let op = if html { "probe html" } else { "probe" };
    let sent = now_micros();
    let visible = if html {
        let path = format!("/releases/{}", target.slug);
        match ctx.get(op, &path).await? {
            (200, _) => true,
            (404, _) => false,
            (status, body) => {
                return Err(Failure::new(
                    op,
                    format!("HTTP {status}"),
                    format!("{path}: {body}"),
                ));
            }
        }
    } else {
        let data = ctx
            .graphql(
                Side::Read,
                op,
                Some(&ctx.integrator),
                PROBE,
                json!({ "id": target.id }),
            )
            .await?;
        let release = &data["release"];
        if !release.is_null() {
            let published_at = release["publishedAt"].as_str().and_then(parse_instant);
            let embargo_until = release["embargoUntil"].as_str().and_then(parse_instant);
            if release["state"] != "PUBLISHED"
                || published_at != Some(target.instant)
                || embargo_until != Some(target.instant)
            {
                return Err(Failure::new(
                    op,
                    "public, but not PUBLISHED at its instant",
                    format!("{release}, instant {}", format_instant(target.instant)),
                ));
            }
        }
        !release.is_null()
    };
    let received = now_micros();
    ctx.record(|t| t.probes += 1);
    if visible && target.instant > received {
        ctx.record(|t| t.early_reads += 1);
        return Err(Failure::new(
            op,
            "visible before its instant",
            format!(
                "release {} instant {}, answer received {}",
                target.id,
                format_instant(target.instant),
                format_instant(received)
            ),
        ));
    }
    if !visible && target.instant < sent {
        ctx.record(|t| t.late_reads += 1);
        return Err(Failure::new(
            op,
            "hidden after its instant",
            format!(
                "release {} instant {}, request sent {}",
                target.id,
                format_instant(target.instant),
                format_instant(sent)
            ),
        ));
    }
    Ok(())
}
