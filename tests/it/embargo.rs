//! Scenario 8: embargo (docs/rules.md#embargo). Never early: before the instant only staff and accredited
//! integrators see the release. Exact at the instant: from then on the public sees it as
//! PUBLISHED with `publishedAt = embargoUntil`, decided at read time, whether or not a scheduler
//! has run.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::fixture::approved_release;
use crate::graphql::{CANCEL_EMBARGO, SCHEDULE_RELEASE, assert_state, id, lifecycle_vars, version};
use crate::harness::{TestApp, for_each_backend, spawn_app};

/// How long after the instant the public may have to wait before the release reads as public.
const VISIBILITY_GRACE: Duration = Duration::from_secs(10);

/// `now + ahead` as RFC 3339 with millisecond precision and a +02:00 offset (Stockholm in
/// summer), and the instant that text denotes.
fn instant_from_now(ahead: Duration) -> (String, DateTime<Utc>) {
    let instant = Utc::now()
        + chrono::Duration::from_std(ahead).expect("a small duration fits chrono's Duration");
    let offset = FixedOffset::east_opt(2 * 3600).expect("+02:00 is a valid offset");
    let text = instant
        .with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Millis, false);
    // Parsed back so that the instant has exactly the precision that is sent.
    let sent = DateTime::parse_from_rfc3339(&text)
        .expect("chrono parses its own RFC 3339")
        .with_timezone(&Utc);
    (text, sent)
}

/// The instant a `DateTime` field holds; fails when it is missing or not RFC 3339.
#[track_caller]
fn instant(app: &TestApp, release: &Value, field: &str) -> DateTime<Utc> {
    release[field]
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_else(|| {
            panic!(
                "[{}] `{field}` should be an RFC 3339 time: {release:#}",
                app.backend
            )
        })
}

#[tokio::test]
async fn an_embargoed_release_is_hidden_until_its_instant_and_public_from_then_on() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;
        let accredited = app
            .create_token("agency", "INTEGRATOR", None, None, true)
            .await
            .token;

        let approved = approved_release(&app, &ministry, &input).await;
        let release_id = id(&approved).to_owned();
        let slug = approved["slug"].as_str().expect("slug").to_owned();

        // Malformed and past instants are refused and change nothing.
        app.expect_error(
            Some(&ministry.drafter),
            SCHEDULE_RELEASE,
            lifecycle_vars(
                &approved,
                json!({ "embargoUntil": "2020-06-02T09:00:00+02:00" }),
            ),
            &["EMBARGO_IN_PAST"],
        )
        .await;
        app.expect_error(
            Some(&ministry.drafter),
            SCHEDULE_RELEASE,
            lifecycle_vars(&approved, json!({ "embargoUntil": "2030-06-02T09:00:00" })),
            &["VALIDATION"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.drafter, &release_id)
            .await
            .expect("the drafter sees the release");
        assert!(
            unchanged["state"] == "APPROVED"
                && version(&unchanged) == version(&approved)
                && unchanged["embargoUntil"].is_null(),
            "[{backend}] refused schedules change nothing: {unchanged:#}"
        );

        // Embargoed an hour ahead: hidden from the public, visible to the accredited.
        let (far_text, far) = instant_from_now(Duration::from_secs(3600));
        let embargoed = app.schedule(&ministry.drafter, &unchanged, &far_text).await;
        assert_state(&app, &embargoed, "EMBARGOED");
        assert_eq!(
            instant(&app, &embargoed, "embargoUntil"),
            far,
            "[{backend}] embargoUntil is the instant sent ({far_text})"
        );
        assert_hidden_from_the_public(&app, &ministry.integrator, &release_id, &slug).await;
        assert_seen_embargoed(&app, &accredited, &release_id, far).await;

        // Only an editor cancels an embargo.
        app.expect_error(
            Some(&ministry.drafter),
            CANCEL_EMBARGO,
            lifecycle_vars(&embargoed, json!({ "reason": "Ministern är sjuk." })),
            &["FORBIDDEN"],
        )
        .await;
        let cancelled = app
            .cancel_embargo(&ministry.editor, &embargoed, "Ministern är sjuk.")
            .await;
        assert_state(&app, &cancelled, "APPROVED");
        assert!(
            cancelled["embargoUntil"].is_null() && cancelled["publishedAt"].is_null(),
            "[{backend}] a cancelled embargo clears embargoUntil: {cancelled:#}"
        );
        assert!(
            app.release(None, &release_id).await.is_none(),
            "[{backend}] an APPROVED release is not public"
        );

        // Embargoed three seconds ahead: hidden now, public from the instant on.
        let (soon_text, soon) = instant_from_now(Duration::from_secs(3));
        let embargoed = app
            .schedule(&ministry.drafter, &cancelled, &soon_text)
            .await;
        assert_state(&app, &embargoed, "EMBARGOED");
        assert_eq!(
            instant(&app, &embargoed, "embargoUntil"),
            soon,
            "[{backend}] embargoUntil is the instant sent ({soon_text})"
        );
        assert_hidden_from_the_public(&app, &ministry.integrator, &release_id, &slug).await;
        assert_seen_embargoed(&app, &accredited, &release_id, soon).await;
        assert!(
            Utc::now() < soon,
            "[{backend}] the checks before the instant took longer than 3 s, so they proved \
             nothing; the machine is too busy for this scenario"
        );

        let deadline =
            soon + chrono::Duration::from_std(VISIBILITY_GRACE).expect("a small duration fits");
        let public = loop {
            let seen = app.release(None, &release_id).await;
            let now = Utc::now();
            if let Some(seen) = seen {
                assert!(
                    now >= soon,
                    "[{backend}] the public saw the release at {now}, before its embargo \
                     {soon}: {seen:#}"
                );
                break seen;
            }
            assert!(
                now < deadline,
                "[{backend}] the public still cannot see the release {VISIBILITY_GRACE:?} after \
                 its embargo instant {soon_text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_state(&app, &public, "PUBLISHED");
        assert_eq!(
            instant(&app, &public, "publishedAt"),
            soon,
            "[{backend}] publishedAt is the embargo instant {soon_text}: {public:#}"
        );

        // Every public read path agrees.
        let by_slug = app.release_by_slug(None, &slug).await;
        assert!(
            by_slug
                .as_ref()
                .is_some_and(|release| release["state"] == "PUBLISHED"),
            "[{backend}] releaseBySlug after the instant: {by_slug:#?}"
        );
        let listed = app.release_ids(None, Value::Null).await;
        assert!(
            listed.contains(&release_id),
            "[{backend}] the anonymous listing has the release after the instant: {listed:?}"
        );
        for (who, token) in [
            ("an integrator", &ministry.integrator),
            ("an accredited integrator", &accredited),
        ] {
            let seen = app.release(Some(token), &release_id).await;
            assert!(
                seen.as_ref()
                    .is_some_and(|release| release["state"] == "PUBLISHED"
                        && instant(&app, release, "publishedAt") == soon),
                "[{backend}] {who} sees the release PUBLISHED at {soon_text} after the instant: \
                 {seen:#?}"
            );
        }
    })
    .await;
}

/// Anonymous callers and a non-accredited integrator see nothing of an embargoed release.
async fn assert_hidden_from_the_public(app: &TestApp, integrator: &str, id: &str, slug: &str) {
    let backend = app.backend;
    for (who, token) in [("anonymous", None), ("an integrator", Some(integrator))] {
        let seen = app.release(token, id).await;
        assert!(
            seen.is_none(),
            "[{backend}] {who}: release(id) of an embargoed release should be null before the \
             instant, got {seen:#?}"
        );
        let seen = app.release_by_slug(token, slug).await;
        assert!(
            seen.is_none(),
            "[{backend}] {who}: releaseBySlug of an embargoed release should be null before the \
             instant, got {seen:#?}"
        );
        let listed = app.release_ids(token, Value::Null).await;
        assert!(
            !listed.iter().any(|listed| listed == id),
            "[{backend}] {who}: releases lists an embargoed release before the instant: {listed:?}"
        );
    }
}

/// An accredited integrator sees the release as EMBARGOED until `until`, not yet published.
async fn assert_seen_embargoed(app: &TestApp, accredited: &str, id: &str, until: DateTime<Utc>) {
    let seen = app.release(Some(accredited), id).await;
    let Some(seen) = seen else {
        panic!(
            "[{}] an accredited integrator should see an embargoed release before the instant",
            app.backend
        );
    };
    assert!(
        seen["state"] == "EMBARGOED"
            && instant(app, &seen, "embargoUntil") == until
            && seen["publishedAt"].is_null(),
        "[{}] an accredited integrator sees the release EMBARGOED until {until}, unpublished: {seen:#}",
        app.backend
    );
}
