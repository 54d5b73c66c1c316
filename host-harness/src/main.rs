//! `mail-oauth`: OAuth2 for mail accounts from the command line.
//!
//! Human output goes to stderr; the one value a script wants (a token, a
//! SASL string) goes to stdout. `--json` prints JSON objects on stdout
//! instead, one per line. Exit status: 0 ok, 1 error, 2 usage, 3 the account
//! must be authorized again.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mail_oauth_host::accounts::{AccountError, Accounts, NetworkOptions, unix_now};
use mail_oauth_host::model::{
    AuthorizationOptions, Client, ClientAuth, MailProtocol, MailReport, Mechanism, Provider,
    Secret, Security, Server, TokenKind,
};
use mail_oauth_host::plugin::DEFAULT_COMPONENT_PATH;
use mail_oauth_host::store::{AccountStore, PendingRecord};
use mail_oauth_host::{LoadOptions, Plugin};
use serde_json::json;

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
    /// The mail-oauth component (.wasm).
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
    Discover {
        /// Issuer URL.
        #[arg(long)]
        issuer: String,
    },
    /// Authorize a mailbox: open the provider's consent page and save the tokens.
    Authorize(Box<AuthorizeArgs>),
    /// Finish an `authorize --no-listen` with the URL the browser was sent back to.
    Complete {
        /// Account name given to `authorize`.
        #[arg(long)]
        account: String,
        /// The full callback URL (or its query string).
        #[arg(long)]
        callback_url: String,
    },
    /// Print a valid access token, refreshing it when needed.
    Token {
        /// Account name.
        #[arg(long)]
        account: String,
        /// Refresh even if the token is still valid.
        #[arg(long)]
        force_refresh: bool,
        /// Refresh when the token expires within this many seconds.
        #[arg(long, default_value_t = 60)]
        skew: u32,
    },
    /// Print the SASL XOAUTH2 initial response for the account.
    Xoauth2 {
        /// Account name.
        #[arg(long)]
        account: String,
        /// Login name, when it is not the authorized account (shared mailbox).
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke the account's grant at the provider (the local record is kept).
    Revoke {
        /// Account name.
        #[arg(long)]
        account: String,
        /// Also delete the local record.
        #[arg(long)]
        remove: bool,
    },
    /// Check that the account's token opens its mailbox: connect, authenticate,
    /// one command, log out; prints each step.
    Check {
        /// imap, pop3 or smtp.
        #[arg(value_enum)]
        protocol: ProtocolArg,
        #[command(flatten)]
        target: MailTarget,
        /// Force a SASL mechanism (default: XOAUTH2 when offered).
        #[arg(long, value_enum)]
        mechanism: Option<MechanismArg>,
    },
    /// Send a test message through the account's SMTP server.
    SendTest {
        #[command(flatten)]
        target: MailTarget,
        /// Recipient (repeatable).
        #[arg(long = "to", required = true)]
        to: Vec<String>,
        /// Sender (default: the login). Another address needs --send-as.
        #[arg(long)]
        from: Option<String>,
        /// Declare a send-as / shared-mailbox right for --from.
        #[arg(long)]
        send_as: bool,
        /// Subject.
        #[arg(long, default_value = "mail-oauth test message")]
        subject: String,
        /// Body.
        #[arg(
            long,
            default_value = "This message was sent by `mail-oauth send-test` to check the mailbox's OAuth2 setup."
        )]
        body: String,
    },
    /// List or remove saved accounts.
    Accounts {
        #[command(subcommand)]
        action: Option<AccountsAction>,
    },
}

#[derive(Subcommand)]
enum AccountsAction {
    /// List saved accounts (no secrets).
    List,
    /// Delete a saved account.
    Remove {
        /// Account name.
        name: String,
    },
}

#[derive(Args)]
struct MailTarget {
    /// Account name.
    #[arg(long)]
    account: String,
    /// Server as host:port (default: the provider's server for the protocol).
    #[arg(long)]
    server: Option<String>,
    /// Connection security with --server: tls (implicit), starttls or plain.
    #[arg(long, value_enum, default_value = "tls")]
    security: SecurityArg,
    /// Login name when it is not the authorized account (a shared mailbox).
    #[arg(long)]
    user: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProtocolArg {
    Imap,
    Pop3,
    Smtp,
}

#[derive(Clone, Copy, ValueEnum)]
enum SecurityArg {
    Tls,
    Starttls,
    Plain,
}

#[derive(Clone, Copy, ValueEnum)]
enum MechanismArg {
    Xoauth2,
    Oauthbearer,
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
struct AuthorizeArgs {
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

/// What main reports: a typed failure with its exit code.
struct Failure {
    kind: &'static str,
    message: String,
    code: u8,
}

impl From<AccountError> for Failure {
    fn from(e: AccountError) -> Self {
        Failure {
            kind: e.kind(),
            code: if e.is_reauthorize_required() { 3 } else { 1 },
            message: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            kind: "host",
            message: format!("{e:#}"),
            code: 1,
        }
    }
}

fn failure(kind: &'static str, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        message: message.into(),
        code: 1,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if json {
                println!(
                    "{}",
                    json!({"error": {"kind": f.kind, "message": f.message}})
                );
            } else {
                eprintln!("error: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}

fn open_accounts(cli: &Cli) -> Result<Accounts, Failure> {
    let dir = cli.store.clone().unwrap_or_else(AccountStore::default_dir);
    let component = cli
        .component
        .clone()
        .or_else(|| {
            // Installed next to the binary, as a package would ship it.
            let exe = std::env::current_exe().ok()?;
            let beside = exe.parent()?.join("mail_oauth_guest.wasm");
            beside.exists().then_some(beside)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_COMPONENT_PATH));
    let options = LoadOptions {
        cache_dir: Some(cli.cache_dir.clone().unwrap_or_else(|| dir.join("cache"))),
    };
    let store = AccountStore::open(&dir).map_err(|e| failure("store", e.to_string()))?;
    let plugin = Plugin::load(&component, &options)?;
    Ok(Accounts::new(
        Arc::new(plugin),
        store,
        NetworkOptions {
            allow_loopback: cli.allow_loopback,
            limits: None,
            ca_files: cli.ca_files.clone(),
            transport_limits: None,
        },
    ))
}

fn server_from_args(target: &MailTarget) -> Result<Option<Server>, Failure> {
    let Some(spec) = &target.server else {
        return Ok(None);
    };
    let (host, port) = spec
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            failure(
                "invalid_input",
                format!("--server {spec:?}: expected host:port"),
            )
        })?;
    Ok(Some(Server {
        host: host.to_owned(),
        port,
        security: match target.security {
            SecurityArg::Tls => Security::ImplicitTls,
            SecurityArg::Starttls => Security::Starttls,
            SecurityArg::Plain => Security::Plain,
        },
    }))
}

fn report_mail(what: &str, server: &Server, report: &MailReport, json: bool) {
    if json {
        println!(
            "{}",
            json!({
                "ok": true,
                "server": server,
                "greeting": report.greeting,
                "capabilities": report.capabilities,
                "mechanism": report.mechanism,
                "steps": report.steps,
                "refreshed": report.refreshed.is_some(),
            })
        );
        return;
    }
    let security = match server.security {
        Security::ImplicitTls => "implicit TLS",
        Security::Starttls => "STARTTLS",
        Security::Plain => "plain, no TLS",
    };
    let mechanism = match report.mechanism {
        Mechanism::Xoauth2 => "XOAUTH2",
        Mechanism::Oauthbearer => "OAUTHBEARER",
    };
    eprintln!(
        "{what} {}:{} ({security}): OK with {mechanism}",
        server.host, server.port
    );
    for step in &report.steps {
        eprintln!("  {:<14} {:>6} ms  {}", step.name, step.millis, step.detail);
    }
    if report.refreshed.is_some() {
        eprintln!("  (the tokens were refreshed and saved)");
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let accounts = open_accounts(&cli)?;
    let json = cli.json;
    match cli.command {
        Command::Providers => {
            let list = accounts.providers()?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&list).expect("providers serialize")
                );
            } else {
                for p in list {
                    println!("{:<10} {}", p.id, p.display_name);
                    println!("           authorize: {}", p.authorization_endpoint);
                    println!("           token:     {}", p.token_endpoint);
                    println!("           scopes:    {}", p.default_scopes.join(" "));
                }
            }
        }
        Command::Discover { issuer } => {
            let p = accounts.discover(&issuer)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&p).expect("provider serializes")
            );
        }
        Command::Authorize(args) => authorize(&accounts, *args, json)?,
        Command::Complete {
            account,
            callback_url,
        } => {
            let saved = accounts.complete_pending(&account, &callback_url)?;
            report_saved(&saved, json);
        }
        Command::Token {
            account,
            force_refresh,
            skew,
        } => {
            let (acct, refreshed) = accounts.fresh_tokens(&account, skew, force_refresh)?;
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
                    eprintln!("refreshed; {}", Accounts::summary(&acct.tokens));
                }
                println!("{}", acct.tokens.access_token.expose());
            }
        }
        Command::Xoauth2 { account, user } => {
            let s = accounts.xoauth2(&account, user.as_deref())?;
            if json {
                println!("{}", json!({ "xoauth2": s.expose() }));
            } else {
                println!("{}", s.expose());
            }
        }
        Command::Revoke { account, remove } => {
            let kind = match accounts.revoke(&account)? {
                TokenKind::RefreshToken => "refresh_token",
                TokenKind::AccessToken => "access_token",
            };
            if remove {
                accounts.remove(&account)?;
            }
            if json {
                println!("{}", json!({"revoked": kind, "removed": remove}));
            } else {
                eprintln!(
                    "revoked the {} of {account} at the provider",
                    kind.replace('_', " ")
                );
            }
        }
        Command::Check {
            protocol,
            target,
            mechanism,
        } => {
            let (protocol, what) = match protocol {
                ProtocolArg::Imap => (MailProtocol::Imap, "IMAP"),
                ProtocolArg::Pop3 => (MailProtocol::Pop3, "POP3"),
                ProtocolArg::Smtp => (MailProtocol::Smtp, "SMTP"),
            };
            let mechanism = mechanism.map(|m| match m {
                MechanismArg::Xoauth2 => Mechanism::Xoauth2,
                MechanismArg::Oauthbearer => Mechanism::Oauthbearer,
            });
            let (server, report) = accounts.check_mail(
                &target.account,
                protocol,
                server_from_args(&target)?,
                target.user.as_deref(),
                mechanism,
            )?;
            report_mail(what, &server, &report, json);
        }
        Command::SendTest {
            target,
            to,
            from,
            send_as,
            subject,
            body,
        } => {
            let (server, report) = accounts.send_test(
                &target.account,
                server_from_args(&target)?,
                target.user.as_deref(),
                from.as_deref(),
                to,
                &subject,
                &body,
                send_as,
            )?;
            report_mail("SMTP test message via", &server, &report, json);
        }
        Command::Accounts { action } => match action.unwrap_or(AccountsAction::List) {
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
                            a.provider_id,
                            a.login.or(a.account_email).unwrap_or_default()
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
        },
    }
    Ok(())
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

fn authorize(accounts: &Accounts, args: AuthorizeArgs, json: bool) -> Result<(), Failure> {
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

fn report_saved(saved: &mail_oauth_host::store::Account, json: bool) {
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

/// Waits for the browser's GET /callback, runs `complete` on it, and answers
/// the browser with what happened. Other paths (a favicon) get a 404.
fn wait_for_callback<T>(
    listener: TcpListener,
    timeout: Duration,
    complete: impl FnOnce(&str) -> Result<T, AccountError>,
) -> Result<T, Failure> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            match read_request_target(&mut stream) {
                Some(target) if target.starts_with("/callback") => {
                    let _ = tx.send((stream, target));
                    return;
                }
                _ => respond(&mut stream, 404, "Not found", "This is not the callback."),
            }
        }
    });
    let (mut stream, target) = rx.recv_timeout(timeout).map_err(|_| {
        failure(
            "timeout",
            format!("no callback within {} s", timeout.as_secs()),
        )
    })?;
    let port = stream.local_addr().map(|a| a.port()).unwrap_or_default();
    let callback = format!("http://127.0.0.1:{port}{target}");
    match complete(&callback) {
        Ok(v) => {
            respond(
                &mut stream,
                200,
                "Mailbox authorized",
                "The mailbox is authorized. You can close this window.",
            );
            Ok(v)
        }
        Err(e) => {
            respond(&mut stream, 400, "Authorization failed", &e.to_string());
            Err(e.into())
        }
    }
}

/// The request target of a GET, or `None` for anything else.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.take(16 * 1024));
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    // Drain the headers so the browser sees a clean response.
    let mut header = String::new();
    while reader.read_line(&mut header).ok()? > 2 {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some("GET"), Some(target)) => Some(target.to_owned()),
        _ => None,
    }
}

fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>{t}</title><h1>{t}</h1><p>{x}</p>",
        t = html_escape(title),
        x = html_escape(text)
    );
    let reason = if status == 200 { "OK" } else { "Error" };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Opens the system browser when there is a desktop; silently does nothing
/// otherwise (the URL was printed).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        Some("open")
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        Some("xdg-open")
    } else {
        None
    };
    if let Some(cmd) = opener {
        let _ = std::process::Command::new(cmd)
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}
