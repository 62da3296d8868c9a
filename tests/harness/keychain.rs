//! [`Keychain`]: a real Secret Service (gnome-keyring) on a private D-Bus session bus, one per
//! test, or a bus without one, or no bus at all.
//!
//! The bus is a `dbus-daemon` with its own configuration file: it listens on a socket in a
//! temporary directory and has no service directories, so nothing is ever D-Bus-activated on it
//! (no stray gnome-keyring, no GUI prompter: a prompt fails at once instead of hanging).
//! gnome-keyring-daemon runs with `--foreground --components=secrets` and HOME, XDG_DATA_HOME
//! (where `keyrings/login.keyring` lives) and XDG_RUNTIME_DIR in that temporary directory.
//!
//! What clients see (checked with `secret-tool`): [`Keychain::start_unlocked`] stores and looks
//! up; with [`Keychain::start_locked`] the login collection exists but is locked, so storing
//! fails ("Cannot create an item in a locked collection") and looking up an item fails (the
//! unlock prompt cannot be shown: keyring v3 reports `NoStorageAccess`); with
//! [`Keychain::start_without_collection`] there is no collection at all but the in-memory
//! `session` one; with [`Keychain::absent`] connecting to the bus fails; after
//! [`Keychain::kill_daemon`] the bus is there but nothing serves the Secret Service on it, so
//! every call fails at once (`ServiceUnknown`; keyring v3: `PlatformFailure`) until
//! [`Keychain::unlock`] starts the daemon again.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Duration;

use tempfile::TempDir;

use crate::process::Supervised;
use crate::util::{poll, run_with_timeout, tail};

/// The password of the login keyring of an unlocked (or locked) [`Keychain`].
pub const KEYRING_PASSWORD: &str = "rolecall-test-keyring-password";
/// The object path of the login collection (the `default` alias once it exists).
const LOGIN: &str = "/org/freedesktop/secrets/collection/login";
/// How long the bus and the keyring may take to come up.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long one `dbus-send` or `secret-tool` run may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Which keychain state a [`Keychain`] was started in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeychainKind {
    /// gnome-keyring with an unlocked login collection (the `default` alias).
    Unlocked,
    /// gnome-keyring whose login collection exists but is locked.
    Locked,
    /// gnome-keyring with no persistent collection at all (no `default` alias).
    NoCollection,
    /// An address with no bus behind it.
    Absent,
}

/// A private Secret Service for one test; every process it started is stopped when dropped.
pub struct Keychain {
    kind: KeychainKind,
    address: String,
    dir: TempDir,
    /// gnome-keyring-daemon, if running (replaced by [`Keychain::unlock`]).
    daemon: Mutex<Option<Supervised>>,
    /// dbus-daemon, if any.
    bus: Option<Supervised>,
}

impl Keychain {
    /// A bus with gnome-keyring whose login keyring (password [`KEYRING_PASSWORD`]) is created and
    /// unlocked: storing and reading secrets work.
    ///
    /// # Panics
    /// If the bus or the keyring does not come up within 15 s, with their output.
    pub fn start_unlocked() -> Keychain {
        let keychain = Keychain::with_bus(KeychainKind::Unlocked);
        keychain.start_daemon(true);
        keychain
    }

    /// A bus with gnome-keyring whose login collection exists (it was created unlocked) and has
    /// then been locked: secret clients get a NoStorageAccess-type error (no prompt can be shown).
    ///
    /// # Panics
    /// As [`start_unlocked`](Self::start_unlocked), or if locking fails.
    pub fn start_locked() -> Keychain {
        let mut keychain = Keychain::with_bus(KeychainKind::Locked);
        keychain.start_daemon(true);
        keychain.lock();
        keychain
    }

    /// A bus with gnome-keyring started without a password and no keyring on disk: there is no
    /// login collection and no `default` alias (only gnome-keyring's in-memory `session`
    /// collection), so a client that wants the default collection gets an error (keyring v3:
    /// `NoStorageAccess(NoResult)`).
    pub fn start_without_collection() -> Keychain {
        let keychain = Keychain::with_bus(KeychainKind::NoCollection);
        keychain.start_daemon(false);
        keychain
    }

    /// No bus: the address names a socket path in a temporary directory where nothing listens,
    /// so a client fails to connect (keyring v3: `PlatformFailure`).
    pub fn absent() -> Keychain {
        let dir = temp_dir();
        let address = format!("unix:path={}", dir.path().join("no-bus-here").display());
        Keychain { kind: KeychainKind::Absent, address, dir, daemon: Mutex::new(None), bus: None }
    }

    /// The state this keychain was started in, or put in by [`lock`](Self::lock) /
    /// [`unlock`](Self::unlock).
    pub fn kind(&self) -> KeychainKind {
        self.kind
    }

    /// The bus address (`unix:path=…`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The variables to give a child process so that it uses this keychain:
    /// `DBUS_SESSION_BUS_ADDRESS`. (Use with [`crate::apply_envs`], which also removes an
    /// inherited `DISPLAY`, so that no prompt can appear.)
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.address.clone())]
    }

    /// Locks the login collection (`org.freedesktop.Secret.Service.Lock`): from then on clients
    /// get the same errors as with [`start_locked`](Self::start_locked).
    ///
    /// # Panics
    /// If there is no keyring, or it does not report the collection locked.
    pub fn lock(&mut self) {
        self.dbus_send(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            &[&format!("array:objpath:{LOGIN}")],
        )
        .unwrap_or_else(|e| panic!("locking the keyring failed: {e}"));
        assert_eq!(self.login_locked(), Some(true), "the login collection did not lock");
        self.kind = KeychainKind::Locked;
    }

    /// Kills gnome-keyring-daemon (SIGKILL: a crash, or the user's session losing it) and waits
    /// until its bus name is gone. The bus stays, and nothing is D-Bus-activated on it, so clients
    /// then fail at once (the name has no owner) until [`unlock`](Self::unlock) starts the
    /// daemon again.
    ///
    /// # Panics
    /// If there is no daemon running, or its name is still owned 15 s later.
    pub fn kill_daemon(&mut self) {
        let mut daemon = self.daemon.lock().unwrap_or_else(|e| e.into_inner()).take().expect("kill_daemon: no daemon");
        let pid = daemon.program_pid().expect("kill_daemon: gnome-keyring-daemon does not run");
        let status = Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -KILL {pid} failed");
        poll(START_TIMEOUT, || daemon.exited()).expect("gnome-keyring-daemon survived SIGKILL");
        drop(daemon);
        poll(START_TIMEOUT, || (!self.name_has_owner()).then_some(()))
            .expect("org.freedesktop.secrets is still owned after the daemon was killed");
    }

    /// Unlocks the login collection again, by restarting gnome-keyring with `--unlock` and the
    /// password (the keyring file persists): as a login does. Secrets stored before are kept.
    /// Also starts it again after [`kill_daemon`](Self::kill_daemon).
    ///
    /// # Panics
    /// If there is no keyring, or it does not come back unlocked within 15 s.
    pub fn unlock(&mut self) {
        assert!(self.bus.is_some(), "unlock: this keychain has no bus");
        let old = self.daemon.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(old); // stops it
        poll(START_TIMEOUT, || (!self.name_has_owner()).then_some(()))
            .expect("the old gnome-keyring-daemon kept its bus name");
        self.start_daemon(true);
        self.kind = KeychainKind::Unlocked;
    }

    /// Runs `secret-tool ARGS` against this keychain (input written to its stdin, e.g. the
    /// secret for `store`), with a 15 s limit.
    pub fn secret_tool(&self, args: &[&str], input: Option<&[u8]>) -> Output {
        let mut cmd = Command::new("secret-tool");
        self.client_env(&mut cmd).args(args);
        run_with_timeout(&mut cmd, input, CALL_TIMEOUT)
    }

    /// `secret-tool store --label=LABEL ATTR VALUE…` with `secret` on stdin; true on success.
    pub fn store(&self, label: &str, attributes: &[(&str, &str)], secret: &str) -> bool {
        let mut args = vec![format!("--label={label}")];
        args.extend(attributes.iter().flat_map(|(k, v)| [k.to_string(), v.to_string()]));
        let args: Vec<&str> = std::iter::once("store").chain(args.iter().map(String::as_str)).collect();
        self.secret_tool(&args, Some(secret.as_bytes())).status.success()
    }

    /// `secret-tool lookup ATTR VALUE…`: the secret, or `None` if it fails (no such item, locked,
    /// no keyring, no bus). Keyring v3 entries have the attributes `service`, `username` (and
    /// `target`, `application`), so `lookup(&[("service", S), ("username", U)])` finds them.
    pub fn lookup(&self, attributes: &[(&str, &str)]) -> Option<String> {
        let mut args = vec!["lookup"];
        args.extend(attributes.iter().flat_map(|(k, v)| [*k, *v]));
        let output = self.secret_tool(&args, None);
        output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// A bus with no keyring yet.
    fn with_bus(kind: KeychainKind) -> Keychain {
        let dir = temp_dir();
        let socket = dir.path().join("bus");
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&socket)).expect("write bus config");
        let mut cmd = Command::new("dbus-daemon");
        cmd.arg(format!("--config-file={}", config.display())).arg("--nofork").arg("--nopidfile");
        let log = dir.path().join("dbus-daemon.log");
        let mut bus = Supervised::spawn("dbus-daemon", &cmd, &log, None);
        let address = format!("unix:path={}", socket.display());
        let ready = poll(START_TIMEOUT, || {
            if let Some(status) = bus.exited() {
                return Some(Err(status));
            }
            std::os::unix::net::UnixStream::connect(&socket).is_ok().then_some(Ok(()))
        });
        match ready {
            Some(Ok(())) => {}
            Some(Err(status)) => panic!("dbus-daemon exited with {status}; its output:\n{}", tail(&bus.log(), 4000)),
            None => panic!("dbus-daemon did not listen on {address} within {START_TIMEOUT:?}:\n{}", bus.log()),
        }
        Keychain { kind, address, dir, daemon: Mutex::new(None), bus: Some(bus) }
    }

    /// Starts gnome-keyring-daemon on the bus, with the password on stdin when `unlock`, and
    /// waits until it owns `org.freedesktop.secrets` (and, when `unlock`, until the login
    /// collection is the default one and unlocked).
    fn start_daemon(&self, unlock: bool) {
        let root = self.dir.path();
        let (home, data, runtime) = (root.join("home"), root.join("data"), root.join("runtime"));
        for dir in [&home, &data, &runtime] {
            std::fs::create_dir_all(dir).expect("create keyring dirs");
        }
        set_private(&runtime);
        let mut cmd = Command::new("gnome-keyring-daemon");
        cmd.arg("--foreground").arg("--components=secrets");
        if unlock {
            cmd.arg("--unlock");
        }
        cmd.env("HOME", &home)
            .env("XDG_DATA_HOME", &data)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .current_dir(root);
        let password = root.join("password");
        std::fs::write(&password, KEYRING_PASSWORD).expect("write password file");
        let log = root.join("gnome-keyring.log");
        // Under heavy load (the whole suite in parallel on two cores) gnome-keyring-daemon has
        // been seen to exit at start; a daemon that exits is started again, up to three times.
        let mut attempt = 0;
        let daemon = loop {
            attempt += 1;
            let mut daemon =
                Supervised::spawn("gnome-keyring-daemon", &cmd, &log, unlock.then_some(password.as_path()));
            let ready = poll(START_TIMEOUT, || {
                if let Some(status) = daemon.exited() {
                    return Some(Err(status));
                }
                let up = self.name_has_owner() && (!unlock || self.login_locked() == Some(false));
                up.then_some(Ok(()))
            });
            match ready {
                Some(Ok(())) => break daemon,
                Some(Err(status)) if attempt < 3 => {
                    eprintln!(
                        "gnome-keyring-daemon exited with {status} at start (attempt {attempt}); starting it again"
                    );
                }
                Some(Err(status)) => {
                    panic!("gnome-keyring-daemon exited with {status}; its output:\n{}", tail(&daemon.log(), 4000))
                }
                None => panic!(
                    "gnome-keyring-daemon did not come up{} on {} within {START_TIMEOUT:?}; its output:\n{}",
                    if unlock { " unlocked" } else { "" },
                    self.address,
                    tail(&daemon.log(), 4000)
                ),
            }
        };
        *self.daemon.lock().unwrap_or_else(|e| e.into_inner()) = Some(daemon);
    }

    /// Whether `org.freedesktop.secrets` has an owner on the bus.
    fn name_has_owner(&self) -> bool {
        self.dbus_send(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            &["string:org.freedesktop.secrets"],
        )
        .is_ok_and(|reply| reply.contains("boolean true"))
    }

    /// Whether the `default` alias is the login collection and, if so, whether it is locked.
    fn login_locked(&self) -> Option<bool> {
        let alias = self
            .dbus_send(
                "org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                &["string:default"],
            )
            .ok()?;
        if !alias.contains(&format!("\"{LOGIN}\"")) {
            return None;
        }
        let locked = self
            .dbus_send(
                "org.freedesktop.secrets",
                LOGIN,
                "org.freedesktop.DBus.Properties.Get",
                &["string:org.freedesktop.Secret.Collection", "string:Locked"],
            )
            .ok()?;
        if locked.contains("boolean true") {
            Some(true)
        } else if locked.contains("boolean false") {
            Some(false)
        } else {
            None
        }
    }

    /// One method call with `dbus-send --print-reply` on this bus: its reply text, or its error.
    fn dbus_send(&self, dest: &str, path: &str, method: &str, args: &[&str]) -> Result<String, String> {
        let mut cmd = Command::new("dbus-send");
        self.client_env(&mut cmd)
            .args(["--session", "--print-reply", "--reply-timeout=5000"])
            .arg(format!("--dest={dest}"))
            .arg(path)
            .arg(method)
            .args(args);
        let output = run_with_timeout(&mut cmd, None, CALL_TIMEOUT);
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Environment for a client process of this bus.
    fn client_env<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &self.address).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY")
    }
}

impl Drop for Keychain {
    fn drop(&mut self) {
        // The keyring first (it would exit anyway once its bus goes), then the bus.
        drop(self.daemon.lock().unwrap_or_else(|e| e.into_inner()).take());
        drop(self.bus.take());
    }
}

/// A temporary directory with a short path (a unix socket path must fit in 108 bytes).
fn temp_dir() -> TempDir {
    let builder = || tempfile::Builder::new().prefix("rolecall-kc-").to_owned();
    let dir = builder().tempdir().expect("temp dir");
    if dir.path().as_os_str().len() > 80 {
        return builder().tempdir_in("/tmp").expect("temp dir in /tmp");
    }
    dir
}

/// Mode 0700, as XDG_RUNTIME_DIR must be.
fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod runtime dir");
}

/// A session bus listening on `socket` only, with no service activation.
fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

impl Keychain {
    /// The temporary directory holding the bus socket, the keyring files and the daemons' logs.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// What gnome-keyring-daemon and dbus-daemon printed so far.
    pub fn logs(&self) -> String {
        let root = self.dir.path();
        format!(
            "--- dbus-daemon ---\n{}\n--- gnome-keyring-daemon ---\n{}",
            crate::util::read_lossy(&root.join("dbus-daemon.log")),
            crate::util::read_lossy(&root.join("gnome-keyring.log"))
        )
    }
}
