//! [`Desktop`]: a headless X display (Xvfb) with a tray host, on a [`Keychain`]'s private session
//! bus; [`TrayApp`]: the `rolecall-tray` binary running on it; [`TrayItem`]: its tray item, read
//! and clicked over D-Bus (dbusmenu) as a desktop shell does.
//!
//! The app, gnome-keyring and the tray host share the keychain's bus, so the app finds the
//! keychain and the StatusNotifierWatcher there, and a second launch finds the first one (the
//! single-instance lock is a bus name).
//!
//! One job per file: this one starts the display and the tray host; [`windows`] finds the
//! windows on it, [`screenshots`] takes pictures of it, [`tray_item`] reads and clicks the tray
//! item's menu over D-Bus, and [`app`] runs `rolecall-tray`.
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

pub mod app;
pub mod screenshots;
pub mod tray_item;
pub mod windows;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::keychain::{Keychain, KeychainKind};
use crate::process::Supervised;
use crate::util::{apply_envs, poll, run_with_timeout, tail};

pub use app::{REGISTER_TIMEOUT, TrayApp, tray_bin, tray_envs};
pub use screenshots::screenshots_dir;
pub use tray_item::{MenuItem, TrayItem, busctl};

/// The screen Xvfb emulates.
pub const SCREEN: (u32, u32) = (1280, 800);
/// The height of the tray host's bar at the top of the screen.
const BAR_HEIGHT: u32 = 40;
/// How long Xvfb and the tray host may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one helper command (busctl, xdotool, import) may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

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
    /// `GDK_BACKEND=x11`. Append them after [`crate::Sandbox::envs`] (later entries win).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DISPLAY".to_owned(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.bus.clone()),
            ("NO_AT_BRIDGE".to_owned(), "1".to_owned()),
            ("GDK_BACKEND".to_owned(), "x11".to_owned()),
        ]
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

/// `<target>/<profile>`: the test executable is `<target>/<profile>/deps/e2e-<hash>`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    if deps.ends_with("deps") { deps.parent().unwrap_or(deps).to_path_buf() } else { deps.to_path_buf() }
}

fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
}
