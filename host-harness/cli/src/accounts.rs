//! `accounts`: the saved accounts.

use clap::Subcommand;
use mail_oauth_store::Accounts;
use serde_json::json;

use crate::failure::{Failure, failure};

#[derive(Subcommand)]
pub(crate) enum AccountsAction {
    /// List saved accounts (no secrets).
    List,
    /// Delete a saved account.
    Remove {
        /// Account name.
        name: String,
    },
}

/// `accounts [list]`, `accounts remove NAME`.
pub(crate) fn run(
    accounts: &Accounts,
    action: Option<AccountsAction>,
    json: bool,
) -> Result<(), Failure> {
    match action.unwrap_or(AccountsAction::List) {
        AccountsAction::List => {
            let list = accounts
                .store()
                .list_accounts()
                .map_err(|e| failure("store", e.to_string()))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&list).expect("summaries serialize")
                );
            } else if list.is_empty() {
                eprintln!("no accounts");
            } else {
                for a in list {
                    println!(
                        "{:<20} {:<10} {}",
                        a.name,
                        crate::text::printable(&a.provider_id),
                        crate::text::printable(&a.login.or(a.account_email).unwrap_or_default())
                    );
                }
            }
        }
        AccountsAction::Remove { name } => {
            if !accounts.remove(&name)? {
                return Err(failure(
                    "unknown_account",
                    format!("no account named {name:?}"),
                ));
            }
            if json {
                println!("{}", json!({ "removed": name }));
            }
        }
    }
    Ok(())
}
