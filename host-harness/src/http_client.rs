//! Temporary stand-in; replaced by the real client.
#![allow(missing_docs)]
#[derive(Debug, Clone)]
pub struct HttpRequest { pub method: String, pub url: String, pub headers: Vec<(String, String)>, pub body: Vec<u8> }
#[derive(Debug, Clone)]
pub struct HttpResponse { pub status: u16, pub headers: Vec<(String, String)>, pub body: Vec<u8> }
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("denied: {0}")] Denied(String),
    #[error("unreachable: {0}")] Unreachable(String),
    #[error("timeout")] Timeout,
    #[error("tls: {0}")] Tls(String),
    #[error("too large")] TooLarge,
    #[error("other: {0}")] Other(String),
}
pub struct HttpClient;
impl HttpClient { pub fn send(&self, _r: HttpRequest) -> Result<HttpResponse, HttpError> { Err(HttpError::Other("stub".into())) } }
