//! The mail-oauth account store: authorized mailboxes kept encrypted, their
//! tokens refreshed one caller at a time, over the runtime
//! (`mail-oauth-runtime`).
//!
//! The layers, each using only the ones above it:
//!
//! - `private` and [`lock`]: private files; per-account locks across threads
//!   and processes;
//! - [`store`]: the records, their errors and the [`AccountStore`] trait;
//! - [`sqlite`]: the embedded backend, [`SqliteStore`];
//! - [`accounts`]: the component's flows over any [`AccountStore`], with one
//!   refresh at a time per account.

pub mod accounts;
pub mod lock;
mod private;
pub mod sqlite;
pub mod store;

pub use accounts::{AccountError, Accounts, NetworkOptions, unix_now};
pub use sqlite::SqliteStore;
pub use store::{
    Account, AccountLock, AccountStore, AccountSummary, Grant, PendingRecord, StoreError,
};
