//! `pressroom user link`: a one-time newsroom sign-in link for a user and role, the way into the
//! newsroom before any admin has signed in.

use anyhow::Context;
use pressroom_domain::links::{PublicBaseUrl, public_url};
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::sessions::SIGNIN_LINK_HOURS;

use crate::token::cli_actor;
use crate::{UserLinkArgs, write_stdout};

/// Issues the link and prints its URL alone on the last line of stdout (absolute under
/// `public_base_url` when that is set, else the relative `/newsroom/signin/…` path); what it
/// grants goes to stderr, so that `$(pressroom user link …)` captures only the URL.
pub(crate) async fn link(
    store: &Store,
    args: UserLinkArgs,
    base: Option<&PublicBaseUrl>,
) -> anyhow::Result<()> {
    let role = args.role;
    let name = args.name.clone();
    let grant = TokenGrant {
        user_name: args.name,
        role,
        department: args.department,
        person_id: args.person_id,
        embargo_access: args.embargo_access,
        expires_at: None,
    };
    let created = store
        .create_signin_link(&cli_actor(), grant)
        .await
        .context("the sign-in link was not created")?;
    tracing::info!(
        signin_link.id = %created.link.id,
        user = %name,
        role = role.as_str(),
        "sign-in link created"
    );
    eprintln!(
        "created sign-in link {} for user {name} with role {}; it signs in once, within \
         {SIGNIN_LINK_HOURS} hours, and is shown only this once:",
        created.link.id,
        role.as_str()
    );
    write_stdout(&format!("{}\n", public_url(base, &created.path)))
}
