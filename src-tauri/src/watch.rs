//! Changes made outside the app (the `rolecall` CLI, an editor, another AWS tool) reach the tray
//! through file-system events on rolecall's config directory and the credentials file's
//! directory: the tray updates at once, without polling.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use rolecall_files::Paths;
use tokio::sync::Notify;

/// Keeps the watcher alive for as long as it is managed.
pub struct FileWatch {
    _watcher: RecommendedWatcher,
}

/// Watches the files behind the tray; `changed` is notified on every event there.
pub fn watch(paths: &Paths, changed: Arc<Notify>) -> notify::Result<FileWatch> {
    let files: Vec<PathBuf> = vec![paths.config_file(), paths.credentials_file.clone(), paths.aws_config_file.clone()];
    let relevant = files.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event.paths.iter().any(|p| relevant.iter().any(|f| same_file_name(p, f)))
        {
            changed.notify_one();
        }
    })?;
    // Our own directory always exists (created private); the AWS directory is watched if present.
    let _ = rolecall_files::atomic::ensure_private_dir(&paths.config_dir);
    let mut dirs: Vec<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if dir.is_dir() {
            watcher.watch(dir, RecursiveMode::NonRecursive)?;
        }
    }
    Ok(FileWatch { _watcher: watcher })
}

/// Renames over the file report the temp file's path first; compare names in the same directory.
fn same_file_name(event_path: &Path, file: &Path) -> bool {
    event_path == file || (event_path.parent() == file.parent() && event_path.file_name() == file.file_name())
}
