//! [`World`]: everything one test runs rolecall against, built by [`WorldBuilder`]: always a
//! sandbox home and an unlocked keychain; as asked, moto with user alice (auth mode on unless
//! told otherwise), a recording proxy or a scripted STS ([`FakeSts`]), a fake federation
//! endpoint, a desktop with a tray host, a fake notification server; and the helpers every test
//! file needs: the environment, the CLI run with it (and checked), what the AWS CLI makes of a
//! profile, the files and keychain entries rolecall keeps, the tray app started on the desktop.
//!
//! ```no_run
//! use rolecall_e2e::{Reply, World};
//!
//! // moto in auth mode with role Admin trusting alice; the CLI against it.
//! let w = World::new(|moto, alice| {
//!     moto.create_role("Admin", &alice.user_arn, None);
//! });
//! w.add_source_work(&[]);
//! w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
//! w.ok(&["assume", "admin"]);
//!
//! // A scripted STS, a desktop and a notification server; the tray app on it.
//! let w = World::builder().sts(vec![Reply::SuccessFor(60)]).desktop().notifications().build();
//! w.add_source_work(&[]);
//! let app = w.start_app(&[]);
//! # let _ = app;
//! ```

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::desktop::{Desktop, TrayApp, tray_bin};
use crate::fake_sts::{FakeSts, Reply};
use crate::federation::FakeFederation;
use crate::keychain::Keychain;
use crate::moto::{Moto, UserKeys};
use crate::notifications::FakeNotifications;
use crate::sandbox::{KEYCHAIN_SERVICE, ROLECALL_TIMEOUT, Sandbox, aws_cli, rolecall_bin};
use crate::util::run_with_timeout;

/// The keys a world without moto gives its source (a scripted STS checks no signature).
pub const EXAMPLE_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret of [`EXAMPLE_KEY_ID`].
pub const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// The bytes of the credentials file, the AWS config file and rolecall's config.toml (`None`
/// for one that does not exist).
pub type Files = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);

/// One test's world; every part is stopped when it is dropped, the desktop first (its
/// processes use the keychain's bus).
pub struct World {
    desktop: Option<Desktop>,
    notifications: Option<FakeNotifications>,
    /// The test's home.
    pub sandbox: Sandbox,
    /// The Secret Service on the test's private bus (unlocked at the start).
    pub keychain: Keychain,
    sts: Option<FakeSts>,
    federation: Option<FakeFederation>,
    moto: Option<Moto>,
    alice: Option<UserKeys>,
    mfa_serial: Option<String>,
    envs: Vec<(String, String)>,
    timeout: Duration,
}

/// What a [`World`] is made of; [`World::builder`] starts with a sandbox and an unlocked
/// keychain only.
#[must_use]
pub struct WorldBuilder {
    auth_mode: bool,
    mfa_device: bool,
    proxy: bool,
    script: Option<Vec<Reply>>,
    federation: bool,
    desktop: bool,
    notifications: bool,
    envs: Vec<(String, String)>,
    timeout: Duration,
}

impl WorldBuilder {
    /// moto's auth mode stays off: for MFA favourites, which are assumed through an MFA
    /// session (GetSessionToken), whose credentials moto's auth mode rejects (real STS accepts
    /// them).
    pub fn without_auth_mode(mut self) -> Self {
        self.auth_mode = false;
        self
    }

    /// Alice gets an MFA device ([`World::mfa_serial`]).
    pub fn mfa_device(mut self) -> Self {
        self.mfa_device = true;
        self
    }

    /// A recording proxy in front of moto ([`Reply::Forward`]; [`World::sts`]): rolecall's STS
    /// calls go through it, so a test sees which key signed each.
    pub fn proxy(mut self) -> Self {
        self.proxy = true;
        self
    }

    /// A scripted STS ([`World::sts`]) instead of moto: rolecall's STS calls go to it.
    pub fn sts(mut self, script: Vec<Reply>) -> Self {
        self.script = Some(script);
        self
    }

    /// A fake federation endpoint ([`World::federation`]), in `ROLECALL_FEDERATION_ENDPOINT`.
    pub fn federation(mut self) -> Self {
        self.federation = true;
        self
    }

    /// A desktop with a tray host on the keychain's bus ([`World::desktop`]), for the tray app.
    pub fn desktop(mut self) -> Self {
        self.desktop = true;
        self
    }

    /// A fake notification server on the keychain's bus ([`World::notifications`]).
    pub fn notifications(mut self) -> Self {
        self.notifications = true;
        self
    }

    /// The variable `name` = `value` in every environment of the world (after the sandbox's).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.envs.push((name.to_owned(), value.to_owned()));
        self
    }

    /// How long one CLI run may take ([`ROLECALL_TIMEOUT`] unless given).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds a world without moto.
    ///
    /// # Panics
    /// If a [`proxy`](Self::proxy) was asked for (it needs moto: use
    /// [`build_with`](Self::build_with)).
    pub fn build(self) -> World {
        assert!(!self.proxy, "a proxy forwards to moto: use build_with");
        self.assemble(Instant::now(), None)
    }

    /// Builds a world with moto and its user alice (keys `alice`): `roles` runs against them
    /// before auth mode is switched on.
    pub fn build_with(self, roles: impl FnOnce(&Moto, &UserKeys)) -> World {
        let started = Instant::now();
        let moto = Moto::start();
        let alice = moto.create_user("alice");
        let serial = self.mfa_device.then(|| moto.create_mfa_device("alice"));
        roles(&moto, &alice);
        if self.auth_mode {
            moto.enable_auth_mode();
        }
        self.assemble(started, Some((moto, alice, serial)))
    }

    fn assemble(self, started: Instant, moto: Option<(Moto, UserKeys, Option<String>)>) -> World {
        let keychain = Keychain::start_unlocked();
        let desktop = self.desktop.then(|| Desktop::start(&keychain));
        let notifications = self.notifications.then(|| FakeNotifications::start(keychain.address()));
        let sts = match (&self.script, &moto) {
            (Some(script), _) => Some(FakeSts::start(script.clone())),
            (None, Some((m, _, _))) if self.proxy => Some(FakeSts::start(vec![Reply::Forward(m.port())])),
            _ => None,
        };
        let (moto, alice, mfa_serial) = match moto {
            Some((m, a, s)) => (Some(m), Some(a), s),
            None => (None, None, None),
        };
        let w = World {
            desktop,
            notifications,
            sandbox: Sandbox::new(),
            keychain,
            sts,
            federation: self.federation.then(FakeFederation::start),
            moto,
            alice,
            mfa_serial,
            envs: self.envs,
            timeout: self.timeout,
        };
        if w.desktop.is_some() {
            eprintln!("world ready in {:?}", started.elapsed());
        }
        w
    }
}

impl World {
    /// A builder with nothing but a sandbox and an unlocked keychain yet.
    pub fn builder() -> WorldBuilder {
        WorldBuilder {
            auth_mode: true,
            mfa_device: false,
            proxy: false,
            script: None,
            federation: false,
            desktop: false,
            notifications: false,
            envs: Vec::new(),
            timeout: ROLECALL_TIMEOUT,
        }
    }

    /// moto with user alice and the roles `roles` makes, then auth mode on; an unlocked
    /// keychain; an empty sandbox.
    pub fn new(roles: impl FnOnce(&Moto, &UserKeys)) -> World {
        World::builder().build_with(roles)
    }

    /// As [`new`](Self::new) with moto's auth mode off (see [`WorldBuilder::without_auth_mode`]).
    pub fn without_auth_mode(roles: impl FnOnce(&Moto, &UserKeys)) -> World {
        World::builder().without_auth_mode().build_with(roles)
    }

    /// moto.
    ///
    /// # Panics
    /// In a world built without it.
    pub fn moto(&self) -> &Moto {
        self.moto.as_ref().expect("this world has no moto (WorldBuilder::build_with)")
    }

    /// moto's user alice.
    ///
    /// # Panics
    /// In a world built without moto.
    pub fn alice(&self) -> &UserKeys {
        self.alice.as_ref().expect("this world has no moto (WorldBuilder::build_with)")
    }

    /// The serial of alice's MFA device.
    ///
    /// # Panics
    /// In a world built without one ([`WorldBuilder::mfa_device`]).
    pub fn mfa_serial(&self) -> &str {
        self.mfa_serial.as_deref().expect("this world has no MFA device (WorldBuilder::mfa_device)")
    }

    /// The fake STS: the recording proxy or the scripted one.
    ///
    /// # Panics
    /// In a world built without one ([`WorldBuilder::proxy`], [`WorldBuilder::sts`]).
    pub fn sts(&self) -> &FakeSts {
        self.sts.as_ref().expect("this world has no fake STS (WorldBuilder::proxy or sts)")
    }

    /// The fake federation endpoint.
    ///
    /// # Panics
    /// In a world built without one ([`WorldBuilder::federation`]).
    pub fn federation(&self) -> &FakeFederation {
        self.federation.as_ref().expect("this world has no federation endpoint (WorldBuilder::federation)")
    }

    /// The desktop.
    ///
    /// # Panics
    /// In a world built without one ([`WorldBuilder::desktop`]).
    pub fn desktop(&self) -> &Desktop {
        self.desktop.as_ref().expect("this world has no desktop (WorldBuilder::desktop)")
    }

    /// The fake notification server.
    ///
    /// # Panics
    /// In a world built without one ([`WorldBuilder::notifications`]).
    pub fn notifications(&self) -> &FakeNotifications {
        self.notifications.as_ref().expect("this world has no notification server (WorldBuilder::notifications)")
    }

    /// The keys of source `work`: alice's with moto, else [`EXAMPLE_KEY_ID`] and
    /// [`EXAMPLE_SECRET`].
    pub fn source_keys(&self) -> (String, String) {
        match &self.alice {
            Some(a) => (a.access_key_id.clone(), a.secret_access_key.clone()),
            None => (EXAMPLE_KEY_ID.to_owned(), EXAMPLE_SECRET.to_owned()),
        }
    }

    /// Where rolecall's STS calls go: the fake STS if there is one, else moto; `None` in a world
    /// with neither (an STS call would go to AWS itself).
    pub fn endpoint(&self) -> Option<String> {
        match (&self.sts, &self.moto) {
            (Some(sts), _) => Some(sts.endpoint()),
            (None, Some(moto)) => Some(moto.endpoint()),
            (None, None) => None,
        }
    }

    /// The environment of rolecall's processes here: [`Sandbox::envs_for`] with
    /// [`endpoint`](Self::endpoint) and the keychain, then `ROLECALL_FEDERATION_ENDPOINT` with a
    /// federation endpoint, then the builder's [`env`](WorldBuilder::env) variables.
    pub fn envs(&self) -> Vec<(String, String)> {
        self.envs_on(&self.keychain)
    }

    /// As [`envs`](Self::envs), then `extra`.
    pub fn envs_with(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut envs = self.envs();
        envs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        envs
    }

    /// As [`envs`](Self::envs) with `keychain`'s bus instead of the world's.
    pub fn envs_on(&self, keychain: &Keychain) -> Vec<(String, String)> {
        let mut envs = self.sandbox.envs_for(self.endpoint().as_deref(), Some(keychain));
        if let Some(federation) = &self.federation {
            envs.push(("ROLECALL_FEDERATION_ENDPOINT".to_owned(), federation.endpoint()));
        }
        envs.extend(self.envs.iter().cloned());
        envs
    }

    /// The environment of a GUI process here: [`envs`](Self::envs), then [`Desktop::env`].
    ///
    /// # Panics
    /// In a world without a desktop.
    pub fn gui_envs(&self) -> Vec<(String, String)> {
        let mut envs = self.envs();
        envs.extend(self.desktop().env());
        envs
    }

    /// Runs the rolecall CLI with `args` and exactly `envs` in the sandbox (`stdin` written to
    /// its input, if given), within the world's timeout.
    pub fn run_env(&self, envs: &[(String, String)], args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.sandbox.command(rolecall_bin(), envs);
        cmd.args(args);
        run_with_timeout(&mut cmd, stdin.map(str::as_bytes), self.timeout)
    }

    /// Runs the CLI with [`envs`](Self::envs).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None)
    }

    /// As [`run`](Self::run), with `stdin`.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_env(&self.envs(), args, stdin)
    }

    /// As [`run_with`](Self::run_with), on `keychain`'s bus instead of the world's.
    pub fn run_on(&self, keychain: &Keychain, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_env(&self.envs_on(keychain), args, stdin)
    }

    /// Runs the CLI; panics with its output unless it succeeds; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, None)
    }

    /// As [`ok`](Self::ok), with `stdin`.
    pub fn ok_with(&self, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.run_with(args, stdin);
        assert!(o.status.success(), "rolecall {args:?} failed:\n{}", crate::output_text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs a command that must fail with `code` (its stderr starts `rolecall: CODE: `); its
    /// stderr.
    pub fn fails(&self, args: &[&str], code: &str) -> String {
        let o = self.run(args);
        assert!(!o.status.success(), "rolecall {args:?} should fail:\n{}", crate::output_text(&o));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.starts_with(&format!("rolecall: {code}: ")),
            "rolecall {args:?}: expected {code}:\n{}",
            crate::output_text(&o)
        );
        err
    }

    /// `rolecall source add NAME` plus `extra`, with `key` and `secret` on stdin.
    pub fn add_source(&self, name: &str, key: &str, secret: &str, extra: &[&str]) -> Output {
        let args = [&["source", "add", name][..], extra].concat();
        self.run_with(&args, Some(&format!("{key}\n{secret}\n")))
    }

    /// `rolecall source add work` with [`source_keys`](Self::source_keys) on stdin, plus
    /// `extra`; panics with its output unless it succeeds.
    pub fn add_source_work(&self, extra: &[&str]) {
        let (key, secret) = self.source_keys();
        self.ok_with(&[&["source", "add", "work"], extra].concat(), Some(&format!("{key}\n{secret}\n")));
    }

    /// `rolecall role add NAME --arn ROLE_ARN --source work` plus `extra`; panics with its
    /// output unless it succeeds.
    pub fn add_favourite(&self, name: &str, role_arn: &str, extra: &[&str]) {
        self.ok(&[&["role", "add", name, "--arn", role_arn, "--source", "work"], extra].concat());
    }

    /// What the AWS CLI says `--profile PROFILE` is (`sts get-caller-identity`, straight to moto:
    /// [`Sandbox::envs`]): the ARN, or its stderr.
    ///
    /// # Panics
    /// In a world without moto.
    pub fn aws_identity(&self, profile: &str) -> Result<String, String> {
        let envs = self.sandbox.envs(self.moto(), &self.keychain);
        let out = aws_cli(&envs, &["sts", "get-caller-identity", "--profile", profile, "--output", "json"]);
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        Ok(v["Arn"].as_str().expect("Arn").to_owned())
    }

    /// rolecall's `config.toml` in the sandbox.
    pub fn config_toml_path(&self) -> PathBuf {
        self.sandbox.rolecall_config_dir().join("config.toml")
    }

    /// rolecall's `config.toml`, empty if absent.
    pub fn config_toml(&self) -> String {
        std::fs::read_to_string(self.config_toml_path()).unwrap_or_default()
    }

    /// The bytes of the three files rolecall may write.
    pub fn files(&self) -> Files {
        (
            std::fs::read(self.sandbox.credentials_path()).ok(),
            std::fs::read(self.sandbox.config_path()).ok(),
            std::fs::read(self.config_toml_path()).ok(),
        )
    }

    /// The secret of the keychain's account `user` of [`KEYCHAIN_SERVICE`], if it is there.
    pub fn entry(&self, user: &str) -> Option<String> {
        self.keychain.lookup(&[("service", KEYCHAIN_SERVICE), ("username", user)])
    }

    /// Every keychain entry of [`KEYCHAIN_SERVICE`] with its secret (`secret-tool search
    /// --all`: its stdout and stderr).
    pub fn keychain_entries(&self) -> String {
        let o = self.keychain.secret_tool(&["search", "--all", "service", KEYCHAIN_SERVICE], None);
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    }

    /// Starts the tray app on the desktop with `args` and [`gui_envs`](Self::gui_envs) plus
    /// `extra`, without waiting for it.
    ///
    /// # Panics
    /// In a world without a desktop.
    pub fn spawn_app(&self, extra: &[(&str, &str)], args: &[&str]) -> TrayApp {
        let mut envs = self.gui_envs();
        envs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        TrayApp::start_with_envs(&tray_bin(), &self.sandbox, envs, args)
    }

    /// Starts the tray app with `args` and waits until its tray item is registered.
    pub fn start_app(&self, args: &[&str]) -> TrayApp {
        self.start_app_with(&[], args)
    }

    /// As [`start_app`](Self::start_app), with `extra` variables after the world's.
    pub fn start_app_with(&self, extra: &[(&str, &str)], args: &[&str]) -> TrayApp {
        let mut app = self.spawn_app(extra, args);
        app.wait_registered(self.desktop());
        app
    }
}
