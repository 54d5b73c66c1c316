//! The store's integration tests in one binary: the SQLite backend through
//! its public API.

mod sqlite;
