//! Secrets on the clipboard (the tray's *Copy export lines*): written with the platform's mark
//! that keeps them out of clipboard history, and cleared after [`CLEAR_AFTER`] if the clipboard
//! still holds exactly what rolecall put there (something the user copied since is left alone).
//!
//! The mark, through tauri-plugin-clipboard-manager's `write_secret` (arboard):
//! - **Linux** (X11 and Wayland): the extra target `x-kde-passwordManagerHint` with the value
//!   `secret`, which KDE's Klipper and other clipboard managers honour by not recording the copy.
//! - **macOS**: the `org.nspasteboard.ConcealedType` type (the nspasteboard.org convention that
//!   clipboard-history apps follow).
//! - **Windows**: `ExcludeClipboardContentFromMonitorProcessing`: kept out of the clipboard
//!   history and the cloud clipboard.
//!
//! The delay runs on the monotonic clock, which stops while the machine sleeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

/// How long copied secrets stay on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(45);
/// The environment variable that sets another delay, in whole seconds (1 to 3600).
pub const CLEAR_ENV: &str = "ROLECALL_CLIPBOARD_CLEAR_SECS";

/// Counts the copies: a timer clears only if no copy came after its own (which has its timer).
static COPIES: AtomicU64 = AtomicU64::new(0);

/// The delay before clearing: [`CLEAR_ENV`] if set to 1..=3600 seconds, else [`CLEAR_AFTER`].
pub fn clear_after(setting: Option<&str>) -> Duration {
    match setting.map(str::trim) {
        None | Some("") => CLEAR_AFTER,
        Some(text) => match text.parse::<u64>() {
            Ok(secs @ 1..=3600) => Duration::from_secs(secs),
            _ => {
                tracing::warn!(value = text, "{CLEAR_ENV}: not a number of seconds from 1 to 3600; using 45");
                CLEAR_AFTER
            }
        },
    }
}

/// The clipboard as [`clear_if_unchanged`] needs it.
pub trait Board {
    /// The clipboard's text (an error when it holds none, or no one holds it).
    fn read(&self) -> Result<String, String>;
    /// Empties the clipboard.
    fn clear(&self) -> Result<(), String>;
}

/// What [`clear_if_unchanged`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleared {
    /// The clipboard still held the copy: it is empty now.
    Cleared,
    /// The clipboard holds something else (or no text): left as it is.
    Changed,
    /// The clipboard could not be emptied.
    Failed,
}

/// Empties `board` if it still holds exactly `written`.
pub fn clear_if_unchanged(board: &impl Board, written: &str) -> Cleared {
    let now = board.read().map(Zeroizing::new);
    match now {
        Ok(text) if text.as_str() == written => match board.clear() {
            Ok(()) => Cleared::Cleared,
            Err(e) => {
                tracing::warn!(error = %e, "cannot clear the clipboard");
                Cleared::Failed
            }
        },
        _ => Cleared::Changed,
    }
}

/// The plugin's clipboard as a [`Board`].
struct Plugin<'a, R: Runtime>(&'a tauri_plugin_clipboard_manager::Clipboard<R>);

impl<R: Runtime> Board for Plugin<'_, R> {
    fn read(&self) -> Result<String, String> {
        self.0.read_text().map_err(|e| e.to_string())
    }

    fn clear(&self) -> Result<(), String> {
        self.0.clear().map_err(|e| e.to_string())
    }
}

/// Puts `secret` on the clipboard, marked to stay out of clipboard history, and clears it after
/// the delay ([`clear_after`]) if it is still there.
pub fn copy_secret<R: Runtime>(app: &AppHandle<R>, secret: &str) -> Result<(), String> {
    app.clipboard().write_secret(secret).map_err(|e| e.to_string())?;
    let copy = COPIES.fetch_add(1, Ordering::SeqCst) + 1;
    let written = Zeroizing::new(secret.to_owned());
    let after = clear_after(std::env::var(CLEAR_ENV).ok().as_deref());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(after).await;
        if COPIES.load(Ordering::SeqCst) != copy {
            return;
        }
        // Reading the clipboard may wait for its owner: never on the main thread.
        let done = tauri::async_runtime::spawn_blocking(move || clear_if_unchanged(&Plugin(app.clipboard()), &written));
        match done.await {
            Ok(Cleared::Cleared) => tracing::info!(after_secs = after.as_secs(), "cleared the clipboard"),
            Ok(Cleared::Changed) => tracing::info!("the clipboard changed since the copy: left as it is"),
            Ok(Cleared::Failed) => {}
            Err(e) => tracing::warn!(error = %e, "cannot check the clipboard"),
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// An in-memory clipboard: its text, or none.
    struct Memory(RefCell<Option<String>>);
    impl Board for Memory {
        fn read(&self) -> Result<String, String> {
            self.0.borrow().clone().ok_or_else(|| "no text".to_owned())
        }
        fn clear(&self) -> Result<(), String> {
            *self.0.borrow_mut() = None;
            Ok(())
        }
    }

    #[test]
    fn only_the_copy_itself_is_cleared() {
        let board = Memory(RefCell::new(Some("export AWS_SESSION_TOKEN='t'\n".into())));
        assert_eq!(clear_if_unchanged(&board, "export AWS_SESSION_TOKEN='t'\n"), Cleared::Cleared);
        assert_eq!(*board.0.borrow(), None);

        let board = Memory(RefCell::new(Some("the user's own text".into())));
        assert_eq!(clear_if_unchanged(&board, "export AWS_SESSION_TOKEN='t'\n"), Cleared::Changed);
        assert_eq!(board.0.borrow().as_deref(), Some("the user's own text"));

        let board = Memory(RefCell::new(Some("export AWS_SESSION_TOKEN='t'".into())));
        assert_eq!(clear_if_unchanged(&board, "export AWS_SESSION_TOKEN='t'\n"), Cleared::Changed, "not the same");

        let board = Memory(RefCell::new(None));
        assert_eq!(clear_if_unchanged(&board, "x"), Cleared::Changed, "an image, or no owner: nothing to do");
    }

    #[test]
    fn the_delay_is_45_seconds_unless_set_within_bounds() {
        assert_eq!(clear_after(None), CLEAR_AFTER);
        assert_eq!(clear_after(Some("")), CLEAR_AFTER);
        assert_eq!(clear_after(Some("3")), Duration::from_secs(3));
        assert_eq!(clear_after(Some(" 3600 ")), Duration::from_secs(3600));
        for bad in ["0", "3601", "-1", "4.5", "soon"] {
            assert_eq!(clear_after(Some(bad)), CLEAR_AFTER, "{bad}");
        }
    }
}
