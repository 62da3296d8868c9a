//! Read–edit–write of one file that never leaves it half-written and never loses a concurrent update.
//!
//! 1. Symlinks are followed, so a credentials file kept in a dotfiles repo stays a link. Only
//!    regular files of a sane size are read ([`crate::guard`]).
//! 2. An advisory lock on a sidecar file (`.NAME.rolecall.lock`, opened without following a
//!    symlink, in a directory that must belong to the user) serialises rolecall processes.
//! 3. The edit runs on the bytes read; the result goes to a temp file in the same directory (0600),
//!    which is fsynced. A backup the edit asks for is then written ([`crate::backups`]); if that
//!    fails, the temp file is removed and nothing changes.
//! 4. Just before the rename, after the backup, the file is read again: if someone else (an
//!    editor, another tool) changed it meanwhile, the temp file and the backup are removed and
//!    the edit is redone on their version, so their change survives. Then the temp file is
//!    renamed over the original and the directory is fsynced.
//! 5. A process killed in the middle of a write (SIGKILL, power loss) leaves the file as it was
//!    and may leave its temp file, which holds the new content (a session's secrets). Temp files
//!    are only written under the lock, so any found while holding it is such a leftover: each
//!    edit removes them first. `tests/crash.rs` kills writers at random moments to check all this.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use rolecall_core::{Code, FileError};

use crate::backups::PendingBackup;
use crate::guard::{self, FileKind};

/// How long to wait for another rolecall process holding the lock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(15);
/// How often an edit is redone when the file keeps changing under it.
const MAX_ATTEMPTS: usize = 5;

/// The result of an edit function.
#[derive(Debug)]
pub enum Edit {
    /// Leave the file as it is.
    Unchanged,
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes, once this backup (of what they replace) is kept.
    WriteWithBackup(Vec<u8>, PendingBackup),
}

/// What [`edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the file was written.
    pub written: bool,
    /// The backup made, if any.
    pub backup: Option<PathBuf>,
}

/// Maps an IO error on `path` to a [`FileError`] with a stable code.
pub fn io_error(path: &Path, action: &str, e: &std::io::Error) -> FileError {
    let code = match e.kind() {
        ErrorKind::PermissionDenied => Code::FilePermissionDenied,
        ErrorKind::StorageFull => Code::FileDiskFull,
        ErrorKind::ReadOnlyFilesystem => Code::FileReadOnly,
        ErrorKind::NotFound => Code::FileNotFound,
        _ => Code::FileIo,
    };
    FileError { code, path: path.display().to_string(), message: format!("cannot {action}: {e}") }
}

/// The file that is really written: the target of a symlink, or the path itself.
fn real_path(path: &Path) -> Result<PathBuf, FileError> {
    match fs::canonicalize(path) {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == ErrorKind::NotFound => match fs::read_link(path) {
            // A dangling link: write where it points.
            Ok(target) => Ok(path.parent().unwrap_or(Path::new(".")).join(target)),
            Err(_) => Ok(path.to_path_buf()),
        },
        Err(e) => Err(io_error(path, "resolve", &e)),
    }
}

/// Creates `dir` (and parents) private to the user when it does not exist.
pub fn ensure_private_dir(dir: &Path) -> Result<(), FileError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| io_error(dir, "create the directory", &e))
}

pub(crate) fn private_file(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

pub(crate) fn temp_path(dir: &Path, name: &str, what: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{name}.rolecall-{}-{n}.{what}", std::process::id()))
}

/// Removes the temp files of `name` that a killed rolecall process left behind. Only called
/// under the lock, when no other rolecall process can be writing one.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    let prefix = format!(".{name}.rolecall-");
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
            match fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(path = %entry.path().display(), "removed a temp file left by a killed write"),
                Err(e) => tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale temp file"),
            }
        }
    }
}

pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = private_file(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Takes the advisory lock of `name` in `dir` (`.NAME.rolecall.lock`), waiting up to
/// [`LOCK_TIMEOUT`] for another rolecall process holding it; held until the file is dropped.
pub(crate) fn lock(dir: &Path, name: &str) -> Result<File, FileError> {
    guard::check_dir_owner(dir)?;
    let lock_path = dir.join(format!(".{name}.rolecall.lock"));
    let file = guard::open_lock_file(&lock_path)?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(FileError {
                    code: Code::FileLockTimeout,
                    path: lock_path.display().to_string(),
                    message: format!(
                        "another rolecall process has held the lock for {}s; try again",
                        LOCK_TIMEOUT.as_secs()
                    ),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error(&lock_path, "lock", &e)),
        }
    }
}

/// Edits `path` (a file of `kind`, for error codes) atomically under the lock. `f` receives the
/// current bytes (`None` if absent) and may be called more than once if the file changes under
/// it; its error aborts with nothing written.
pub fn edit<E: From<FileError>>(
    kind: FileKind,
    path: &Path,
    mut f: impl FnMut(Option<&[u8]>) -> Result<Edit, E>,
) -> Result<Outcome, E> {
    let real = real_path(path)?;
    let dir = real.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    ensure_private_dir(&dir)?;
    let _lock = lock(&dir, &name)?;
    remove_stale_temp_files(&dir, &name);
    for _ in 0..MAX_ATTEMPTS {
        let before = guard::read_regular(kind, &real)?;
        let (bytes, backup) = match f(before.as_deref())? {
            Edit::Unchanged => return Ok(Outcome { written: false, backup: None }),
            Edit::Write(b) => (b, None),
            Edit::WriteWithBackup(b, backup) => (b, Some(backup)),
        };
        let tmp = temp_path(&dir, &name, "tmp");
        if let Err(e) = write_new(&tmp, &bytes) {
            let _ = fs::remove_file(&tmp);
            return Err(io_error(&real, "write", &e).into());
        }
        // Nothing secret may stay behind when a later step fails or the edit is redone.
        let discard = |backup: &Option<PathBuf>| {
            let _ = fs::remove_file(&tmp);
            if let Some(b) = backup {
                let _ = fs::remove_file(b);
            }
        };
        let backup_path = match backup {
            Some(b) => match b.backups.write(&b.profile, Utc::now(), &b.text) {
                Ok(p) => Some(p),
                Err(e) => {
                    discard(&None);
                    return Err(e.into());
                }
            },
            None => None,
        };
        // Last: someone outside rolecall changed the file since we read it (while we wrote the
        // temp file or the backup): redo the edit on their version.
        match guard::read_regular(kind, &real) {
            Ok(now) if now == before => {}
            Ok(_) => {
                discard(&backup_path);
                tracing::info!(path = %real.display(), "file changed while editing; redoing the edit");
                continue;
            }
            Err(e) => {
                discard(&backup_path);
                return Err(e.into());
            }
        }
        if let Err(e) = fs::rename(&tmp, &real) {
            discard(&backup_path);
            return Err(io_error(&real, "replace", &e).into());
        }
        #[cfg(unix)]
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        return Ok(Outcome { written: true, backup: backup_path });
    }
    Err(FileError {
        code: Code::FileBusy,
        path: real.display().to_string(),
        message: "keeps changing while rolecall writes it; close the program editing it and try again".into(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_private_dir_and_file() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("aws").join("credentials");
        let out = edit::<FileError>(FileKind::Other, &p, |old| {
            assert!(old.is_none());
            Ok(Edit::Write(b"[a]\n".to_vec()))
        })
        .unwrap();
        assert!(out.written);
        assert_eq!(fs::read(&p).unwrap(), b"[a]\n");
        #[cfg(unix)]
        {
            assert_eq!(mode(&p), 0o600);
            assert_eq!(mode(p.parent().unwrap()), 0o700);
        }
        // Only the file and its lock remain: no temp files.
        let mut names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, vec![".credentials.rolecall.lock", "credentials"]);
    }

    fn pending(backups: &Path, text: &[u8]) -> PendingBackup {
        PendingBackup {
            backups: crate::Backups::new(backups.to_owned()),
            profile: "legacy".into(),
            text: text.to_vec(),
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_edit_writes_nothing_and_backups_keep_what_they_are_given() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        fs::write(&p, "old").unwrap();
        let e = edit(FileKind::Other, &p, |_| {
            Err(FileError { code: Code::ConfigInvalid, path: String::new(), message: "no".into() })
        })
        .unwrap_err();
        assert_eq!(e.code, "config.invalid");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        let backups = t.path().join("data").join("backups");
        let out = edit::<FileError>(FileKind::Other, &p, |_| {
            Ok(Edit::WriteWithBackup(b"new".to_vec(), pending(&backups, b"[legacy]\nk = old\n")))
        })
        .unwrap();
        let backup = out.backup.unwrap();
        assert!(backup.starts_with(&backups), "{}", backup.display());
        assert_eq!(fs::read(&backup).unwrap(), b"[legacy]\nk = old\n");
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(names(t.path()), [".credentials.rolecall.lock", "credentials", "data"], "nothing next to the file");
    }

    #[test]
    fn a_failed_backup_write_leaves_the_file_and_no_temp_file() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        fs::write(&p, "[legacy]\nk = old\n").unwrap();
        // The backups dir cannot be created: a file is in the way.
        let backups = t.path().join("not-a-dir");
        fs::write(&backups, "").unwrap();
        let e = edit::<FileError>(FileKind::Credentials, &p, |_| {
            Ok(Edit::WriteWithBackup(b"[legacy]\nk = new secret\n".to_vec(), pending(&backups, b"[legacy]\nk = old\n")))
        })
        .unwrap_err();
        assert_eq!(e.code, "file.not_a_directory");
        assert_eq!(e.path, backups.display().to_string(), "the error says where the backup was to go");
        assert_eq!(fs::read(&p).unwrap(), b"[legacy]\nk = old\n");
        assert_eq!(
            names(t.path()),
            [".credentials.rolecall.lock", "credentials", "not-a-dir"],
            "the temp file with the new secrets is gone"
        );
    }

    #[test]
    fn a_change_made_while_the_backup_is_written_is_kept() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        let backups = t.path().join("backups");
        fs::write(&p, "user-v1\n").unwrap();
        let outside = p.clone();
        let mut changed = false;
        crate::fault::set(move |step| {
            if step == "backup temp written" && !changed {
                // Another program writes after our read, while the backup is being written.
                changed = true;
                fs::write(&outside, "user-v2\n").unwrap();
            }
            Ok(())
        });
        let mut calls = 0;
        let out = edit::<FileError>(FileKind::Credentials, &p, |old| {
            calls += 1;
            let old = old.unwrap().to_vec();
            let mut new = old.clone();
            new.extend_from_slice(b"ours\n");
            Ok(Edit::WriteWithBackup(new, pending(&backups, &old)))
        });
        crate::fault::clear();
        let out = out.unwrap();
        assert_eq!(calls, 2, "the edit was redone on the other program's version");
        assert_eq!(fs::read_to_string(&p).unwrap(), "user-v2\nours\n");
        // One backup, of the version really replaced; the first one was removed with the redo.
        assert_eq!(names(&backups).len(), 1, "{:?}", names(&backups));
        assert_eq!(fs::read_to_string(out.backup.unwrap()).unwrap(), "user-v2\n");
        assert_eq!(names(t.path()), [".credentials.rolecall.lock", "backups", "credentials"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_failed_recheck_removes_the_temp_file_and_the_backup() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        let backups = t.path().join("backups");
        fs::write(&p, "[legacy]\n").unwrap();
        let outside = p.clone();
        crate::fault::set(move |step| {
            if step == "backup temp written" {
                // The file is replaced by a FIFO before the re-check reads it.
                fs::remove_file(&outside).unwrap();
                rustix::fs::mkfifoat(rustix::fs::CWD, &outside, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
            }
            Ok(())
        });
        let e = edit::<FileError>(FileKind::Credentials, &p, |_| {
            Ok(Edit::WriteWithBackup(b"new secret".to_vec(), pending(&backups, b"[legacy]\n")))
        });
        crate::fault::clear();
        assert_eq!(e.unwrap_err().code, "credentials_file.not_regular");
        assert_eq!(names(&backups), Vec::<String>::new(), "the backup went with the failed write");
        assert_eq!(names(t.path()), [".credentials.rolecall.lock", "backups", "credentials"]);
    }

    #[cfg(unix)]
    #[test]
    fn odd_files_and_lock_files_are_refused_by_edits() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        rustix::fs::mkfifoat(rustix::fs::CWD, &p, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let e = edit::<FileError>(FileKind::Credentials, &p, |_| Ok(Edit::Write(b"x".to_vec()))).unwrap_err();
        assert_eq!(e.code, "credentials_file.not_regular");
        fs::remove_file(&p).unwrap();
        let lock = t.path().join(".credentials.rolecall.lock");
        fs::remove_file(&lock).unwrap();
        std::os::unix::fs::symlink(t.path().join("target"), &lock).unwrap();
        let e = edit::<FileError>(FileKind::Credentials, &p, |_| Ok(Edit::Write(b"x".to_vec()))).unwrap_err();
        assert_eq!(e.code, "file.lock_not_regular");
        assert!(!p.exists() && !t.path().join("target").exists(), "nothing written");
        fs::remove_file(&lock).unwrap();
        if !rustix::process::geteuid().is_root() {
            println!("note: not root, so no directory of another user can be made; that refusal is not checked");
            return;
        }
        std::os::unix::fs::chown(t.path(), Some(65534), None).unwrap();
        let e = edit::<FileError>(FileKind::Credentials, &p, |_| Ok(Edit::Write(b"x".to_vec()))).unwrap_err();
        assert_eq!(e.code, "file.dir_not_owned");
        assert!(!p.exists(), "nothing written");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_stay_links() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("dotfiles-credentials");
        fs::write(&target, "a").unwrap();
        let link = t.path().join("credentials");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        edit::<FileError>(FileKind::Other, &link, |_| Ok(Edit::Write(b"b".to_vec()))).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"b");
    }

    #[test]
    fn temp_files_left_by_a_killed_write_are_removed() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        let stale = t.path().join(".credentials.rolecall-4242-0.tmp");
        fs::write(&stale, "a session from a killed write").unwrap();
        let other = t.path().join(".config.rolecall-4242-0.tmp");
        fs::write(&other, "another file's").unwrap();
        edit::<FileError>(FileKind::Other, &p, |_| Ok(Edit::Write(b"[a]\n".to_vec()))).unwrap();
        assert!(!stale.exists(), "the stale temp file is gone");
        assert!(other.exists(), "only this file's temp files are touched");
    }

    #[test]
    fn a_change_made_during_the_edit_is_kept() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("credentials");
        fs::write(&p, "user-v1\n").unwrap();
        let mut calls = 0;
        edit::<FileError>(FileKind::Other, &p, |old| {
            calls += 1;
            let old = old.unwrap().to_vec();
            if calls == 1 {
                // Another program writes between our read and our rename.
                fs::write(&p, "user-v2\n").unwrap();
            }
            let mut new = old;
            new.extend_from_slice(b"ours\n");
            Ok(Edit::Write(new))
        })
        .unwrap();
        assert_eq!(calls, 2);
        assert_eq!(fs::read_to_string(&p).unwrap(), "user-v2\nours\n");
    }

    #[test]
    fn concurrent_editors_never_lose_an_update() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("counter");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let p = p.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        edit::<FileError>(FileKind::Other, &p, |old| {
                            let n: u32 = old.map(|b| String::from_utf8_lossy(b).parse().unwrap()).unwrap_or(0);
                            Ok(Edit::Write((n + 1).to_string().into_bytes()))
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "200");
    }
}
