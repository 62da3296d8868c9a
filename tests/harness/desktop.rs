//! [`Desktop`]: a headless X display (Xvfb) with a tray host, on a [`Keychain`]'s private session
//! bus; [`TrayApp`]: the `rolecall-tray` binary running on it; [`TrayItem`]: its tray item, read
//! and clicked over D-Bus (dbusmenu) as a desktop shell does.
//!
//! The app, gnome-keyring and the tray host share the keychain's bus, so the app finds the
//! keychain and the StatusNotifierWatcher there, and a second launch finds the first one (the
//! single-instance lock is a bus name).
//!
//! - Xvfb runs with `-displayfd`, so it picks a free display number itself and says which (no
//!   race with other tests), `-nolisten tcp`, one 1280x800x24 screen, no window manager.
//! - The tray host is `gtk-sni-tray-standalone --watcher --top --end --size 40`: it owns
//!   `org.kde.StatusNotifierWatcher` and draws the icons in a 40 px bar across the top.
//! - The tray item is found through the watcher (`RegisteredStatusNotifierItems`, and the object
//!   path from the `RegisteredSNIEntries` this watcher also has), never guessed: the app holds
//!   several bus connections and a call to the wrong one hangs until D-Bus times it out.
//! - D-Bus calls go through `busctl --json=short` (systemd), which prints typed JSON.
//!
//! Needs: `Xvfb`, `gtk-sni-tray-standalone`, `busctl`, `xdotool`, `import` and `convert`
//! (ImageMagick); `scripts/setup --test` installs them.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::keychain::{Keychain, KeychainKind};
use crate::moto::Moto;
use crate::process::Supervised;
use crate::sandbox::Sandbox;
use crate::util::{apply_envs, poll, run_with_timeout, tail, wait_for};

/// The screen Xvfb emulates.
pub const SCREEN: (u32, u32) = (1280, 800);
/// The height of the tray host's bar at the top of the screen.
const BAR_HEIGHT: u32 = 40;
/// How long Xvfb and the tray host may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one helper command (busctl, xdotool, import) may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the app may take to register its tray item (a debug build, on a busy machine).
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(60);
/// D-Bus reply timeout given to busctl, in seconds.
const DBUS_REPLY_TIMEOUT_SECS: u32 = 5;

/// A headless X display with a tray host on a keychain's bus; both stopped when dropped.
pub struct Desktop {
    display: String,
    bus: String,
    dir: TempDir,
    tray_host: Option<Supervised>,
    xvfb: Option<Supervised>,
}

impl Desktop {
    /// Starts Xvfb on a free display and the tray host on `keychain`'s bus, and waits until the
    /// tray host has registered with its own StatusNotifierWatcher.
    ///
    /// # Panics
    /// If the keychain has no bus ([`Keychain::absent`]), or Xvfb or the tray host do not come up
    /// within 20 s (with their output).
    pub fn start(keychain: &Keychain) -> Desktop {
        assert_ne!(keychain.kind(), KeychainKind::Absent, "Desktop::start needs a keychain with a bus");
        let started = Instant::now();
        let dir = tempfile::Builder::new().prefix("rc-desk-").tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".run")).expect("create desktop home");
        set_private(&home.join(".run"));

        let mut xvfb_cmd = Command::new("Xvfb");
        xvfb_cmd
            .args(["-displayfd", "1", "-nolisten", "tcp", "-noreset", "-screen", "0"])
            .arg(format!("{}x{}x24", SCREEN.0, SCREEN.1))
            .current_dir(dir.path());
        apply_envs(&mut xvfb_cmd, &[]);
        let mut xvfb = Supervised::spawn("Xvfb", &xvfb_cmd, &dir.path().join("xvfb.log"), None);
        // With -displayfd 1, Xvfb prints its display number on a line of its own once it accepts
        // connections.
        let number = poll(START_TIMEOUT, || {
            if let Some(status) = xvfb.exited() {
                return Some(Err(status));
            }
            xvfb.log()
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
                .map(|n| Ok(n.to_owned()))
        });
        let display = match number {
            Some(Ok(n)) => format!(":{n}"),
            Some(Err(status)) => panic!("Xvfb exited with {status}; its output:\n{}", tail(&xvfb.log(), 4000)),
            None => panic!("Xvfb gave no display number within {START_TIMEOUT:?}:\n{}", tail(&xvfb.log(), 4000)),
        };

        let mut desktop =
            Desktop { display, bus: keychain.address().to_owned(), dir, tray_host: None, xvfb: Some(xvfb) };
        let mut host_cmd = Command::new("gtk-sni-tray-standalone");
        host_cmd.args(["--watcher", "--top", "--end", "--size", &BAR_HEIGHT.to_string()]).current_dir(&home);
        let home_s = home.to_string_lossy().into_owned();
        let mut envs = desktop.env();
        envs.extend([
            ("HOME".to_owned(), home_s.clone()),
            ("XDG_RUNTIME_DIR".to_owned(), format!("{home_s}/.run")),
            ("XDG_CONFIG_HOME".to_owned(), format!("{home_s}/.config")),
            ("XDG_CACHE_HOME".to_owned(), format!("{home_s}/.cache")),
            ("XDG_DATA_HOME".to_owned(), format!("{home_s}/.local/share")),
        ]);
        apply_envs(&mut host_cmd, &envs);
        // gtk-sni-tray-standalone starts its watcher and registers its host with it at once; now
        // and then the watcher is not on the bus yet, and the host exits ("Pattern match failure
        // … Main.hs:177", after a ServiceUnknown or UnknownObject error). Then it is started again.
        let mut attempt = 0;
        let host = loop {
            attempt += 1;
            let log = desktop.dir.path().join(format!("tray-host-{attempt}.log"));
            let mut host = Supervised::spawn("gtk-sni-tray-standalone", &host_cmd, &log, None);
            let ready = poll(START_TIMEOUT, || {
                if let Some(status) = host.exited() {
                    return Some(Err(status));
                }
                let registered = desktop
                    .get_property(
                        "org.kde.StatusNotifierWatcher",
                        "/StatusNotifierWatcher",
                        "org.kde.StatusNotifierWatcher",
                        "IsStatusNotifierHostRegistered",
                    )
                    .is_ok_and(|v| v == Value::Bool(true));
                registered.then_some(Ok(()))
            });
            match ready {
                Some(Ok(())) => break host,
                Some(Err(status)) if attempt < 5 => {
                    eprintln!(
                        "harness: the tray host exited with {status} at start; starting it again:\n{}",
                        tail(&host.log(), 600)
                    );
                }
                Some(Err(status)) => {
                    panic!("the tray host exited with {status}; its output:\n{}", tail(&host.log(), 4000))
                }
                None => panic!(
                    "the tray host did not register with its watcher within {START_TIMEOUT:?}; its output:\n{}",
                    tail(&host.log(), 4000)
                ),
            }
        };
        desktop.tray_host = Some(host);
        eprintln!("harness: desktop {} with a tray host ready in {:?}", desktop.display, started.elapsed());
        desktop
    }

    /// The X display (`:N`).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The session bus address (the keychain's).
    pub fn bus(&self) -> &str {
        &self.bus
    }

    /// The variables that put a GUI program on this desktop: `DISPLAY`,
    /// `DBUS_SESSION_BUS_ADDRESS`, `NO_AT_BRIDGE=1` (no accessibility bus to look for) and
    /// `GDK_BACKEND=x11`. Append them after [`Sandbox::envs`] (later entries win).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DISPLAY".to_owned(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.bus.clone()),
            ("NO_AT_BRIDGE".to_owned(), "1".to_owned()),
            ("GDK_BACKEND".to_owned(), "x11".to_owned()),
        ]
    }

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

    /// The tray items registered with the watcher: (bus name, object path) each.
    ///
    /// The names come from the standard `RegisteredStatusNotifierItems`; an entry of the form
    /// `NAME/PATH` carries its path, otherwise the path is taken from the watcher's
    /// `RegisteredSNIEntries` (gtk-sni-tray's watcher has it), else the standard
    /// `/StatusNotifierItem`.
    pub fn tray_items(&self) -> Vec<(String, String)> {
        let watcher = |property: &str| {
            self.get_property(
                "org.kde.StatusNotifierWatcher",
                "/StatusNotifierWatcher",
                "org.kde.StatusNotifierWatcher",
                property,
            )
        };
        let Ok(Value::Array(names)) = watcher("RegisteredStatusNotifierItems") else { return Vec::new() };
        let entries: Vec<(String, String)> = match watcher("RegisteredSNIEntries") {
            Ok(Value::Array(pairs)) => {
                pairs.iter().filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned()))).collect()
            }
            _ => Vec::new(),
        };
        names
            .iter()
            .filter_map(Value::as_str)
            .map(|entry| match entry.split_once('/') {
                Some((name, path)) => (name.to_owned(), format!("/{path}")),
                None => {
                    let path = entries.iter().find(|(n, _)| n == entry).map(|(_, p)| p.clone());
                    (entry.to_owned(), path.unwrap_or_else(|| "/StatusNotifierItem".to_owned()))
                }
            })
            .collect()
    }

    /// Waits until exactly one tray item is registered and returns it, with its menu's path.
    ///
    /// # Panics
    /// After `timeout`, or if more than one item registers.
    pub fn wait_for_tray_item(&self, timeout: Duration) -> TrayItem {
        let (name, path) = wait_for("a tray item to register", timeout, || {
            let items = self.tray_items();
            assert!(items.len() <= 1, "more than one tray item registered: {items:?}");
            items.into_iter().next()
        });
        self.tray_item(&name, &path)
    }

    /// The tray item at bus name `name`, object path `path`: reads its `Menu` property.
    ///
    /// # Panics
    /// If the property cannot be read.
    pub fn tray_item(&self, name: &str, path: &str) -> TrayItem {
        let menu = self
            .get_property(name, path, "org.kde.StatusNotifierItem", "Menu")
            .unwrap_or_else(|e| panic!("reading the Menu of tray item {name} {path}: {e}"));
        let menu = menu.as_str().unwrap_or_else(|| panic!("Menu is not an object path: {menu}")).to_owned();
        TrayItem { bus: self.bus.clone(), name: name.to_owned(), path: path.to_owned(), menu }
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

    /// One D-Bus property, as JSON.
    pub fn get_property(&self, dest: &str, path: &str, interface: &str, property: &str) -> Result<Value, String> {
        busctl(&self.bus, &["get-property", dest, path, interface, property]).map(|v| v["data"].clone())
    }

    fn import(&self, window: &str, path: &Path) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create screenshot dir");
        }
        let path_s = path.to_string_lossy().into_owned();
        self.x_tool_ok("import", &["-window", window, &path_s]);
    }

    fn x_tool(&self, program: &str, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(program);
        apply_envs(&mut cmd, &self.env()).args(args).current_dir(self.dir.path());
        run_with_timeout(&mut cmd, None, TOOL_TIMEOUT)
    }

    fn x_tool_ok(&self, program: &str, args: &[&str]) {
        let out = self.x_tool(program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        drop(self.tray_host.take());
        drop(self.xvfb.take());
    }
}

/// A tray item on the bus: its menu read with dbusmenu `GetLayout` and clicked with `Event`.
#[derive(Clone, Debug)]
pub struct TrayItem {
    bus: String,
    /// The item's unique bus name, as the watcher gave it (`:1.6`).
    pub name: String,
    /// The item's object path (`/org/ayatana/NotificationItem/…`).
    pub path: String,
    /// The menu's object path (the item's `Menu` property).
    pub menu: String,
}

/// One entry of a tray menu, as dbusmenu exports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItem {
    /// The runtime id (changes whenever the app rebuilds its menu).
    pub id: i64,
    /// The label, as shown (empty for a separator).
    pub label: String,
    /// Whether it can be clicked.
    pub enabled: bool,
    /// Whether it is shown.
    pub visible: bool,
    /// Whether it is a separator.
    pub separator: bool,
    /// Its submenu's entries.
    pub children: Vec<MenuItem>,
}

impl MenuItem {
    /// This entry and every entry below it, depth first.
    pub fn flatten(&self) -> Vec<&MenuItem> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.flatten());
        }
        all
    }

    /// The labels of the entries directly below this one (separators left out).
    pub fn child_labels(&self) -> Vec<String> {
        self.children.iter().filter(|c| !c.separator).map(|c| c.label.clone()).collect()
    }

    fn from_layout(value: &Value) -> Option<MenuItem> {
        // (ia{sv}av): id, properties, children (each a variant {"type", "data"}).
        let id = value[0].as_i64()?;
        let props = value[1].as_object()?;
        let prop = |name: &str| props.get(name).map(|v| &v["data"]);
        let children = value[2].as_array()?.iter().filter_map(|c| MenuItem::from_layout(&c["data"])).collect();
        Some(MenuItem {
            id,
            label: prop("label").and_then(Value::as_str).unwrap_or_default().to_owned(),
            enabled: prop("enabled").and_then(Value::as_bool).unwrap_or(true),
            visible: prop("visible").and_then(Value::as_bool).unwrap_or(true),
            separator: prop("type").and_then(Value::as_str) == Some("separator"),
            children,
        })
    }
}

impl std::fmt::Display for MenuItem {
    /// The menu as an indented outline, for messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn write(item: &MenuItem, depth: usize, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for child in &item.children {
                let label = if child.separator { "----".to_owned() } else { format!("{:?}", child.label) };
                let state = if child.enabled { "" } else { " (disabled)" };
                writeln!(f, "{}{label}{state}", "  ".repeat(depth))?;
                write(child, depth + 1, f)?;
            }
            Ok(())
        }
        write(self, 0, f)
    }
}

impl TrayItem {
    /// The whole menu (`GetLayout(0, -1, [])`): the root entry, whose children are the menu.
    ///
    /// # Panics
    /// If the call fails.
    pub fn menu(&self) -> MenuItem {
        self.try_menu().unwrap_or_else(|e| panic!("GetLayout on {} {}: {e}", self.name, self.menu))
    }

    /// As [`menu`](Self::menu), or the error.
    pub fn try_menu(&self) -> Result<MenuItem, String> {
        let reply = busctl(
            &self.bus,
            &["call", &self.name, &self.menu, "com.canonical.dbusmenu", "GetLayout", "--", "iias", "0", "-1", "0"],
        )?;
        // u(ia{sv}av): revision, root.
        MenuItem::from_layout(&reply["data"][1]).ok_or_else(|| format!("unexpected GetLayout reply: {reply}"))
    }

    /// The labels of the top-level entries (separators left out).
    pub fn labels(&self) -> Vec<String> {
        self.menu().child_labels()
    }

    /// The first entry anywhere in the menu whose label is exactly `label`.
    pub fn find(&self, label: &str) -> Option<MenuItem> {
        self.menu().flatten().into_iter().find(|i| !i.separator && i.label == label).cloned()
    }

    /// Clicks the first entry anywhere in the menu whose label is exactly `label` (dbusmenu
    /// `Event(id, "clicked", <"">, 0)`), as a tray host does.
    ///
    /// # Panics
    /// If there is no such entry, or the call fails.
    pub fn click(&self, label: &str) {
        let menu = self.menu();
        let item = menu
            .flatten()
            .into_iter()
            .find(|i| !i.separator && i.label == label)
            .unwrap_or_else(|| panic!("no menu entry labelled {label:?} in:\n{menu}"))
            .clone();
        self.click_id(item.id).unwrap_or_else(|e| panic!("clicking {label:?} (id {}): {e}", item.id));
    }

    /// Sends `clicked` to the entry with runtime id `id`.
    pub fn click_id(&self, id: i64) -> Result<(), String> {
        let id = id.to_string();
        busctl(
            &self.bus,
            &[
                "call",
                &self.name,
                &self.menu,
                "com.canonical.dbusmenu",
                "Event",
                "--",
                "isvu",
                &id,
                "clicked",
                "s",
                "",
                "0",
            ],
        )
        .map(drop)
    }

    /// Waits until an entry anywhere in the menu satisfies `predicate`; returns it.
    ///
    /// # Panics
    /// After `timeout`, with `what` and the last menu seen.
    pub fn wait_for_label(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        self.try_wait_for_label(what, timeout, predicate).unwrap_or_else(|e| panic!("{e}"))
    }

    /// As [`wait_for_label`](Self::wait_for_label), with the timeout as an error.
    pub fn try_wait_for_label(
        &self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&MenuItem) -> bool,
    ) -> Result<MenuItem, String> {
        self.poll_menu(what, timeout, |menu| menu.flatten().into_iter().find(|i| !i.separator && predicate(i)).cloned())
    }

    /// Waits until `predicate` holds for the whole menu (e.g. an entry is gone); returns the menu.
    ///
    /// # Panics
    /// After `timeout`, with `what` and the last menu seen.
    pub fn wait_for_menu(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        self.try_wait_for_menu(what, timeout, predicate).unwrap_or_else(|e| panic!("{e}"))
    }

    /// As [`wait_for_menu`](Self::wait_for_menu), with the timeout as an error.
    pub fn try_wait_for_menu(
        &self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&MenuItem) -> bool,
    ) -> Result<MenuItem, String> {
        self.poll_menu(what, timeout, |menu| predicate(menu).then(|| menu.clone()))
    }

    fn poll_menu<T>(&self, what: &str, timeout: Duration, f: impl Fn(&MenuItem) -> Option<T>) -> Result<T, String> {
        let mut last = String::new();
        let found = poll(timeout, || match self.try_menu() {
            Ok(menu) => {
                last = menu.to_string();
                f(&menu)
            }
            Err(e) => {
                last = e;
                None
            }
        });
        found.ok_or_else(|| {
            format!("timed out after {:.1}s waiting for {what}; the menu:\n{last}", timeout.as_secs_f64())
        })
    }
}

/// The `rolecall-tray` binary running on a [`Desktop`] in a [`Sandbox`]; stopped when dropped.
pub struct TrayApp {
    process: Supervised,
    started: Instant,
    item: Option<TrayItem>,
    envs: Vec<(String, String)>,
    _dir: TempDir,
}

impl TrayApp {
    /// Starts [`tray_bin`] with `args`, the sandbox's environment against `moto` and `keychain`
    /// ([`Sandbox::envs`]) plus the desktop's ([`Desktop::env`]), in the sandbox's home.
    pub fn start(sandbox: &Sandbox, moto: &Moto, keychain: &Keychain, desktop: &Desktop, args: &[&str]) -> TrayApp {
        TrayApp::start_bin(&tray_bin(), sandbox, moto, keychain, desktop, args)
    }

    /// As [`start`](Self::start), with the binary at `bin` (e.g. an installed `/usr/bin/rolecall-tray`).
    pub fn start_bin(
        bin: &Path,
        sandbox: &Sandbox,
        moto: &Moto,
        keychain: &Keychain,
        desktop: &Desktop,
        args: &[&str],
    ) -> TrayApp {
        TrayApp::start_with_envs(bin, sandbox, tray_envs(sandbox, moto, keychain, desktop), args)
    }

    /// Starts `bin` with `args` and exactly `envs` (e.g. [`tray_envs`] plus test switches, or
    /// with `AWS_ENDPOINT_URL` pointing at a recording proxy), in the sandbox's home.
    pub fn start_with_envs(bin: &Path, sandbox: &Sandbox, envs: Vec<(String, String)>, args: &[&str]) -> TrayApp {
        let mut cmd = Command::new(bin);
        apply_envs(&mut cmd, &envs).args(args).current_dir(sandbox.home());
        let dir = tempfile::Builder::new().prefix("rc-tray-").tempdir().expect("temp dir");
        let process = Supervised::spawn("rolecall-tray", &cmd, &dir.path().join("tray.log"), None);
        TrayApp { process, started: Instant::now(), item: None, envs, _dir: dir }
    }

    /// The environment the app runs with (to start a second instance the same way).
    pub fn envs(&self) -> &[(String, String)] {
        &self.envs
    }

    /// Waits until the app's tray item appears in the watcher's `RegisteredStatusNotifierItems`
    /// (the only one on this bus), prints and returns how long that took since the start.
    ///
    /// # Panics
    /// If the app exits first, or after [`REGISTER_TIMEOUT`], with its output.
    pub fn wait_registered(&mut self, desktop: &Desktop) -> Duration {
        let found = poll(REGISTER_TIMEOUT, || {
            if let Some(status) = self.process.exited() {
                return Some(Err(status));
            }
            let items = desktop.tray_items();
            assert!(items.len() <= 1, "more than one tray item registered: {items:?}");
            items.into_iter().next().map(Ok)
        });
        let elapsed = self.started.elapsed();
        match found {
            Some(Ok((name, path))) => {
                eprintln!("harness: rolecall-tray registered its tray item after {} ms", elapsed.as_millis());
                self.item = Some(desktop.tray_item(&name, &path));
                elapsed
            }
            Some(Err(status)) => panic!("rolecall-tray exited with {status} before registering:\n{}", self.log()),
            None => panic!("rolecall-tray registered no tray item within {REGISTER_TIMEOUT:?}:\n{}", self.log()),
        }
    }

    /// The tray item.
    ///
    /// # Panics
    /// Before [`wait_registered`](Self::wait_registered).
    pub fn item(&self) -> &TrayItem {
        self.item.as_ref().expect("call wait_registered first")
    }

    /// The whole menu; see [`TrayItem::menu`].
    pub fn menu(&self) -> MenuItem {
        self.item().menu()
    }

    /// The top-level labels; see [`TrayItem::labels`].
    pub fn labels(&self) -> Vec<String> {
        self.item().labels()
    }

    /// Clicks the entry labelled `label`; see [`TrayItem::click`].
    pub fn click(&self, label: &str) {
        self.item().click(label);
    }

    /// Waits for an entry; see [`TrayItem::wait_for_label`]. The panic message has the app's log.
    pub fn wait_for_label(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        let found = self.item().try_wait_for_label(what, timeout, predicate);
        found.unwrap_or_else(|e| panic!("{e}\nrolecall-tray's log:\n{}", tail(&self.log(), 4000)))
    }

    /// Waits for the whole menu; see [`TrayItem::wait_for_menu`]. The panic message has the app's
    /// log.
    pub fn wait_for_menu(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        let found = self.item().try_wait_for_menu(what, timeout, predicate);
        found.unwrap_or_else(|e| panic!("{e}\nrolecall-tray's log:\n{}", tail(&self.log(), 4000)))
    }

    /// The exit status, if the app has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.process.exited()
    }

    /// Waits until the app exits; its status.
    ///
    /// # Panics
    /// After `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match poll(timeout, || self.process.exited()) {
            Some(status) => status,
            None => panic!("rolecall-tray still runs after {:.1}s:\n{}", timeout.as_secs_f64(), self.log()),
        }
    }

    /// Everything the app printed so far.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The app's process id.
    ///
    /// # Panics
    /// If it does not run.
    pub fn pid(&self) -> u32 {
        self.process.program_pid().unwrap_or_else(|| panic!("rolecall-tray does not run:\n{}", self.log()))
    }

    /// The CPU time (user and system) the app has used so far, from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("read /proc/PID/stat");
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15 (in clock ticks).
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        let fields: Vec<u64> = after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
        let ticks: u64 = fields.iter().sum();
        // USER_HZ is 100 on every Linux architecture the suite runs on.
        Duration::from_millis(ticks * 10)
    }
}

/// The environment of a GUI rolecall process: [`Sandbox::envs`] then [`Desktop::env`].
pub fn tray_envs(sandbox: &Sandbox, moto: &Moto, keychain: &Keychain, desktop: &Desktop) -> Vec<(String, String)> {
    let mut envs = sandbox.envs(moto, keychain);
    envs.extend(desktop.env());
    envs
}

/// The tray app under test: `$ROLECALL_TRAY_BIN` if set, else `rolecall-tray` beside
/// [`crate::rolecall_bin`]'s default place (the cargo profile directory of this test
/// executable). `cargo test -p rolecall-e2e` does not build it: run
/// `cargo build -p rolecall-tray` first, with the same `CARGO_TARGET_DIR`.
///
/// # Panics
/// If that file does not exist, saying how to build it.
pub fn tray_bin() -> PathBuf {
    let bin = match std::env::var_os("ROLECALL_TRAY_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => profile_dir().join(format!("rolecall-tray{}", std::env::consts::EXE_SUFFIX)),
    };
    assert!(
        bin.is_file(),
        "the tray app is not at {}: build it first with `cargo build -p rolecall-tray` (same CARGO_TARGET_DIR \
         as the tests, and `npm --prefix ui run build` before if ui/dist is missing), or set ROLECALL_TRAY_BIN",
        bin.display()
    );
    bin
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

/// `<target>/<profile>`: the test executable is `<target>/<profile>/deps/e2e-<hash>`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    if deps.ends_with("deps") { deps.parent().unwrap_or(deps).to_path_buf() } else { deps.to_path_buf() }
}

/// `busctl --address=BUS --json=short ARGS`: its JSON output (`null` when it prints nothing), or
/// its error.
pub fn busctl(bus: &str, args: &[&str]) -> Result<Value, String> {
    let mut cmd = Command::new("busctl");
    apply_envs(&mut cmd, &[])
        .arg(format!("--address={bus}"))
        .arg("--json=short")
        .arg(format!("--timeout={DBUS_REPLY_TIMEOUT_SECS}"))
        .args(args);
    let out = run_with_timeout(&mut cmd, None, TOOL_TIMEOUT);
    if !out.status.success() {
        return Err(format!("busctl {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| format!("busctl {args:?}: bad JSON ({e}): {text}"))
}

fn parse_pair(text: &str, sep: char) -> Option<(u32, u32)> {
    let (a, b) = text.split_once(sep)?;
    Some((a.parse().ok()?, b.parse().ok()?))
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

fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
}
