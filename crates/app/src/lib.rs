//! rolecall's use cases: the one way in for both front ends. The CLI and the tray app are thin
//! front ends over [`Services`]: each operation here is what one command or one click does, so both
//! behave the same way and are tested once. The adapters behind it stay private: a front end that
//! reaches past `Services` (to the credentials file, the keychain or STS) does not compile, since
//! neither depends on the adapter crates.
//!
//! `Services` is generic over its [`Ports`] (STS, the keychain, the federation endpoint, the
//! browser): [`Real`] in the front ends, the core's in-memory fakes in the unit tests
//! (`tests.rs`), which run the use cases in-process against real files in a temporary directory.
#![deny(missing_docs)]

pub mod endpoint;
pub mod exec;
pub mod logging;
#[cfg(unix)]
pub mod serve;

mod console;
mod delivery;
mod discovery;
mod favourites;
mod held;
mod import;
mod noting;
mod portal;
mod sessions;
mod sources;
mod sso;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::FileError;
use rolecall_core::console::{FederationEndpoint, LoginUrl, SigninClient};
use rolecall_core::keychain::SecretStore;
use rolecall_core::sso::{SsoPortal, SsoSignIn};
use rolecall_core::sts::Sts;
use rolecall_core::validate::{Name, Region};
use rolecall_files::{AwsFiles, ConfigStore};

pub use delivery::{Conversion, SERVE_MIN_LEFT, cli_path};
pub use discovery::{AccountRoles, DISCOVERY_MAX_AGE, Discovery, DiscoveryProgress, PORTAL_CONCURRENCY};
pub use held::{FIRST_BACKOFF as SERVE_FIRST_BACKOFF, MAX_BACKOFF as SERVE_MAX_BACKOFF, ServedSession};
pub use import::{ImportChoice, ImportReport, ImportedFavourite, ImportedSource};
pub use portal::{PortalFavourites, SsoSessionBlock};
pub use rolecall_files::Paths;
pub use rolecall_files::backups::{Backup, KEEP_NEWEST as BACKUPS_KEPT, MAX_AGE_DAYS as BACKUPS_MAX_AGE_DAYS};
pub use sessions::{AssumeOutcome, Renewal, SessionInfo};
pub use sources::{LeftBehind, NewSource, keys_left_behind};
pub use sso::{BROWSER_SIGN_IN_TIMEOUT, BrowserStep, REFRESH_LEAD, SsoSourceSettings, SsoStatus};

/// How many renewals run at once, for the tray's scheduler and `rolecall renew` alike (more wait
/// their turn; the file writes take turns anyway under the credentials file's lock).
pub const RENEW_CONCURRENCY: usize = 8;

/// A favourite's session in its profile is reused (for the console, export lines, the
/// clipboard) while it has at least this long left; with less, a new one is assumed first.
pub const REUSE_MIN_LEFT: chrono::Duration = chrono::Duration::minutes(5);

/// Hands a link to the user's default browser.
pub trait Browser {
    /// Opens `url`; errors carry `subject`.
    fn open(&self, url: &LoginUrl, subject: &str) -> Result<(), Error>;
    /// Opens `url` (kept out of command lines like a login URL: an IAM Identity Center authorize
    /// URL); errors carry `subject`.
    fn open_url(&self, url: &str, subject: &str) -> Result<(), Error>;
}

/// The outside world `Services` works through.
pub trait Ports: 'static {
    /// STS.
    type Sts: Sts + Send + Sync + 'static;
    /// The keychain.
    type Secrets: SecretStore + Send + Sync + 'static;
    /// The AWS federation endpoint (console sign-in).
    type Signin: SigninClient + Send + Sync + 'static;
    /// The default browser.
    type Browser: Browser + Send + Sync + 'static;
    /// IAM Identity Center: its sign-in service and the access portal.
    type Sso: SsoSignIn + SsoPortal + Send + Sync + 'static;
}

/// The real adapters: aws-sdk-sts, the OS keychain, reqwest, the desktop's URL opener.
#[derive(Debug)]
pub struct Real;

/// The desktop's URL opener (`xdg-open`, `open`, `rundll32`).
#[derive(Debug, Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &LoginUrl, subject: &str) -> Result<(), Error> {
        Ok(rolecall_signin::open_in_browser(url, subject)?)
    }

    fn open_url(&self, url: &str, subject: &str) -> Result<(), Error> {
        Ok(rolecall_signin::open_url_in_browser(url, subject)?)
    }
}

impl Ports for Real {
    type Sts = rolecall_sts::SdkSts;
    type Secrets = rolecall_keychain::OsKeychain;
    type Signin = rolecall_signin::HttpSignin;
    type Browser = SystemBrowser;
    type Sso = rolecall_sso::SdkSso;
}

/// The use cases over their ports (cheap to clone: one shared state).
pub struct Services<P: Ports = Real> {
    inner: Arc<Inner<P>>,
}

impl<P: Ports> Clone for Services<P> {
    fn clone(&self) -> Self {
        Services { inner: self.inner.clone() }
    }
}

impl<P: Ports> std::fmt::Debug for Services<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").field("paths", self.inner.files.paths()).finish_non_exhaustive()
    }
}

/// Everything `Services` holds.
struct Inner<P: Ports> {
    /// `config.toml`.
    config: ConfigStore,
    /// `~/.aws/credentials` and `~/.aws/config`.
    files: AwsFiles,
    /// The keychain.
    keychain: P::Secrets,
    /// STS.
    sts: P::Sts,
    /// The federation endpoint.
    signin: P::Signin,
    /// The browser.
    browser: P::Browser,
    /// IAM Identity Center.
    sso: P::Sso,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), when set.
    default_region: Option<Region>,
    /// `ROLECALL_FEDERATION_ENDPOINT`, when set: replaces the partition's federation endpoint.
    federation_endpoint: Option<FederationEndpoint>,
    /// Held while an MFA favourite is assumed, so that favourites of one source assumed at once
    /// share one MFA session (one code) instead of asking for one each.
    mfa_lock: tokio::sync::Mutex<()>,
    /// Held while an IAM Identity Center token is refreshed, so that favourites renewed together
    /// share one refresh, and a refresh token the service rotates is never spent twice.
    sso_refresh: tokio::sync::Mutex<()>,
    /// When each source's kept MFA session ends (`None`: it has none), as last seen in the
    /// keychain by this process: what the scheduler needs to know, without asking the keychain
    /// (and raising its unlock prompt) on every pass. Never the session itself.
    kept_mfa: std::sync::Mutex<HashMap<Name, Option<DateTime<Utc>>>>,
    /// [`RENEW_CONCURRENCY`] permits, one per renewal in flight.
    renewals: tokio::sync::Semaphore,
    /// The sessions of `process` favourites assumed by this process, held instead of written.
    held: std::sync::Mutex<HashMap<Name, held::Held>>,
    /// Per favourite, the turn [`Services::serve`]'s requests take, and its failed renewals.
    serving: std::sync::Mutex<HashMap<Name, Arc<tokio::sync::Mutex<held::Gate>>>>,
    /// The CLI that `credential_process` lines name, when not [`cli_path`]'s (unit tests).
    cli: Option<PathBuf>,
}

/// The ports of one [`Services`], handed over at construction.
#[derive(Debug)]
pub struct Adapters<P: Ports> {
    /// STS.
    pub sts: P::Sts,
    /// The keychain.
    pub keychain: P::Secrets,
    /// The federation endpoint.
    pub signin: P::Signin,
    /// The browser.
    pub browser: P::Browser,
    /// IAM Identity Center.
    pub sso: P::Sso,
}

impl Services<Real> {
    /// Reads the environment: paths (`HOME`, `ROLECALL_CONFIG_DIR`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// `AWS_CONFIG_FILE`…), `AWS_REGION`, `ROLECALL_KEYCHAIN_SERVICE`,
    /// `ROLECALL_FEDERATION_ENDPOINT`, `ROLECALL_KEYCHAIN_TIMEOUT` (seconds one keychain call
    /// may take, 1–3600, default 60).
    pub fn from_env() -> Result<Services, Error> {
        let paths = Paths::from_env().ok_or_else(|| FileError {
            code: rolecall_core::Code::FileNoHome,
            path: "HOME".into(),
            message: "is not set; rolecall cannot find ~/.aws or its config".into(),
        })?;
        let default_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .map(|v| Region::parse(&v))
            .transpose()?;
        let service = rolecall_keychain::service_name(std::env::var("ROLECALL_KEYCHAIN_SERVICE").ok());
        let timeout = match std::env::var("ROLECALL_KEYCHAIN_TIMEOUT").ok().filter(|v| !v.is_empty()) {
            None => rolecall_keychain::DEFAULT_TIMEOUT,
            Some(v) => match v.parse::<u64>() {
                Ok(secs @ 1..=3600) => std::time::Duration::from_secs(secs),
                _ => {
                    return Err(rolecall_core::ValidationError::new(
                        "ROLECALL_KEYCHAIN_TIMEOUT",
                        format!("must be 1 to 3600 seconds, got {v:?}"),
                    )
                    .into());
                }
            },
        };
        let federation_endpoint = rolecall_signin::endpoint_from_env()?;
        let keychain = rolecall_keychain::OsKeychain::with_timeout(service, timeout);
        Ok(Services::with_adapters(paths, Services::real(keychain), default_region, federation_endpoint))
    }

    /// Services over explicit paths and keychain service name (tests of the front ends).
    pub fn new(paths: Paths, keychain_service: String, default_region: Option<Region>) -> Services {
        let keychain = rolecall_keychain::OsKeychain::new(keychain_service);
        Services::with_adapters(paths, Services::real(keychain), default_region, None)
    }

    fn real(keychain: rolecall_keychain::OsKeychain) -> Adapters<Real> {
        Adapters {
            sts: rolecall_sts::SdkSts::new(),
            keychain,
            signin: rolecall_signin::HttpSignin::new(),
            browser: SystemBrowser,
            sso: rolecall_sso::SdkSso::new(),
        }
    }
}

impl<P: Ports> Services<P> {
    /// Services over explicit paths and adapters.
    pub fn with_adapters(
        paths: Paths,
        adapters: Adapters<P>,
        default_region: Option<Region>,
        federation_endpoint: Option<FederationEndpoint>,
    ) -> Services<P> {
        let Adapters { sts, keychain, signin, browser, sso } = adapters;
        Services {
            inner: Arc::new(Inner {
                config: ConfigStore::new(paths.clone()),
                files: AwsFiles::new(paths),
                keychain,
                sts,
                signin,
                browser,
                sso,
                default_region,
                federation_endpoint,
                mfa_lock: tokio::sync::Mutex::new(()),
                sso_refresh: tokio::sync::Mutex::new(()),
                kept_mfa: std::sync::Mutex::default(),
                renewals: tokio::sync::Semaphore::new(RENEW_CONCURRENCY),
                held: std::sync::Mutex::default(),
                serving: std::sync::Mutex::default(),
                cli: None,
            }),
        }
    }

    /// `config.toml` as it is now (sources, favourites, preferences).
    pub fn config(&self) -> Result<rolecall_core::config::Config, Error> {
        self.inner.config.load()
    }

    /// The files a front end watches for changes made elsewhere: `config.toml`, the credentials
    /// file and the AWS config file. rolecall's own (private) config directory is created first.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let paths = self.inner.files.paths();
        if let Err(e) = rolecall_files::atomic::ensure_private_dir(&paths.config_dir) {
            tracing::debug!(code = %e.code, "cannot create the config directory yet");
        }
        vec![paths.config_file(), paths.credentials_file.clone(), paths.aws_config_file.clone()]
    }

    /// rolecall's config directory (what the tray app's credentials socket is named after).
    pub fn config_dir(&self) -> PathBuf {
        self.inner.files.paths().config_dir.clone()
    }

    /// The AWS config file's path (for messages).
    pub fn aws_config_file(&self) -> PathBuf {
        self.inner.files.paths().aws_config_file.clone()
    }

    /// The backups of taken-over profiles, newest first, and the directory that holds them.
    pub fn backups(&self) -> Result<(PathBuf, Vec<Backup>), Error> {
        let store = self.inner.files.backups();
        let list = store.list()?;
        Ok((store.dir().to_path_buf(), list))
    }

    /// How far this computer's clock is ahead of STS's (negative: behind), from the last STS
    /// answer with a `Date`.
    pub fn clock_offset(&self) -> Option<chrono::Duration> {
        self.inner.sts.clock_offset()
    }

    /// Whether the keychain is locked, asked without a prompt (`None`: it cannot tell). Blocks
    /// for up to a couple of seconds: call it off the async runtime.
    pub fn keychain_locked(&self) -> Option<bool> {
        self.inner.keychain.locked_without_prompt()
    }

    /// Hands a console sign-in link to the default browser (never to a command line).
    pub fn open_in_browser(&self, url: &LoginUrl, subject: &str) -> Result<(), Error> {
        self.inner.browser.open(url, subject)
    }

    /// Hands any other URL (an IAM Identity Center verification page) to the default browser,
    /// kept out of command lines like a login URL. Blocks while the opener starts: call it off
    /// the async runtime.
    pub fn open_url(&self, url: &str, subject: &str) -> Result<(), Error> {
        self.inner.browser.open_url(url, subject)
    }
}
