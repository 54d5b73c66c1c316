//! `mail-oauth`: OAuth2 for mail accounts from the command line.
//!
//! Human output goes to stderr; the one value a script wants (a token, a
//! SASL string) goes to stdout. `--json` prints JSON objects on stdout
//! instead, one per line. Exit status: 0 ok, 1 error, 2 usage, 3 the account
//! must be authorized again.
//!
//! A thin layer over the account store (`mail-oauth-store`): one module per
//! command group, the loopback listener in [`listener`], the component it
//! carries in [`component`].

mod accounts;
mod authorize;
mod component;
mod failure;
mod listener;
mod mail;
mod providers;
mod text;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use mail_oauth_store::{Accounts, NetworkOptions, SqliteStore};
use serde_json::json;

use crate::failure::{Failure, failure};

#[derive(Parser)]
#[command(
    name = "mail-oauth",
    version,
    about = "OAuth2 for IMAP, POP3 and SMTP accounts"
)]
struct Cli {
    /// Account store directory (default: the user's data dir + /mail-oauth).
    #[arg(long, global = true, env = "MAIL_OAUTH_HOME")]
    store: Option<PathBuf>,
    /// The mail-oauth component (.wasm) to use instead of the built-in one.
    #[arg(long, global = true, env = "MAIL_OAUTH_COMPONENT")]
    component: Option<PathBuf>,
    /// Directory for the precompiled component (default: <store>/cache).
    #[arg(long, global = true, env = "MAIL_OAUTH_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Print JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// Extra CA certificate file (PEM) to trust for mail servers (repeatable).
    #[arg(long = "ca-file", global = true, env = "MAIL_OAUTH_CA_FILE")]
    ca_files: Vec<PathBuf>,
    /// Allow plain http and loopback addresses (local test servers only).
    #[arg(long, global = true, env = "MAIL_OAUTH_ALLOW_LOOPBACK")]
    allow_loopback: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the provider presets.
    Providers,
    /// Read an issuer's discovery document and print the provider it describes.
    Discover(providers::DiscoverArgs),
    /// Authorize a mailbox: open the provider's consent page and save the tokens.
    Authorize(Box<authorize::AuthorizeArgs>),
    /// Finish an `authorize --no-listen` with the URL the browser was sent back to.
    Complete(authorize::CompleteArgs),
    /// Print a valid access token, refreshing it when needed.
    Token(tokens::TokenArgs),
    /// Print the SASL XOAUTH2 initial response for the account.
    Xoauth2(tokens::Xoauth2Args),
    /// Revoke the account's grant at the provider (the local record is kept).
    Revoke(tokens::RevokeArgs),
    /// Check that the account's token opens its mailbox: connect, authenticate,
    /// one command, log out; prints each step.
    Check(mail::CheckArgs),
    /// Send a test message through the account's SMTP server.
    SendTest(mail::SendTestArgs),
    /// List or remove saved accounts.
    Accounts {
        #[command(subcommand)]
        action: Option<accounts::AccountsAction>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if json {
                let mut error = json!({"kind": f.kind, "message": f.message});
                if let Some(reason) = f.reason {
                    error["reason"] = json!(reason);
                }
                println!("{}", json!({ "error": error }));
            } else {
                eprintln!("error: {}", text::printable(&f.message));
            }
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let accounts = open_accounts(&cli)?;
    let json = cli.json;
    match cli.command {
        Command::Providers => providers::list(&accounts, json),
        Command::Discover(args) => providers::discover(&accounts, args),
        Command::Authorize(args) => authorize::authorize(&accounts, *args, json),
        Command::Complete(args) => authorize::complete(&accounts, args, json),
        Command::Token(args) => tokens::token(&accounts, args, json),
        Command::Xoauth2(args) => tokens::xoauth2(&accounts, args, json),
        Command::Revoke(args) => tokens::revoke(&accounts, args, json),
        Command::Check(args) => mail::check(&accounts, args, json),
        Command::SendTest(args) => mail::send_test(&accounts, args, json),
        Command::Accounts { action } => accounts::run(&accounts, action, json),
    }
}

/// The store and the component the global options name.
fn open_accounts(cli: &Cli) -> Result<Accounts, Failure> {
    let dir = cli.store.clone().unwrap_or_else(SqliteStore::default_dir);
    let cache_dir = cli.cache_dir.clone().unwrap_or_else(|| dir.join("cache"));
    let store = SqliteStore::open(&dir).map_err(|e| failure("store", e.to_string()))?;
    let plugin = component::load(cli.component.as_deref(), cache_dir)?;
    Ok(Accounts::new(
        Arc::new(plugin),
        store,
        NetworkOptions {
            allow_loopback: cli.allow_loopback,
            limits: None,
            ca_files: cli.ca_files.clone(),
            transport_limits: None,
            call_limits: None,
        },
    ))
}
