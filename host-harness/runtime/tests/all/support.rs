//! Helpers shared by the transport and HTTP client tests.

use std::io;
use std::net::TcpListener;

/// A listener that must never see a connection.
pub fn untouched_listener() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    listener
}

pub fn assert_never_connected(listener: &TcpListener) {
    let err = listener.accept().expect_err("a connection was made");
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
}
