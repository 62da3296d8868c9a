//! The windows on a [`Desktop`]: which are visible, waiting for one to open or close, and the
//! whole tree for messages (`xdotool`, `xwininfo`).

use std::time::Duration;

use super::Desktop;
use crate::util::poll;

impl Desktop {
    /// The ids of the visible (mapped and viewable) windows titled exactly `title`
    /// (`xdotool search --onlyvisible --name`).
    pub fn visible_windows(&self, title: &str) -> Vec<u64> {
        let pattern = format!("^{}$", regex_escape(title));
        let out = self.x_tool("xdotool", &["search", "--onlyvisible", "--name", &pattern]);
        // xdotool exits 1 when nothing matches.
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    /// Whether a window titled exactly `title` is visible.
    pub fn has_window(&self, title: &str) -> bool {
        !self.visible_windows(title).is_empty()
    }

    /// Waits until a window titled exactly `title` is visible; returns its id.
    ///
    /// # Panics
    /// After `timeout`, listing the windows there are (`xwininfo -root -tree`).
    pub fn wait_for_window(&self, title: &str, timeout: Duration) -> u64 {
        poll(timeout, || self.visible_windows(title).first().copied()).unwrap_or_else(|| {
            panic!(
                "no visible window titled {title:?} after {:.1}s; the windows:\n{}",
                timeout.as_secs_f64(),
                self.window_tree()
            )
        })
    }

    /// Waits until no window titled exactly `title` is visible.
    ///
    /// # Panics
    /// After `timeout`.
    pub fn wait_for_no_window(&self, title: &str, timeout: Duration) {
        if poll(timeout, || (!self.has_window(title)).then_some(())).is_none() {
            panic!(
                "the window {title:?} is still visible after {:.1}s:\n{}",
                timeout.as_secs_f64(),
                self.window_tree()
            );
        }
    }

    /// `xwininfo -root -tree`: every window with its title, class and geometry (for messages).
    pub fn window_tree(&self) -> String {
        String::from_utf8_lossy(&self.x_tool("xwininfo", &["-root", "-tree"]).stdout).into_owned()
    }
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
