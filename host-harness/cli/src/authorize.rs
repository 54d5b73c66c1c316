//! `authorize`, `complete`: authorizing a mailbox, by the loopback redirect
//! (RFC 8252) or in two steps for web platforms and machines without a
//! browser.

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mail_oauth_runtime::model::{AuthorizationOptions, Client, ClientAuth, Provider, Secret};
use mail_oauth_store::{Account, Accounts, PendingRecord, unix_now};
use serde_json::json;

use crate::failure::{Failure, failure};
use crate::listener::wait_for_callback;

#[derive(Args)]
pub(crate) struct CompleteArgs {
    /// Account name given to `authorize`.
    #[arg(long)]
    account: String,
    /// The full callback URL (or its query string).
    #[arg(long)]
    callback_url: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum PresetName {
    Google,
    Microsoft,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClientAuthArg {
    Basic,
    Post,
}

#[derive(Args)]
pub(crate) struct AuthorizeArgs {
    /// Name to save the account under.
    #[arg(long)]
    account: String,
    /// A preset provider.
    #[arg(long, value_enum, conflicts_with_all = ["issuer", "auth_url"])]
    provider: Option<PresetName>,
    /// Microsoft tenant: common, organizations, consumers, a tenant id or domain.
    #[arg(long, default_value = "common")]
    tenant: String,
    /// Discover the provider from this issuer URL.
    #[arg(long, conflicts_with = "auth_url")]
    issuer: Option<String>,
    /// Custom provider: authorization endpoint.
    #[arg(long, requires = "token_url")]
    auth_url: Option<String>,
    /// Custom provider: token endpoint.
    #[arg(long)]
    token_url: Option<String>,
    /// Custom provider: revocation endpoint.
    #[arg(long)]
    revocation_url: Option<String>,
    /// Custom provider: client authentication method.
    #[arg(long, value_enum, default_value = "post")]
    client_auth: ClientAuthArg,
    /// OAuth client id.
    #[arg(long)]
    client_id: String,
    /// OAuth client secret (confidential clients); prefer the environment variable.
    #[arg(long, env = "MAIL_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Scope to request (repeatable; default: the provider's mail scopes).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// The mailbox to sign in with (login_hint); also the login name for IMAP/SMTP.
    #[arg(long)]
    login_hint: Option<String>,
    /// Loopback port to listen on (0: any free port; the WaveSoft CRM uses 3017).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Do not open a browser; only print the URL.
    #[arg(long)]
    no_browser: bool,
    /// Seconds to wait for the browser to come back.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Two-step mode for web or headless hosts: print the URL, keep the pending
    /// authorization, and finish later with `mail-oauth complete`.
    #[arg(long, requires = "redirect_uri")]
    no_listen: bool,
    /// Redirect URI registered with the provider (required with --no-listen).
    #[arg(long)]
    redirect_uri: Option<String>,
}

fn provider_from_args(accounts: &Accounts, args: &AuthorizeArgs) -> Result<Provider, Failure> {
    if let Some(preset) = args.provider {
        let name = match preset {
            PresetName::Google => "google",
            PresetName::Microsoft => "microsoft",
        };
        return Ok(accounts.preset(name, Some(&args.tenant))?);
    }
    if let Some(issuer) = &args.issuer {
        return Ok(accounts.discover(issuer)?);
    }
    match (&args.auth_url, &args.token_url) {
        (Some(auth), Some(token)) => Ok(Provider {
            id: "custom".into(),
            display_name: "Custom provider".into(),
            issuer: None,
            authorization_endpoint: auth.clone(),
            token_endpoint: token.clone(),
            revocation_endpoint: args.revocation_url.clone(),
            default_scopes: Vec::new(),
            extra_parameters: Vec::new(),
            mail_servers: Vec::new(),
            client_auth: match args.client_auth {
                ClientAuthArg::Basic => ClientAuth::Basic,
                ClientAuthArg::Post => ClientAuth::Post,
            },
        }),
        _ => Err(failure(
            "invalid_input",
            "name a provider: --provider google|microsoft, --issuer URL, or --auth-url and --token-url",
        )),
    }
}

/// `authorize`: the loopback flow, or the first half of the two-step one.
pub(crate) fn authorize(
    accounts: &Accounts,
    args: AuthorizeArgs,
    json: bool,
) -> Result<(), Failure> {
    let provider = provider_from_args(accounts, &args)?;
    let options = AuthorizationOptions {
        scopes: args.scopes.clone(),
        login_hint: args.login_hint.clone(),
    };
    let client = |redirect_uri: String| Client {
        id: args.client_id.clone(),
        secret: args.client_secret.clone().map(Secret::new),
        redirect_uri,
    };
    if args.no_listen {
        let redirect_uri = args.redirect_uri.clone().expect("clap requires it");
        let client = client(redirect_uri.clone());
        let pending = accounts.begin(&provider, &client, &options)?;
        let url = pending.url.clone();
        accounts.save_pending(&PendingRecord {
            account: args.account.clone(),
            provider,
            client,
            login: args.login_hint.clone(),
            pending,
            created_at: unix_now(),
        })?;
        if json {
            println!(
                "{}",
                json!({"authorization_url": url, "redirect_uri": redirect_uri, "account": args.account})
            );
        } else {
            eprintln!("Open this URL, sign in, then run:");
            eprintln!(
                "  mail-oauth complete --account {} --callback-url '<the URL the browser was sent to>'",
                args.account
            );
            println!("{url}");
        }
        return Ok(());
    }

    // RFC 8252 loopback redirect: the provider sends the browser back to us.
    let listener = TcpListener::bind(("127.0.0.1", args.port)).map_err(|e| {
        failure(
            "host",
            format!("cannot listen on 127.0.0.1:{}: {e}", args.port),
        )
    })?;
    let port = listener.local_addr().map_err(anyhow::Error::from)?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let client = client(redirect_uri.clone());
    let pending = accounts.begin(&provider, &client, &options)?;
    if json {
        println!(
            "{}",
            json!({"authorization_url": pending.url, "redirect_uri": redirect_uri})
        );
    } else {
        eprintln!(
            "Open this URL in a browser and sign in:\n\n  {}\n",
            pending.url
        );
        eprintln!("Waiting for the provider to redirect to {redirect_uri} ...");
    }
    let _ = std::io::stdout().flush();
    if !args.no_browser {
        open_browser(&pending.url);
    }
    let record = PendingRecord {
        account: args.account.clone(),
        provider,
        client,
        login: args.login_hint.clone(),
        pending,
        created_at: unix_now(),
    };
    let saved = wait_for_callback(listener, Duration::from_secs(args.timeout), |callback| {
        accounts.complete(&record, callback)
    })?;
    report_saved(&saved, json);
    Ok(())
}

fn report_saved(saved: &Account, json: bool) {
    if json {
        println!(
            "{}",
            json!({
                "account": saved.name,
                "provider": saved.provider.id,
                "login": saved.login,
                "account_email": saved.tokens.account_email,
                "expires_at": saved.tokens.expires_at,
                "scopes": saved.tokens.scopes,
                "refresh_token": saved.tokens.refresh_token.is_some(),
            })
        );
    } else {
        eprintln!(
            "saved account {} ({}); {}",
            saved.name,
            saved.login.as_deref().unwrap_or("unknown login"),
            Accounts::summary(&saved.tokens)
        );
    }
}

/// `complete`: the second half of the two-step flow.
pub(crate) fn complete(accounts: &Accounts, args: CompleteArgs, json: bool) -> Result<(), Failure> {
    let saved = accounts.complete_pending(&args.account, &args.callback_url)?;
    report_saved(&saved, json);
    Ok(())
}

/// Opens the system browser when there is a desktop; silently does nothing
/// otherwise (the URL was printed).
fn open_browser(url: &str) {
    let opener = if cfg!(windows) {
        // Not `cmd /c start`: cmd would take the URL's `&`s for command
        // separators.
        return spawn_quietly(
            std::process::Command::new("rundll32").args(["url.dll,FileProtocolHandler", url]),
        );
    } else if cfg!(target_os = "macos") {
        Some("open")
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        Some("xdg-open")
    } else {
        None
    };
    if let Some(cmd) = opener {
        spawn_quietly(std::process::Command::new(cmd).arg(url));
    }
}

fn spawn_quietly(command: &mut std::process::Command) {
    let _ = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
