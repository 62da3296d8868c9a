//! What rolecall refuses to read or write through, so an odd file can neither hang nor exhaust it
//! (the tray reads the AWS files every minute):
//!
//! - A file that is not a regular file (a FIFO, a device, a directory, a socket) is refused
//!   without blocking: on Unix it is opened with `O_NONBLOCK` and checked on the open handle; a
//!   symlink to a regular file is read as usual (a credentials file kept in a dotfiles repo).
//! - A file larger than [`MAX_FILE_SIZE`] (64 MiB: a credentials file with ten thousand profiles
//!   is about 5 MiB) is refused before it is read, and reading stops there if it grows meanwhile.
//! - The lock file is opened without following a symlink (`O_NOFOLLOW`) and must be a regular
//!   file, and the directory that holds it (and the files rolecall writes) must belong to the
//!   current user.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;

use rolecall_core::{Code, FileError};

use crate::atomic::io_error;

/// The largest file rolecall reads: 64 MiB.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Which file is read, for the error codes and what the error tells the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The AWS shared credentials file (`credentials_file.*`).
    Credentials,
    /// The AWS shared config file (`config_file.*`).
    AwsConfig,
    /// rolecall's `config.toml` (`config.*`).
    Config,
    /// Any other file (`file.*`).
    Other,
}

impl FileKind {
    fn not_regular_code(self) -> Code {
        match self {
            FileKind::Credentials => Code::CredentialsFileNotRegular,
            FileKind::AwsConfig => Code::ConfigFileNotRegular,
            FileKind::Config => Code::ConfigNotRegular,
            FileKind::Other => Code::FileNotRegular,
        }
    }

    fn too_large_code(self) -> Code {
        match self {
            FileKind::Credentials => Code::CredentialsFileTooLarge,
            FileKind::AwsConfig => Code::ConfigFileTooLarge,
            FileKind::Config => Code::ConfigTooLarge,
            FileKind::Other => Code::FileTooLarge,
        }
    }

    /// What to do about a file rolecall will not read.
    fn remedy(self) -> &'static str {
        match self {
            FileKind::Credentials => "replace it with a regular file or point AWS_SHARED_CREDENTIALS_FILE at one",
            FileKind::AwsConfig => "replace it with a regular file or point AWS_CONFIG_FILE at one",
            FileKind::Config => "replace it with a regular file or point ROLECALL_CONFIG_DIR elsewhere",
            FileKind::Other => "replace it with a regular file",
        }
    }
}

/// What a non-regular file is, in words.
fn type_name(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

/// Refuses anything but a regular file of at most [`MAX_FILE_SIZE`] bytes.
fn check_regular(kind: FileKind, path: &Path, meta: &Metadata) -> Result<(), FileError> {
    if !meta.is_file() {
        return Err(FileError {
            code: kind.not_regular_code(),
            path: path.display().to_string(),
            message: format!("is {}, not a regular file; {}", type_name(meta), kind.remedy()),
        });
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_large(kind, path, meta.len()));
    }
    Ok(())
}

fn too_large(kind: FileKind, path: &Path, len: u64) -> FileError {
    FileError {
        code: kind.too_large_code(),
        path: path.display().to_string(),
        message: format!(
            "is {} MiB, more than the {} MiB rolecall reads; {}",
            len.div_ceil(1024 * 1024),
            MAX_FILE_SIZE / (1024 * 1024),
            kind.remedy()
        ),
    }
}

/// The bytes of `path` (following symlinks), `None` if it does not exist; refuses a file that is
/// not regular or is larger than [`MAX_FILE_SIZE`] without blocking on it or reading it whole.
pub fn read_regular(kind: FileKind, path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    // A look before opening: where no O_NONBLOCK exists, opening a FIFO could wait for a writer.
    match fs::metadata(path) {
        Ok(meta) => check_regular(kind, path, &meta)?,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "read", &e)),
    }
    let mut o = OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let file = match o.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "read", &e)),
    };
    // The file may have been replaced between the look and the open: check what was opened.
    let meta = file.metadata().map_err(|e| io_error(path, "read", &e))?;
    check_regular(kind, path, &meta)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(|e| io_error(path, "read", &e))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(kind, path, bytes.len() as u64));
    }
    Ok(Some(bytes))
}

/// Refuses a directory that does not belong to the current user: another user could swap the
/// files in it (or the lock file) under rolecall. Not checked on Windows, whose ACLs differ.
pub fn check_dir_owner(dir: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(dir).map_err(|e| io_error(dir, "inspect the directory", &e))?;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(FileError {
                code: Code::FileDirNotOwned,
                path: dir.display().to_string(),
                message: format!(
                    "belongs to another user (uid {}, you are uid {me}); rolecall writes only in directories you own: change its owner or keep the file in a directory of yours",
                    meta.uid()
                ),
            });
        }
    }
    Ok(())
}

/// Opens (creating it 0600) the lock file `path` without following a symlink, and refuses it
/// unless it is a regular file.
pub fn open_lock_file(path: &Path) -> Result<File, FileError> {
    let refused = |what: &str| FileError {
        code: Code::FileLockNotRegular,
        path: path.display().to_string(),
        message: format!("is {what}, not rolecall's lock file; remove it and try again"),
    };
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Err(refused("a symbolic link")),
        // Opening a FIFO for writing would fail or wait; a device is never a lock file.
        Ok(m) if !m.is_file() => return Err(refused(type_name(&m))),
        _ => {}
    }
    let mut o = OpenOptions::new();
    o.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32);
    }
    let file = o.open(path).map_err(|e| {
        #[cfg(unix)]
        if rustix::io::Errno::from_io_error(&e) == Some(rustix::io::Errno::LOOP) {
            // A symlink put there after the look above.
            return refused("a symbolic link");
        }
        io_error(path, "open the lock file", &e)
    })?;
    let meta = file.metadata().map_err(|e| io_error(path, "open the lock file", &e))?;
    if !meta.is_file() {
        return Err(refused(type_name(&meta)));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_and_links_to_them_are_read_absent_ones_are_none() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        assert_eq!(read_regular(FileKind::Credentials, &p).unwrap(), None);
        fs::write(&p, "[a]\n").unwrap();
        assert_eq!(read_regular(FileKind::Credentials, &p).unwrap().unwrap(), b"[a]\n");
        #[cfg(unix)]
        {
            let link = t.path().join("link");
            std::os::unix::fs::symlink(&p, &link).unwrap();
            assert_eq!(read_regular(FileKind::Credentials, &link).unwrap().unwrap(), b"[a]\n");
        }
    }

    #[test]
    fn a_directory_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let e = read_regular(FileKind::AwsConfig, t.path()).unwrap_err();
        assert_eq!(e.code, "config_file.not_regular");
        assert!(e.message.starts_with("is a directory, not a regular file; "), "{e}");
    }

    /// Runs `f` on a thread and fails the test if it has not returned within a few seconds.
    fn within_seconds<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(std::time::Duration::from_secs(10)).expect("returned without blocking")
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_device_is_refused_without_blocking() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("credentials");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        // Nobody ever writes to it: a plain open would wait forever.
        let f = fifo.clone();
        let e = within_seconds(move || read_regular(FileKind::Credentials, &f)).unwrap_err();
        assert_eq!(e.code, "credentials_file.not_regular");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: is a named pipe (FIFO), not a regular file; replace it with a regular file or point AWS_SHARED_CREDENTIALS_FILE at one",
                fifo.display()
            )
        );
        // Through a symlink too.
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let e = within_seconds(move || read_regular(FileKind::Config, &link)).unwrap_err();
        assert_eq!(e.code, "config.not_regular");
        let e = within_seconds(|| read_regular(FileKind::AwsConfig, Path::new("/dev/zero"))).unwrap_err();
        assert_eq!(e.code, "config_file.not_regular");
        assert!(e.message.starts_with("is a character device"), "{e}");
    }

    #[test]
    fn a_huge_file_is_refused_before_it_is_read() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        // Sparse: 5 GiB that take no disk space.
        File::create(&p).unwrap().set_len(5 * 1024 * 1024 * 1024).unwrap();
        let e = within_seconds(move || read_regular(FileKind::Credentials, &p)).unwrap_err();
        assert_eq!(e.code, "credentials_file.too_large");
        assert!(e.message.starts_with("is 5120 MiB, more than the 64 MiB rolecall reads; "), "{e}");
        // The limit itself is still read.
        let p = t.path().join("config");
        File::create(&p).unwrap().set_len(MAX_FILE_SIZE).unwrap();
        assert_eq!(read_regular(FileKind::AwsConfig, &p).unwrap().unwrap().len() as u64, MAX_FILE_SIZE);
        File::options().write(true).open(&p).unwrap().set_len(MAX_FILE_SIZE + 1).unwrap();
        assert_eq!(read_regular(FileKind::AwsConfig, &p).unwrap_err().code, "config_file.too_large");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_or_odd_lock_file_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let elsewhere = t.path().join("elsewhere");
        let lock = t.path().join(".credentials.rolecall.lock");
        std::os::unix::fs::symlink(&elsewhere, &lock).unwrap();
        let e = open_lock_file(&lock).unwrap_err();
        assert_eq!(e.code, "file.lock_not_regular");
        assert!(e.message.starts_with("is a symbolic link, not rolecall's lock file; "), "{e}");
        assert!(!elsewhere.exists(), "the link was not followed");
        fs::remove_file(&lock).unwrap();
        rustix::fs::mkfifoat(rustix::fs::CWD, &lock, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let l = lock.clone();
        assert_eq!(within_seconds(move || open_lock_file(&l)).unwrap_err().code, "file.lock_not_regular");
        fs::remove_file(&lock).unwrap();
        open_lock_file(&lock).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&lock).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_of_another_user_is_refused() {
        let t = tempfile::tempdir().unwrap();
        check_dir_owner(t.path()).unwrap();
        if !rustix::process::geteuid().is_root() {
            println!("note: not root, so no directory of another user can be made; the refusal is not checked");
            return;
        }
        let nobody = 65534;
        std::os::unix::fs::chown(t.path(), Some(nobody), None).unwrap();
        let e = check_dir_owner(t.path()).unwrap_err();
        assert_eq!(e.code, "file.dir_not_owned");
        assert!(e.message.starts_with("belongs to another user (uid 65534, you are uid 0); "), "{e}");
    }
}
