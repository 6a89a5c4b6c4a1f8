//! The writers: each takes releases of one department from nothing to EMBARGOED through the
//! GraphQL API, the approvals of two offices racing each other.

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use serde_json::{Value, json};

use super::{Ctx, Failure, Rel, Scheduled, Side, Staff, format_instant, now_micros};

/// How often one approval is retried after `VERSION_CONFLICT`.
const APPROVAL_ATTEMPTS: usize = 20;

const CREATE: &str = "mutation Create($input: ReleaseInput!) { createRelease(input: $input) { \
    id slug state version revision embargoUntil publishedAt } }";
const UPDATE: &str = "mutation Update($id: ID!, $v: Int!, $input: ReleaseInput!) { \
    updateRelease(id: $id, expectedVersion: $v, input: $input) { \
    id slug state version revision embargoUntil publishedAt } }";
const SUBMIT: &str = "mutation Submit($id: ID!, $v: Int!) { \
    submitForReview(id: $id, expectedVersion: $v) { \
    id slug state version revision embargoUntil publishedAt } }";
const APPROVE: &str = "mutation Approve($id: ID!, $v: Int!) { \
    approveRelease(id: $id, expectedVersion: $v) { \
    id slug state version revision embargoUntil publishedAt } }";
const SCHEDULE: &str = "mutation Schedule($id: ID!, $v: Int!, $at: DateTime!) { \
    scheduleRelease(id: $id, expectedVersion: $v, embargoUntil: $at) { \
    id slug state version revision embargoUntil publishedAt } }";
const REREAD: &str = "query Reread($id: ID!) { release(id: $id) { id state version } }";
const PARAGRAPH: &str = "Regeringen föreslår att stödet förlängs till och med nästa år och att \
    ansökningstiden förenklas för kommuner och regioner. Förslaget bygger på erfarenheterna från \
    de senaste åren och på synpunkter från remissinstanserna.";
const PARAGRAPH_EDITED: &str = "Regeringen föreslår att stödet förlängs till och med nästa år. \
    Ansökningstiden förenklas för kommuner och regioner, som i stort sett har ställt sig bakom \
    inriktningen – också i glesbygden.";

/// The content of writer `w`'s `n`-th release (before or after the edit).
pub(super) fn release_input(
    staff: &Staff,
    w: usize,
    n: u64,
    colleague: usize,
    edited: bool,
) -> Value {
    let lead = if edited {
        format!(
            "Regeringen ger i dag besked om ett förlängt stöd (prov {w}-{n}, reviderad). \
             Beslutet fattades vid dagens regeringssammanträde."
        )
    } else {
        format!("Regeringen ger i dag besked om ett förlängt stöd (prov {w}-{n}).")
    };
    json!({
        "language": "sv",
        "department": staff.department,
        "responsibleMinisterId": staff.people[0],
        "title": format!("Belastningsprov {w}-{n}: förlängt stöd till kommunerna"),
        "lead": lead,
        "body": [
            { "paragraph": PARAGRAPH },
            { "quote": {
                "speakerId": staff.people[0],
                "text": "Det här är en viktig reform för hela landet, och vi genomför den nu.",
            } },
            { "paragraph": if edited { PARAGRAPH_EDITED } else { PARAGRAPH } },
            { "quote": {
                "speakerId": staff.people[colleague],
                "text": "Kommunerna har efterfrågat det här länge, och nu kommer det.",
            } },
        ],
        "contacts": [{
            "name": "Tove Pressekreterare",
            "role": "Pressekreterare",
            "phone": "08-405 10 00",
            "mobile": "070-123 45 67",
            "email": "tove@example.se",
        }],
        "topics": [format!("belastning-{w}")],
    })
}

fn expect_state(op: &'static str, release: &Rel, state: &str) -> Result<(), Failure> {
    if release.state == state {
        Ok(())
    } else {
        Err(Failure::new(
            op,
            format!("answered {} instead of {state}", release.state),
            format!("release {}", release.id),
        ))
    }
}

/// Writer `w`: releases from nothing to EMBARGOED until the end of the run. A release whose
/// step fails unexpectedly is abandoned (the error is recorded) and the next one begins.
pub(super) async fn writer(ctx: Arc<Ctx>, w: usize) {
    let mut n = 0u64;
    while Instant::now() < ctx.run_end {
        n += 1;
        ctx.record(|t| t.cycles += 1);
        if let Err(failure) = cycle(&ctx, w, n).await {
            ctx.error(failure);
        }
    }
}

async fn cycle(ctx: &Ctx, w: usize, n: u64) -> Result<(), Failure> {
    let staff = &ctx.staff[w % ctx.staff.len()];
    // The colleague quoted alternates between the department's two other people.
    let colleague = 1 + (n as usize) % (staff.people.len() - 1).max(1);
    let draft = ctx
        .mutate(
            "createRelease",
            &staff.drafter,
            CREATE,
            json!({ "input": release_input(staff, w, n, colleague, false) }),
        )
        .await?;
    expect_state("createRelease", &draft, "DRAFT")?;
    let edited = ctx
        .mutate(
            "updateRelease",
            &staff.editor,
            UPDATE,
            json!({
                "id": draft.id,
                "v": draft.version,
                "input": release_input(staff, w, n, colleague, true),
            }),
        )
        .await?;
    expect_state("updateRelease", &edited, "DRAFT")?;
    let submitted = ctx
        .mutate(
            "submitForReview",
            &staff.drafter,
            SUBMIT,
            json!({ "id": edited.id, "v": edited.version }),
        )
        .await?;
    expect_state("submitForReview", &submitted, "IN_REVIEW")?;
    // Both offices approve at once: the second to commit usually finds the version moved on.
    let (first, second) = tokio::join!(
        approve(ctx, &staff.offices[0], &submitted.id, submitted.version),
        approve(
            ctx,
            &staff.offices[colleague],
            &submitted.id,
            submitted.version
        ),
    );
    let (first, second) = (first?, second?);
    let mut current = if first.version > second.version {
        first
    } else {
        second
    };
    expect_state("approveRelease", &current, "APPROVED")?;
    let scheduler = if n.is_multiple_of(2) {
        &staff.drafter
    } else {
        &staff.editor
    };
    if n % 4 == 3 {
        // Scheduled far ahead first, then moved: the schedulers must follow the change.
        let far = now_micros() + 3_600_000_000;
        current = ctx
            .mutate(
                "scheduleRelease",
                scheduler,
                SCHEDULE,
                json!({ "id": current.id, "v": current.version, "at": format_instant(far) }),
            )
            .await?;
        expect_state("scheduleRelease", &current, "EMBARGOED")?;
    }
    let instant = now_micros() + ctx.embargo_micros;
    let scheduled = ctx
        .mutate(
            "scheduleRelease",
            scheduler,
            SCHEDULE,
            json!({ "id": current.id, "v": current.version, "at": format_instant(instant) }),
        )
        .await?;
    expect_state("scheduleRelease", &scheduled, "EMBARGOED")?;
    if scheduled.embargo_until != Some(instant) {
        return Err(Failure::new(
            "scheduleRelease",
            "answered another embargoUntil",
            format!(
                "sent {}, answered {:?}",
                format_instant(instant),
                scheduled.embargo_until.map(format_instant)
            ),
        ));
    }
    ctx.scheduled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Scheduled {
            id: scheduled.id,
            slug: scheduled.slug,
            instant,
        });
    Ok(())
}

/// One office's approval, retried after `VERSION_CONFLICT` with the version read again.
async fn approve(ctx: &Ctx, office: &str, id: &str, mut version: i64) -> Result<Rel, Failure> {
    for _ in 0..APPROVAL_ATTEMPTS {
        match ctx
            .mutate(
                "approveRelease",
                office,
                APPROVE,
                json!({ "id": id, "v": version }),
            )
            .await
        {
            Ok(release) => return Ok(release),
            Err(failure) if failure.is_conflict() => {
                ctx.record(|t| t.conflicts += 1);
                let data = ctx
                    .graphql(
                        Side::Read,
                        "reread",
                        Some(office),
                        REREAD,
                        json!({ "id": id }),
                    )
                    .await?;
                version = data["release"]["version"].as_i64().ok_or_else(|| {
                    Failure::new(
                        "reread",
                        "release not visible to its office",
                        data.to_string(),
                    )
                })?;
            }
            Err(failure) => return Err(failure),
        }
    }
    Err(Failure::new(
        "approveRelease",
        "still VERSION_CONFLICT after retries",
        format!("release {id}, {APPROVAL_ATTEMPTS} attempts"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_input_quotes_the_minister_and_a_colleague() {
        let staff = Staff {
            department: "departement-0".into(),
            people: vec!["m".into(), "a".into(), "b".into()],
            drafter: String::new(),
            editor: String::new(),
            offices: Vec::new(),
        };
        let input = release_input(&staff, 1, 2, 2, false);
        assert_eq!(input["body"][1]["quote"]["speakerId"], "m");
        assert_eq!(input["body"][3]["quote"]["speakerId"], "b");
        assert_eq!(input["responsibleMinisterId"], "m");
        let edited = release_input(&staff, 1, 2, 2, true);
        assert_ne!(input["lead"], edited["lead"]);
        assert_eq!(input["title"], edited["title"]);
    }
}
