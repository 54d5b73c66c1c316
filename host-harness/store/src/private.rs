//! Files and folders only the current user may read: mode 0700/0600 on
//! Unix. Elsewhere (Windows) the folder's inherited ACL decides, as for
//! every other file in the user's profile: the store's default directory is
//! in the user's own application data.

use std::fs::{DirBuilder, Metadata, OpenOptions};

/// A recursive `DirBuilder` that creates folders private to the user.
pub(crate) fn dir_builder() -> DirBuilder {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
}

/// `OpenOptions` that create files private to the user.
pub(crate) fn file_options() -> OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut options = OpenOptions::new();
        options.mode(0o600);
        options
    }
    #[cfg(not(unix))]
    {
        OpenOptions::new()
    }
}

/// The permission bits that let the group or others in, when there are
/// any (`Some(mode)`); `None` when only the owner may read (or the platform
/// has no such bits).
pub(crate) fn shared_mode(meta: &Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Whether two metadata describe the same file (device and inode on Unix).
/// Elsewhere there is no inode to compare, and a file found at the path is
/// taken to be the one opened: on Windows a deleted file that is still open
/// cannot be inspected by its path until it is closed, so the caller's
/// metadata call fails instead of finding a stranger.
pub(crate) fn same_file(open: &Metadata, named: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        open.dev() == named.dev() && open.ino() == named.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (open, named);
        true
    }
}
