//! [`Moto`]: a private moto server (AWS STS and IAM) on a loopback port, with admin helpers to
//! create users, roles and MFA devices, and to switch on its auth mode.
//!
//! What moto 5.2 enforces once [`Moto::enable_auth_mode`] has been called (verified):
//! - unknown access key id, or a session token that is not the one issued → `InvalidClientTokenId`
//!   (HTTP 403); wrong secret key → `SignatureDoesNotMatch` (403);
//! - `sts:AssumeRole` needs BOTH an identity policy of the caller allowing it (else
//!   `AccessDenied`, 403) AND the role's trust policy naming the caller's exact ARN (else
//!   `AccessDenied`); a wrong `ExternalId` against an `sts:ExternalId` condition → `AccessDenied`;
//! - `sts:GetSessionToken` needs an identity policy allowing it; `sts:GetCallerIdentity` never
//!   needs one (moto always allows it);
//! - credentials from AssumeRole work for later calls (get-caller-identity returns
//!   `arn:aws:sts::123456789012:assumed-role/ROLE/SESSION`); those from GetSessionToken are
//!   rejected (`InvalidClientTokenId`).
//!
//! Not enforced: a missing `ExternalId` (the condition passes), MFA (serial and code are not
//! checked), roles that do not exist (AssumeRole succeeds), session durations.
//!
//! Role chaining: moto matches trust principals by exact ARN, so a role trusted by role `A` must
//! name the session ARN `arn:aws:sts::ACCOUNT:assumed-role/A/SESSION` (see
//! [`assumed_role_arn`]); trusting `arn:aws:iam::ACCOUNT:role/A` (enough on real AWS) is refused.
//! Real AWS also accepts a session ARN as a principal, so tests written this way stay valid.

use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::http::{self, Request};
use crate::process::Supervised;
use crate::util::{describe, free_port, poll, run_with_timeout, tail, venv_tool};

/// The account moto puts everything in.
pub const ACCOUNT_ID: &str = "123456789012";

/// How long moto may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one run of the admin helper may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(60);
/// The admin helper, run with the venv's python.
const ADMIN_SCRIPT: &str = include_str!("moto_admin.py");
/// What the policy of [`Moto::create_user`] allows.
pub const USER_ACTIONS: &[&str] = &["sts:AssumeRole", "sts:GetCallerIdentity", "sts:GetSessionToken"];
/// What the permission policy of [`Moto::create_role`] allows (on `*`).
pub const ROLE_ACTIONS: &[&str] = &["sts:AssumeRole", "sts:GetCallerIdentity"];
/// The principal written into a trust policy by [`Moto::remove_trust`]: no such user exists.
const NOBODY: &str = "arn:aws:iam::123456789012:user/rolecall-harness-nobody";

/// The ARN of the session principal `SESSION` of role `ROLE` in moto's account:
/// `arn:aws:sts::123456789012:assumed-role/ROLE/SESSION`, the caller ARN that credentials from
/// AssumeRole have, and the principal to trust for role chaining (see the module doc).
pub fn assumed_role_arn(role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{session_name}")
}

/// An IAM user's ARN and its access key, as created by [`Moto::create_user`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserKeys {
    /// `arn:aws:iam::123456789012:user/NAME`.
    pub user_arn: String,
    /// The access key id (`AKIA…`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

/// A moto server on 127.0.0.1, private to one test; killed when dropped.
///
/// Admin calls ([`create_user`](Self::create_user) and the like) work before and after
/// [`enable_auth_mode`](Self::enable_auth_mode): before, with dummy keys; the first admin call
/// also creates the IAM user `rolecall-harness-admin` (policy `*`), whose keys are used once auth
/// mode is on. Each admin call runs the venv's python once (~0.5 s).
pub struct Moto {
    port: u16,
    process: Supervised,
    /// The admin user's keys, once created. Also serialises admin calls.
    admin: Mutex<Option<(String, String)>>,
    auth_mode: AtomicBool,
    _dir: TempDir,
}

impl Moto {
    /// Starts `moto_server -H 127.0.0.1 -p PORT` (from the test venv, else PATH) on a free port
    /// and waits until it answers HTTP, up to 30 s.
    ///
    /// Retries on another port if the chosen one was taken meanwhile (moto's log says so).
    ///
    /// # Panics
    /// If moto exits or does not answer in time, with its output.
    pub fn start() -> Moto {
        let dir = tempfile::Builder::new().prefix("rolecall-moto-").tempdir().expect("temp dir");
        let moto = venv_tool("moto_server");
        for attempt in 1..=5 {
            let port = free_port();
            let log = dir.path().join(format!("moto-{port}.log"));
            let mut cmd = Command::new(&moto);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]).current_dir(dir.path());
            for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
                cmd.env_remove(name);
            }
            let mut process = Supervised::spawn("moto_server", &cmd, &log, None);
            let started = Instant::now();
            // Ours is listening once werkzeug says it runs on this port (so a server of someone
            // else on that port is never mistaken for ours) and it answers.
            let banner = format!("Running on http://127.0.0.1:{port}");
            let ready = poll(START_TIMEOUT, || {
                if let Some(status) = process.exited() {
                    return Some(Err(status));
                }
                let answers =
                    || http::request(port, &Request::new("GET", "/moto-api/"), Duration::from_secs(10)).is_ok();
                (process.log().contains(&banner) && answers()).then_some(Ok(()))
            });
            match ready {
                Some(Ok(())) => {
                    return Moto {
                        port,
                        process,
                        admin: Mutex::new(None),
                        auth_mode: AtomicBool::new(false),
                        _dir: dir,
                    };
                }
                Some(Err(_)) if process.log().contains("Address already in use") && attempt < 5 => {
                    eprintln!("harness: port {port} was taken, starting moto on another");
                }
                Some(Err(status)) => panic!(
                    "moto_server ({}) exited with {status} after {:?} without serving; is the test venv \
                     set up (scripts/setup)? Its output:\n{}",
                    describe(&cmd),
                    started.elapsed(),
                    tail(&process.log(), 4000)
                ),
                None => panic!(
                    "moto_server ({}) did not answer on port {port} within {:?}; its output:\n{}",
                    describe(&cmd),
                    START_TIMEOUT,
                    tail(&process.log(), 4000)
                ),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything moto printed so far (one line per request): handy in assertion messages.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Creates IAM user `name` with an access key and an inline policy allowing
    /// [`USER_ACTIONS`] (`sts:AssumeRole`, `sts:GetCallerIdentity`, `sts:GetSessionToken`) on `*`.
    pub fn create_user(&self, name: &str) -> UserKeys {
        self.create_user_with_actions(name, USER_ACTIONS)
    }

    /// Creates IAM user `name` with an access key and an inline policy allowing `actions` on
    /// `*`; no policy at all when `actions` is empty (in auth mode such a user can only call
    /// GetCallerIdentity: AssumeRole and GetSessionToken give `AccessDenied`).
    pub fn create_user_with_actions(&self, name: &str, actions: &[&str]) -> UserKeys {
        let out = self.admin("create_user", json!({ "name": name, "actions": actions }));
        UserKeys {
            user_arn: string(&out, "user_arn"),
            access_key_id: string(&out, "access_key_id"),
            secret_access_key: string(&out, "secret_access_key"),
        }
    }

    /// Creates role `name` trusting `trusted_principal_arn` (a user ARN, or a session ARN from
    /// [`assumed_role_arn`] for chaining), with an `sts:ExternalId` condition when `external_id`
    /// is given, and a permission policy allowing [`ROLE_ACTIONS`] (`sts:AssumeRole`,
    /// `sts:GetCallerIdentity`) on `*`. Returns the role ARN
    /// (`arn:aws:iam::123456789012:role/NAME`).
    pub fn create_role(&self, name: &str, trusted_principal_arn: &str, external_id: Option<&str>) -> String {
        self.create_role_trusting(name, &[trusted_principal_arn], external_id)
    }

    /// As [`create_role`](Self::create_role), trusting each of `principals` (exact ARNs).
    pub fn create_role_trusting(&self, name: &str, principals: &[&str], external_id: Option<&str>) -> String {
        let out = self.admin(
            "create_role",
            json!({ "name": name, "principals": principals, "external_id": external_id, "actions": ROLE_ACTIONS }),
        );
        string(&out, "role_arn")
    }

    /// Replaces the trust policy of role `role_name`: it now trusts `principal_arn` only, with no
    /// ExternalId condition. Works in auth mode too.
    pub fn set_trust(&self, role_name: &str, principal_arn: &str) {
        self.admin("set_trust", json!({ "name": role_name, "principals": [principal_arn] }));
    }

    /// Replaces the trust policy of role `role_name` with one that trusts nobody (it names a user
    /// that does not exist): AssumeRole then gives `AccessDenied`. Works in auth mode too.
    pub fn remove_trust(&self, role_name: &str) {
        self.set_trust(role_name, NOBODY);
    }

    /// Creates a virtual MFA device for user `user_name`, enables it for that user, and returns
    /// its serial (`arn:aws:iam::123456789012:mfa/USER`). moto does not check MFA codes.
    pub fn create_mfa_device(&self, user_name: &str) -> String {
        string(&self.admin("create_mfa_device", json!({ "user": user_name })), "serial")
    }

    /// Switches moto's auth mode on for the rest of its life (`POST /moto-api/reset-auth` with
    /// body `0`): from then on every request is authenticated and authorised against IAM, see
    /// the module doc. Creates the harness admin user first if no admin call was made yet.
    ///
    /// # Panics
    /// If moto does not answer `{"status": "ok", …}`.
    pub fn enable_auth_mode(&self) {
        if self.admin.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            self.admin("ensure_admin", json!({}));
        }
        let reset = Request::new("POST", "/moto-api/reset-auth").header_line("Content-Type", "text/plain").body("0");
        let response = http::request(self.port, &reset, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("reset-auth request to moto failed: {e}"));
        assert!(
            response.status == 200 && response.text().contains("\"status\": \"ok\""),
            "moto refused reset-auth: {} {}\n{}",
            response.status,
            response.reason,
            response.text()
        );
        self.auth_mode.store(true, Ordering::SeqCst);
    }

    /// Whether [`enable_auth_mode`](Self::enable_auth_mode) has been called.
    pub fn is_auth_mode(&self) -> bool {
        self.auth_mode.load(Ordering::SeqCst)
    }

    /// The harness admin user's access key id and secret, once the first admin call made it
    /// (valid in auth mode; its policy allows `*`).
    pub fn admin_keys(&self) -> Option<(String, String)> {
        self.admin.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs one operation of `moto_admin.py` and returns its JSON output.
    fn admin(&self, operation: &str, mut args: Value) -> Value {
        let mut admin = self.admin.lock().unwrap_or_else(|e| e.into_inner());
        let (key, secret) = match &*admin {
            Some((key, secret)) => (key.clone(), secret.clone()),
            None => {
                assert!(!self.is_auth_mode(), "no admin user in auth mode");
                args["ensure_admin"] = Value::Bool(true);
                ("testing".to_owned(), "testing".to_owned())
            }
        };
        let mut cmd = Command::new(venv_tool("python"));
        cmd.arg("-c").arg(ADMIN_SCRIPT).arg(self.endpoint()).arg(operation).arg(args.to_string());
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("AWS_")) {
                cmd.env_remove(name);
            }
        }
        cmd.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let output = run_with_timeout(&mut cmd, None, ADMIN_TIMEOUT);
        assert!(
            output.status.success(),
            "moto admin operation {operation} {args} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let out: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!("moto admin {operation}: bad output ({e}): {}", String::from_utf8_lossy(&output.stdout))
        });
        if let Some(keys) = out.get("admin") {
            *admin = Some((string(keys, "access_key_id"), string(keys, "secret_access_key")));
        }
        out
    }
}

/// A string field of the admin helper's output.
fn string(value: &Value, field: &str) -> String {
    value[field].as_str().unwrap_or_else(|| panic!("moto admin output lacks {field}: {value}")).to_owned()
}
