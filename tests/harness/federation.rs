//! [`FakeFederation`]: a loopback fake of AWS's federation endpoint (console sign-in), since no
//! emulator has one (moto answers `/federation` with an S3 404). It speaks the documented protocol
//! of the IAM User Guide's "custom identity broker" page and records every request:
//!
//! - `Action=getSigninToken` (GET query or POST form body) with `Session` = the JSON
//!   `{"sessionId","sessionKey","sessionToken"}` (exactly those three string keys) and an optional
//!   `SessionDuration` (900–43200): answers `{"SigninToken": "fake-signin-token-N"}`, or `400`
//!   when the request breaks those rules, or the status it was started with
//!   ([`FakeFederation::start_rejecting`]);
//! - `Action=login` with `Issuer`, `Destination` (an `https://` URL) and a `SigninToken` it issued:
//!   answers `302 Location: Destination`; an unknown token gets `400`.
//!
//! A tiny server on a std `TcpListener` ([`crate::http`]) in a thread, one request per
//! connection (`Connection: close`), stopped when dropped.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use crate::http::{self, Request, Response};
use crate::util::free_port;

/// One request the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FederationRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path, without the query (`/federation`).
    pub path: String,
    /// The raw query string (empty if none).
    pub query: String,
    /// The parameters of the query and the form body, decoded (later ones win).
    pub params: BTreeMap<String, String>,
    /// The status the fake answered.
    pub status: u16,
}

/// The `Session` JSON of a getSigninToken request, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionJson {
    /// `sessionId`: the access key id.
    pub session_id: String,
    /// `sessionKey`: the secret access key.
    pub session_key: String,
    /// `sessionToken`: the session token.
    pub session_token: String,
}

impl FederationRequest {
    /// The `Action` parameter.
    pub fn action(&self) -> Option<&str> {
        self.params.get("Action").map(String::as_str)
    }

    /// The `SessionDuration` parameter, if sent.
    pub fn session_duration(&self) -> Option<&str> {
        self.params.get("SessionDuration").map(String::as_str)
    }

    /// The `Session` JSON, if it is one with exactly the three documented string keys.
    pub fn session(&self) -> Option<SessionJson> {
        parse_session(self.params.get("Session")?)
    }
}

#[derive(Default)]
struct State {
    requests: Vec<FederationRequest>,
    issued: Vec<String>,
    /// `127.0.0.1:PORT`.
    host: String,
    /// Sign-outs served.
    signed_out: usize,
}

/// A fake federation endpoint on 127.0.0.1, private to one test.
pub struct FakeFederation {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeFederation {
    /// Starts a fake that issues sign-in tokens for well-formed requests.
    pub fn start() -> FakeFederation {
        Self::start_with(None)
    }

    /// Starts a fake that answers every getSigninToken request with `status` (e.g. 400 or 403,
    /// as AWS does for a session it refuses).
    pub fn start_rejecting(status: u16) -> FakeFederation {
        Self::start_with(Some(status))
    }

    fn start_with(reject: Option<u16>) -> FakeFederation {
        let (listener, port) = (0..20)
            .find_map(|_| {
                let port = free_port();
                TcpListener::bind(("127.0.0.1", port)).ok().map(|l| (l, port))
            })
            .expect("a free loopback port for the fake federation endpoint");
        let state = Arc::new(Mutex::new(State { host: format!("127.0.0.1:{port}"), ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let _ = serve(stream, &state, reject);
                    }
                }
            })
        };
        FakeFederation { port, state, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT/federation`, for `ROLECALL_FEDERATION_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/federation", self.port)
    }

    /// An endpoint nobody listens on (a port handed out by [`free_port`] and left closed).
    pub fn unreachable_endpoint() -> String {
        format!("http://127.0.0.1:{}/federation", free_port())
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<FederationRequest> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).requests.clone()
    }

    /// The getSigninToken requests so far, in order.
    pub fn token_requests(&self) -> Vec<FederationRequest> {
        self.requests().into_iter().filter(|r| r.action() == Some("getSigninToken")).collect()
    }

    /// How many console sign-outs (`/oauth?Action=logout`) were served.
    pub fn sign_outs(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).signed_out
    }

    /// The sign-in tokens issued so far, in order.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).issued.clone()
    }

    /// Requests a URL on this fake (a login URL, or a sign-out URL) as a browser would, without
    /// following the redirect: the status and the `Location` header.
    ///
    /// # Panics
    /// If the URL is not on this fake or the request fails.
    pub fn follow(&self, login_url: &str) -> (u16, Option<String>) {
        let base = format!("http://127.0.0.1:{}", self.port);
        let rest = login_url.strip_prefix(&base).unwrap_or_else(|| panic!("{login_url:?} is not on {base}"));
        let response = http::request(self.port, &Request::new("GET", rest), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("GET {rest} on the fake federation endpoint: {e}"));
        (response.status, response.header("location").map(str::to_owned))
    }
}

impl Drop for FakeFederation {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space, `%XX` a byte).
pub fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded parameters of a query string or form body.
pub fn form_params(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn parse_session(json: &str) -> Option<SessionJson> {
    let Value::Object(map) = serde_json::from_str::<Value>(json).ok()? else { return None };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    if sorted != ["sessionId", "sessionKey", "sessionToken"] {
        return None;
    }
    let get = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(SessionJson {
        session_id: get("sessionId")?,
        session_key: get("sessionKey")?,
        session_token: get("sessionToken")?,
    })
}

/// Serves one connection: reads a request, answers it, records it.
fn serve(stream: TcpStream, state: &Mutex<State>, reject: Option<u16>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = Request::read(&mut BufReader::new(&stream), 1 << 20)?;
    let (method, path, query) = (request.method.as_str(), request.path(), request.query());
    let mut params = form_params(query);
    if method == "POST" {
        params.extend(form_params(&String::from_utf8_lossy(&request.body)));
    }
    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
    let (status, location, answer) = respond(method, path, &params, &mut guard, reject);
    guard.requests.push(FederationRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        params,
        status,
    });
    drop(guard);
    let mut response = Response::new(status, answer);
    if let Some(location) = location {
        response = response.header_line("Location", &location);
    }
    response.header_line("Content-Type", "application/json").write_to(&mut &stream)
}

fn respond(
    method: &str,
    path: &str,
    params: &BTreeMap<String, String>,
    state: &mut State,
    reject: Option<u16>,
) -> (u16, Option<String>, String) {
    let bad = |why: &str| (400, None, format!("{{\"error\":\"{why}\"}}"));
    // The console's sign-out: ends the browser's console session, then goes to `redirect_uri`
    // when that is a sign-in URL of this same host (AWS redirects only to its own sign-in hosts).
    if path == "/oauth" {
        return match (params.get("Action").map(String::as_str), params.get("redirect_uri")) {
            (Some("logout"), Some(to)) if to.starts_with(&format!("http://{}/federation?", state.host)) => {
                state.signed_out += 1;
                (302, Some(to.clone()), String::new())
            }
            _ => bad("oauth: only Action=logout with a redirect_uri to this host's /federation"),
        };
    }
    if path != "/federation" {
        return (404, None, "{}".into());
    }
    if method != "GET" && method != "POST" {
        return (405, None, "{}".into());
    }
    match params.get("Action").map(String::as_str) {
        Some("getSigninToken") => {
            if params.get("Session").and_then(|s| parse_session(s)).is_none() {
                return bad("Session must be a JSON object with exactly sessionId, sessionKey and sessionToken");
            }
            if let Some(d) = params.get("SessionDuration")
                && !d.parse::<u32>().is_ok_and(|d| (900..=43_200).contains(&d))
            {
                return bad("SessionDuration must be 900 to 43200");
            }
            if let Some(status) = reject {
                return (status, None, "{\"error\":\"rejected\"}".into());
            }
            let token = format!("fake-signin-token-{}", state.issued.len() + 1);
            state.issued.push(token.clone());
            (200, None, format!("{{\"SigninToken\":\"{token}\"}}"))
        }
        Some("login") => {
            let known = params.get("SigninToken").is_some_and(|t| state.issued.contains(t));
            match params.get("Destination") {
                Some(d) if known && d.starts_with("https://") => (302, Some(d.clone()), String::new()),
                _ => bad("unknown SigninToken or no https Destination"),
            }
        }
        _ => bad("unknown Action"),
    }
}
