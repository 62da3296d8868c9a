//! `exec`: one command run with a favourite's session in its environment, nothing written.
//!
//! The child's environment: the session's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_CREDENTIAL_EXPIRATION` (or, with the credentials endpoint,
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` and `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`), the
//! favourite's region as `AWS_REGION` and `AWS_DEFAULT_REGION`; and none of the variables that
//! would name other credentials ([`OVERRIDING`]). Every SDK reads environment keys before any
//! profile, so the profiles files stay as they are for the keys path (they may hold the tool's
//! other settings). The endpoint comes after the profiles in every SDK's order, so for it the
//! child's `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` point at an empty private file: a
//! `[default]` profile with keys cannot shadow it.

use std::ffi::OsString;
use std::process::ExitStatus;

use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::Region;

/// Variables removed from the child's environment: each names credentials (or a profile that
/// holds some) other than the favourite's, which some SDK or tool would take over the session
/// rolecall hands it (or mix with it).
pub const OVERRIDING: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

/// How a child gets its credentials.
#[derive(Debug)]
pub enum Handover<'a> {
    /// In its environment: a session, as `AWS_ACCESS_KEY_ID` and the rest.
    Keys(&'a SessionCredentials),
    /// From a credentials endpoint: its URL, the token file, and the empty file the profiles
    /// files are pointed at.
    Endpoint {
        /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
        url: &'a str,
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
        token_file: &'a std::path::Path,
        /// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.
        empty_file: &'a std::path::Path,
    },
}

/// The environment changes for a child: `(name, Some(value))` to set, `(name, None)` to remove.
/// Values are secrets for [`Handover::Keys`]: they go to the child's environment only.
pub fn child_env(handover: &Handover<'_>, region: Option<&Region>) -> Vec<(&'static str, Option<OsString>)> {
    let mut out: Vec<(&'static str, Option<OsString>)> = OVERRIDING.iter().map(|k| (*k, None)).collect();
    let mut set = |k: &'static str, v: OsString| {
        out.retain(|(name, _)| *name != k);
        out.push((k, Some(v)));
    };
    match handover {
        Handover::Keys(creds) => {
            for (k, v) in rolecall_core::env::session_vars(creds, region) {
                set(k, v.into());
            }
        }
        Handover::Endpoint { url, token_file, empty_file } => {
            set("AWS_CONTAINER_CREDENTIALS_FULL_URI", (*url).into());
            set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.as_os_str().to_owned());
            set("AWS_SHARED_CREDENTIALS_FILE", empty_file.as_os_str().to_owned());
            set("AWS_CONFIG_FILE", empty_file.as_os_str().to_owned());
            if let Some(r) = region {
                set("AWS_REGION", r.to_string().into());
                set("AWS_DEFAULT_REGION", r.to_string().into());
            }
        }
    }
    out
}

/// How a child ended, as a shell reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildExit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (its number).
    Signal(i32),
}

impl ChildExit {
    /// The exit code to pass on: the child's own, or 128 + the signal's number, as shells do.
    pub fn code(self) -> i32 {
        match self {
            ChildExit::Code(c) => c,
            ChildExit::Signal(s) => 128 + s,
        }
    }

    fn of(status: ExitStatus) -> ChildExit {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(s) = status.signal() {
                return ChildExit::Signal(s);
            }
        }
        ChildExit::Code(status.code().unwrap_or(1))
    }
}

/// Starts `program` with `args` (no shell) and the environment changes `env`, forwards SIGINT,
/// SIGTERM and SIGHUP to it while it runs, and waits for it. `Err((code, reason))` when it could
/// not be started: 127 when there is no such command, 126 when it cannot be run, as shells say.
pub async fn run_child(
    program: &OsString,
    args: &[OsString],
    env: &[(&'static str, Option<OsString>)],
) -> Result<ChildExit, (i32, String)> {
    let mut command = tokio::process::Command::new(program);
    command.args(args).kill_on_drop(false);
    for (k, v) in env {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    let shown = program.to_string_lossy().into_owned();
    // The handlers go in before the child starts: a signal from then on is the child's.
    let mut signals = Signals::new().map_err(|e| (1, format!("cannot handle signals: {e}")))?;
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => (127, format!("{shown}: command not found")),
        std::io::ErrorKind::PermissionDenied => (126, format!("{shown}: permission denied")),
        _ => (126, format!("{shown}: cannot run it: {e}")),
    })?;
    let status =
        signals.wait_forwarding(&mut child).await.map_err(|e| (1, format!("{shown}: cannot wait for it: {e}")))?;
    Ok(ChildExit::of(status))
}

/// The signals `exec` passes on to its child.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn wait_forwarding(&mut self, child: &mut tokio::process::Child) -> std::io::Result<ExitStatus> {
        let pid = child.id().and_then(|p| rustix::process::Pid::from_raw(p as i32));
        loop {
            let sig = tokio::select! {
                status = child.wait() => return status,
                _ = self.int.recv() => rustix::process::Signal::INT,
                _ = self.term.recv() => rustix::process::Signal::TERM,
                _ = self.hup.recv() => rustix::process::Signal::HUP,
            };
            if let Some(pid) = pid {
                // The child may have ended in between: then there is nobody to tell.
                let _ = rustix::process::kill_process(pid, sig);
            }
        }
    }
}

/// Elsewhere: Ctrl+C reaches every process of the console; rolecall outlives it to pass on the code.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn wait_forwarding(&mut self, child: &mut tokio::process::Child) -> std::io::Result<ExitStatus> {
        loop {
            tokio::select! {
                status = child.wait() => return status,
                _ = tokio::signal::ctrl_c() => {}
            }
        }
    }
}
