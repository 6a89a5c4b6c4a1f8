//! `pressroom token create`: the way to get the first admin token, before any API call is possible.

use anyhow::Context;
use pressroom_domain::UserName;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;

use crate::{TokenCreateArgs, write_stdout};

/// The audit log's actor for directory changes made from the command line.
pub(crate) fn cli_actor() -> UserName {
    UserName::new("cli")
}

/// Creates the token and prints it alone on the last line of stdout; the description of what it
/// grants goes to stderr, so that `$(pressroom token create …)` captures only the secret.
pub(crate) async fn create(store: &Store, args: TokenCreateArgs) -> anyhow::Result<()> {
    let role = args.role;
    let name = args.name.clone();
    let grant = TokenGrant {
        user_name: args.name,
        role,
        department: args.department,
        person_id: args.person_id,
        embargo_access: args.embargo_access,
        expires_at: args.expires_at,
    };
    let created = store
        .create_token(&cli_actor(), grant)
        .await
        .context("the token was not created")?;
    tracing::info!(token.id = %created.id, user = %name, role = role.as_str(), "token created");
    eprintln!(
        "created token {} for user {name} with role {}; it is shown only this once:",
        created.id,
        role.as_str()
    );
    write_stdout(&format!("{}\n", created.token))
}
