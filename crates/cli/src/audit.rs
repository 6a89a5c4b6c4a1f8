//! `pressroom audit verify`: recomputes the audit hash chain and names the first bad entry.

use std::process::ExitCode;

use pressroom_domain::audit::ChainBreak;
use pressroom_storage::Store;
use pressroom_storage::audit::Verification;

use crate::write_stdout;

/// Verifies the chain: `ok: N entries, head <hash>` on stdout and success when it is intact;
/// `error: audit chain broken at seq N: <reason>` on stderr and failure when it is not.
pub(crate) async fn verify(store: &Store) -> anyhow::Result<ExitCode> {
    match store.verify_audit_chain().await? {
        Verification::Intact { entries, head } => {
            write_stdout(&format!("ok: {entries} entries, head {head}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Verification::Broken(broken) => {
            eprintln!("error: {}", describe(&broken));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The one-line report of a break. `ChainBreak`'s own text starts with `seq N: `; that prefix is
/// dropped so the seq is named once, in the fixed place scripts look for it.
fn describe(broken: &ChainBreak) -> String {
    let seq = broken.seq();
    let text = broken.to_string();
    let prefix = format!("seq {seq}: ");
    let reason = text.strip_prefix(&prefix).unwrap_or(&text);
    format!("audit chain broken at seq {seq}: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_break_is_reported_with_its_seq_named_once() {
        assert_eq!(
            describe(&ChainBreak::Altered { seq: 7 }),
            "audit chain broken at seq 7: stored hash does not match the entry's content"
        );
        assert_eq!(
            describe(&ChainBreak::Gap {
                expected: 3,
                found: 5
            }),
            "audit chain broken at seq 3: expected this entry next, found seq 5"
        );
    }
}
