//! `pressroom email office` and `pressroom email user`: the addresses notifications go to, set
//! from the command line as an admin would over GraphQL (audited with the actor `cli`).

use anyhow::Context;
use pressroom_domain::{PersonId, UserName};
use pressroom_storage::Store;

use crate::token::cli_actor;
use crate::write_stdout;

/// Sets or removes the office address of person `person_id`; prints what is on record.
pub(crate) async fn set_office(
    store: &Store,
    person_id: &str,
    email: Option<&str>,
) -> anyhow::Result<()> {
    let set = store
        .set_office_email(&cli_actor(), &PersonId::new(person_id), email)
        .await
        .context("the office address was not set")?;
    match set {
        Some(email) => write_stdout(&format!("office of {person_id}: {email}\n")),
        None => write_stdout(&format!("office of {person_id}: no address\n")),
    }
}

/// Sets or removes the address of user `name`; prints what is on record.
pub(crate) async fn set_user(store: &Store, name: &str, email: Option<&str>) -> anyhow::Result<()> {
    let set = store
        .set_user_email(&cli_actor(), &UserName::new(name), email)
        .await
        .context("the user's address was not set")?;
    match set {
        Some(user) => write_stdout(&format!("user {name}: {}\n", user.email)),
        None => write_stdout(&format!("user {name}: no address\n")),
    }
}
