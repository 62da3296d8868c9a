//! Screenshots of a [`Desktop`]: the screen, one window, the tray menu opened with a right
//! click (ImageMagick's `import`, `xdotool`), and where the tests keep them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{BAR_HEIGHT, Desktop, SCREEN, TOOL_TIMEOUT, profile_dir};
use crate::util::{poll, run_with_timeout};

impl Desktop {
    /// Saves a PNG of the whole screen to `path` (`import -window root`), creating its directory.
    ///
    /// # Panics
    /// If `import` fails.
    pub fn screenshot(&self, path: &Path) {
        self.import("root", path);
    }

    /// Saves a PNG of the visible window titled exactly `title` to `path`.
    ///
    /// # Panics
    /// If there is no such window, or `import` fails.
    pub fn screenshot_window(&self, title: &str, path: &Path) {
        let id = *self.visible_windows(title).first().unwrap_or_else(|| panic!("no visible window titled {title:?}"));
        self.import(&id.to_string(), path);
    }
    /// Opens the tray menu as a user does (a right click on the icon in the tray host's bar, with
    /// xdotool), saves a PNG of the whole screen with the menu open to `path`, and closes the
    /// menu again (Escape).
    ///
    /// # Panics
    /// If there is no icon in the bar, the menu does not open within 5 s, or a tool fails.
    pub fn screenshot_tray_menu(&self, path: &Path) {
        let (x, y) = self.tray_icon_position();
        let before = self.popup_count();
        self.x_tool_ok("xdotool", &["mousemove", &x.to_string(), &y.to_string(), "click", "3"]);
        let opened = poll(Duration::from_secs(5), || (self.popup_count() > before).then_some(()));
        assert!(
            opened.is_some(),
            "the tray menu did not open after a right click at ({x}, {y}):\n{}",
            self.window_tree()
        );
        // Let GTK paint the menu.
        std::thread::sleep(Duration::from_millis(400));
        self.screenshot(path);
        self.x_tool_ok("xdotool", &["key", "Escape"]);
        // Clicked away rather than left open holding the pointer grab.
        let _ = poll(Duration::from_secs(3), || (self.popup_count() <= before).then_some(()));
    }

    /// The centre of the tray icon: the bounding box of whatever is drawn in the bar (ImageMagick
    /// `-trim` against the bar's background).
    pub fn tray_icon_position(&self) -> (u32, u32) {
        let shot = self.dir.path().join("bar.png");
        self.import("root", &shot);
        let crop = format!("{}x{BAR_HEIGHT}+0+0", SCREEN.0);
        let out = run_with_timeout(
            Command::new("convert").arg(&shot).args(["-crop", &crop, "+repage", "-trim", "info:"]),
            None,
            TOOL_TIMEOUT,
        );
        let info = String::from_utf8_lossy(&out.stdout).into_owned();
        // "bar.png PNG 39x39 1280x40+1241+1 8-bit sRGB …": size, then page geometry with offset.
        let fields: Vec<&str> = info.split_whitespace().collect();
        let size = fields.get(2).and_then(|s| parse_pair(s, 'x'));
        let offset = fields.get(3).and_then(|g| g.split_once('+')).and_then(|(_, off)| parse_pair(off, '+'));
        match (size, offset) {
            (Some((w, h)), Some((x, y))) if w < SCREEN.0 => (x + w / 2, y + h / 2),
            _ => panic!(
                "no tray icon found in the bar (convert said {info:?}, {})",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Visible windows of the tray host (its bar, and a menu when one is open).
    fn popup_count(&self) -> usize {
        let out = self.x_tool("xdotool", &["search", "--onlyvisible", "--class", "gtk-sni-tray-standalone"]);
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.trim().is_empty()).count()
    }
    fn import(&self, window: &str, path: &Path) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create screenshot dir");
        }
        let path_s = path.to_string_lossy().into_owned();
        self.x_tool_ok("import", &["-window", window, &path_s]);
    }
}

/// Where the GUI tests save their screenshots: `$CARGO_TARGET_DIR/e2e-screenshots`, else
/// `e2e-screenshots` in the target directory this test executable was built into. Created.
pub fn screenshots_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => profile_dir().parent().map(Path::to_path_buf).unwrap_or_else(profile_dir),
    };
    let dir = target.join("e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

fn parse_pair(text: &str, sep: char) -> Option<(u32, u32)> {
    let (a, b) = text.split_once(sep)?;
    Some((a.parse().ok()?, b.parse().ok()?))
}
