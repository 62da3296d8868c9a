//! [`Sandbox`]: a temporary HOME for one test and the environment that points rolecall and the
//! AWS CLI at it, at a [`Moto`] and at a [`Keychain`]; [`aws_cli`], [`rolecall_bin`] and
//! [`rust_sdk_bin`] to run the clients.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tempfile::TempDir;

use crate::keychain::Keychain;
use crate::moto::Moto;
use crate::util::{apply_envs, run_with_timeout, venv_tool};

/// The region every test uses.
pub const REGION: &str = "us-east-1";
/// The keychain service name rolecall is told to use (`ROLECALL_KEYCHAIN_SERVICE`).
pub const KEYCHAIN_SERVICE: &str = "rolecall-test";
/// How long one run of the AWS CLI may take (it needs ~0.8 s; much more on a busy machine).
pub const AWS_CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one run of rolecall may take by default in [`Sandbox::run_rolecall`].
pub const ROLECALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary home directory for one test, removed when dropped.
///
/// Layout: `HOME/.aws/{credentials,config}` (the AWS files, not created), `HOME/.config`
/// (XDG_CONFIG_HOME) with `rolecall/` in it (ROLECALL_CONFIG_DIR, not created),
/// `HOME/.local/share`, `HOME/.local/state`, `HOME/.cache`, and `HOME/.run` (XDG_RUNTIME_DIR,
/// mode 0700, created).
pub struct Sandbox {
    home: TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// A new empty home (only `.run` exists in it).
    pub fn new() -> Sandbox {
        let home = tempfile::Builder::new().prefix("rolecall-home-").tempdir().expect("temp home");
        let run = home.path().join(".run");
        std::fs::create_dir(&run).expect("create .run");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).expect("chmod .run");
        Sandbox { home }
    }

    /// The home directory (`HOME`).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// `HOME/.aws`.
    pub fn aws_dir(&self) -> PathBuf {
        self.home().join(".aws")
    }

    /// `HOME/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`).
    pub fn credentials_path(&self) -> PathBuf {
        self.aws_dir().join("credentials")
    }

    /// `HOME/.aws/config` (`AWS_CONFIG_FILE`).
    pub fn config_path(&self) -> PathBuf {
        self.aws_dir().join("config")
    }

    /// `HOME/.config` (`XDG_CONFIG_HOME`).
    pub fn xdg_config_home(&self) -> PathBuf {
        self.home().join(".config")
    }

    /// `HOME/.config/rolecall` (`ROLECALL_CONFIG_DIR`).
    pub fn rolecall_config_dir(&self) -> PathBuf {
        self.xdg_config_home().join("rolecall")
    }

    /// The credentials file's content, empty if it does not exist.
    pub fn read_credentials(&self) -> String {
        std::fs::read_to_string(self.credentials_path()).unwrap_or_default()
    }

    /// The AWS config file's content, empty if it does not exist.
    pub fn read_config(&self) -> String {
        std::fs::read_to_string(self.config_path()).unwrap_or_default()
    }

    /// Writes `text` to a file under the home (`relative`, e.g. ".aws/config"), creating its
    /// directories.
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.home().join(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create dirs");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// The environment for rolecall and the AWS CLI in this sandbox, against `moto` and
    /// `keychain`. Give it to a child with [`apply_envs`] (or use [`Sandbox::command`]): that
    /// also REMOVES every inherited `AWS_*` and `ROLECALL_*` variable (so no
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE`,
    /// `AWS_DEFAULT_PROFILE`, `AWS_ENDPOINT_URL_STS`… of the developer leaks in) and
    /// `DBUS_SESSION_BUS_ADDRESS`, `DISPLAY`, `WAYLAND_DISPLAY`.
    ///
    /// Sets, in this order:
    /// - `HOME` = [`home`](Self::home); `XDG_CONFIG_HOME` = `HOME/.config`; `XDG_DATA_HOME` =
    ///   `HOME/.local/share`; `XDG_STATE_HOME` = `HOME/.local/state`; `XDG_CACHE_HOME` =
    ///   `HOME/.cache`; `XDG_RUNTIME_DIR` = `HOME/.run`;
    /// - `ROLECALL_CONFIG_DIR` = [`rolecall_config_dir`](Self::rolecall_config_dir);
    ///   `ROLECALL_KEYCHAIN_SERVICE` = [`KEYCHAIN_SERVICE`] (`rolecall-test`);
    /// - `AWS_SHARED_CREDENTIALS_FILE` = [`credentials_path`](Self::credentials_path);
    ///   `AWS_CONFIG_FILE` = [`config_path`](Self::config_path);
    /// - `AWS_ENDPOINT_URL` = [`Moto::endpoint`]; `AWS_REGION` and `AWS_DEFAULT_REGION` (the one
    ///   AWS CLI v1 reads) = `us-east-1`; `AWS_EC2_METADATA_DISABLED` = `true` (no instance
    ///   metadata lookups when a client finds no credentials);
    /// - then [`Keychain::env`] (`DBUS_SESSION_BUS_ADDRESS`).
    pub fn envs(&self, moto: &Moto, keychain: &Keychain) -> Vec<(String, String)> {
        self.envs_for(Some(&moto.endpoint()), Some(keychain))
    }

    /// As [`envs`](Self::envs), for a test without moto or without a keychain: with no
    /// `endpoint`, `AWS_ENDPOINT_URL` is left unset (and inherited ones removed), so an STS call
    /// would go to AWS itself: only for commands that must not reach STS. With no keychain,
    /// `DBUS_SESSION_BUS_ADDRESS` is left unset.
    pub fn envs_for(&self, endpoint: Option<&str>, keychain: Option<&Keychain>) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        let home = self.home().to_owned();
        let mut envs = vec![
            ("HOME".to_owned(), path(home.clone())),
            ("XDG_CONFIG_HOME".to_owned(), path(self.xdg_config_home())),
            ("XDG_DATA_HOME".to_owned(), path(home.join(".local/share"))),
            ("XDG_STATE_HOME".to_owned(), path(home.join(".local/state"))),
            ("XDG_CACHE_HOME".to_owned(), path(home.join(".cache"))),
            ("XDG_RUNTIME_DIR".to_owned(), path(home.join(".run"))),
            ("ROLECALL_CONFIG_DIR".to_owned(), path(self.rolecall_config_dir())),
            ("ROLECALL_KEYCHAIN_SERVICE".to_owned(), KEYCHAIN_SERVICE.to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE".to_owned(), path(self.credentials_path())),
            ("AWS_CONFIG_FILE".to_owned(), path(self.config_path())),
        ];
        if let Some(endpoint) = endpoint {
            envs.push(("AWS_ENDPOINT_URL".to_owned(), endpoint.to_owned()));
        }
        envs.push(("AWS_REGION".to_owned(), REGION.to_owned()));
        envs.push(("AWS_DEFAULT_REGION".to_owned(), REGION.to_owned()));
        envs.push(("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()));
        if let Some(keychain) = keychain {
            envs.extend(keychain.env());
        }
        envs
    }

    /// A command for `program` with `envs` applied ([`apply_envs`]) and the home as working
    /// directory.
    pub fn command(&self, program: impl AsRef<OsStr>, envs: &[(String, String)]) -> Command {
        let mut cmd = Command::new(program);
        apply_envs(&mut cmd, envs).current_dir(self.home());
        cmd
    }

    /// A command for the rolecall binary ([`rolecall_bin`]) in this sandbox against `moto` and
    /// `keychain`; add arguments and run it (e.g. with [`crate::run_with_timeout`]).
    pub fn rolecall(&self, moto: &Moto, keychain: &Keychain) -> Command {
        self.command(rolecall_bin(), &self.envs(moto, keychain))
    }

    /// Runs rolecall with `args` in this sandbox (`stdin` written to its input, if given) and
    /// returns its output, within [`ROLECALL_TIMEOUT`].
    pub fn run_rolecall(&self, moto: &Moto, keychain: &Keychain, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.rolecall(moto, keychain);
        cmd.args(args);
        run_with_timeout(&mut cmd, stdin.map(str::as_bytes), ROLECALL_TIMEOUT)
    }
}

/// Runs the test venv's AWS CLI v1 (`aws`, else the one on PATH) with `args` and the sandbox
/// environment `sandbox_envs` (from [`Sandbox::envs`], applied with [`apply_envs`]): an
/// independent client that reads what rolecall wrote, e.g.
/// `aws_cli(&envs, &["sts", "get-caller-identity", "--profile", "X", "--output", "json"])`.
///
/// Runs in the sandbox's HOME when `HOME` is among the envs, within [`AWS_CLI_TIMEOUT`].
///
/// # Panics
/// If the CLI cannot be started or does not finish in time (a failing command is not a panic:
/// check `status` and `stderr`).
pub fn aws_cli(sandbox_envs: &[(String, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(venv_tool("aws"));
    apply_envs(&mut cmd, sandbox_envs).args(args);
    if let Some((_, home)) = sandbox_envs.iter().rev().find(|(k, _)| k == "HOME") {
        cmd.current_dir(home);
    }
    run_with_timeout(&mut cmd, None, AWS_CLI_TIMEOUT)
}

/// The rolecall binary under test.
///
/// `$ROLECALL_BIN` if set; else `rolecall` in the cargo profile directory this test executable
/// was built into: the test is `<target>/<profile>/deps/e2e-<hash>`, so that is
/// `<target>/<profile>/rolecall`. `cargo test -p rolecall-e2e` does NOT build it (it belongs to
/// another package): run `cargo build -p rolecall-cli` first, with the same `CARGO_TARGET_DIR`.
///
/// # Panics
/// If that file does not exist, saying how to build it.
pub fn rolecall_bin() -> PathBuf {
    let bin = match std::env::var_os("ROLECALL_BIN").filter(|v| !v.is_empty()) {
        Some(bin) => PathBuf::from(bin),
        None => in_profile_dir("rolecall"),
    };
    assert!(
        bin.is_file(),
        "the rolecall binary is not at {}: build it first with `cargo build -p rolecall-cli` (same \
         CARGO_TARGET_DIR as the tests), or set ROLECALL_BIN to its path",
        bin.display()
    );
    bin
}

/// `rust-sdk-identity` (`tests/sdk-rust`): GetCallerIdentity through the AWS SDK for Rust's
/// default credentials chain, an independent reader of what rolecall serves. It prints
/// `{"Arn": …}`, or the SDK's error on stderr and exits 1.
///
/// In the cargo profile directory beside [`rolecall_bin`]'s; it belongs to this package, so
/// `cargo test -p rolecall-e2e` (and `cargo build -p rolecall-e2e`) builds it.
///
/// # Panics
/// If that file does not exist, saying how to build it.
pub fn rust_sdk_bin() -> PathBuf {
    let bin = in_profile_dir("rust-sdk-identity");
    assert!(
        bin.is_file(),
        "the AWS SDK for Rust reader is not at {}: build it with `cargo build -p rolecall-e2e` (same \
         CARGO_TARGET_DIR as the tests)",
        bin.display()
    );
    bin
}

/// `NAME` (with the platform's executable suffix) in the cargo profile directory this test
/// executable was built into (`<target>/<profile>/deps/e2e-<hash>` → `<target>/<profile>/NAME`).
fn in_profile_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test executable has a directory");
    let profile = if deps.ends_with("deps") { deps.parent().unwrap_or(deps) } else { deps };
    profile.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}
