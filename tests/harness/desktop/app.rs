//! [`TrayApp`]: the `rolecall-tray` binary running on a [`Desktop`] in a [`Sandbox`], with its
//! environment ([`tray_envs`]) and where the binary is ([`tray_bin`]).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::tray_item::{MenuItem, TrayItem};
use super::{Desktop, profile_dir};
use crate::keychain::Keychain;
use crate::moto::Moto;
use crate::process::Supervised;
use crate::sandbox::Sandbox;
use crate::util::{apply_envs, poll, tail};

/// How long the app may take to register its tray item (a debug build, on a busy machine).
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(60);

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
