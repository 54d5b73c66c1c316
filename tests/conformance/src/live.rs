//! `--live`: the imports through the runtime's real HTTP client and mail
//! transport, under a deny-by-default egress policy that allows exactly the
//! `--allow` targets.

use std::path::Path;

use mail_oauth_runtime::egress::EgressPolicy;
use mail_oauth_runtime::http_client::{HttpClient, HttpError, HttpLimits, HttpRequest};
use mail_oauth_runtime::transport::{
    MailConnection, Security, TlsRoots, TransportError, TransportLimits, Transports,
};
use serde_json::{Value as Json, json};
use wasmtime::error::Context as _;
use wasmtime::{bail, format_err};

use crate::script::bytes;

/// The real clients of a live run.
pub struct Live {
    http: HttpClient,
    transports: Transports,
}

/// The live run's options, as given on the command line.
#[derive(Debug, Default)]
pub struct LiveOptions<'a> {
    /// `--allow`: origins (`http://127.0.0.1:10090`) for HTTP, `host:port`
    /// for the transport.
    pub allow: &'a [String],
    /// `--allow-loopback`.
    pub allow_loopback: bool,
    /// `--ca-file`.
    pub ca_file: Option<&'a Path>,
}

impl Live {
    /// The clients for `options`, with the runtime's default limits.
    pub fn new(options: &LiveOptions<'_>) -> wasmtime::Result<Self> {
        let policy = policy(options.allow)?.allow_loopback(options.allow_loopback);
        let mut roots = TlsRoots::system();
        let http = match options.ca_file {
            Some(path) => {
                roots.add_pem_file(path)?;
                let pem = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                // The runtime's HTTP client takes its built-in roots or an
                // explicit list, not both: with --ca-file, HTTPS trusts only
                // that CA (the local test servers' own).
                HttpClient::with_ca_pem(policy.clone(), HttpLimits::default(), &pem)
                    .map_err(|e| format_err!("--ca-file {}: {e}", path.display()))?
            }
            None => HttpClient::new(policy.clone(), HttpLimits::default()),
        };
        let transports =
            Transports::new(policy, TransportLimits::default(), roots.client_config()?);
        Ok(Self { http, transports })
    }

    /// `http.send` of `request` (the JSON of the WIT `request` record): the
    /// JSON of the `send` result.
    pub fn send(&self, request: &Json) -> wasmtime::Result<Json> {
        let text = |k: &str| {
            request
                .get(k)
                .and_then(Json::as_str)
                .map(str::to_owned)
                .with_context(|| format!("http.send: the request has no `{k}`"))
        };
        let headers = request
            .get("headers")
            .and_then(Json::as_array)
            .context("http.send: the request has no headers")?
            .iter()
            .map(|h| {
                let field = |k: &str| h.get(k).and_then(Json::as_str).map(str::to_owned);
                field("name")
                    .zip(field("value"))
                    .context("http.send: a header is not a name/value record")
            })
            .collect::<wasmtime::Result<_>>()?;
        let body = bytes(request.get("body").context("http.send: no body")?)
            .map_err(|e| format_err!(e))?;
        let request = HttpRequest {
            method: text("method")?,
            url: text("url")?,
            headers,
            body,
        };
        Ok(match self.http.send(request) {
            Ok(response) => {
                let headers: Vec<Json> = response
                    .headers
                    .into_iter()
                    .map(|(name, value)| json!({ "name": name, "value": value }))
                    .collect();
                json!({ "ok": { "status": response.status, "headers": headers, "body": response.body } })
            }
            Err(error) => json!({ "err": http_error(error) }),
        })
    }

    /// `transport.connect` with the JSON of its arguments: the connection, or
    /// the JSON of the `transport-error`.
    pub fn connect(
        &self,
        host: &Json,
        port: &Json,
        security: &Json,
    ) -> wasmtime::Result<Result<MailConnection, Json>> {
        let host = host.as_str().context("connect: host is not a string")?;
        let port = port
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .context("connect: port is not a u16")?;
        let security = match security.as_str() {
            Some("implicit-tls") => Security::ImplicitTls,
            Some("starttls") => Security::Starttls,
            Some("plain") => Security::Plain,
            _ => bail!("connect: unknown security {security}"),
        };
        Ok(self
            .transports
            .connect(host, port, security)
            .map_err(transport_error))
    }
}

/// The egress policy allowing exactly `targets`: an origin for HTTP, or
/// `host:port` (`[v6]:port`) for the transport.
fn policy(targets: &[String]) -> wasmtime::Result<EgressPolicy> {
    let mut policy = EgressPolicy::deny_all();
    for target in targets {
        policy = if target.contains("://") {
            policy.allow_origin(target)?
        } else {
            let (host, port) = split_host_port(target)
                .with_context(|| format!("--allow {target}: expected an origin or host:port"))?;
            policy.allow_host_port(host, port)?
        };
    }
    Ok(policy)
}

fn split_host_port(target: &str) -> Option<(&str, u16)> {
    let (host, port) = match target.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest.split_once(']')?;
            (host, port.strip_prefix(':')?)
        }
        None => target.rsplit_once(':')?,
    };
    Some((host, port.parse().ok()?)).filter(|(h, _)| !h.is_empty())
}

fn http_error(error: HttpError) -> Json {
    match error {
        HttpError::Denied(s) => json!({ "tag": "denied", "val": s }),
        HttpError::Unreachable(s) => json!({ "tag": "unreachable", "val": s }),
        HttpError::Timeout => json!({ "tag": "timeout" }),
        HttpError::Tls(s) => json!({ "tag": "tls", "val": s }),
        HttpError::TooLarge => json!({ "tag": "too-large" }),
        HttpError::Other(s) => json!({ "tag": "other", "val": s }),
    }
}

/// The JSON of the WIT `transport-error` for `error`.
pub fn transport_error(error: TransportError) -> Json {
    match error {
        TransportError::Denied(s) => json!({ "tag": "denied", "val": s }),
        TransportError::Refused(s) => json!({ "tag": "refused", "val": s }),
        TransportError::Timeout => json!({ "tag": "timeout" }),
        TransportError::Tls(s) => json!({ "tag": "tls", "val": s }),
        TransportError::Closed => json!({ "tag": "closed" }),
        TransportError::LineTooLong => json!({ "tag": "line-too-long" }),
        TransportError::Other(s) => json!({ "tag": "other", "val": s }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_targets_are_origins_or_host_ports() {
        assert_eq!(
            split_host_port("imap.example.test:993"),
            Some(("imap.example.test", 993))
        );
        assert_eq!(split_host_port("[::1]:143"), Some(("::1", 143)));
        assert_eq!(split_host_port("imap.example.test"), None);
        assert_eq!(split_host_port(":143"), None);
        assert_eq!(split_host_port("[::1]143"), None);
        let policy = policy(&["http://127.0.0.1:10090".into(), "127.0.0.1:10143".into()])
            .unwrap()
            .allow_loopback(true);
        assert!(
            policy
                .check_url(&"http://127.0.0.1:10090/token".parse().unwrap())
                .is_ok()
        );
        assert!(
            policy
                .check_url(&"http://127.0.0.1:10091/token".parse().unwrap())
                .is_err()
        );
        assert!(policy.check_host_port("127.0.0.1", 10143).is_ok());
        assert!(policy.check_host_port("127.0.0.1", 10993).is_err());
        assert!(super::policy(&["http://127.0.0.1:10090/path".into()]).is_err());
    }
}
