//! The precompiled-artifact cache: a compiled component is written to
//! `<cache dir>/<hash>.cwasm` and read back by the next load, instead of
//! compiling again.
//!
//! An artifact is machine code that wasmtime maps and runs as it is, so the
//! cache is only as trusted as who can write it. On Unix the folder is made
//! 0700 and each artifact 0600; a folder that another user owns or that the
//! group or others may write is refused (the load fails and says so), and an
//! artifact that is not a regular file of ours, private to us, is never
//! deserialized: it is compiled again and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How a [`crate::Plugin`] was obtained, for diagnostics and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadSource {
    /// Compiled from the component bytes (and written to the cache if any).
    Compiled,
    /// Deserialized from a precompiled artifact in the cache.
    Precompiled,
    /// Deserialized from a precompiled artifact built into the host's own
    /// binary ([`Plugin::from_precompiled`]).
    Embedded,
}

/// A precompiled artifact is valid for one component and one engine
/// configuration: the file name hashes both.
fn cache_key(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let mut h = Sha256::new();
    h.update(bytes);
    h.update(engine_hash.finish().to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let digest = h.finalize();
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn load_cached(
    engine: &Engine,
    bytes: &[u8],
    dir: &Path,
) -> anyhow::Result<(Component, LoadSource)> {
    private_dir(dir)?;
    let path = dir.join(format!("{}.cwasm", cache_key(engine, bytes)));
    if trusted_artifact(&path) {
        match deserialize_artifact(engine, &path) {
            Ok(c) => return Ok((c, LoadSource::Precompiled)),
            // A truncated or foreign file is rebuilt rather than trusted.
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    // Written aside, then renamed into place: readers never see half a file.
    // The name is unique per load, since threads of one process (and other
    // processes) may compile the same component at once; the last rename wins
    // and every copy is equally good.
    let tmp = temporary_path(&path);
    write_private(&tmp, &component.serialize()?)?;
    if let Err(e) = std::fs::rename(&tmp, &path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok((component, LoadSource::Compiled))
}

/// Creates the cache folder (0700 on Unix) and refuses one that another user
/// owns or that the group or others may write: whoever can write it can make
/// this host run their machine code.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the cache dir {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(dir)
            .with_context(|| format!("cannot read the cache dir {}", dir.display()))?;
        let me = rustix::process::getuid().as_raw();
        if meta.uid() != me {
            anyhow::bail!(
                "the cache dir {} belongs to uid {}, not to this user (uid {me}): refused, since its artifacts are run as machine code",
                dir.display(),
                meta.uid()
            );
        }
        if meta.mode() & 0o022 != 0 {
            anyhow::bail!(
                "the cache dir {} is writable by its group or others (mode {:o}): refused, since its artifacts are run as machine code; chmod 700 it",
                dir.display(),
                meta.mode() & 0o777
            );
        }
    }
    Ok(())
}

/// Whether `path` is an artifact this user wrote: a regular file (not a
/// link), owned by us, that neither the group nor others may write.
fn trusted_artifact(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if meta.uid() != rustix::process::getuid().as_raw() || meta.mode() & 0o022 != 0 {
            return false;
        }
    }
    true
}

/// Writes a new file readable by this user only (0600 on Unix).
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

/// A name beside `path`, unique to this process and this call.
fn temporary_path(path: &Path) -> PathBuf {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    path.with_extension(format!(
        "tmp{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ))
}

#[expect(
    unsafe_code,
    reason = "wasmtime trusts precompiled code; we only read artifacts we wrote into our own cache dir, named by the hash of the component and engine"
)]
fn deserialize_artifact(engine: &Engine, path: &Path) -> anyhow::Result<Component> {
    // SAFETY: the file was produced by `Component::serialize` of this same
    // engine configuration (its name is the hash of both) in a directory the
    // host owns and no one else may write (`private_dir`), and it is a
    // regular file of ours that no one else may write (`trusted_artifact`);
    // wasmtime additionally checks the header and version.
    Ok(unsafe { Component::deserialize_file(engine, path) }?)
}

#[expect(
    unsafe_code,
    reason = "wasmtime trusts precompiled code; this artifact is part of the host's own binary"
)]
pub(crate) fn deserialize_embedded(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    // SAFETY: the bytes were produced by `Engine::precompile_component` in the
    // host's own build script and are embedded in its binary: they are as
    // trusted as the binary's own code. wasmtime checks that they were made
    // by this wasmtime version for a compatible configuration and CPU, and
    // refuses them otherwise (the caller then compiles).
    Ok(unsafe { Component::deserialize(engine, bytes) }?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cache_write_gets_its_own_temporary_file() {
        // Threads of one process compiling the same component at once must
        // not write (and rename away) each other's temporary file.
        let artifact = Path::new("/cache/0123abcd.cwasm");
        let (a, b) = (temporary_path(artifact), temporary_path(artifact));
        assert_ne!(a, b);
        assert_eq!(a.parent(), artifact.parent());
        assert_ne!(a, artifact);
    }
}
