//! Backups of the credentials sections `rolecall assume --force` took over.
//!
//! - Where: `backups/` in rolecall's private data dir ([`crate::Paths::backups_dir`]), created
//!   0700 and never next to the credentials file (which may live in a dotfiles repo, where ignore
//!   and encryption patterns for `credentials` would not match a backup).
//! - What: only the overwritten section, exactly as it was (its header line, entries, the
//!   comments between them, their line endings); no other profile's keys.
//! - How: each one is written 0600 to a temp file, fsynced and linked into place, so a backup is
//!   either whole or absent; a name taken already gets a `~N` suffix instead of replacing it.
//! - Named `YYYYMMDDTHHMMSSZ-PROFILE.ini` (UTC; the profile with anything but letters, digits
//!   and `._+@-` made `_`), so they sort by time.
//! - Pruned after each new one: the newest [`KEEP_NEWEST`] are kept, and those older than
//!   [`MAX_AGE_DAYS`] days removed (so the keys in them do not linger; until the next backup an
//!   old one stays). `rolecall backups` lists them.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use rolecall_core::{Code, FileError};

use crate::atomic::{ensure_private_dir, io_error, temp_path, write_new};
use crate::fault;
use crate::guard::check_dir_owner;

/// How many backups pruning keeps at most.
pub const KEEP_NEWEST: usize = 20;
/// How old a backup may get before pruning removes it, in days.
pub const MAX_AGE_DAYS: i64 = 30;
/// A temp file in the backups dir older than this (a write killed half-way) is removed by pruning.
const STALE_TEMP_SECS: u64 = 3600;
/// The time format of backup names.
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// Where it is.
    pub path: PathBuf,
    /// The profile whose section it holds (as in its name).
    pub profile: String,
    /// When it was made (to the second).
    pub taken: DateTime<Utc>,
}

/// A backup to make before a write lands: see [`crate::atomic::Edit::WriteWithBackup`]. Its
/// `Debug` never shows the section's text (it holds keys).
#[derive(Clone)]
pub struct PendingBackup {
    /// Where it goes.
    pub backups: Backups,
    /// The profile whose section it is.
    pub profile: String,
    /// The section's text, exactly as it was.
    pub text: Vec<u8>,
}

impl std::fmt::Debug for PendingBackup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingBackup")
            .field("dir", &self.backups.dir)
            .field("profile", &self.profile)
            .field("text", &format_args!("[{} bytes redacted]", self.text.len()))
            .finish()
    }
}

/// rolecall's backups directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backups {
    dir: PathBuf,
}

/// `team/prod` → `team_prod`: a file-name-safe profile.
fn sanitize(profile: &str) -> String {
    let s: String = profile
        .chars()
        .take(100)
        .map(|c| if c.is_ascii_alphanumeric() || "._+@-".contains(c) { c } else { '_' })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

/// The profile and time in a backup's file name, if it is one.
fn parse_name(name: &str) -> Option<(String, DateTime<Utc>)> {
    let rest = name.strip_suffix(".ini")?;
    let (stamp, profile) = rest.split_once('-')?;
    let taken = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
    let profile = match profile.rsplit_once('~') {
        Some((p, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => p,
        _ => profile,
    };
    (!profile.is_empty()).then(|| (profile.to_owned(), taken))
}

impl Backups {
    /// The backups in `dir` (usually [`crate::Paths::backups_dir`]).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the directory 0700 (and its parents), or checks an existing one belongs to the
    /// user and makes it 0700 if it is more open.
    fn ensure_dir(&self) -> Result<(), FileError> {
        let dir = &self.dir;
        if let Ok(meta) = fs::metadata(dir)
            && !meta.is_dir()
        {
            return Err(FileError {
                code: Code::FileNotADirectory,
                path: dir.display().to_string(),
                message: "is not a directory; rolecall keeps its backups there: move it away and try again".into(),
            });
        }
        ensure_private_dir(dir)?;
        check_dir_owner(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(dir).map_err(|e| io_error(dir, "inspect the directory", &e))?;
            if meta.permissions().mode() & 0o077 != 0 {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| io_error(dir, "make the directory private", &e))?;
            }
        }
        Ok(())
    }

    /// Keeps `text`, the section of `profile` as it was at `taken`, in a new 0600 file; returns
    /// its path. On failure nothing is left behind (no temp file).
    pub fn write(&self, profile: &str, taken: DateTime<Utc>, text: &[u8]) -> Result<PathBuf, FileError> {
        self.ensure_dir()?;
        let base = format!("{}-{}", taken.format(STAMP), sanitize(profile));
        let tmp = temp_path(&self.dir, &base, "tmp");
        let written = write_new(&tmp, text).and_then(|()| fault::hit("backup temp written"));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io_error(&self.dir, "write the backup", &e));
        }
        let placed = self.place(&tmp, &base);
        let _ = fs::remove_file(&tmp);
        let path = placed.map_err(|e| io_error(&self.dir, "write the backup", &e))?;
        #[cfg(unix)]
        if let Ok(d) = fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(path)
    }

    /// Links `tmp` to the first free name of `base`, never replacing a backup.
    fn place(&self, tmp: &Path, base: &str) -> std::io::Result<PathBuf> {
        for n in 1..1000 {
            let path = self.dir.join(if n == 1 { format!("{base}.ini") } else { format!("{base}~{n}.ini") });
            match fs::hard_link(tmp, &path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                // A file system without hard links: rename, after checking the name is free.
                Err(_) if !path.exists() => return fs::rename(tmp, &path).map(|()| path),
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(ErrorKind::AlreadyExists, "too many backups with this name"))
    }

    /// The backups, newest first; none if the directory does not exist.
    pub fn list(&self) -> Result<Vec<Backup>, FileError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&self.dir, "list the backups", &e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let Some((profile, taken)) = entry.file_name().to_str().and_then(parse_name) else { continue };
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                out.push(Backup { path: entry.path(), profile, taken });
            }
        }
        out.sort_by(|a, b| (b.taken, &b.path).cmp(&(a.taken, &a.path)));
        Ok(out)
    }

    /// Removes the backups beyond the newest [`KEEP_NEWEST`] and those older than
    /// [`MAX_AGE_DAYS`] at `now`, and temp files left by killed writes; returns what it removed.
    pub fn prune(&self, now: DateTime<Utc>) -> Result<Vec<PathBuf>, FileError> {
        let max_age = chrono::Duration::days(MAX_AGE_DAYS);
        let mut removed = Vec::new();
        for (i, b) in self.list()?.into_iter().enumerate() {
            if i >= KEEP_NEWEST || now - b.taken > max_age {
                match fs::remove_file(&b.path) {
                    Ok(()) => removed.push(b.path),
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error(&b.path, "remove an old backup", &e)),
                }
            }
        }
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let stale = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
                if name.starts_with('.')
                    && name.contains(".rolecall-")
                    && name.ends_with(".tmp")
                    && stale.is_some_and(|age| age.as_secs() > STALE_TEMP_SECS)
                    && fs::remove_file(entry.path()).is_ok()
                {
                    removed.push(entry.path());
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, 45, 1).unwrap()
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_backup_is_a_private_file_named_by_time_and_profile() {
        let t = tempfile::tempdir().unwrap();
        let b = Backups::new(t.path().join("data").join("backups"));
        let p = b.write("team/prod", at(1, 23), b"[team/prod]\r\naws_access_key_id = AKIA\r\n").unwrap();
        assert_eq!(p, b.dir().join("20261201T234501Z-team_prod.ini"));
        assert_eq!(fs::read(&p).unwrap(), b"[team/prod]\r\naws_access_key_id = AKIA\r\n");
        #[cfg(unix)]
        {
            assert_eq!(mode(&p), 0o600);
            assert_eq!(mode(b.dir()), 0o700);
            assert_eq!(mode(b.dir().parent().unwrap()), 0o700);
        }
        // The same second and profile again: a new name, the first one kept.
        let q = b.write("team/prod", at(1, 23), b"[team/prod]\n").unwrap();
        assert_eq!(q, b.dir().join("20261201T234501Z-team_prod~2.ini"));
        assert_eq!(fs::read(&p).unwrap(), b"[team/prod]\r\naws_access_key_id = AKIA\r\n");
        assert_eq!(names(b.dir()), ["20261201T234501Z-team_prod.ini", "20261201T234501Z-team_prod~2.ini"]);
        let listed = b.list().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|x| x.profile == "team_prod" && x.taken == at(1, 23)));
    }

    #[cfg(unix)]
    #[test]
    fn a_too_open_backups_dir_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let b = Backups::new(t.path().join("backups"));
        fs::create_dir(b.dir()).unwrap();
        fs::set_permissions(b.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        b.write("p", at(1, 1), b"[p]\n").unwrap();
        assert_eq!(mode(b.dir()), 0o700);
    }

    #[test]
    fn listing_is_newest_first_and_skips_other_files() {
        let t = tempfile::tempdir().unwrap();
        let b = Backups::new(t.path().to_owned());
        assert_eq!(Backups::new(t.path().join("absent")).list().unwrap(), vec![]);
        b.write("old", at(1, 1), b"[old]\n").unwrap();
        b.write("new-one", at(3, 1), b"[new-one]\n").unwrap();
        b.write("mid", at(2, 1), b"[mid]\n").unwrap();
        fs::write(t.path().join("notes.txt"), "x").unwrap();
        fs::write(t.path().join("2026-not-a-stamp.ini"), "x").unwrap();
        fs::create_dir(t.path().join("20261201T000000Z-dir.ini")).unwrap();
        let listed: Vec<_> = b.list().unwrap().into_iter().map(|x| (x.profile, x.taken)).collect();
        assert_eq!(
            listed,
            [("new-one".to_owned(), at(3, 1)), ("mid".to_owned(), at(2, 1)), ("old".to_owned(), at(1, 1))]
        );
    }

    #[test]
    fn pruning_keeps_the_newest_and_drops_the_old() {
        let t = tempfile::tempdir().unwrap();
        let b = Backups::new(t.path().to_owned());
        let now = Utc.with_ymd_and_hms(2027, 1, 31, 12, 0, 0).unwrap();
        // 25 recent ones (hours apart) and 2 from more than 30 days ago.
        for i in 0..25 {
            b.write(&format!("p{i}"), now - chrono::Duration::hours(i), b"[p]\n").unwrap();
        }
        let ancient = b.write("ancient", now - chrono::Duration::days(31), b"[ancient]\n").unwrap();
        let removed = b.prune(now).unwrap();
        assert_eq!(removed.len(), 6);
        assert!(removed.contains(&ancient));
        let left = b.list().unwrap();
        assert_eq!(left.len(), KEEP_NEWEST);
        assert_eq!(left[0].profile, "p0");
        assert_eq!(left[KEEP_NEWEST - 1].profile, "p19");
        // Age alone: a month on, none of them is kept.
        assert_eq!(b.prune(now + chrono::Duration::days(31)).unwrap().len(), KEEP_NEWEST);
        assert_eq!(b.list().unwrap(), vec![]);
    }

    #[test]
    fn a_failed_backup_write_leaves_no_temp_file() {
        let t = tempfile::tempdir().unwrap();
        let b = Backups::new(t.path().to_owned());
        fault::set(|step| if step == "backup temp written" { Err(std::io::Error::other("injected")) } else { Ok(()) });
        let e = b.write("p", at(1, 1), b"[p]\nsecret = s\n").unwrap_err();
        fault::clear();
        assert_eq!(e.code, "file.io");
        assert!(e.message.contains("cannot write the backup"), "{e}");
        assert_eq!(names(t.path()), Vec::<String>::new(), "neither the temp file nor a backup is left");
    }

    #[test]
    fn a_backups_path_that_is_a_file_is_a_clear_error() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("backups");
        fs::write(&f, "x").unwrap();
        let e = Backups::new(f).write("p", at(1, 1), b"[p]\n").unwrap_err();
        assert_eq!(e.code, "file.not_a_directory");
    }

    #[test]
    fn names_round_trip() {
        assert_eq!(sanitize("team/prod x"), "team_prod_x");
        assert_eq!(sanitize("a.b_c+d@e:f"), "a.b_c+d@e_f");
        assert_eq!(parse_name("20261201T234501Z-prod.ini"), Some(("prod".into(), at(1, 23))));
        assert_eq!(parse_name("20261201T234501Z-prod-eu~3.ini"), Some(("prod-eu".into(), at(1, 23))));
        assert_eq!(parse_name("20261201T234501Z-~x.ini"), Some(("~x".into(), at(1, 23))));
        for bad in ["20261201T234501Z-.ini", "20261201T234501Z-prod.txt", "2026-prod.ini", ".x.tmp"] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
