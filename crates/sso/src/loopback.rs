//! The loopback redirect of the authorization-code flow (RFC 8252): a listener on 127.0.0.1 (never
//! every address) at a port the OS picks, that waits for the browser's one
//! `GET /oauth/callback?code=…&state=…`.
//!
//! A callback whose `state` is not this sign-in's (or has none) is not the browser coming back
//! from the sign-in rolecall started: it is answered with 400 and ignored, and the wait goes on
//! until the real one or the timeout. (The AWS CLI v2 fails the sign-in on a mismatch; ignoring it
//! means a forged request from another page cannot end or cancel a sign-in.) Other paths, such as
//! `/favicon.ico`, get 404.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rolecall_core::sso::{SsoError, SsoErrorKind};
use secrecy::SecretString;

/// The callback's path.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// The most a callback request's head may hold.
const MAX_HEAD: usize = 16 * 1024;
/// How long one connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the listener looks for a new connection while waiting.
const POLL: Duration = Duration::from_millis(25);

const SIGNED_IN_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>rolecall</title></head>\
<body><p>rolecall received the sign-in. You can close this tab.</p></body></html>";
const NOT_COMPLETED_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>rolecall</title></head>\
<body><p>The sign-in was not completed. You can close this tab.</p></body></html>";
const FOREIGN_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>rolecall</title></head>\
<body><p>This is not the sign-in rolecall started.</p></body></html>";

/// A bound loopback listener for one sign-in's redirect.
#[derive(Debug)]
pub struct LoopbackRedirect {
    listener: TcpListener,
    port: u16,
}

fn sso_error(kind: SsoErrorKind, detail: Option<String>) -> SsoError {
    SsoError { kind, subject: "sign in".to_owned(), detail }
}

impl LoopbackRedirect {
    /// Binds 127.0.0.1 at a port the OS chooses.
    pub fn bind() -> Result<LoopbackRedirect, SsoError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).map_err(|e| {
            sso_error(SsoErrorKind::Other, Some(format!("cannot listen on 127.0.0.1 for the browser's redirect: {e}")))
        })?;
        let port =
            listener.local_addr().map(|a| a.port()).map_err(|e| sso_error(SsoErrorKind::Other, Some(e.to_string())))?;
        Ok(LoopbackRedirect { listener, port })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to register and to send in the authorize request:
    /// `http://127.0.0.1:PORT/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Blocks until the callback with this sign-in's `state` arrives, then answers it with a
    /// short page and returns its `code`. A callback with another or no `state` is answered with
    /// 400 and ignored. Errors: [`SsoErrorKind::Denied`] for `error=access_denied`,
    /// [`SsoErrorKind::Cancelled`] for any other `error` or a callback without a code, and
    /// [`SsoErrorKind::Expired`] when `timeout` passes first. Async callers run it on a blocking
    /// thread.
    pub fn wait(self, state: &str, timeout: Duration) -> Result<SecretString, SsoError> {
        let deadline = Instant::now() + timeout;
        self.listener.set_nonblocking(true).map_err(|e| sso_error(SsoErrorKind::Other, Some(e.to_string())))?;
        loop {
            let now = Instant::now();
            if now >= deadline {
                tracing::debug!("no sign-in callback before the timeout");
                return Err(sso_error(SsoErrorKind::Expired, None));
            }
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if let Some(outcome) = handle(stream, state, (deadline - now).min(READ_TIMEOUT)) {
                        return outcome;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {
                    std::thread::sleep(POLL.min(deadline - now));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "accepting a callback connection failed");
                    std::thread::sleep(POLL.min(deadline - now));
                }
            }
        }
    }
}

/// Answers one connection; `Some` when it was this sign-in's callback.
fn handle(mut stream: TcpStream, state: &str, read_timeout: Duration) -> Option<Result<SecretString, SsoError>> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(read_timeout.max(Duration::from_millis(1))));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let Some(target) = read_request_target(&mut stream) else {
        respond(&mut stream, "400 Bad Request", FOREIGN_PAGE);
        return None;
    };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    if path != CALLBACK_PATH {
        respond(&mut stream, "404 Not Found", FOREIGN_PAGE);
        return None;
    }
    let params = parse_query(query);
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if get("state") != Some(state) {
        tracing::debug!("ignored a callback without this sign-in's state");
        respond(&mut stream, "400 Bad Request", FOREIGN_PAGE);
        return None;
    }
    if let Some(error) = get("error") {
        respond(&mut stream, "200 OK", NOT_COMPLETED_PAGE);
        // Only the error's name, and only if it looks like one: the rest is the browser's.
        let name: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        let kind = if name == "access_denied" { SsoErrorKind::Denied } else { SsoErrorKind::Cancelled };
        return Some(Err(sso_error(kind, Some(name).filter(|n| !n.is_empty()))));
    }
    match get("code").filter(|c| !c.is_empty()) {
        Some(code) => {
            respond(&mut stream, "200 OK", SIGNED_IN_PAGE);
            Some(Ok(SecretString::from(code.to_owned())))
        }
        None => {
            respond(&mut stream, "200 OK", NOT_COMPLETED_PAGE);
            Some(Err(sso_error(SsoErrorKind::Cancelled, Some("the callback had no code".to_owned()))))
        }
    }
}

/// The target of a `GET` request (`/path?query`), once its head has arrived.
fn read_request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return None;
        }
    }
    let line = head.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET" && target.starts_with('/')).then(|| target.to_owned())
}

fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.flush();
}

/// A query string's `name=value` pairs, percent-decoded (`+` as a space).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A browser's request: sends `target`, returns the status line and the body.
    fn get(port: u16, target: &str) -> (String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    fn waiting(state: &str, timeout: Duration) -> (u16, std::thread::JoinHandle<Result<SecretString, SsoError>>) {
        let redirect = LoopbackRedirect::bind().unwrap();
        let port = redirect.port();
        let state = state.to_owned();
        (port, std::thread::spawn(move || redirect.wait(&state, timeout)))
    }

    #[test]
    fn it_listens_on_loopback_only_and_names_its_uri() {
        let redirect = LoopbackRedirect::bind().unwrap();
        let addr = redirect.listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
        assert_eq!(redirect.redirect_uri(), format!("http://127.0.0.1:{}/oauth/callback", addr.port()));
    }

    #[test]
    fn the_callback_with_this_state_gives_the_code() {
        use secrecy::ExposeSecret;
        let (port, waiter) = waiting("st-1", Duration::from_secs(10));
        let (status, body) = get(port, "/oauth/callback?code=c%2Fo%2Bde&state=st-1");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(body.contains("You can close this tab"), "{body}");
        assert_eq!(waiter.join().unwrap().unwrap().expose_secret(), "c/o+de");
    }

    #[test]
    fn a_forged_or_stateless_callback_is_refused_and_the_wait_goes_on() {
        use secrecy::ExposeSecret;
        let (port, waiter) = waiting("right", Duration::from_secs(10));
        let (status, _) = get(port, "/oauth/callback?code=evil&state=wrong");
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        let (status, _) = get(port, "/oauth/callback?code=evil");
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        let (status, _) = get(port, "/oauth/callback?error=access_denied&state=wrong");
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        let (status, _) = get(port, "/favicon.ico");
        assert_eq!(status, "HTTP/1.1 404 Not Found");
        assert!(!waiter.is_finished());
        let (status, _) = get(port, "/oauth/callback?state=right&code=real");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(waiter.join().unwrap().unwrap().expose_secret(), "real");
    }

    #[test]
    fn a_denied_or_failed_sign_in_ends_the_wait_with_its_kind() {
        let (port, waiter) = waiting("s", Duration::from_secs(10));
        let (status, body) = get(port, "/oauth/callback?error=access_denied&error_description=no&state=s");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(body.contains("not completed"), "{body}");
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind, SsoErrorKind::Denied);

        let (port, waiter) = waiting("s", Duration::from_secs(10));
        get(port, "/oauth/callback?error=server%3Cerror%3E&state=s");
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!((e.kind, e.detail.as_deref()), (SsoErrorKind::Cancelled, Some("servererror")));

        let (port, waiter) = waiting("s", Duration::from_secs(10));
        get(port, "/oauth/callback?state=s");
        assert_eq!(waiter.join().unwrap().unwrap_err().kind, SsoErrorKind::Cancelled);
    }

    #[test]
    fn no_callback_before_the_timeout_is_expired() {
        let started = Instant::now();
        let (port, waiter) = waiting("s", Duration::from_millis(300));
        get(port, "/oauth/callback?state=other&code=x");
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind, SsoErrorKind::Expired);
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn queries_are_percent_decoded() {
        assert_eq!(
            parse_query("a=1%202&b=x+y&c&d=%zz&e=%C3%A9"),
            [("a", "1 2"), ("b", "x y"), ("c", ""), ("d", "%zz"), ("e", "é")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .to_vec()
        );
    }
}
