//! `token`, `xoauth2`, `revoke`: an account's tokens.

use clap::Args;
use mail_oauth_runtime::model::TokenKind;
use mail_oauth_store::Accounts;
use serde_json::json;

use crate::failure::Failure;

#[derive(Args)]
pub(crate) struct TokenArgs {
    /// Account name.
    #[arg(long)]
    account: String,
    /// Refresh even if the token is still valid.
    #[arg(long)]
    force_refresh: bool,
    /// Refresh when the token expires within this many seconds.
    #[arg(long, default_value_t = 60)]
    skew: u32,
}

#[derive(Args)]
pub(crate) struct Xoauth2Args {
    /// Account name.
    #[arg(long)]
    account: String,
    /// Login name, when it is not the authorized account (shared mailbox).
    #[arg(long)]
    user: Option<String>,
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// Account name.
    #[arg(long)]
    account: String,
    /// Also delete the local record.
    #[arg(long)]
    remove: bool,
}

/// `token`: a valid access token on stdout (a mail client's password
/// command).
pub(crate) fn token(accounts: &Accounts, args: TokenArgs, json: bool) -> Result<(), Failure> {
    let (acct, refreshed) = accounts.fresh_tokens(&args.account, args.skew, args.force_refresh)?;
    if json {
        println!(
            "{}",
            json!({
                "access_token": acct.tokens.access_token.expose(),
                "expires_at": acct.tokens.expires_at,
                "refreshed": refreshed,
            })
        );
    } else {
        if refreshed {
            eprintln!(
                "refreshed; {}",
                crate::text::printable(&Accounts::summary(&acct.tokens))
            );
        }
        println!("{}", acct.tokens.access_token.expose());
    }
    Ok(())
}

/// `xoauth2`: the SASL XOAUTH2 initial response on stdout.
pub(crate) fn xoauth2(accounts: &Accounts, args: Xoauth2Args, json: bool) -> Result<(), Failure> {
    let s = accounts.xoauth2(&args.account, args.user.as_deref())?;
    if json {
        println!("{}", json!({ "xoauth2": s.expose() }));
    } else {
        println!("{}", s.expose());
    }
    Ok(())
}

/// `revoke`: ends the grant at the provider.
pub(crate) fn revoke(accounts: &Accounts, args: RevokeArgs, json: bool) -> Result<(), Failure> {
    let kind = match accounts.revoke(&args.account)? {
        TokenKind::RefreshToken => "refresh_token",
        TokenKind::AccessToken => "access_token",
    };
    if args.remove {
        accounts.remove(&args.account)?;
    }
    if json {
        println!("{}", json!({"revoked": kind, "removed": args.remove}));
    } else {
        eprintln!(
            "revoked the {} of {} at the provider",
            kind.replace('_', " "),
            args.account
        );
    }
    Ok(())
}
