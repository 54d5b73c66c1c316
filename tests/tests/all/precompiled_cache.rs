//! The precompiled-artifact cache under concurrency: threads that load the
//! same component into an empty cache at once all succeed (each compiles and
//! writes its own temporary file; the last rename wins), and the next load
//! reads the artifact.

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
