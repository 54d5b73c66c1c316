//! `check`, `send-test`: an account's mailbox, over IMAP, POP3 or SMTP.

use clap::{Args, ValueEnum};
use mail_oauth_runtime::model::{
    MailApi, MailProtocol, Mechanism, Report, Security, Server, TestMessage,
};
use mail_oauth_store::Accounts;
use mail_oauth_store::unix_now;
use serde_json::json;

use crate::failure::{Failure, failure};
use crate::text::printable;

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// imap, pop3 or smtp.
    #[arg(value_enum)]
    protocol: ProtocolArg,
    #[command(flatten)]
    target: MailTarget,
    /// Force a SASL mechanism (default: XOAUTH2 when offered).
    #[arg(long, value_enum)]
    mechanism: Option<MechanismArg>,
}

#[derive(Args)]
pub(crate) struct SendTestArgs {
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
    /// Send through a mail API instead of SMTP (the account needs the API's
    /// scopes: Gmail `https://mail.google.com/`, Graph `Mail.Send`).
    #[arg(long, value_enum)]
    via: Option<ApiArg>,
    /// Subject.
    #[arg(long, default_value = "mail-oauth test message")]
    subject: String,
    /// Body.
    #[arg(
        long,
        default_value = "This message was sent by `mail-oauth send-test` to check the mailbox's OAuth2 setup."
    )]
    body: String,
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
    /// The Gmail API (profile).
    Gmail,
    /// Microsoft Graph (`/me`).
    Graph,
}

#[derive(Clone, Copy, ValueEnum)]
enum ApiArg {
    Gmail,
    Graph,
}

fn api_of(api: ApiArg) -> (MailApi, Server) {
    let (api, host) = match api {
        ApiArg::Gmail => (MailApi::Gmail, "gmail.googleapis.com"),
        ApiArg::Graph => (MailApi::Graph, "graph.microsoft.com"),
    };
    (
        api,
        Server {
            host: host.to_owned(),
            port: 443,
            security: Security::ImplicitTls,
        },
    )
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

/// `check imap|pop3|smtp`.
pub(crate) fn check(accounts: &Accounts, args: CheckArgs, json: bool) -> Result<(), Failure> {
    let (protocol, what) = match args.protocol {
        ProtocolArg::Imap => (MailProtocol::Imap, "IMAP"),
        ProtocolArg::Pop3 => (MailProtocol::Pop3, "POP3"),
        ProtocolArg::Smtp => (MailProtocol::Smtp, "SMTP"),
        ProtocolArg::Gmail | ProtocolArg::Graph => {
            let which = if matches!(args.protocol, ProtocolArg::Gmail) {
                ApiArg::Gmail
            } else {
                ApiArg::Graph
            };
            let (api, server) = api_of(which);
            let report =
                accounts.mail_api(&args.target.account, api, args.target.user.as_deref(), None)?;
            report_mail("API", &server, &report, json);
            return Ok(());
        }
    };
    let mechanism = args.mechanism.map(|m| match m {
        MechanismArg::Xoauth2 => Mechanism::Xoauth2,
        MechanismArg::Oauthbearer => Mechanism::Oauthbearer,
    });
    let (server, report) = accounts.check_mail(
        &args.target.account,
        protocol,
        server_from_args(&args.target)?,
        args.target.user.as_deref(),
        mechanism,
    )?;
    report_mail(what, &server, &report, json);
    Ok(())
}

/// `send-test`.
pub(crate) fn send_test(
    accounts: &Accounts,
    args: SendTestArgs,
    json: bool,
) -> Result<(), Failure> {
    if let Some(via) = args.via {
        let (api, server) = api_of(via);
        let account = accounts.get(&args.target.account)?;
        let user = args
            .target
            .user
            .clone()
            .or(account.login.clone())
            .or(account.tokens.account_email.clone())
            .unwrap_or_default();
        let message = TestMessage {
            sender: args.from.clone().unwrap_or_else(|| user.clone()),
            recipients: args.to,
            subject: args.subject,
            body: args.body,
            send_as: args.send_as,
            now: unix_now(),
        };
        let report = accounts.mail_api(&args.target.account, api, Some(&user), Some(&message))?;
        report_mail("API test message via", &server, &report, json);
        return Ok(());
    }
    let (server, report) = accounts.send_test(
        &args.target.account,
        server_from_args(&args.target)?,
        args.target.user.as_deref(),
        args.from.as_deref(),
        args.to,
        &args.subject,
        &args.body,
        args.send_as,
    )?;
    report_mail("SMTP test message via", &server, &report, json);
    Ok(())
}

/// `host:port` (an IPv6 host in brackets); `None` when it is not one.
pub(crate) fn host_port(spec: &str) -> Option<(String, u16)> {
    let (host, port) = spec.rsplit_once(':')?;
    let host = host.trim_matches(['[', ']']);
    if host.is_empty() {
        return None;
    }
    Some((host.to_owned(), port.parse().ok()?))
}

fn server_from_args(target: &MailTarget) -> Result<Option<Server>, Failure> {
    let Some(spec) = &target.server else {
        return Ok(None);
    };
    let (host, port) = host_port(spec).ok_or_else(|| {
        failure(
            "invalid_input",
            format!("--server {spec:?}: expected host:port"),
        )
    })?;
    Ok(Some(Server {
        host,
        port,
        security: match target.security {
            SecurityArg::Tls => Security::ImplicitTls,
            SecurityArg::Starttls => Security::Starttls,
            SecurityArg::Plain => Security::Plain,
        },
    }))
}

/// The mechanism's name in `--json` output and for people.
fn mechanism_names(mechanism: Mechanism) -> (&'static str, &'static str) {
    match mechanism {
        Mechanism::Xoauth2 => ("xoauth2", "XOAUTH2"),
        Mechanism::Oauthbearer => ("oauthbearer", "OAUTHBEARER"),
    }
}

fn report_mail(what: &str, server: &Server, report: &Report, json: bool) {
    let (mechanism_id, mechanism) = report
        .mechanism
        .map_or(("bearer", "an HTTP bearer token"), mechanism_names);
    if json {
        println!(
            "{}",
            json!({
                "ok": true,
                "server": server,
                "greeting": report.greeting,
                "capabilities": report.capabilities,
                "mechanism": mechanism_id,
                "steps": report.steps,
                "refreshed": report.refreshed.is_some(),
            })
        );
        return;
    }
    // The report is the command's result: stdout (errors go to stderr).
    print!("{}", report_text(what, server, report, mechanism));
}

/// The report for people. Everything the server said goes through
/// [`printable`]: a greeting or reply line may carry terminal escapes.
fn report_text(what: &str, server: &Server, report: &Report, mechanism: &str) -> String {
    let security = match server.security {
        Security::ImplicitTls => "implicit TLS",
        Security::Starttls => "STARTTLS",
        Security::Plain => "plain, no TLS",
    };
    let mut out = format!(
        "{what} {}:{} ({security}): OK with {mechanism}\n",
        printable(&server.host),
        server.port
    );
    for step in &report.steps {
        out.push_str(&format!(
            "  {:<14} {:>6} ms  {}\n",
            printable(&step.name),
            step.millis,
            printable(&step.detail)
        ));
    }
    if report.refreshed.is_some() {
        out.push_str("  (the tokens were refreshed and saved)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_oauth_runtime::model::Step;

    #[test]
    fn a_report_shows_the_escapes_a_server_sent_instead_of_obeying_them() {
        let report = Report {
            greeting: "* OK\x1b]0;pwned\x07".into(),
            capabilities: vec!["IMAP4rev1".into()],
            mechanism: Some(Mechanism::Xoauth2),
            steps: vec![Step {
                name: "greeting".into(),
                millis: 3,
                detail: "* OK ready\r\x1b[1A\x1b[2Kcheck: OK\u{9b}0m".into(),
            }],
            refreshed: None,
        };
        let server = Server {
            host: "imap.example.test".into(),
            port: 993,
            security: Security::ImplicitTls,
        };
        let text = report_text("IMAP", &server, &report, "XOAUTH2");
        let controls: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(controls.is_empty(), "{controls:?} in {text:?}");
        assert!(text.contains("\\u{1b}[2Kcheck: OK"), "{text}");
        assert!(text.starts_with("IMAP imap.example.test:993 (implicit TLS): OK with XOAUTH2\n"));
    }
}
