//! The runtime's integration tests in one binary: the HTTP client and the
//! mail transport through their public API, the helpers they share in
//! `support`.

mod support;

mod http_client;
mod transport;
mod world;
