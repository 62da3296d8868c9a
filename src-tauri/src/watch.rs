//! Changes made outside the app (the `rolecall` CLI, an editor, another AWS tool) reach the tray
//! through file-system events on rolecall's config directory and the credentials file's
//! directory: the tray updates at once, without polling. An AWS directory that does not exist yet
//! is watched for from its parent, and watched itself once it appears.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

/// Keeps the watcher alive for as long as it is managed.
pub struct FileWatch {
    watcher: Mutex<RecommendedWatcher>,
    /// Directories of the files that did not exist yet (`~/.aws` before the first write): their
    /// parent is watched instead, until [`FileWatch::rewatch`] finds them.
    missing: Mutex<Vec<PathBuf>>,
}

impl FileWatch {
    /// Starts watching the directories that have appeared since. The refresher calls it each time
    /// it wakes, before it reads the files, so a change made right after is not missed.
    pub fn rewatch(&self) {
        let mut missing = self.missing.lock().expect("watch lock");
        if missing.is_empty() {
            return;
        }
        let mut watcher = self.watcher.lock().expect("watch lock");
        missing.retain(|dir| !(dir.is_dir() && watcher.watch(dir, RecursiveMode::NonRecursive).is_ok()));
    }
}

/// Watches `files` (what [`rolecall_app::Services::watched_files`] names); each of `wake` (the
/// refresher, the scheduler) is notified on every change there, and when the directory of one of
/// them appears. rolecall's own directory exists by then; the AWS directory may not exist yet.
pub fn watch(files: Vec<PathBuf>, wake: Vec<Arc<Notify>>) -> notify::Result<FileWatch> {
    let mut dirs: Vec<PathBuf> = files.iter().filter_map(|f| f.parent()).map(Path::to_path_buf).collect();
    dirs.sort();
    dirs.dedup();
    let (present, missing): (Vec<PathBuf>, Vec<PathBuf>) = dirs.into_iter().partition(|d| d.is_dir());
    let relevant = files.clone();
    let appearing = missing.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reads are not changes: notify reports opening and closing a file (inotify IN_OPEN,
        // IN_CLOSE_NOWRITE) as Access events, and the refresher itself reads these files, so
        // waking on them would loop forever.
        if let Ok(event) = event
            && !matches!(event.kind, notify::EventKind::Access(_))
            && event.paths.iter().any(|p| relevant.iter().any(|f| same_file_name(p, f)) || appearing.contains(p))
        {
            for w in &wake {
                w.notify_one();
            }
        }
    })?;
    for dir in &present {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
    }
    for dir in &missing {
        match dir.parent().filter(|p| p.is_dir()) {
            Some(parent) => watcher.watch(parent, RecursiveMode::NonRecursive)?,
            None => tracing::warn!(dir = %dir.display(), "neither this directory nor its parent exists; not watched"),
        }
    }
    Ok(FileWatch { watcher: Mutex::new(watcher), missing: Mutex::new(missing) })
}

/// Renames over the file report the temp file's path first; compare names in the same directory.
fn same_file_name(event_path: &Path, file: &Path) -> bool {
    event_path == file || (event_path.parent() == file.parent() && event_path.file_name() == file.file_name())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rolecall_app::{Paths, Services};

    use super::*;

    /// The files the tray watches, as `Services` names them (the config dir created).
    fn files(paths: &Paths) -> Vec<PathBuf> {
        Services::new(paths.clone(), "rolecall-test".into(), None).watched_files()
    }

    #[tokio::test]
    async fn reading_the_files_is_no_change_but_writing_them_is() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("rolecall"),
            data_dir: dir.path().join("data"),
            credentials_file: dir.path().join("credentials"),
            aws_config_file: dir.path().join("config"),
            sso_cache_dir: dir.path().join("sso/cache"),
        };
        std::fs::write(&paths.credentials_file, "[a]\n").unwrap();
        let changed = Arc::new(Notify::new());
        let _watch = watch(files(&paths), vec![changed.clone()]).unwrap();
        let woken = |changed: Arc<Notify>| async move {
            tokio::time::timeout(Duration::from_millis(500), changed.notified()).await.is_ok()
        };

        for _ in 0..3 {
            std::fs::read_to_string(&paths.credentials_file).unwrap();
        }
        assert!(!woken(changed.clone()).await, "a read woke the refresher");

        std::fs::write(&paths.credentials_file, "[b]\n").unwrap();
        assert!(woken(changed.clone()).await, "a write did not wake the refresher");
    }

    #[tokio::test]
    async fn an_aws_directory_made_after_the_start_is_watched_too() {
        let dir = tempfile::tempdir().unwrap();
        let aws = dir.path().join(".aws");
        let paths = Paths {
            config_dir: dir.path().join("rolecall"),
            data_dir: dir.path().join("data"),
            credentials_file: aws.join("credentials"),
            aws_config_file: aws.join("config"),
            sso_cache_dir: aws.join("sso/cache"),
        };
        let changed = Arc::new(Notify::new());
        let watch = watch(files(&paths), vec![changed.clone()]).unwrap();
        let woken = |changed: Arc<Notify>| async move {
            tokio::time::timeout(Duration::from_millis(500), changed.notified()).await.is_ok()
        };

        std::fs::create_dir(&aws).unwrap();
        assert!(woken(changed.clone()).await, "the new directory did not wake the refresher");
        watch.rewatch();
        std::fs::write(&paths.credentials_file, "[a]\n").unwrap();
        assert!(woken(changed.clone()).await, "a write in the new directory did not wake the refresher");
        assert!(watch.missing.lock().unwrap().is_empty());
    }
}
