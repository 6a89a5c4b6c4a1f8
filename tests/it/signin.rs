//! Newsroom sign-in links from the command line (`pressroom user link`, SPEC §12): the one-time
//! URL alone on the last line of stdout, relative or absolute under `public_base_url`, the
//! checks a token gets, and an audit entry that never holds the secret.

use serde_json::json;

use crate::harness::{TestApp, for_each_backend, spawn_app};

const AUDIT: &str = "query { auditLog(first: 100) { nodes { actor action details } } }";

/// The 64 lowercase hex digits of a sign-in token at the end of `url`, after the newsroom path.
fn token_of<'a>(app: &TestApp, url: &'a str, prefix: &str) -> &'a str {
    let token = url
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix("/newsroom/signin/psi_"))
        .unwrap_or_else(|| {
            panic!(
                "[{}] not a sign-in URL under {prefix:?}: {url:?}",
                app.backend
            )
        });
    assert!(
        token.len() == 64
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "[{}] a sign-in token is 256 random bits in lowercase hex: {url:?}",
        app.backend
    );
    token
}

#[tokio::test]
async fn user_link_prints_a_one_time_sign_in_url_on_its_last_line() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;

        let admin = app
            .cli(&["user", "link", "--name", "Ada Admin", "--role", "admin"])
            .await;
        assert!(admin.status.success(), "[{}] {admin}", app.backend);
        let relative = admin.last_line().to_owned();
        let secret = token_of(&app, &relative, "").to_owned();

        let drafter = app
            .cli(&[
                "user",
                "link",
                "--name",
                "Dana Drafter",
                "--role",
                "Drafter",
                "--department",
                &ministry.department,
                "--public-base-url",
                "https://press.example.se/",
            ])
            .await;
        assert!(drafter.status.success(), "[{}] {drafter}", app.backend);
        token_of(&app, drafter.last_line(), "https://press.example.se");

        let office = app
            .cli(&[
                "user",
                "link",
                "--name",
                "Kansliet",
                "--role",
                "minister_office",
                "--person",
                &ministry.minister_id,
            ])
            .await;
        assert!(office.status.success(), "[{}] {office}", app.backend);
        token_of(&app, office.last_line(), "");

        for (args, says) in [
            (
                vec!["user", "link", "--name", "Dana", "--role", "drafter"],
                "input.department",
            ),
            (
                vec!["user", "link", "--name", "K", "--role", "minister_office"],
                "input.personId",
            ),
            (
                vec![
                    "user",
                    "link",
                    "--name",
                    "Dana",
                    "--role",
                    "drafter",
                    "--department",
                    "no-such-department",
                ],
                "input.department",
            ),
        ] {
            let refused = app.cli(&args).await;
            assert_eq!(
                refused.status.code(),
                Some(1),
                "[{}] {args:?} is refused\n{refused}",
                app.backend
            );
            assert!(
                !refused.stdout.contains("/newsroom/signin/"),
                "[{}] a refused link prints no URL\n{refused}",
                app.backend
            );
            assert!(refused.stderr.contains(says), "[{}] {refused}", app.backend);
        }

        let audit = app.data(Some(&app.admin_token), AUDIT, json!({})).await;
        let entries = audit["auditLog"]["nodes"].as_array().expect("entries");
        let created: Vec<_> = entries
            .iter()
            .filter(|e| e["action"] == "createSigninLink")
            .collect();
        assert_eq!(created.len(), 3, "[{}] {audit:#}", app.backend);
        assert!(
            created.iter().all(|e| e["actor"] == "cli"),
            "[{}] {audit:#}",
            app.backend
        );
        assert!(
            !audit.to_string().contains(&secret),
            "[{}] the audit log never holds a sign-in token",
            app.backend
        );
        let verified = app.audit_verify().await;
        assert!(verified.status.success(), "[{}] {verified}", app.backend);
    })
    .await;
}
