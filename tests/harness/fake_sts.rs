//! [`FakeSts`]: a scripted loopback STS for the faults moto cannot produce: slow answers, `500`s,
//! throttling, expired tokens, skewed clocks, garbage and dropped connections.
//!
//! A tiny server on a std `TcpListener` ([`crate::http`]), one thread per connection, one
//! request per connection (`Connection: close`). Each request takes the next [`Reply`] of its script (the last
//! one repeats); [`FakeSts::set_script`] changes the script between runs. Successful answers are
//! real STS's query-protocol XML for `AssumeRole` and `GetCallerIdentity`, with fresh
//! credentials whose secrets [`FakeSts::issued_secrets`] lists, so a test can look for them in
//! logs. Every request is recorded ([`FakeSts::requests`], with the key that signed it), so a test
//! can count retries. [`Reply::SuccessFor`] hands out sessions ending soon, [`Reply::Dated`] sends a
//! skewed `Date` header, and [`Reply::Forward`] makes it a recording proxy in front of moto.
//! Stopped when dropped. Point rolecall at it with `AWS_ENDPOINT_URL` = [`FakeSts::endpoint`].

use std::collections::BTreeMap;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::federation::form_params;
use crate::http::{self, Request, Response};

/// The largest request body the fake reads (STS's query-protocol forms are a few KiB).
const MAX_BODY: usize = 1 << 20;

/// What the fake answers to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Real STS's answer to the request's `Action` (AssumeRole or GetCallerIdentity), with fresh
    /// credentials that expire at the given RFC 3339 time.
    Success,
    /// An error in real STS's format: `<ErrorResponse><Error><Code>…</Code><Message>…`.
    Error {
        /// The HTTP status (400 for client errors, 403 for auth, 500/503 for the service).
        status: u16,
        /// The error code, e.g. `Throttling`.
        code: &'static str,
        /// The message.
        message: &'static str,
    },
    /// Any status and body, e.g. a proxy's HTML page or garbage.
    Raw {
        /// The HTTP status.
        status: u16,
        /// The body, sent as `text/xml`.
        body: String,
    },
    /// Waits, then answers as the inner reply (if the client is still there).
    Delay(Duration, Box<Reply>),
    /// Closes the connection without a word.
    Close,
    /// Like [`Reply::Success`], with sessions that end this many seconds from now.
    SuccessFor(i64),
    /// The inner reply, with a `Date` header this many seconds off the real clock (a server whose
    /// clock differs from this computer's, as seen from here).
    Dated(i64, Box<Reply>),
    /// Passes the request on to the server at `http://127.0.0.1:PORT` (e.g. moto) and returns
    /// its answer unchanged: a recording proxy, to see which key signed each call.
    Forward(u16),
    /// Like [`Reply::Forward`], but an `AssumeRole` answer's session ends this many seconds from
    /// now: an STS that grants (real, working) role sessions shorter than asked for.
    ForwardFor(u16, i64),
}

/// One request the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsRequest {
    /// The `Action` form parameter (`AssumeRole`, `GetCallerIdentity`).
    pub action: String,
    /// All form parameters, decoded.
    pub params: BTreeMap<String, String>,
    /// The access key id the request was signed with (from `Authorization`), if any.
    pub signed_with: Option<String>,
}

struct State {
    script: Vec<Reply>,
    next: usize,
    requests: Vec<StsRequest>,
    issued: Vec<String>,
}

/// The expiry of every session the fake hands out.
pub const FAKE_EXPIRATION: &str = "2099-01-01T00:00:00Z";

/// A scripted STS on 127.0.0.1, private to one test.
pub struct FakeSts {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSts {
    /// Starts the fake with `script` (each request takes the next reply; the last repeats).
    ///
    /// # Panics
    /// If `script` is empty or no loopback port can be bound.
    pub fn start(script: Vec<Reply>) -> FakeSts {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
        let port = listener.local_addr().expect("local_addr").port();
        listener.set_nonblocking(true).expect("non-blocking listener");
        let state = Arc::new(Mutex::new(State { script, next: 0, requests: Vec::new(), issued: Vec::new() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let state = state.clone();
                            std::thread::spawn(move || serve(stream, &state));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        FakeSts { port, state, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the script and starts it from its first reply; the request log is kept.
    pub fn set_script(&self, script: Vec<Reply>) {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.script = script;
        s.next = 0;
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<StsRequest> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).requests.clone()
    }

    /// How many requests with this `Action` were received.
    pub fn count(&self, action: &str) -> usize {
        self.requests().iter().filter(|r| r.action == action).count()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).requests.clear();
    }

    /// The secret access keys and session tokens of every session handed out, its own and those
    /// of forwarded answers.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).issued.clone()
    }
}

impl Drop for FakeSts {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request, records it, and answers with the script's next reply.
fn serve(stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(request) = Request::read(&mut BufReader::new(&stream), MAX_BODY) else { return };
    let params = form_params(&String::from_utf8_lossy(&request.body));
    let signed_with = request
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1).map(|c| c.split('/').next().unwrap_or("").to_owned()));
    let action = params.get("Action").cloned().unwrap_or_default();
    let reply = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.requests.push(StsRequest { action: action.clone(), params: params.clone(), signed_with });
        let i = s.next.min(s.script.len() - 1);
        s.next += 1;
        s.script[i].clone()
    };
    let mut stream = stream;
    match reply {
        Reply::Forward(port) => return forward(&mut stream, port, &request, None, state),
        Reply::ForwardFor(port, secs) => {
            let ends_in = (action == "AssumeRole").then_some(secs);
            return forward(&mut stream, port, &request, ends_in, state);
        }
        _ => {}
    }
    answer(&mut stream, reply, &action, &params, state);
}

/// Sends `request` to the loopback server on `port` and passes its answer back, with the same
/// status, headers and body; with `ends_in`, the answer's `<Expiration>` is moved to that many
/// seconds from now. The secret and token of a session in the answer join
/// [`FakeSts::issued_secrets`].
fn forward(stream: &mut TcpStream, port: u16, request: &Request, ends_in: Option<i64>, state: &Mutex<State>) {
    let Ok(mut answer) = http::request(port, request, Duration::from_secs(30)) else { return };
    let mut text = answer.text();
    if let Some(secs) = ends_in {
        text = with_expiration(&text, secs);
        answer.body = text.clone().into_bytes();
    }
    let element = |name: &str| {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(text[start..end].to_owned())
    };
    let issued: Vec<String> = ["SecretAccessKey", "SessionToken"].iter().filter_map(|n| element(n)).collect();
    state.lock().unwrap_or_else(|e| e.into_inner()).issued.extend(issued);
    let _ = answer.write_to(stream);
}

/// An answer's body whose `<Expiration>` (if any) ends `secs` from now.
fn with_expiration(body: &str, secs: i64) -> String {
    let (Some(start), Some(end)) = (body.find("<Expiration>"), body.find("</Expiration>")) else {
        return body.to_owned();
    };
    let ends = (chrono::Utc::now() + chrono::Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ");
    format!("{}<Expiration>{ends}{}", &body[..start], &body[end..])
}

fn answer(stream: &mut TcpStream, reply: Reply, action: &str, params: &BTreeMap<String, String>, state: &Mutex<State>) {
    answer_dated(stream, reply, action, params, state, 0);
}

fn answer_dated(
    stream: &mut TcpStream,
    reply: Reply,
    action: &str,
    params: &BTreeMap<String, String>,
    state: &Mutex<State>,
    offset_secs: i64,
) {
    let (status, body) = match reply {
        Reply::Close | Reply::Forward(_) | Reply::ForwardFor(..) => return,
        Reply::Dated(offset, inner) => return answer_dated(stream, *inner, action, params, state, offset),
        Reply::Delay(d, inner) => {
            std::thread::sleep(d);
            return answer_dated(stream, *inner, action, params, state, offset_secs);
        }
        Reply::Raw { status, body } => (status, body),
        Reply::Error { status, code, message } => (
            status,
            format!(
                r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fake-1</RequestId></ErrorResponse>"#,
                if status >= 500 { "Receiver" } else { "Sender" }
            ),
        ),
        Reply::Success => (200, success(action, params, state, FAKE_EXPIRATION.to_owned())),
        Reply::SuccessFor(secs) => {
            let ends = (chrono::Utc::now() + chrono::Duration::seconds(secs)).format("%Y-%m-%dT%H:%M:%SZ");
            (200, success(action, params, state, ends.to_string()))
        }
    };
    let date = (chrono::Utc::now() + chrono::Duration::seconds(offset_secs)).format("%a, %d %b %Y %H:%M:%S GMT");
    let response = Response::new(status, body)
        .header_line("Date", &date.to_string())
        .header_line("Content-Type", "text/xml")
        .header_line("x-amzn-RequestId", "fake-1");
    let _ = response.write_to(stream);
}

fn success(action: &str, params: &BTreeMap<String, String>, state: &Mutex<State>, expiration: String) -> String {
    const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
    match action {
        "GetCallerIdentity" => format!(
            r#"<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAFAKEUSER</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
        ),
        _ => {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            let n = s.issued.len() / 2 + 1;
            let secret = format!("fakeSessionSecret{n:04}xxxxxxxxxxxxxxxxxxxxxxxx");
            let token = format!("fakeSessionToken{n:04}{}", "t".repeat(64));
            s.issued.push(secret.clone());
            s.issued.push(token.clone());
            let role = params.get("RoleArn").cloned().unwrap_or_default();
            let role_name = role.rsplit('/').next().unwrap_or("role").to_owned();
            let session = params.get("RoleSessionName").cloned().unwrap_or_default();
            format!(
                r#"<AssumeRoleResponse xmlns="{NS}"><AssumeRoleResult><AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser><Credentials><AccessKeyId>ASIAFAKE{n:012}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>fake-1</RequestId></ResponseMetadata></AssumeRoleResponse>"#
            )
        }
    }
}
