//! The credentials endpoint of `exec --server`: an ECS-style container credentials endpoint on
//! 127.0.0.1 (a port the OS picks) for one child, serving a favourite's session and renewing it.
//!
//! - **Who may ask**: a request must come from a loopback address, name a loopback `Host`
//!   (`127.0.0.1`, `localhost`, `[::1]`, any port: a page a browser was lured to cannot name one),
//!   and carry `Authorization: TOKEN`, a fresh 256-bit random token per endpoint compared in
//!   constant time; and (on Linux) the peer's socket must be this user's: its row of
//!   `/proc/net/tcp` (or `tcp6`, for a v4-mapped socket) by its address and port and ours
//!   ([`socket_uid`]) must name our effective uid, and a peer whose row is not found is refused
//!   too. Anything else is 403, logged with the peer and the reason, never the token. Another
//!   user who learned the token (from the child's environment, say) is still refused. On other
//!   systems nothing says whose a TCP peer is, and the token is the only guard.
//!   The token reaches the child in a 0600 file (`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`) in a
//!   fresh 0700 directory of the runtime dir, removed when the endpoint stops; never in argv.
//! - **What it says**: `GET /rolecall/credentials` gives `{AccessKeyId, SecretAccessKey, Token,
//!   Expiration}` (`…Z`), the container format every SDK reads; other paths 404, other methods
//!   405, a malformed request 400. Requests are at most [`MAX_REQUEST`] bytes, read within
//!   [`REQUEST_TIMEOUT`]; one connection, one answer; [`MAX_CONNECTIONS`] at once.
//! - **Renewal**: when fewer than [`RENEW_WITHIN`] (or half a shorter session's lifetime) are
//!   left, a request renews first (an assume
//!   written nowhere, with no MFA prompt: a kept MFA session or nothing), one at a time; a
//!   failed renewal is tried again only after a pause that doubles (5 s up to 5 min) while the
//!   old session is served as long as it lasts, so STS is never asked in a loop.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rolecall_core::Error;
use rolecall_core::assume::MfaPrompt;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Services;
use crate::held::{Backoff, fresh_enough};

/// The path the endpoint serves.
pub const PATH: &str = "/rolecall/credentials";
/// A session with less than this left is renewed before it is served.
pub const RENEW_WITHIN: chrono::Duration = chrono::Duration::minutes(15);
/// The longest request (line and headers) read.
pub const MAX_REQUEST: usize = 8 * 1024;
/// How long a client has to send its request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections answered at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 32;

/// A running endpoint. Stops (and removes its token file) when dropped.
#[derive(Debug)]
pub struct Endpoint {
    url: String,
    dir: PrivateDir,
    task: tokio::task::JoinHandle<()>,
}

impl Endpoint {
    /// `http://127.0.0.1:PORT/rolecall/credentials`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The 0600 file that holds the token.
    pub fn token_file(&self) -> PathBuf {
        self.dir.path.join("token")
    }

    /// An empty 0600 file, for the child's `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.
    pub fn empty_file(&self) -> PathBuf {
        self.dir.path.join("empty")
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// No prompt: a renewal that needs an MFA code fails (the child may be using the terminal).
struct NoPrompt;

impl MfaPrompt for NoPrompt {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        Err(Error::NeedsInput {
            subject: format!("favourite {favourite}"),
            what: format!("needs a code from MFA device {device} to renew; run the command again"),
        })
    }
}

/// The session an endpoint serves, and its renewals' state.
#[derive(Debug)]
struct Held {
    creds: SessionCredentials,
    /// When this session was received (its lifetime is from then to its expiry).
    received: chrono::DateTime<Utc>,
    backoff: Backoff,
}

impl Held {
    fn new(creds: SessionCredentials, now: chrono::DateTime<Utc>) -> Held {
        Held { creds, received: now, backoff: Backoff::default() }
    }

    /// Whether to renew at `now` (`instant` on the monotonic clock): fewer than [`RENEW_WITHIN`]
    /// left, or half the session's lifetime for a shorter session (so a 15-minute session is
    /// not renewed on every request), and no failed renewal's pause still running.
    fn renewal_due(&self, now: chrono::DateTime<Utc>, instant: Instant) -> bool {
        !fresh_enough(RENEW_WITHIN, Some(self.received), self.creds.expiration, now) && !self.backoff.pausing(instant)
    }

    fn renewed(&mut self, creds: SessionCredentials, now: chrono::DateTime<Utc>) {
        *self = Held::new(creds, now);
    }

    /// Records a failed renewal at `instant`: the pause before the next try (5 s, doubling, at
    /// most 5 minutes).
    fn failed(&mut self, instant: Instant) -> Duration {
        self.backoff.failed(instant)
    }
}

struct Served {
    services: Services,
    name: Name,
    token: String,
    held: tokio::sync::Mutex<Held>,
}

impl Services {
    /// Starts the credentials endpoint for favourite `name`, serving `first` until it needs
    /// renewing. See the [module](self).
    pub async fn credentials_endpoint(&self, name: &Name, first: SessionCredentials) -> Result<Endpoint, Error> {
        let fail = |what: String| Error::NeedsInput { subject: "the credentials endpoint".into(), what };
        let token = random_hex(32).map_err(|e| fail(format!("no random token: {e}")))?;
        let dir = PrivateDir::create().map_err(|e| fail(format!("cannot create its private directory: {e}")))?;
        dir.write("token", token.as_bytes()).map_err(|e| fail(format!("cannot write its token file: {e}")))?;
        dir.write("empty", b"").map_err(|e| fail(format!("cannot write its empty profiles file: {e}")))?;
        let listener =
            TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| fail(format!("cannot listen on 127.0.0.1: {e}")))?;
        let port = listener.local_addr().map_err(|e| fail(format!("no port: {e}")))?.port();
        let served = Arc::new(Served {
            services: self.clone(),
            name: name.clone(),
            token,
            held: tokio::sync::Mutex::new(Held::new(first, Utc::now())),
        });
        let task = tokio::spawn(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    // Out of file descriptors, say: not a busy loop.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let served = served.clone();
                tokio::spawn(async move {
                    served.connection(stream, peer).await;
                    drop(slot);
                });
            }
        });
        Ok(Endpoint { url: format!("http://127.0.0.1:{port}{PATH}"), dir, task })
    }
}

impl Served {
    async fn connection(&self, mut stream: TcpStream, peer: SocketAddr) {
        let head = match tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream)).await {
            Ok(Ok(head)) => head,
            Ok(Err(why)) => return respond(&mut stream, 400, "Bad Request", &error_body(why)).await,
            Err(_) => return respond(&mut stream, 408, "Request Timeout", &error_body("request too slow")).await,
        };
        let (status, body) = match parse_request(&head) {
            Err(why) => (400, error_body(why)),
            Ok(req) => match peer_is_ours(&stream, peer).await.and_then(|()| check(&req, peer.ip(), &self.token)) {
                Err(why) => {
                    tracing::warn!(%peer, reason = why, "the credentials endpoint refused a request");
                    (403, error_body(why))
                }
                Ok(()) if req.path != PATH => (404, error_body("no such path")),
                Ok(()) if req.method != "GET" => (405, error_body("only GET")),
                Ok(()) => match self.current().await {
                    Ok(creds) => (200, container_json(&creds)),
                    Err(e) => (503, error_body(&format!("{}: {}", e.code(), e))),
                },
            },
        };
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Service Unavailable",
        };
        respond(&mut stream, status, reason, &body).await;
    }

    /// The held session, renewed first when fewer than [`RENEW_WITHIN`] are left (one renewal
    /// at a time: the lock is held through it; a failure backs off).
    async fn current(&self) -> Result<SessionCredentials, Error> {
        let mut held = self.held.lock().await;
        let mut last_error = None;
        if held.renewal_due(Utc::now(), Instant::now()) {
            match self.services.assume_unwritten(&self.name, &mut NoPrompt).await {
                Ok(assumed) => held.renewed(assumed.credentials, Utc::now()),
                Err(e) => {
                    let pause = held.failed(Instant::now());
                    tracing::warn!(code = %e.code(), favourite = %self.name, retry_in_secs = pause.as_secs(), "the credentials endpoint could not renew its session");
                    last_error = Some(e);
                }
            }
        }
        if held.creds.expiration > Utc::now() {
            return Ok(held.creds.clone());
        }
        Err(last_error.unwrap_or_else(|| Error::NeedsInput {
            subject: format!("favourite {}", self.name),
            what: "its session ended and renewing it failed; it is tried again shortly".into(),
        }))
    }
}

/// A request's line and the headers the endpoint looks at.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, …
    pub method: String,
    /// The path (a query is kept as part of it, so it does not match).
    pub path: String,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, &'static str> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| "cannot read the request")?;
        if n == 0 {
            return Err("incomplete request");
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            return Ok(buf);
        }
        if buf.len() > MAX_REQUEST {
            return Err("request too large");
        }
    }
}

/// Parses a request head (without its blank line): an HTTP/1.x request line and headers.
pub fn parse_request(head: &[u8]) -> Result<Request, &'static str> {
    let text = std::str::from_utf8(head).map_err(|_| "not text")?;
    let mut lines = text.split("\r\n");
    let line = lines.next().ok_or("no request line")?;
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("malformed request line");
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") || method.is_empty() || !path.starts_with('/') {
        return Err("malformed request line");
    }
    let mut req = Request { method: method.into(), path: path.into(), host: None, authorization: None };
    for header in lines {
        let (k, v) = header.split_once(':').ok_or("malformed header")?;
        if k.is_empty() || k.contains(' ') {
            return Err("malformed header");
        }
        let slot = if k.eq_ignore_ascii_case("host") {
            &mut req.host
        } else if k.eq_ignore_ascii_case("authorization") {
            &mut req.authorization
        } else {
            continue;
        };
        if slot.is_some() {
            return Err("repeated header");
        }
        *slot = Some(v.trim().to_owned());
    }
    Ok(req)
}

/// Whether a request may have the credentials: a loopback peer, a loopback `Host`, the token.
pub fn check(req: &Request, peer: IpAddr, token: &str) -> Result<(), &'static str> {
    if !peer.is_loopback() {
        return Err("not from this computer");
    }
    let host = req.host.as_deref().ok_or("no Host header")?;
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    if !matches!(name.to_ascii_lowercase().as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err("Host is not loopback");
    }
    match &req.authorization {
        None => Err("no token"),
        Some(given) if !same(given.as_bytes(), token.as_bytes()) => Err("wrong token"),
        Some(_) => Ok(()),
    }
}

/// Whether the peer's end of `stream` is a socket of this user's (our effective uid), read
/// from `/proc/net/tcp`, then `/proc/net/tcp6` ([`socket_uid`]). No row found is a refusal too:
/// without it nothing says whose the connection is.
#[cfg(target_os = "linux")]
async fn peer_is_ours(stream: &TcpStream, peer: SocketAddr) -> Result<(), &'static str> {
    let ours = stream.local_addr().map_err(|_| "the connection's owner was not found")?;
    let uid = tokio::task::spawn_blocking(move || {
        ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .find_map(|table| socket_uid(&std::fs::read_to_string(table).ok()?, peer, ours))
    })
    .await
    .ok()
    .flatten();
    let me = rustix::process::geteuid().as_raw();
    match uid {
        Some(uid) if uid == me => Ok(()),
        Some(uid) => {
            tracing::warn!(%peer, peer_uid = uid, our_uid = me, "a connection to the credentials endpoint from another user");
            Err("another user's connection")
        }
        None => Err("the connection's owner was not found"),
    }
}

/// Not on Linux: nothing tells whose a TCP peer is; the token is the guard.
#[cfg(not(target_os = "linux"))]
async fn peer_is_ours(_stream: &TcpStream, _peer: SocketAddr) -> Result<(), &'static str> {
    Ok(())
}

/// The uid that owns the TCP socket whose own address is `local` and whose peer is `remote`,
/// from the text of Linux's `/proc/net/tcp` or `/proc/net/tcp6` (an IPv4-mapped IPv6 address
/// counts as its IPv4 address); `None` if no row has them. Rows in `TIME_WAIT` or a half-open
/// `NEW_SYN_RECV` are skipped: the kernel shows uid 0 for those whoever made them.
///
/// Each row: `sl local_address rem_address st … uid …`, an address as the kernel's 32-bit words
/// in hex, each in this machine's byte order, and `:PORT` in hex.
pub fn socket_uid(table: &str, local: SocketAddr, remote: SocketAddr) -> Option<u32> {
    let canonical = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
    let (local, remote) = (canonical(local), canonical(remote));
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(l), Some(r), Some(state), Some(uid)) = (fields.get(1), fields.get(2), fields.get(3), fields.get(7))
        else {
            return None;
        };
        let matches = proc_addr(l)? == local && proc_addr(r)? == remote && !matches!(*state, "06" | "0C");
        matches.then(|| uid.parse().ok()).flatten()
    })
}

/// `0100007F:1F90` (or 32 hex digits for IPv6) as an address, canonical (v4-mapped as IPv4).
fn proc_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for word in ip.as_bytes().chunks(8) {
        let word = std::str::from_utf8(word).ok().filter(|w| w.len() == 8)?;
        bytes.extend_from_slice(&u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?).to_canonical(),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Compares in time that depends on the lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn container_json(creds: &SessionCredentials) -> String {
    serde_json::json!({
        "AccessKeyId": creds.access_key_id.as_str(),
        "SecretAccessKey": creds.secret(),
        "Token": creds.token(),
        "Expiration": creds.expiration_text(),
    })
    .to_string()
}

fn error_body(message: &str) -> String {
    serde_json::json!({ "message": message }).to_string()
}

async fn respond(stream: &mut TcpStream, status: u16, reason: &str, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// A fresh 0700 directory (`rolecall-exec-RANDOM` in the runtime dir, else the temp dir),
/// removed with everything in it when dropped.
#[derive(Debug)]
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn create() -> std::io::Result<PrivateDir> {
        let parent = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && p.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let name = random_hex(16).map_err(std::io::Error::other)?;
        let path = parent.join(format!("rolecall-exec-{name}"));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        // A new directory (never an existing one or a link): nobody else can have put files in it.
        builder.create(&path)?;
        Ok(PrivateDir { path })
    }

    fn write(&self, name: &str, contents: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(self.path.join(name))?;
        file.write_all(contents)?;
        file.sync_all()
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn req(host: Option<&str>, auth: Option<&str>) -> Request {
        Request {
            method: "GET".into(),
            path: PATH.into(),
            host: host.map(Into::into),
            authorization: auth.map(Into::into),
        }
    }

    #[test]
    fn only_a_loopback_peer_and_host_with_the_token_passes() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(check(&req(Some("127.0.0.1:4242"), Some(TOKEN)), lo, TOKEN), Ok(()));
        assert_eq!(check(&req(Some("localhost"), Some(TOKEN)), "::1".parse().unwrap(), TOKEN), Ok(()));
        assert_eq!(check(&req(Some("[::1]:80"), Some(TOKEN)), lo, TOKEN), Ok(()));
        assert_eq!(check(&req(Some("127.0.0.1"), None), lo, TOKEN), Err("no token"));
        let wrong = format!("{}0", &TOKEN[..63]);
        assert_eq!(check(&req(Some("127.0.0.1"), Some(&wrong)), lo, TOKEN), Err("wrong token"));
        assert_eq!(check(&req(Some("127.0.0.1"), Some(&TOKEN[..10])), lo, TOKEN), Err("wrong token"));
        assert_eq!(check(&req(Some("evil.example:80"), Some(TOKEN)), lo, TOKEN), Err("Host is not loopback"));
        assert_eq!(check(&req(Some("127.0.0.1.evil.example"), Some(TOKEN)), lo, TOKEN), Err("Host is not loopback"));
        assert_eq!(check(&req(None, Some(TOKEN)), lo, TOKEN), Err("no Host header"));
        assert_eq!(
            check(&req(Some("127.0.0.1"), Some(TOKEN)), "192.168.1.5".parse().unwrap(), TOKEN),
            Err("not from this computer")
        );
    }

    #[test]
    fn requests_parse_and_malformed_ones_are_refused() {
        let ok = parse_request(
            b"GET /rolecall/credentials HTTP/1.1\r\nHost: 127.0.0.1:1\r\nauthorization: T\r\nUser-Agent: x",
        )
        .unwrap();
        assert_eq!(
            ok,
            Request {
                method: "GET".into(),
                path: PATH.into(),
                host: Some("127.0.0.1:1".into()),
                authorization: Some("T".into())
            }
        );
        for bad in [
            &b""[..],
            b"GET",
            b"GET / HTTP/2",
            b"GET  / HTTP/1.1",
            b"GET nopath HTTP/1.1",
            b"GET / HTTP/1.1\r\nno colon",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b",
            b"GET / HTTP/1.1\r\nAuthorization: a\r\nauthorization: b",
            b"\xff\xfe / HTTP/1.1",
        ] {
            assert!(parse_request(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    fn session(expiration: chrono::DateTime<Utc>) -> SessionCredentials {
        SessionCredentials {
            access_key_id: rolecall_core::secret::AccessKeyId::parse("ASIAFAKE000000000001").unwrap(),
            secret_access_key: "s".to_owned().into(),
            session_token: "t".to_owned().into(),
            expiration,
        }
    }

    #[test]
    fn renewal_is_due_inside_the_lead_clamped_to_half_a_short_session_and_backs_off() {
        let t = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().to_utc();
        let m = chrono::Duration::minutes;
        let i = Instant::now();
        // A one-hour session: due with fewer than 15 minutes left.
        let hour = Held::new(session(t + m(60)), t);
        assert!(!hour.renewal_due(t + m(44), i));
        assert!(hour.renewal_due(t + m(46), i));
        // A 15-minute session: due at half its lifetime, not at once.
        let short = Held::new(session(t + m(15)), t);
        assert!(!short.renewal_due(t, i) && !short.renewal_due(t + m(7), i));
        assert!(short.renewal_due(t + m(8), i));
        // A failed renewal pauses the next one: 5 s, then 10 s, ... at most 5 minutes.
        let mut failing = Held::new(session(t + m(60)), t);
        assert_eq!(failing.failed(i), Duration::from_secs(5));
        assert!(!failing.renewal_due(t + m(50), i + Duration::from_secs(4)));
        assert!(failing.renewal_due(t + m(50), i + Duration::from_secs(5)));
        assert_eq!(failing.failed(i), Duration::from_secs(10));
        let pauses: Vec<u64> = (0..8).map(|_| failing.failed(i).as_secs()).collect();
        assert_eq!(pauses, [20, 40, 80, 160, 300, 300, 300, 300]);
        failing.renewed(session(t + m(120)), t + m(60));
        assert!(!failing.renewal_due(t + m(60), i) && failing.backoff.failures() == 0);
    }

    /// From a little-endian machine: a listener on 127.0.0.1:43943 (`ABA7`), a client from port
    /// 39620 (`9AC4`) of uid 65534 and the server's accepted end of it (uid 0), a v4-mapped IPv6
    /// client from port 39612 (`9ABC`), a `TIME_WAIT` row, and an HTTPS connection elsewhere.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:ABA7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17093 1 00000000ad89baee 100 0 0 10 0
   2: 0100007F:9AC4 0100007F:ABA7 01 00000000:00000000 00:00000000 00000000 65534        0 17096 2 000000008c006ead 20 0 0 10 -1
   3: 0100007F:ABA7 0100007F:9ABC 01 00000000:00000000 00:00000000 00000000     0        0 17095 1 00000000a8eaa2ab 20 0 0 10 -1
   4: 0100007F:ABA7 0100007F:9AC4 01 00000000:00000000 00:00000000 00000000     0        0 17097 1 000000009e8722a6 20 0 0 10 -1
   5: 0100007F:9AD0 0100007F:ABA7 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
   6: 020200C0:AED0 507100CB:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 9057 1 00000000008cefdf 20 4 1 64 146
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:9ABC 0000000000000000FFFF00000100007F:ABA7 01 00000000:00000000 00:00000000 00000000  1000        0 17094 2 00000000f8b73307 20 0 0 10 -1
   1: 00000000000000000000000001000000:D431 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 17098 2 00000000f8b73308 20 0 0 10 -1
";

    #[test]
    #[cfg(target_endian = "little")]
    fn the_peer_sockets_owner_is_read_from_its_proc_net_tcp_row() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        let server = at("127.0.0.1:43943");
        // The client's row (its address first), not the server's end of the same connection.
        assert_eq!(socket_uid(TCP, at("127.0.0.1:39620"), server), Some(65534));
        assert_eq!(socket_uid(TCP, server, at("127.0.0.1:39620")), Some(0));
        // A v4-mapped IPv6 client is in tcp6, and found by its IPv4 address as the server sees it.
        assert_eq!(socket_uid(TCP, at("127.0.0.1:39612"), server), None);
        assert_eq!(socket_uid(TCP6, at("127.0.0.1:39612"), server), Some(1000));
        assert_eq!(socket_uid(TCP6, at("[::1]:54321"), at("[::1]:8080")), Some(1001));
        // TIME_WAIT shows uid 0 whoever made it: no answer rather than a wrong one.
        assert_eq!(socket_uid(TCP, at("127.0.0.1:39632"), server), None);
        // Another port, another address, the listener itself: no row.
        assert_eq!(socket_uid(TCP, at("127.0.0.1:39621"), server), None);
        assert_eq!(socket_uid(TCP, at("127.0.0.2:39620"), server), None);
        assert_eq!(socket_uid(TCP, server, at("0.0.0.0:0")), Some(0), "the listener's own row");
        assert_eq!(socket_uid(TCP, at("192.0.2.2:44752"), at("203.0.113.80:443")), Some(1000));
    }

    #[test]
    fn malformed_proc_net_tcp_rows_name_no_owner() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        let (client, server) = (at("127.0.0.1:39620"), at("127.0.0.1:43943"));
        for table in [
            "",
            "header only",
            "header\n   2: 0100007F:9AC4 0100007F:ABA7 01",
            "header\n   2: 0100007F:9AC4 0100007F:ABA7 01 0:0 0:0 0 notanumber",
            "header\n   2: 0100007F 0100007F:ABA7 01 0:0 0:0 0 65534",
            "header\n   2: 0100007:9AC4 0100007F:ABA7 01 0:0 0:0 0 65534",
            "header\n   2: 0100007G:9AC4 0100007F:ABA7 01 0:0 0:0 0 65534",
            "header\n   2: 0100007F:9AC4 0100007F:ABA7FF 01 0:0 0:0 0 65534",
            "header\n   2: 0100007F0100007F:9AC4 0100007F:ABA7 01 0:0 0:0 0 65534",
            "header\n   2: 0100007F:9AC4 0100007F:ABA7 0C 0:0 0:0 0 65534",
        ] {
            assert_eq!(socket_uid(table, client, server), None, "{table}");
        }
        #[cfg(target_endian = "little")]
        assert_eq!(
            socket_uid("header\n   2: 0100007F:9AC4 0100007F:ABA7 01 0:0 0:0 0 65534", client, server),
            Some(65534)
        );
    }

    #[test]
    fn tokens_are_256_bit_and_fresh() {
        let a = random_hex(32).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32).unwrap());
    }
}
