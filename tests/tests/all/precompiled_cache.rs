//! The precompiled-artifact cache under concurrency: threads that load the
//! same component into an empty cache at once all succeed (each compiles and
//! writes its own temporary file; the last rename wins), and the next load
//! reads the artifact. On Unix, the cache is private to the user: a folder
//! others may write is refused, and an artifact others could have written is
//! compiled again.

use std::sync::Barrier;

use crate::common::hostile::component_bytes;
use mail_oauth_runtime::{LoadOptions, LoadSource, Plugin};

#[test]
fn concurrent_cold_loads_share_one_cache_dir() {
    let dir = std::env::temp_dir().join(format!("mail-oauth-cache-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let bytes = component_bytes();
    let options = LoadOptions {
        cache_dir: Some(dir.clone()),
    };
    let threads = 8;
    let start = Barrier::new(threads);
    std::thread::scope(|scope| {
        let loads: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    Plugin::from_bytes(&bytes, &options).map(|p| p.source())
                })
            })
            .collect();
        for load in loads {
            let source = load
                .join()
                .unwrap()
                .expect("every concurrent load succeeds");
            assert_eq!(source, LoadSource::Compiled);
        }
    });
    let again = Plugin::from_bytes(&bytes, &options).expect("loads");
    assert_eq!(again.source(), LoadSource::Precompiled);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "one artifact, no temporary files: {leftovers:?}"
    );
    assert!(leftovers[0].ends_with(".cwasm"), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Whoever can write the cache can make the host run their machine code.
#[cfg(unix)]
#[test]
fn a_cache_dir_that_others_may_write_is_refused() {
    let dir = std::env::temp_dir().join(format!("mail-oauth-cache-shared-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    chmod(&dir, 0o777);
    let options = LoadOptions {
        cache_dir: Some(dir.clone()),
    };
    let refused = Plugin::from_bytes(&component_bytes(), &options)
        .err()
        .expect("a world-writable cache dir is refused");
    assert!(
        format!("{refused:#}").contains("writable by its group or others"),
        "{refused:#}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing was written"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_cache_is_private_and_an_artifact_others_could_write_is_compiled_again() {
    let dir = std::env::temp_dir()
        .join(format!("mail-oauth-cache-private-{}", std::process::id()))
        .join("cache");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    let bytes = component_bytes();
    let options = LoadOptions {
        cache_dir: Some(dir.clone()),
    };
    assert_eq!(
        Plugin::from_bytes(&bytes, &options).unwrap().source(),
        LoadSource::Compiled
    );
    assert_eq!(mode(&dir), 0o700, "the cache dir is made private");
    let artifact = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(mode(&artifact), 0o600, "the artifact is private");
    chmod(&artifact, 0o666);
    assert_eq!(
        Plugin::from_bytes(&bytes, &options).unwrap().source(),
        LoadSource::Compiled,
        "an artifact others could have written is not deserialized"
    );
    assert_eq!(mode(&artifact), 0o600, "it was replaced by a private one");
    assert_eq!(
        Plugin::from_bytes(&bytes, &options).unwrap().source(),
        LoadSource::Precompiled
    );
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}
