//! The SQLite store through its public API (`SqliteStore::open_with_key` and
//! the `AccountStore` methods): round trips, encryption at rest, tampered and
//! misplaced blobs, pending authorizations, listing, name validation and the
//! schema version, with the database file poked directly where needed.

use std::fs;
use std::path::{Path, PathBuf};

use mail_oauth_runtime::model::{
    Client, ClientAuth, PendingAuthorization, Provider, Secret, TokenSet,
};
use mail_oauth_store::sqlite::DB_FILE;
use mail_oauth_store::store::PENDING_TTL_SECS;
use mail_oauth_store::{
    Account, AccountStore, AccountSummary, Grant, PendingRecord, SqliteStore, StoreError, unix_now,
};
use rand::TryRngCore as _;
use rusqlite::Connection;

const KEY: [u8; 32] = [7; 32];

fn temp_dir(tag: &str) -> PathBuf {
    let mut rnd = [0u8; 8];
    rand::rngs::OsRng.try_fill_bytes(&mut rnd).unwrap();
    std::env::temp_dir().join(format!(
        "mail-oauth-store-{tag}-{}-{}",
        std::process::id(),
        u64::from_le_bytes(rnd)
    ))
}

/// Removes the directory when the test ends, pass or fail.
struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
fn tmp(tag: &str) -> TempDir {
    TempDir(temp_dir(tag))
}

fn provider() -> Provider {
    Provider {
        id: "google".into(),
        display_name: "Google (Gmail)".into(),
        issuer: Some("https://accounts.google.com".into()),
        authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth".into(),
        token_endpoint: "https://oauth2.googleapis.com/token".into(),
        device_authorization_endpoint: None,
        revocation_endpoint: Some("https://oauth2.googleapis.com/revoke".into()),
        default_scopes: vec!["https://mail.google.com/".into()],
        extra_parameters: vec![("access_type".into(), "offline".into())],
        client_auth: ClientAuth::Post,
        pkce: true,
        mail_servers: Vec::new(),
    }
}

fn account(name: &str) -> Account {
    Account {
        name: name.into(),
        provider: provider(),
        client: Client {
            id: "client-id-123".into(),
            secret: Some(Secret::new("CLIENTSECRETxyz")),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
        },
        login: Some("alice@example.com".into()),
        tokens: TokenSet {
            access_token: Secret::new(format!("ACCESSTOKEN-{name}")),
            refresh_token: Some(Secret::new(format!("REFRESHTOKEN-{name}"))),
            expires_at: Some(1_900_000_000),
            scopes: vec!["https://mail.google.com/".into()],
            id_token: Some(Secret::new("IDTOKENabc")),
            account_email: Some("alice@example.com".into()),
        },
        created_at: 1_700_000_000,
        updated_at: 1_700_000_001,
        grant: Grant::User,
        revoked: false,
    }
}

fn pending_record() -> PendingRecord {
    PendingRecord {
        account: "work".into(),
        provider: provider(),
        client: Client {
            id: "client-id-123".into(),
            secret: Some(Secret::new("CLIENTSECRETxyz")),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
        },
        login: Some("alice@example.com".into()),
        pending: PendingAuthorization {
            url: "https://accounts.google.com/o/oauth2/v2/auth?state=STATEVALUE".into(),
            state: Secret::new("STATEVALUE"),
            pkce_verifier: Secret::new("PKCEVERIFIER"),
            nonce: Some(Secret::new("NONCEVALUE")),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            scopes: vec!["openid".into()],
        },
        created_at: unix_now(),
    }
}

fn db_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = dir.join(format!("{DB_FILE}{suffix}"));
        if let Ok(bytes) = fs::read(&path) {
            all.extend_from_slice(&bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn account_round_trip() {
    let dir = tmp("roundtrip");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    let acc = account("work");
    store.put_account(&acc).unwrap();
    assert_eq!(store.get_account("work").unwrap(), Some(acc.clone()));
    assert_eq!(store.get_account("other").unwrap(), None);

    // Replace.
    let mut changed = acc.clone();
    changed.login = None;
    changed.client.secret = None;
    changed.tokens.refresh_token = None;
    store.put_account(&changed).unwrap();
    assert_eq!(store.get_account("work").unwrap(), Some(changed));

    // Survives reopening.
    drop(store);
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    assert!(store.get_account("work").unwrap().is_some());
    assert!(store.remove_account("work").unwrap());
    assert!(!store.remove_account("work").unwrap());
    assert_eq!(store.get_account("work").unwrap(), None);
}

#[test]
fn database_files_hold_no_plaintext_secret() {
    let dir = tmp("plaintext");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    store.put_account(&account("work")).unwrap();
    store.put_pending("p1", &pending_record()).unwrap();
    let bytes = db_bytes(&dir.0);
    // The metadata is there in clear (so this search would see secrets
    // if they were there) ...
    assert!(contains(&bytes, "client-id-123"));
    assert!(contains(&bytes, "alice@example.com"));
    // ... the secrets are not.
    for secret in [
        "ACCESSTOKEN-work",
        "REFRESHTOKEN-work",
        "CLIENTSECRETxyz",
        "IDTOKENabc",
        "STATEVALUE",
        "PKCEVERIFIER",
        "NONCEVALUE",
    ] {
        assert!(!contains(&bytes, secret), "{secret} found in the database");
    }
}

#[test]
fn wrong_key_is_refused_at_open() {
    // The key check value: another key fails at once, before any row is read
    // (a tampered row is an `Integrity` error: the next test).
    let dir = tmp("wrongkey");
    SqliteStore::open_with_key(&dir.0, KEY)
        .unwrap()
        .put_account(&account("work"))
        .unwrap();
    let err = SqliteStore::open_with_key(&dir.0, [8; 32]).unwrap_err();
    assert!(matches!(err, StoreError::Key(_)), "{err:?}");
    assert!(
        err.to_string().contains("was sealed with another key"),
        "{err}"
    );
    assert_eq!(
        SqliteStore::open_with_key(&dir.0, KEY)
            .unwrap()
            .list_accounts()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn blob_moved_to_another_account_does_not_decrypt() {
    let dir = tmp("swap");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    store.put_account(&account("alice")).unwrap();
    store.put_account(&account("mallory")).unwrap();
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    raw.execute(
        "UPDATE accounts SET secrets =
             (SELECT secrets FROM accounts WHERE name = 'alice')
         WHERE name = 'mallory'",
        [],
    )
    .unwrap();
    let err = store.get_account("mallory").unwrap_err();
    assert!(matches!(err, StoreError::Integrity(_)), "{err:?}");
    // Flipping one byte is caught too.
    let mut blob: Vec<u8> = raw
        .query_row(
            "SELECT secrets FROM accounts WHERE name = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    blob[40] ^= 1;
    raw.execute(
        "UPDATE accounts SET secrets = ?1 WHERE name = 'alice'",
        [blob],
    )
    .unwrap();
    assert!(matches!(
        store.get_account("alice"),
        Err(StoreError::Integrity(_))
    ));
}

#[test]
fn update_tokens() {
    let dir = tmp("update");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    let tokens = account("x").tokens;
    let err = store.update_tokens("missing", &tokens).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(ref n) if n == "missing"));

    store.put_account(&account("work")).unwrap();
    let fresh = TokenSet {
        access_token: Secret::new("NEWACCESS"),
        refresh_token: None,
        expires_at: Some(1_950_000_000),
        scopes: vec!["a".into(), "b".into()],
        id_token: None,
        account_email: None,
    };
    store.update_tokens("work", &fresh).unwrap();
    let got = store.get_account("work").unwrap().unwrap();
    assert_eq!(got.tokens, fresh);
    // The client secret, sealed in the same blob, is kept.
    assert_eq!(got.client.secret, Some(Secret::new("CLIENTSECRETxyz")));
    assert!(got.updated_at > 1_700_000_001);
    assert!(!store.list_accounts().unwrap()[0].has_refresh_token);
}

#[test]
fn pending_take_deletes_and_expires() {
    let dir = tmp("pending");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    let rec = pending_record();
    store.put_pending("p1", &rec).unwrap();
    assert_eq!(store.take_pending("p1").unwrap(), Some(rec.clone()));
    assert_eq!(store.take_pending("p1").unwrap(), None);

    // An entry older than the TTL is purged by the next put or take.
    let mut old = rec.clone();
    old.created_at = unix_now() - PENDING_TTL_SECS - 10;
    store.put_pending("old", &old).unwrap();
    store.put_pending("p2", &rec).unwrap();
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    let ids: Vec<String> = raw
        .prepare("SELECT id FROM pending ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, ["p2"]);
    assert_eq!(store.take_pending("old").unwrap(), None);

    // A pending blob cannot be passed off as another id's.
    store.put_pending("p3", &rec).unwrap();
    raw.execute(
        "UPDATE pending SET secrets = (SELECT secrets FROM pending WHERE id = 'p3')
         WHERE id = 'p2'",
        [],
    )
    .unwrap();
    assert!(matches!(
        store.take_pending("p2"),
        Err(StoreError::Integrity(_))
    ));
}

#[test]
fn list_has_no_secrets() {
    let dir = tmp("list");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    store.put_account(&account("b-work")).unwrap();
    let mut public = account("a-home");
    public.tokens.refresh_token = None;
    public.login = None;
    store.put_account(&public).unwrap();
    let list = store.list_accounts().unwrap();
    assert_eq!(
        list,
        vec![
            AccountSummary {
                name: "a-home".into(),
                provider_id: "google".into(),
                login: None,
                account_email: Some("alice@example.com".into()),
                expires_at: Some(1_900_000_000),
                has_refresh_token: false,
                updated_at: 1_700_000_001,
                grant: Grant::User,
                revoked: false,
            },
            AccountSummary {
                name: "b-work".into(),
                provider_id: "google".into(),
                login: Some("alice@example.com".into()),
                account_email: Some("alice@example.com".into()),
                expires_at: Some(1_900_000_000),
                has_refresh_token: true,
                updated_at: 1_700_000_001,
                grant: Grant::User,
                revoked: false,
            },
        ]
    );
    let printed = format!("{list:?}");
    assert!(!printed.contains("TOKEN") && !printed.contains("SECRET"));
}

#[test]
fn debug_of_account_prints_no_secret() {
    let printed = format!("{:?}", account("work"));
    for secret in ["ACCESSTOKEN", "REFRESHTOKEN", "CLIENTSECRET", "IDTOKEN"] {
        assert!(!printed.contains(secret), "{printed}");
    }
    let printed = format!("{:?}", pending_record());
    for secret in ["PKCEVERIFIER", "NONCEVALUE", "CLIENTSECRET"] {
        assert!(!printed.contains(secret), "{printed}");
    }
}

#[test]
fn names_are_validated() {
    let dir = tmp("names");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    for bad in ["", "a\nb", "tab\there", "\u{7f}"] {
        assert!(
            matches!(store.get_account(bad), Err(StoreError::InvalidName(_))),
            "{bad:?}"
        );
    }
    let long = "é".repeat(129);
    assert!(matches!(
        store.put_account(&account(&long)),
        Err(StoreError::InvalidName(_))
    ));
    let max = "é".repeat(128);
    store.put_account(&account(&max)).unwrap();
    assert!(store.get_account(&max).unwrap().is_some());
    assert!(matches!(
        store.put_pending("", &pending_record()),
        Err(StoreError::InvalidName(_))
    ));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tmp("schema");
    drop(SqliteStore::open_with_key(&dir.0, KEY).unwrap());
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    raw.pragma_update(None, "user_version", 99).unwrap();
    drop(raw);
    assert!(matches!(
        SqliteStore::open_with_key(&dir.0, KEY),
        Err(StoreError::UnsupportedSchema { found: 99, .. })
    ));
}

/// Saves the table's rows aside (`<table>_saved`), to restore them after a
/// tampering.
fn save_rows(raw: &Connection, table: &str) {
    raw.execute_batch(&format!(
        "DROP TABLE IF EXISTS {table}_saved; CREATE TABLE {table}_saved AS SELECT * FROM {table};"
    ))
    .unwrap();
}

fn restore_rows(raw: &Connection, table: &str) {
    raw.execute_batch(&format!(
        "DELETE FROM {table}; INSERT INTO {table} SELECT * FROM {table}_saved;"
    ))
    .unwrap();
}

fn account_blob(raw: &Connection, name: &str) -> Vec<u8> {
    raw.query_row(
        "SELECT secrets FROM accounts WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn every_clear_column_of_an_account_is_bound_to_its_sealed_secrets() {
    // Someone who can write the file but has no key changes one clear
    // column: the row fails its integrity check for every operation that
    // reads it, nothing seals it again, and restoring the column restores
    // the account whole.
    let dir = tmp("integrity");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    let original = account("work");
    store.put_account(&original).unwrap();
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    save_rows(&raw, "accounts");
    let blob = account_blob(&raw, "work");
    let tamperings = [
        ("provider_id", "'evil'"),
        (
            "provider",
            "replace(provider, 'https://oauth2.googleapis.com/token', 'http://127.0.0.1:9/token')",
        ),
        ("client_id", "'another-client'"),
        ("redirect_uri", "'http://127.0.0.1:9/callback'"),
        ("login", "'mallory@example.com'"),
        ("login", "NULL"),
        ("account_email", "'mallory@example.com'"),
        ("expires_at", "1"),
        ("expires_at", "NULL"),
        ("scopes", "'[\"https://mail.google.com/\",\"extra\"]'"),
        ("has_refresh_token", "0"),
        ("created_at", "created_at + 1"),
        ("updated_at", "updated_at + 1"),
        ("grant_kind", "'client_credentials'"),
        ("revoked", "1"),
    ];
    for (column, value) in tamperings {
        let n = raw
            .execute(
                &format!("UPDATE accounts SET {column} = {value} WHERE name = 'work'"),
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
        let err = store.get_account("work").unwrap_err();
        assert!(
            matches!(err, StoreError::Integrity(ref what) if what.contains("work")),
            "{column}: {err:?}"
        );
        assert!(err.to_string().contains("integrity"), "{err}");
        let err = store.update_tokens("work", &original.tokens).unwrap_err();
        assert!(matches!(err, StoreError::Integrity(_)), "{column}: {err:?}");
        let err = store.set_revoked("work", true).unwrap_err();
        assert!(matches!(err, StoreError::Integrity(_)), "{column}: {err:?}");
        assert_eq!(
            account_blob(&raw, "work"),
            blob,
            "{column}: the tampered row was sealed again"
        );
        restore_rows(&raw, "accounts");
        assert_eq!(
            store.get_account("work").unwrap().as_ref(),
            Some(&original),
            "{column}"
        );
    }
}

#[test]
fn revoking_and_updating_seal_the_row_again() {
    // `revoked` and the token columns are bound: writing them through the
    // store keeps the row whole, and the old blob no longer matches it.
    let dir = tmp("reseal");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    store.put_account(&account("work")).unwrap();
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    let before = account_blob(&raw, "work");
    assert!(store.set_revoked("work", true).unwrap());
    assert!(!store.set_revoked("missing", true).unwrap());
    let got = store.get_account("work").unwrap().unwrap();
    assert!(got.revoked);
    // Putting the old blob back (a replay of the unrevoked state) fails.
    raw.execute(
        "UPDATE accounts SET secrets = ?1 WHERE name = 'work'",
        [&before],
    )
    .unwrap();
    assert!(matches!(
        store.get_account("work"),
        Err(StoreError::Integrity(_))
    ));
}

#[test]
fn every_clear_column_of_a_pending_authorization_is_bound_and_a_tampered_one_is_not_taken() {
    let dir = tmp("integrity-pending");
    let store = SqliteStore::open_with_key(&dir.0, KEY).unwrap();
    let rec = pending_record();
    store.put_pending("p1", &rec).unwrap();
    let raw = Connection::open(dir.0.join(DB_FILE)).unwrap();
    save_rows(&raw, "pending");
    for (column, value) in [
        ("account", "'other'"),
        (
            "provider",
            "replace(provider, 'https://oauth2.googleapis.com/token', 'http://127.0.0.1:9/token')",
        ),
        ("client_id", "'another-client'"),
        ("client_redirect_uri", "'http://127.0.0.1:9/callback'"),
        ("login", "NULL"),
        ("redirect_uri", "'http://127.0.0.1:9/callback'"),
        ("scopes", "'[]'"),
        ("created_at", "created_at + 1"),
    ] {
        raw.execute(
            &format!("UPDATE pending SET {column} = {value} WHERE id = 'p1'"),
            [],
        )
        .unwrap();
        for take in [false, true] {
            let got = if take {
                store.take_pending("p1")
            } else {
                store.get_pending("p1")
            };
            assert!(
                matches!(got, Err(StoreError::Integrity(_))),
                "{column}: {got:?}"
            );
        }
        let left: i64 = raw
            .query_row("SELECT count(*) FROM pending WHERE id = 'p1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(left, 1, "{column}: a failed take deleted the row");
        restore_rows(&raw, "pending");
    }
    assert_eq!(store.take_pending("p1").unwrap(), Some(rec));
}
