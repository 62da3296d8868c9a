//! The tray app's credentials socket: how `rolecall credentials NAME` gets a session the running
//! tray app holds in memory ([`crate::Services::serve`]), with no keychain read, no STS call and
//! no prompt on the hot path. This module is the protocol, the server loop and the client; the
//! tray app binds it at start, and the CLI asks it before doing the work itself.
//!
//! - **Where**: [`socket_path`], `rolecall/tray-HASH.sock` in the runtime dir (`XDG_RUNTIME_DIR`,
//!   a per-user tmpfs), HASH naming rolecall's config dir; in a 0700 directory; the socket itself
//!   is 0600.
//! - **Who may ask**: the server answers only peers with its own effective uid (the kernel's
//!   peer credentials, `SO_PEERCRED`); anyone else's connection is closed unanswered and logged.
//! - **Who may answer**: the client uses the socket only when it and its directory belong to
//!   its own uid with no access for group or others, and the peer that accepted is its own uid;
//!   otherwise it says [`Answer::NotServed`] with why, and the caller does the work itself.
//! - **Wire**: one JSON line each way, at most [`MAX_REQUEST`] bytes read within
//!   [`REQUEST_TIMEOUT`]: `{"v":1,"credentials":"NAME"}`, answered by
//!   `{"v":1,"credentials":{AccessKeyId,SecretAccessKey,SessionToken,Expiration}}` or
//!   `{"v":1,"error":{"code":"…","message":"…"}}`. Anything else is answered with an
//!   `input.invalid` error; [`MAX_CONNECTIONS`] are answered at once.
//! - **A server that dies mid-request** (the connection closes with no answer) is
//!   [`Answer::NotServed`], never a hang; one that keeps the connection open past
//!   [`ANSWER_TIMEOUT`] is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::Name;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

/// The protocol's version.
pub const VERSION: u8 = 1;
/// The longest request line read.
pub const MAX_REQUEST: usize = 1024;
/// How long a client has to send its request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client waits for the answer (a renewal may run first).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections answered at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 32;
/// The longest answer a client reads.
const MAX_ANSWER: usize = 16 * 1024;

/// The socket's path for a runtime dir and rolecall's config dir:
/// `RUNTIME/rolecall/tray-HASH.sock`, HASH naming the config dir (16 hex digits of its FNV-1a
/// hash), so that a CLI with another config (`ROLECALL_CONFIG_DIR`: a test, a second setup) never
/// asks a tray app that serves other favourites.
pub fn socket_path(runtime_dir: &Path, config_dir: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let hash = config_dir
        .as_os_str()
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
    runtime_dir.join("rolecall").join(format!("tray-{hash:016x}.sock"))
}

/// [`socket_path`] in `XDG_RUNTIME_DIR` (`None` when it is not set to an absolute directory:
/// then nothing is served, and `rolecall credentials` does the work itself).
pub fn socket_from_env(config_dir: &Path) -> Option<PathBuf> {
    let runtime = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?);
    (runtime.is_absolute() && runtime.is_dir()).then(|| socket_path(&runtime, config_dir))
}

#[derive(Serialize, Deserialize)]
struct Request {
    v: u8,
    credentials: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Wire {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

/// A refusal as the server sent it: its stable code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The error code's wire string (`input.needed`, `sts.access_denied`…).
    pub code: String,
    /// Its message.
    pub message: String,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    v: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credentials: Option<Wire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<Refusal>,
}

/// What asking the socket gave.
#[derive(Debug)]
pub enum Answer {
    /// The session the server holds.
    Credentials(SessionCredentials),
    /// The server's refusal (an unknown favourite, one that needs an MFA code…).
    Refused(Refusal),
    /// Nobody served the request (no socket, a stale one, one that is not safe to use, a server
    /// that closed without answering): why, for a log line.
    NotServed(String),
}

/// Binds the socket at `path`: its directory is created 0700 (an existing one must be this
/// user's with no access for others), a stale socket left by a server that is gone is replaced,
/// and a live one is refused (another server answers there).
pub async fn bind(path: &Path) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = path.parent().ok_or_else(|| std::io::Error::other("the socket path has no directory"))?;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    if !std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir() && only_mine(&m)) {
        return Err(std::io::Error::other(format!(
            "{} is not a directory of this user's that only this user can use",
            dir.display()
        )));
    }
    if std::fs::symlink_metadata(path).is_ok() {
        if UnixStream::connect(path).await.is_ok() {
            return Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "another server answers on the socket"));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Answers requests on `listener` with `answer` until the task is dropped or aborted.
pub async fn serve<F, Fut>(listener: UnixListener, answer: F)
where
    F: Fn(Name) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<SessionCredentials, Error>> + Send + 'static,
{
    let answer = Arc::new(answer);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "the credentials socket cannot accept");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            connection(stream, answer.as_ref()).await;
            drop(permit);
        });
    }
}

async fn connection<F, Fut>(stream: UnixStream, answer: &F)
where
    F: Fn(Name) -> Fut,
    Fut: Future<Output = Result<SessionCredentials, Error>>,
{
    match stream.peer_cred() {
        Ok(c) if c.uid() == euid() => {}
        Ok(c) => {
            tracing::warn!(uid = c.uid(), "the credentials socket refused another user's connection");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "the credentials socket cannot tell who connected");
            return;
        }
    }
    let (read, mut write) = stream.into_split();
    let reply = match tokio::time::timeout(REQUEST_TIMEOUT, read_line(read, MAX_REQUEST)).await {
        Err(_) => refusal("input.invalid", "no request arrived in time"),
        Ok(Err(why)) => refusal("input.invalid", &why),
        Ok(Ok(line)) => match parse_request(&line) {
            Err(why) => refusal("input.invalid", &why),
            Ok(name) => match answer(name).await {
                Ok(creds) => Reply { v: VERSION, credentials: Some(to_wire(&creds)), error: None },
                Err(e) => refusal(e.code().as_str(), &e.to_string()),
            },
        },
    };
    let mut line = serde_json::to_vec(&reply).expect("the reply serializes");
    line.push(b'\n');
    if let Err(e) = write.write_all(&line).await {
        tracing::debug!(error = %e, "the credentials socket's client left before its answer");
    }
}

fn refusal(code: &str, message: &str) -> Reply {
    Reply { v: VERSION, credentials: None, error: Some(Refusal { code: code.to_owned(), message: message.to_owned() }) }
}

/// The favourite a request line asks for.
fn parse_request(line: &str) -> Result<Name, String> {
    let req: Request =
        serde_json::from_str(line).map_err(|_| "the request is not {\"v\":1,\"credentials\":\"NAME\"}".to_owned())?;
    if req.v != VERSION {
        return Err(format!("protocol version {} is not {VERSION}", req.v));
    }
    Name::parse(&req.credentials).map_err(|e| e.to_string())
}

/// One line (without its newline) of at most `max` bytes, or why not.
async fn read_line(read: impl tokio::io::AsyncRead + Unpin, max: usize) -> Result<String, String> {
    let mut buf = Vec::new();
    let mut reader = BufReader::new(read).take(max as u64 + 1);
    reader.read_until(b'\n', &mut buf).await.map_err(|e| e.to_string())?;
    if buf.last() != Some(&b'\n') {
        return Err(if buf.len() > max { "the line is too long".into() } else { "the line did not end".into() });
    }
    buf.pop();
    String::from_utf8(buf).map_err(|_| "the line is not UTF-8".into())
}

fn to_wire(c: &SessionCredentials) -> Wire {
    Wire {
        access_key_id: c.access_key_id.as_str().to_owned(),
        secret_access_key: c.secret().to_owned(),
        session_token: c.token().to_owned(),
        expiration: c.expiration_text(),
    }
}

fn from_wire(w: Wire) -> Option<SessionCredentials> {
    Some(SessionCredentials {
        access_key_id: AccessKeyId::parse(&w.access_key_id).ok()?,
        secret_access_key: SecretString::from(w.secret_access_key),
        session_token: SecretString::from(w.session_token),
        expiration: DateTime::parse_from_rfc3339(&w.expiration).ok()?.with_timezone(&Utc),
    })
}

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether a file (the socket, its directory) is this user's, with no access for group or others.
fn only_mine(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == euid() && meta.mode() & 0o077 == 0
}

/// Why the socket at `path` must not be used (someone else's, or open to others), if so.
fn unsafe_socket(path: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let dir = path.parent()?;
    let d = std::fs::symlink_metadata(dir).ok()?;
    if !d.is_dir() || !only_mine(&d) {
        return Some(format!("{} is not only this user's", dir.display()));
    }
    let s = std::fs::symlink_metadata(path).ok()?;
    if !s.file_type().is_socket() || !only_mine(&s) {
        return Some(format!("{} is not a socket only this user can use", path.display()));
    }
    None
}

/// Asks the server at `path` for favourite `name`'s session.
pub async fn ask(path: &Path, name: &Name) -> Result<Answer, Error> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(Answer::NotServed("no server is running".into()));
    }
    if let Some(why) = unsafe_socket(path) {
        tracing::warn!("not using the credentials socket: {why}");
        return Ok(Answer::NotServed(why));
    }
    let stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e) => return Ok(Answer::NotServed(format!("no server answers ({e})"))),
    };
    match stream.peer_cred() {
        Ok(c) if c.uid() == euid() => {}
        _ => return Ok(Answer::NotServed("the socket's server is not this user's".into())),
    }
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(&Request { v: VERSION, credentials: name.to_string() }).expect("serializes");
    line.push(b'\n');
    if write.write_all(&line).await.is_err() {
        return Ok(Answer::NotServed("the server closed the connection".into()));
    }
    let reply = match tokio::time::timeout(ANSWER_TIMEOUT, read_line(read, MAX_ANSWER)).await {
        Err(_) => {
            return Err(Error::NeedsInput {
                subject: format!("favourite {name}"),
                what: format!("the tray app did not answer within {} s; try again", ANSWER_TIMEOUT.as_secs()),
            });
        }
        Ok(Err(why)) => return Ok(Answer::NotServed(format!("the server gave no answer ({why})"))),
        Ok(Ok(line)) => line,
    };
    let Ok(reply) = serde_json::from_str::<Reply>(&reply) else {
        return Ok(Answer::NotServed("the server's answer is not one this version reads".into()));
    };
    Ok(match (reply.credentials.and_then(from_wire), reply.error) {
        (Some(c), _) => Answer::Credentials(c),
        (None, Some(r)) => Answer::Refused(r),
        (None, None) => Answer::NotServed("the server's answer holds neither credentials nor an error".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::os::unix::fs::PermissionsExt;

    fn creds() -> SessionCredentials {
        SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAEXAMPLE000000001").unwrap(),
            secret_access_key: SecretString::from("s/e+c".to_owned()),
            session_token: SecretString::from("t\"k".to_owned()),
            expiration: Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap(),
        }
    }

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    /// A server over a real socket in a fresh runtime dir that knows favourite `prod` only.
    async fn server() -> (tempfile::TempDir, PathBuf, tokio::task::JoinHandle<()>) {
        let dir = tempfile::tempdir().unwrap();
        let path = socket_path(dir.path(), Path::new("/home/u/.config/rolecall"));
        let listener = bind(&path).await.unwrap();
        let task = tokio::spawn(serve(listener, |name: Name| async move {
            if name.as_str() == "prod" {
                Ok(creds())
            } else {
                Err(Error::NeedsInput { subject: format!("favourite {name}"), what: "is unknown".into() })
            }
        }));
        (dir, path, task)
    }

    #[tokio::test]
    async fn a_favourite_is_served_and_a_refusal_keeps_its_code() {
        let (_dir, path, _task) = server().await;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dmode, 0o700);
        match ask(&path, &n("prod")).await.unwrap() {
            Answer::Credentials(c) => {
                assert_eq!(c.access_key_id.as_str(), "ASIAEXAMPLE000000001");
                assert_eq!(c.secret(), "s/e+c");
                assert_eq!(c.token(), "t\"k");
                assert_eq!(c.expiration, creds().expiration);
            }
            other => panic!("not served: {other:?}"),
        }
        match ask(&path, &n("dev")).await.unwrap() {
            Answer::Refused(r) => {
                assert_eq!(r.code, "input.needed");
                assert_eq!(r.message, "favourite dev: is unknown");
            }
            other => panic!("not refused: {other:?}"),
        }
    }

    #[tokio::test]
    async fn no_socket_a_stale_one_and_an_unsafe_one_are_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let path = socket_path(dir.path(), Path::new("/home/u/.config/rolecall"));
        assert!(matches!(ask(&path, &n("prod")).await.unwrap(), Answer::NotServed(_)));
        // A socket whose server is gone.
        drop(bind(&path).await.unwrap());
        assert!(matches!(ask(&path, &n("prod")).await.unwrap(), Answer::NotServed(_)));
        // Bound again over the stale one, then opened to others: refused without connecting.
        let (_d, path, _task) = server().await;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        match ask(&path, &n("prod")).await.unwrap() {
            Answer::NotServed(why) => assert!(why.contains("only this user"), "{why}"),
            other => panic!("served from an open socket: {other:?}"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(path.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(matches!(ask(&path, &n("prod")).await.unwrap(), Answer::NotServed(_)));
    }

    #[tokio::test]
    async fn a_live_server_is_not_replaced() {
        let (_dir, path, _task) = server().await;
        let e = bind(&path).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        assert!(matches!(ask(&path, &n("prod")).await.unwrap(), Answer::Credentials(_)));
    }

    /// Sends `raw` and returns the server's reply line.
    async fn raw_reply(path: &Path, raw: &[u8]) -> String {
        let mut s = UnixStream::connect(path).await.unwrap();
        s.write_all(raw).await.unwrap();
        let (read, _w) = s.into_split();
        read_line(read, MAX_ANSWER).await.unwrap()
    }

    #[tokio::test]
    async fn malformed_requests_get_input_invalid_and_the_server_goes_on() {
        let (_dir, path, _task) = server().await;
        let long = format!("{{\"v\":1,\"credentials\":\"{}\"}}\n", "a".repeat(MAX_REQUEST));
        for raw in [
            &b"not json\n"[..],
            b"{\"v\":2,\"credentials\":\"prod\"}\n",
            b"{\"v\":1,\"credentials\":\"no spaces allowed\"}\n",
            b"{\"v\":1}\n",
            b"\xff\xfe\n",
            long.as_bytes(),
        ] {
            let reply: Reply = serde_json::from_str(&raw_reply(&path, raw).await).unwrap();
            assert!(reply.credentials.is_none());
            assert_eq!(reply.error.unwrap().code, "input.invalid", "{:?}", String::from_utf8_lossy(raw));
        }
        assert!(matches!(ask(&path, &n("prod")).await.unwrap(), Answer::Credentials(_)));
    }

    #[tokio::test]
    async fn a_server_that_closes_without_answering_is_not_served_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let path = socket_path(dir.path(), Path::new("/home/u/.config/rolecall"));
        let listener = bind(&path).await.unwrap();
        // Takes the request, then dies (drops the connection) without a word.
        let task = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let (read, _w) = s.into_split();
            let _ = read_line(read, MAX_REQUEST).await;
        });
        match ask(&path, &n("prod")).await.unwrap() {
            Answer::NotServed(why) => assert!(why.contains("no answer"), "{why}"),
            other => panic!("{other:?}"),
        }
        task.await.unwrap();
    }

    #[test]
    fn the_socket_lives_in_the_runtime_dir_named_after_the_config_dir() {
        let run = Path::new("/run/user/1000");
        let a = socket_path(run, Path::new("/home/u/.config/rolecall"));
        assert_eq!(a.parent(), Some(Path::new("/run/user/1000/rolecall")));
        let file = a.file_name().unwrap().to_str().unwrap();
        assert!(
            file.starts_with("tray-") && file.ends_with(".sock") && file.len() == "tray-.sock".len() + 16,
            "{file}"
        );
        assert_eq!(a, socket_path(run, Path::new("/home/u/.config/rolecall")), "stable");
        assert_ne!(a, socket_path(run, Path::new("/home/u/.config/rolecall-dev")));
        // Well inside the 108 bytes a socket path may have, for a usual runtime dir.
        assert!(a.as_os_str().len() < 60);
    }
}
