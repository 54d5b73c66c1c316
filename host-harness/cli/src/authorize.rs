//! `authorize`, `complete`: authorizing a mailbox, by the loopback redirect
//! (RFC 8252) or in two steps for web platforms and machines without a
//! browser.

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mail_oauth_runtime::model::{
    AuthorizationOptions, Client, ClientAuth, DevicePoll, MailProtocol, MailServer, Provider,
    Secret, Security, Server,
};
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
    Yahoo,
    Aol,
    Fastmail,
    Yandex,
    MailRu,
    Comcast,
    Seznam,
}

impl PresetName {
    fn id(self) -> &'static str {
        match self {
            PresetName::Google => "google",
            PresetName::Microsoft => "microsoft",
            PresetName::Yahoo => "yahoo",
            PresetName::Aol => "aol",
            PresetName::Fastmail => "fastmail",
            PresetName::Yandex => "yandex",
            PresetName::MailRu => "mail-ru",
            PresetName::Comcast => "comcast",
            PresetName::Seznam => "seznam",
        }
    }
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
    #[arg(long, value_enum, conflicts_with_all = ["issuer", "auth_url", "provider_for"])]
    provider: Option<PresetName>,
    /// Find the preset from a mail server host or an e-mail address
    /// (`imap.gmail.com`, `me@yahoo.com`), as Thunderbird does.
    #[arg(long, value_name = "HOST_OR_ADDRESS", conflicts_with_all = ["issuer", "auth_url"])]
    provider_for: Option<String>,
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
    /// Custom provider: device authorization endpoint (RFC 8628).
    #[arg(long)]
    device_url: Option<String>,
    /// Client authentication at the token endpoint (default: the provider's;
    /// post for a custom provider).
    #[arg(long, value_enum)]
    client_auth: Option<ClientAuthArg>,
    /// The account's IMAP server, host:port[/tls|/starttls|/plain] (saved with
    /// the account, so `check imap` needs no --server).
    #[arg(long, value_name = "HOST:PORT")]
    imap_server: Option<String>,
    /// The account's POP3 server, as --imap-server.
    #[arg(long, value_name = "HOST:PORT")]
    pop3_server: Option<String>,
    /// The account's SMTP server, as --imap-server.
    #[arg(long, value_name = "HOST:PORT")]
    smtp_server: Option<String>,
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
    #[arg(long, requires = "redirect_uri", conflicts_with_all = ["device", "client_credentials"])]
    no_listen: bool,
    /// Device flow (RFC 8628) for machines without a browser: print a code
    /// and a URL to open on any other device, and wait for the approval.
    #[arg(long, conflicts_with = "client_credentials")]
    device: bool,
    /// App-only tokens (client credentials) for the mailbox --user: no
    /// browser, no user; granted again when expired.
    #[arg(long, requires = "user")]
    client_credentials: bool,
    /// The mailbox app-only tokens act for (with --client-credentials).
    #[arg(long, value_name = "MAILBOX")]
    user: Option<String>,
    /// Redirect URI registered with the provider (required with --no-listen).
    #[arg(long)]
    redirect_uri: Option<String>,
}

/// The provider the arguments name, with the client authentication and
/// mail servers they set.
fn provider_from_args(accounts: &Accounts, args: &AuthorizeArgs) -> Result<Provider, Failure> {
    let mut provider = named_provider(accounts, args)?;
    if let Some(auth) = args.client_auth {
        provider.client_auth = match auth {
            ClientAuthArg::Basic => ClientAuth::Basic,
            ClientAuthArg::Post => ClientAuth::Post,
        };
    }
    let servers = [
        (MailProtocol::Imap, &args.imap_server, "--imap-server"),
        (MailProtocol::Pop3, &args.pop3_server, "--pop3-server"),
        (MailProtocol::Smtp, &args.smtp_server, "--smtp-server"),
    ];
    for (protocol, spec, flag) in servers {
        if let Some(spec) = spec {
            let server = mail_server_spec(flag, spec)?;
            provider.mail_servers.retain(|m| m.protocol != protocol);
            provider
                .mail_servers
                .insert(0, MailServer { protocol, server });
        }
    }
    Ok(provider)
}

/// `host:port[/tls|/starttls|/plain]`; without a suffix, the port's usual
/// security (143, 110, 587, 25: STARTTLS; else implicit TLS).
fn mail_server_spec(flag: &str, spec: &str) -> Result<Server, Failure> {
    let (address, security) = match spec.rsplit_once('/') {
        Some((address, "tls")) => (address, Some(Security::ImplicitTls)),
        Some((address, "starttls")) => (address, Some(Security::Starttls)),
        Some((address, "plain")) => (address, Some(Security::Plain)),
        _ => (spec, None),
    };
    let (host, port) = crate::mail::host_port(address).ok_or_else(|| {
        failure(
            "invalid_input",
            format!("{flag} {spec:?}: expected host:port[/tls|/starttls|/plain]"),
        )
    })?;
    let security = security.unwrap_or(match port {
        143 | 110 | 587 | 25 => Security::Starttls,
        _ => Security::ImplicitTls,
    });
    Ok(Server {
        host,
        port,
        security,
    })
}

fn named_provider(accounts: &Accounts, args: &AuthorizeArgs) -> Result<Provider, Failure> {
    if let Some(preset) = args.provider {
        return Ok(accounts.preset(preset.id(), Some(&args.tenant))?);
    }
    if let Some(host) = &args.provider_for {
        return match accounts.preset_for_host(host)? {
            Some(provider) if provider.id == "microsoft" && args.tenant != "common" => {
                Ok(accounts.preset("microsoft", Some(&args.tenant))?)
            }
            Some(provider) => Ok(provider),
            None => Err(failure(
                "invalid_input",
                format!(
                    "no preset serves {host:?}: use --issuer URL, or --auth-url and --token-url"
                ),
            )),
        };
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
            device_authorization_endpoint: args.device_url.clone(),
            revocation_endpoint: args.revocation_url.clone(),
            default_scopes: Vec::new(),
            extra_parameters: Vec::new(),
            mail_servers: Vec::new(),
            pkce: true,
            client_auth: ClientAuth::Post,
        }),
        _ => Err(failure(
            "invalid_input",
            "name a provider: --provider NAME, --provider-for HOST, --issuer URL, or --auth-url and --token-url",
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
    if args.issuer.is_some() || args.auth_url.is_some() {
        warn_without_mail_scope(&provider, &args.scopes);
    }
    let options = AuthorizationOptions {
        scopes: args.scopes.clone(),
        login_hint: args.login_hint.clone(),
    };
    let client = |redirect_uri: String| Client {
        id: args.client_id.clone(),
        secret: args.client_secret.clone().map(Secret::new),
        redirect_uri,
    };
    if args.client_credentials {
        let user = args.user.clone().expect("clap requires it");
        let client = client(args.redirect_uri.clone().unwrap_or_default());
        // Microsoft's defaults are delegated scopes; app-only mail asks for
        // Exchange Online's `.default` (the application permissions granted).
        let scopes = if args.scopes.is_empty() && provider.id == "microsoft" {
            vec![MICROSOFT_APP_ONLY_SCOPE.to_owned()]
        } else {
            args.scopes.clone()
        };
        let saved = accounts.authorize_client_credentials(
            &args.account,
            &provider,
            &client,
            &user,
            &scopes,
        )?;
        report_saved(&saved, json);
        return Ok(());
    }
    if args.device {
        let client = client(args.redirect_uri.clone().unwrap_or_default());
        let saved = device_flow(accounts, &args, &provider, &client, &options, json)?;
        report_saved(&saved, json);
        return Ok(());
    }
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
            println!("{}", crate::text::printable(&url));
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
            crate::text::printable(&pending.url)
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

/// The scope of Microsoft app-only IMAP, POP and SMTP tokens.
const MICROSOFT_APP_ONLY_SCOPE: &str = "https://outlook.office365.com/.default";

/// Scopes that identify the user but open no mailbox.
const IDENTITY_SCOPES: [&str; 4] = ["openid", "email", "profile", "offline_access"];

/// Warns (stderr) when the request names no scope beyond identity ones: a
/// discovered or custom provider does not know the mail server's scope.
fn warn_without_mail_scope(provider: &Provider, scopes: &[String]) {
    let scopes = if scopes.is_empty() {
        &provider.default_scopes
    } else {
        scopes
    };
    if scopes.iter().all(|s| IDENTITY_SCOPES.contains(&s.as_str())) {
        eprintln!(
            "warning: no mail scope requested ({}): the mail server will likely refuse the \
             token; add the scope it needs with --scope",
            crate::text::printable(&scopes.join(" "))
        );
    }
}

/// The device flow: show the code and URL, poll as the component says (a
/// countdown on stderr), save the account.
fn device_flow(
    accounts: &Accounts,
    args: &AuthorizeArgs,
    provider: &Provider,
    client: &Client,
    options: &AuthorizationOptions,
    json: bool,
) -> Result<Account, Failure> {
    let mut device = accounts.begin_device(provider, client, options)?;
    if json {
        println!(
            "{}",
            json!({
                "user_code": device.user_code,
                "verification_uri": device.verification_uri,
                "verification_uri_complete": device.verification_uri_complete,
                "expires_at": device.expires_at,
                "interval": device.interval,
            })
        );
    } else {
        println!(
            "On any device, open {} and enter the code {}",
            crate::text::printable(&device.verification_uri),
            crate::text::printable(&device.user_code)
        );
        if let Some(complete) = &device.verification_uri_complete {
            println!("(or open {})", crate::text::printable(complete));
        }
    }
    let _ = std::io::stdout().flush();
    let mut wait = device.interval;
    loop {
        countdown(wait, device.expires_at);
        match accounts.poll_device(provider, client, &device)? {
            DevicePoll::Pending(next) => {
                // `slow_down` raises the interval for every later poll.
                device.interval = next;
                wait = next;
            }
            DevicePoll::Granted(tokens) => {
                if !json {
                    eprintln!("\rapproved.{:40}", "");
                }
                return Ok(accounts.save_granted(
                    &args.account,
                    provider,
                    client,
                    args.login_hint.clone(),
                    tokens,
                    mail_oauth_store::Grant::User,
                )?);
            }
        }
    }
}

/// Waits `seconds`, showing on stderr how long the code stays valid.
fn countdown(seconds: u32, expires_at: u64) {
    for _ in 0..seconds {
        let left = expires_at.saturating_sub(unix_now());
        eprint!(
            "\rwaiting for the approval… the code expires in {}:{:02} ",
            left / 60,
            left % 60
        );
        let _ = std::io::stderr().flush();
        std::thread::sleep(Duration::from_secs(1));
    }
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
                "grant": saved.grant.name(),
            })
        );
    } else {
        eprintln!(
            "saved account {} ({}); {}",
            saved.name,
            crate::text::printable(saved.login.as_deref().unwrap_or("unknown login")),
            crate::text::printable(&Accounts::summary(&saved.tokens))
        );
    }
    if saved.login.is_none() {
        eprintln!(
            "warning: account {} has no login name (the provider sent no e-mail claim and no \
             --login-hint was given): `check`, `send-test` and `xoauth2` need --user MAILBOX; \
             or authorize again with --login-hint MAILBOX",
            saved.name
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
