//! [`FakeSso`]: a loopback fake of IAM Identity Center, its sign-in service (`sso-oidc`) and its
//! access portal (`sso`), since moto has neither. It follows the service models (botocore's
//! `sso-oidc/2019-06-10` and `sso/2019-06-10`, both REST-JSON and unsigned) and the browser step
//! that is not in them:
//!
//! - sign-in: `POST /client/register` (epoch **seconds** in `clientIdIssuedAt` and
//!   `clientSecretExpiresAt`, 90 days), `POST /device_authorization`, `POST /token` (grants
//!   `urn:ietf:params:oauth:grant-type:device_code`, `authorization_code` with `code`,
//!   `redirectUri` and `codeVerifier` checked against the S256 `code_challenge` given to
//!   `/authorize`, and `refresh_token`), `GET /authorize` (302 to the registered loopback
//!   `redirect_uri`, any port, with `code` and `state`; `scopes` or `scope`), and `GET /device`,
//!   the verification page a "browser" visits to approve a device code;
//! - portal: `GET /assignment/accounts` and `GET /assignment/roles` (`next_token`, `max_result`
//!   1..100, pages of [`DEFAULT_PAGE_SIZE`] without one), `GET /federation/credentials` (real
//!   credentials minted through moto's AssumeRole, `expiration` in epoch **milliseconds**),
//!   `POST /logout`; the access token in the header `x-amz-sso_bearer_token`.
//!
//! Errors come as the service sends them: the status, the header `x-amzn-errortype: NAME`, and
//! the body `{"error": …, "error_description": …}` from the sign-in service or
//! `{"message": …}` from the portal (401 `UnauthorizedException` for a missing, unknown or
//! expired token or an ended session, 403 `ForbiddenException` "No access" for an account or role
//! not assigned, 429 `TooManyRequestsException` above the throttle).
//!
//! The test controls: the assignments ([`FakeSso::set_accounts`], [`FakeSso::assign_grid`]),
//! device codes approved or denied ([`FakeSso::approve_device`], [`FakeSso::deny_device`]) or
//! approved by a visit to their verification page, the portal session's length and its end now,
//! the access tokens' lifetime, refresh-token rotation, a clock offset, a throttle, a per-call
//! latency (fixed or drawn from a range), a cap on the items of a portal page, and the request
//! log ([`SsoRequest`]: no secret in it). One portal session starts
//! with each device or authorization-code sign-in; its tokens stop working when it ends.
//!
//! GetRoleCredentials assumes `arn:aws:iam::ACCOUNT:role/ROLE` with session name
//! [`SESSION_NAME`] in moto with the harness admin's keys ([`Moto::admin_keys`], sent to the
//! venv's python in its environment, never its argv). moto (auth mode included) does not check
//! that a role exists, so the assigned roles need no seeding and any account id works; the AWS CLI
//! then accepts the credentials, and `sts get-caller-identity` answers with
//! `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION_NAME` ([`FakeSso::assumed_role_arn`]).
//!
//! [`StubBrowser`] plays the user for the browser steps (an `xdg-open` for PATH), and
//! [`browse`] does the same in-process. [`pkce_challenge`] is the S256 challenge of a verifier.
//!
//! A tiny server on a std `TcpListener` ([`crate::http`]), one thread per connection, one
//! request per connection; stopped when dropped.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::federation::form_params;
use crate::http::{self, Request, Response};
use crate::moto::Moto;
use crate::util::{run_with_timeout, venv_tool};

/// The role session name of every credential the fake mints (the signed-in user).
pub const SESSION_NAME: &str = "sso-user@example.com";
/// The page size of the portal's lists when the request sends no `max_result`.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The device grant type.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long a client registration lasts (its `clientSecretExpiresAt`): 90 days.
const REGISTRATION_SECONDS: i64 = 90 * 24 * 3600;
/// How long an authorization code may be redeemed.
const CODE_SECONDS: i64 = 300;
/// How long a device code may be approved and redeemed.
const DEVICE_SECONDS: i64 = 600;
/// The largest body the fake reads.
const MAX_BODY: usize = 1 << 20;
/// How long one mint through moto may take.
const MINT_TIMEOUT: Duration = Duration::from_secs(60);

/// One account of the portal with the roles (permission sets) assigned to the user there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoAccount {
    /// The 12-digit `accountId`.
    pub account_id: String,
    /// `accountName`.
    pub account_name: String,
    /// `emailAddress`.
    pub email_address: String,
    /// The `roleName`s assigned in this account, in order.
    pub roles: Vec<String>,
}

/// One request the fake received. Holds no secret: no token, code, verifier or client secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoRequest {
    /// `GET` or `POST`.
    pub method: String,
    /// The path without the query (`/token`, `/assignment/accounts`…).
    pub path: String,
    /// The `grantType` of a `/token` request.
    pub grant_type: Option<String>,
    /// Whether an `x-amz-sso_bearer_token` header was sent.
    pub bearer: bool,
    /// The query parameters that are not secret (`account_id`, `role_name`, `next_token`,
    /// `max_result`, and `/authorize`'s `client_id`, `redirect_uri`, `response_type`,
    /// `code_challenge_method`, `scopes`, `scope`).
    pub params: BTreeMap<String, String>,
    /// The status the fake answered.
    pub status: u16,
    /// The `x-amzn-errortype` it answered with, if an error.
    pub error_type: Option<String>,
}

/// The settings the controls change.
#[derive(Clone)]
struct Settings {
    session_length: chrono::Duration,
    token_seconds: i64,
    rotate_refresh: bool,
    clock_offset: chrono::Duration,
    throttle: Option<usize>,
    latency: Duration,
    latency_max: Duration,
    page_cap: Option<usize>,
    reuse_minted: bool,
    browser_approves: bool,
    deny_authorize: bool,
    role_session_seconds: i64,
    device_interval: i64,
    portal: Option<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            session_length: chrono::Duration::hours(8),
            token_seconds: 3600,
            rotate_refresh: false,
            clock_offset: chrono::Duration::zero(),
            throttle: None,
            latency: Duration::ZERO,
            latency_max: Duration::ZERO,
            page_cap: None,
            reuse_minted: false,
            browser_approves: true,
            deny_authorize: false,
            role_session_seconds: 3600,
            device_interval: 1,
            portal: None,
        }
    }
}

struct Client {
    id: String,
    secret: String,
    secret_expires_at: i64,
    redirect_uris: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

struct Device {
    code: String,
    user_code: String,
    client_id: String,
    expires_at: DateTime<Utc>,
    last_poll: Option<Instant>,
    state: DeviceState,
}

struct AuthCode {
    code: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires_at: DateTime<Utc>,
    used: bool,
}

struct Session {
    ends_at: DateTime<Utc>,
}

struct Access {
    token: String,
    session: usize,
    expires_at: DateTime<Utc>,
}

struct Refresh {
    token: String,
    client_id: String,
    session: usize,
    valid: bool,
}

#[derive(Default)]
struct State {
    settings: Settings,
    host: String,
    accounts: Vec<SsoAccount>,
    clients: Vec<Client>,
    devices: Vec<Device>,
    codes: Vec<AuthCode>,
    sessions: Vec<Session>,
    access: Vec<Access>,
    refresh: Vec<Refresh>,
    requests: Vec<SsoRequest>,
    recent: VecDeque<Instant>,
    issued: Vec<String>,
    /// Role credentials minted per (account, role), kept when `reuse_minted`.
    minted: Vec<(String, String, Value)>,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.settings.clock_offset
    }

    fn session_active(&self, session: usize) -> bool {
        self.sessions.get(session).is_some_and(|s| self.now() < s.ends_at)
    }

    fn account(&self, account_id: &str) -> Option<&SsoAccount> {
        self.accounts.iter().find(|a| a.account_id == account_id)
    }
}

/// How the fake reaches moto's AssumeRole. Its `Debug` shows no key.
#[derive(Clone)]
struct Minter {
    endpoint: String,
    key: String,
    secret: String,
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minter").field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

/// The fake IAM Identity Center on 127.0.0.1, private to one test.
pub struct FakeSso {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSso {
    /// Starts the fake with no accounts assigned; GetRoleCredentials mints through `moto`'s
    /// AssumeRole with the harness admin's keys (moto's dummy keys before any admin call).
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub fn start(moto: &Moto) -> FakeSso {
        let (key, secret) = moto.admin_keys().unwrap_or_else(|| ("testing".to_owned(), "testing".to_owned()));
        let minter = Minter { endpoint: moto.endpoint(), key, secret };
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
        let port = listener.local_addr().expect("local_addr").port();
        listener.set_nonblocking(true).expect("non-blocking listener");
        let state = Arc::new(Mutex::new(State { host: format!("127.0.0.1:{port}"), ..State::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (state, minter) = (state.clone(), minter.clone());
                            std::thread::spawn(move || serve(stream, &state, &minter));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        FakeSso { port, state, stop, thread: Some(thread) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `http://127.0.0.1:PORT`: the sign-in service's and the portal's endpoint (for
    /// `AWS_ENDPOINT_URL_SSO_OIDC` and `AWS_ENDPOINT_URL_SSO`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The environment that points the AWS CLI's (and the SDKs') SSO clients at the fake:
    /// `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL_SSO_OIDC` (never the global
    /// `AWS_ENDPOINT_URL`, which would send them to moto).
    pub fn envs(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL_SSO".to_owned(), self.endpoint()),
            ("AWS_ENDPOINT_URL_SSO_OIDC".to_owned(), self.endpoint()),
        ]
    }

    /// Replaces the assignments.
    pub fn set_accounts(&self, accounts: Vec<SsoAccount>) {
        self.state().accounts = accounts;
    }

    /// Assigns `accounts` accounts (ids `100000000001`…, names `account-1`…, emails
    /// `account-1@example.com`…) with `roles` roles each (`Role1`…), and returns them. Nothing
    /// is minted until GetRoleCredentials asks.
    pub fn assign_grid(&self, accounts: usize, roles: usize) -> Vec<SsoAccount> {
        let grid: Vec<SsoAccount> = (1..=accounts)
            .map(|i| SsoAccount {
                account_id: format!("{:012}", 100_000_000_000u64 + i as u64),
                account_name: format!("account-{i}"),
                email_address: format!("account-{i}@example.com"),
                roles: (1..=roles).map(|r| format!("Role{r}")).collect(),
            })
            .collect();
        self.set_accounts(grid.clone());
        grid
    }

    /// The ARN of the credentials minted for `role` in `account`:
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/`[`SESSION_NAME`].
    pub fn assumed_role_arn(account: &str, role: &str) -> String {
        format!("arn:aws:sts::{account}:assumed-role/{role}/{SESSION_NAME}")
    }

    /// Approves the pending device code with this `userCode`.
    ///
    /// # Panics
    /// If no device code has it.
    pub fn approve_device(&self, user_code: &str) {
        self.set_device(user_code, DeviceState::Approved);
    }

    /// Denies the device code with this `userCode`: its next poll gets `AccessDeniedException`.
    ///
    /// # Panics
    /// If no device code has it.
    pub fn deny_device(&self, user_code: &str) {
        self.set_device(user_code, DeviceState::Denied);
    }

    fn set_device(&self, user_code: &str, to: DeviceState) {
        let mut s = self.state();
        let device = s.devices.iter_mut().find(|d| d.user_code == user_code);
        device.unwrap_or_else(|| panic!("no device code with user code {user_code}")).state = to;
    }

    /// Whether a visit to a device code's verification page approves it (true at the start;
    /// false leaves it pending, as a user who never clicks).
    pub fn set_browser_approves(&self, approves: bool) {
        self.state().settings.browser_approves = approves;
    }

    /// Whether `/authorize` refuses (302 with `error=access_denied`), as a user who clicks deny.
    pub fn set_authorize_denied(&self, denied: bool) {
        self.state().settings.deny_authorize = denied;
    }

    /// The length of portal sessions that start from now on (8 h at the start; IdC allows
    /// 15 min to 90 days).
    pub fn set_session_length(&self, length: chrono::Duration) {
        self.state().settings.session_length = length;
    }

    /// Ends every portal session now: their access tokens get 401 and their refresh tokens
    /// `InvalidGrantException`.
    pub fn end_sessions(&self) {
        let mut s = self.state();
        let now = s.now();
        for session in &mut s.sessions {
            session.ends_at = session.ends_at.min(now);
        }
    }

    /// The lifetime of access tokens issued from now on (`expiresIn`; 3600 s at the start).
    pub fn set_access_token_lifetime(&self, seconds: i64) {
        self.state().settings.token_seconds = seconds;
    }

    /// Whether a refresh hands out a new refresh token and retires the old one (off at the
    /// start: the same refresh token comes back).
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.state().settings.rotate_refresh = rotate;
    }

    /// The fake's clock: this far from the real one (zero at the start). It decides when
    /// tokens, codes, sessions and registrations end; minted credentials keep moto's expiry.
    pub fn set_clock_offset(&self, offset: chrono::Duration) {
        self.state().settings.clock_offset = offset;
    }

    /// Moves the fake's clock on by `by`.
    pub fn advance_clock(&self, by: chrono::Duration) {
        let mut s = self.state();
        s.settings.clock_offset += by;
    }

    /// Portal requests per second above which it answers 429 `TooManyRequestsException`
    /// (`None`, the start, never).
    pub fn set_throttle(&self, per_second: Option<usize>) {
        self.state().settings.throttle = per_second;
    }

    /// A delay before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.set_latency_range(latency, latency);
    }

    /// A delay before every answer, drawn anew for each between `min` and `max`.
    pub fn set_latency_range(&self, min: Duration, max: Duration) {
        let mut s = self.state();
        s.settings.latency = min;
        s.settings.latency_max = max.max(min);
    }

    /// The most items a portal page holds, whatever `max_result` asks (`None`, the start: as
    /// asked), as the portal may send fewer than asked.
    pub fn set_page_cap(&self, items: Option<usize>) {
        self.state().settings.page_cap = items;
    }

    /// Whether GetRoleCredentials answers a role's first minted session again instead of minting
    /// one per call (off at the start). Each mint runs a Python process (boto3, about 250 ms):
    /// benchmarks reuse one so that they time the client, not the fake.
    pub fn set_reuse_minted(&self, reuse: bool) {
        self.state().settings.reuse_minted = reuse;
    }

    /// The `DurationSeconds` of the role sessions it mints (3600 at the start).
    pub fn set_role_session_seconds(&self, seconds: i64) {
        self.state().settings.role_session_seconds = seconds;
    }

    /// The device flow's polling `interval` in seconds (1 at the start); a poll sooner than
    /// that after the last gets `SlowDownException`.
    pub fn set_device_interval(&self, seconds: i64) {
        self.state().settings.device_interval = seconds;
    }

    /// Makes `start_url` the organisation's only access portal: a device authorization for, or
    /// a browser client registered with (`issuerUrl`), any other start URL is refused with 400
    /// `InvalidRequestException`, as a URL that is no portal is. `None` (the default) takes any.
    pub fn set_start_url(&self, start_url: Option<&str>) {
        self.state().settings.portal = start_url.map(str::to_owned);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<SsoRequest> {
        self.state().requests.clone()
    }

    /// The requests to `path` so far, in order.
    pub fn requests_to(&self, path: &str) -> Vec<SsoRequest> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// Every secret the fake handed out (client secrets, device and authorization codes,
    /// access and refresh tokens, minted secret keys and session tokens), for hygiene checks.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state().issued.clone()
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the router decided: an answer, or a mint to do without the lock.
enum Outcome {
    Answer(Response),
    Mint { account: String, role: String, seconds: i64 },
}

/// Reads one request, answers it, records it.
fn serve(stream: TcpStream, state: &Mutex<State>, minter: &Minter) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(request) = Request::read(&mut BufReader::new(&stream), MAX_BODY) else { return };
    let (latency, latency_max) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        (s.settings.latency, s.settings.latency_max)
    };
    std::thread::sleep(latency + jitter(latency_max.saturating_sub(latency)));
    let query = form_params(request.query());
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let outcome = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        route(&request, &query, &body, &mut s)
    };
    let response = match outcome {
        Outcome::Answer(r) => r,
        Outcome::Mint { account, role, seconds } => match minted(state, minter, &account, &role, seconds) {
            Ok(creds) => json_response(200, &json!({ "roleCredentials": creds })),
            Err(e) => portal_error(500, "InternalServerException", &format!("minting through moto failed: {e}")),
        },
    };
    const KEPT: &[&str] = &[
        "account_id",
        "role_name",
        "next_token",
        "max_result",
        "client_id",
        "redirect_uri",
        "response_type",
        "code_challenge_method",
        "scopes",
        "scope",
    ];
    let record = SsoRequest {
        method: request.method.clone(),
        path: request.path().to_owned(),
        grant_type: body.get("grantType").and_then(Value::as_str).map(str::to_owned),
        bearer: request.header("x-amz-sso_bearer_token").is_some(),
        params: query.into_iter().filter(|(k, _)| KEPT.contains(&k.as_str())).collect(),
        status: response.status,
        error_type: response.header("x-amzn-errortype").map(str::to_owned),
    };
    state.lock().unwrap_or_else(|e| e.into_inner()).requests.push(record);
    let _ = response.write_to(&mut &stream);
}

fn route(request: &Request, query: &BTreeMap<String, String>, body: &Value, s: &mut State) -> Outcome {
    let answer = match (request.method.as_str(), request.path()) {
        ("POST", "/client/register") => register(body, s),
        ("POST", "/device_authorization") => device_authorization(body, s),
        ("POST", "/token") => token(body, s),
        ("GET", "/authorize") => authorize(query, s),
        ("GET", "/device") => device_page(query, s),
        (method, path)
            if path.starts_with("/assignment/") || path == "/federation/credentials" || path == "/logout" =>
        {
            return portal(method, path, request, query, s);
        }
        _ => Response::new(404, "{}").header_line("Content-Type", "application/json"),
    };
    Outcome::Answer(answer)
}

fn json_response(status: u16, value: &Value) -> Response {
    Response::new(status, value.to_string()).header_line("Content-Type", "application/json")
}

/// A sign-in service error: `x-amzn-errortype` and `{"error", "error_description"}`.
fn oidc_error(status: u16, name: &str, description: &str) -> Response {
    let error = match name {
        "AuthorizationPendingException" => "authorization_pending",
        "SlowDownException" => "slow_down",
        "ExpiredTokenException" => "expired_token",
        "InvalidGrantException" => "invalid_grant",
        "AccessDeniedException" => "access_denied",
        "InvalidClientException" => "invalid_client",
        "UnsupportedGrantTypeException" => "unsupported_grant_type",
        "InvalidRedirectUriException" => "invalid_redirect_uri",
        "InvalidClientMetadataException" => "invalid_client_metadata",
        _ => "invalid_request",
    };
    json_response(status, &json!({ "error": error, "error_description": description }))
        .header_line("x-amzn-errortype", name)
}

/// A portal error: `x-amzn-errortype` and `{"message"}`.
fn portal_error(status: u16, name: &str, message: &str) -> Response {
    json_response(status, &json!({ "message": message })).header_line("x-amzn-errortype", name)
}

fn text<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// A random token: `prefix` and 48 URL-safe characters from the system's random source.
/// A random delay from zero to `up_to`.
fn jitter(up_to: Duration) -> Duration {
    if up_to.is_zero() {
        return Duration::ZERO;
    }
    let mut bytes = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut bytes);
    }
    let micros = up_to.as_micros() as u64 + 1;
    Duration::from_micros(u64::from_le_bytes(bytes) % micros)
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 36];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut bytes);
    }
    format!("{prefix}{}", base64url(&bytes))
}

/// Whether `uri` is an `http` URL of a loopback host (`127.0.0.1`, `[::1]`, `localhost`).
fn loopback_parts(uri: &str) -> Option<(String, String)> {
    let rest = uri.strip_prefix("http://")?;
    let (authority, path) = rest.split_once('/').map_or((rest, String::new()), |(a, p)| (a, format!("/{p}")));
    let host = if authority.starts_with('[') {
        authority.split_once(']').map(|(h, _)| format!("{h}]"))?
    } else {
        authority.split(':').next()?.to_owned()
    };
    ["127.0.0.1", "[::1]", "localhost"].contains(&host.as_str()).then_some((host, path))
}

/// Whether `uri` matches a registered loopback redirect URI, any port (RFC 8252 7.3).
fn redirect_allowed(registered: &[String], uri: &str) -> bool {
    let Some(asked) = loopback_parts(uri) else { return false };
    registered.iter().any(|r| loopback_parts(r).as_ref() == Some(&asked))
}

fn register(body: &Value, s: &mut State) -> Response {
    let (Some(_name), Some(kind)) = (text(body, "clientName"), text(body, "clientType")) else {
        return oidc_error(400, "InvalidRequestException", "clientName and clientType are required");
    };
    if kind != "public" {
        return oidc_error(400, "InvalidClientMetadataException", "clientType must be public");
    }
    let strings = |field: &str| -> Vec<String> {
        body.get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let redirect_uris = strings("redirectUris");
    if let Some(bad) = redirect_uris.iter().find(|u| loopback_parts(u).is_none()) {
        return oidc_error(400, "InvalidRedirectUriException", &format!("{bad} is not a loopback http URI"));
    }
    let grants = strings("grantTypes");
    if let Some(bad) =
        grants.iter().find(|g| !["authorization_code", "refresh_token", DEVICE_GRANT].contains(&g.as_str()))
    {
        return oidc_error(400, "UnsupportedGrantTypeException", &format!("grant type {bad} is not supported"));
    }
    if let Some(issuer) = text(body, "issuerUrl")
        && let Some(r) = not_the_portal(issuer, s)
    {
        return r;
    }
    if grants.iter().any(|g| g == "authorization_code") && redirect_uris.is_empty() {
        return oidc_error(400, "InvalidRequestException", "the authorization_code grant needs redirectUris");
    }
    let now = s.now().timestamp();
    let client = Client {
        id: random_token("client-"),
        secret: random_token("secret-"),
        secret_expires_at: now + REGISTRATION_SECONDS,
        redirect_uris,
    };
    s.issued.push(client.secret.clone());
    let answer = json!({
        "clientId": client.id,
        "clientSecret": client.secret,
        "clientIdIssuedAt": now,
        "clientSecretExpiresAt": client.secret_expires_at,
        "authorizationEndpoint": format!("http://{}/authorize", s.host),
        "tokenEndpoint": format!("http://{}/token", s.host),
    });
    s.clients.push(client);
    json_response(200, &answer)
}

/// The client named by the body's `clientId` and `clientSecret`, registered and unexpired.
fn check_client(body: &Value, s: &State) -> Result<String, Response> {
    let now = s.now().timestamp();
    let (id, secret) = (text(body, "clientId").unwrap_or_default(), text(body, "clientSecret").unwrap_or_default());
    match s.clients.iter().find(|c| c.id == id && c.secret == secret) {
        Some(c) if now < c.secret_expires_at => Ok(c.id.clone()),
        Some(_) => Err(oidc_error(401, "InvalidClientException", "the client registration has expired")),
        None => Err(oidc_error(401, "InvalidClientException", "unknown client or wrong client secret")),
    }
}

/// The refusal of a start URL that is not the organisation's portal, when one is set.
fn not_the_portal(start_url: &str, s: &State) -> Option<Response> {
    let portal = s.settings.portal.as_deref()?;
    (start_url.trim_end_matches('/') != portal.trim_end_matches('/'))
        .then(|| oidc_error(400, "InvalidRequestException", "Invalid start URL"))
}

fn device_authorization(body: &Value, s: &mut State) -> Response {
    let client_id = match check_client(body, s) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some(start_url) = text(body, "startUrl") else {
        return oidc_error(400, "InvalidRequestException", "startUrl is required");
    };
    if let Some(r) = not_the_portal(start_url, s) {
        return r;
    }
    let code = random_token("device-");
    let letters: String = random_token("").chars().filter(char::is_ascii_alphabetic).take(8).collect();
    let user_code = format!("{}-{}", &letters[..4], &letters[4..]).to_ascii_uppercase();
    s.issued.push(code.clone());
    let answer = json!({
        "deviceCode": code,
        "userCode": user_code,
        "verificationUri": format!("http://{}/device", s.host),
        "verificationUriComplete": format!("http://{}/device?user_code={user_code}", s.host),
        "expiresIn": DEVICE_SECONDS,
        "interval": s.settings.device_interval,
    });
    let expires_at = s.now() + chrono::Duration::seconds(DEVICE_SECONDS);
    s.devices.push(Device { code, user_code, client_id, expires_at, last_poll: None, state: DeviceState::Pending });
    json_response(200, &answer)
}

/// The verification page: approves the device code when the "user" approves in the browser.
fn device_page(query: &BTreeMap<String, String>, s: &mut State) -> Response {
    let approves = s.settings.browser_approves;
    let now = s.now();
    let code = query.get("user_code").map(String::as_str).unwrap_or_default();
    match s.devices.iter_mut().find(|d| d.user_code == code && d.expires_at > now) {
        Some(d) if approves && d.state == DeviceState::Pending => {
            d.state = DeviceState::Approved;
            Response::new(200, "<p>Request approved</p>").header_line("Content-Type", "text/html")
        }
        Some(_) => Response::new(200, "<p>Waiting</p>").header_line("Content-Type", "text/html"),
        None => Response::new(400, "<p>Unknown or expired code</p>").header_line("Content-Type", "text/html"),
    }
}

/// Starts a portal session and issues its first tokens.
fn sign_in(client_id: &str, s: &mut State) -> Response {
    let ends_at = s.now() + s.settings.session_length;
    s.sessions.push(Session { ends_at });
    let session = s.sessions.len() - 1;
    let refresh = random_token("aorAAAA");
    s.issued.push(refresh.clone());
    s.refresh.push(Refresh { token: refresh.clone(), client_id: client_id.to_owned(), session, valid: true });
    issue(session, refresh, s)
}

/// A new access token of `session`, with `refresh` as the refresh token.
fn issue(session: usize, refresh: String, s: &mut State) -> Response {
    let token = random_token("aoaAAAA");
    s.issued.push(token.clone());
    let seconds = s.settings.token_seconds;
    let expires_at = s.now() + chrono::Duration::seconds(seconds);
    s.access.push(Access { token: token.clone(), session, expires_at });
    json_response(
        200,
        &json!({ "accessToken": token, "tokenType": "Bearer", "expiresIn": seconds, "refreshToken": refresh }),
    )
}

fn token(body: &Value, s: &mut State) -> Response {
    let client_id = match check_client(body, s) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let now = s.now();
    match text(body, "grantType").unwrap_or_default() {
        DEVICE_GRANT => {
            let code = text(body, "deviceCode").unwrap_or_default();
            let interval = Duration::from_secs(s.settings.device_interval.max(0).unsigned_abs());
            let Some(d) = s.devices.iter_mut().find(|d| d.code == code && d.client_id == client_id) else {
                return oidc_error(400, "InvalidGrantException", "unknown device code");
            };
            if d.expires_at <= now {
                return oidc_error(400, "ExpiredTokenException", "the device code has expired");
            }
            let too_soon = d.last_poll.is_some_and(|t| t.elapsed() < interval);
            d.last_poll = Some(Instant::now());
            match d.state {
                DeviceState::Pending if too_soon => oidc_error(400, "SlowDownException", "poll less often"),
                DeviceState::Pending => oidc_error(400, "AuthorizationPendingException", "authorization is pending"),
                DeviceState::Denied => oidc_error(400, "AccessDeniedException", "the user denied the request"),
                DeviceState::Redeemed => oidc_error(400, "InvalidGrantException", "the device code was already used"),
                DeviceState::Approved => {
                    d.state = DeviceState::Redeemed;
                    sign_in(&client_id, s)
                }
            }
        }
        "authorization_code" => {
            let (code, redirect, verifier) = (
                text(body, "code").unwrap_or_default(),
                text(body, "redirectUri").unwrap_or_default(),
                text(body, "codeVerifier").unwrap_or_default(),
            );
            let Some(c) = s.codes.iter_mut().find(|c| c.code == code && c.client_id == client_id) else {
                return oidc_error(400, "InvalidGrantException", "unknown authorization code");
            };
            if c.used || c.expires_at <= now {
                return oidc_error(400, "InvalidGrantException", "the authorization code is used or expired");
            }
            c.used = true;
            if c.redirect_uri != redirect {
                return oidc_error(400, "InvalidGrantException", "redirectUri differs from the authorize request");
            }
            if pkce_challenge(verifier) != c.challenge {
                return oidc_error(400, "InvalidGrantException", "codeVerifier does not match the code_challenge");
            }
            sign_in(&client_id, s)
        }
        "refresh_token" => {
            let given = text(body, "refreshToken").unwrap_or_default();
            let Some(i) = s.refresh.iter().position(|r| r.token == given && r.client_id == client_id && r.valid) else {
                return oidc_error(400, "InvalidGrantException", "unknown or retired refresh token");
            };
            let session = s.refresh[i].session;
            if !s.session_active(session) {
                return oidc_error(400, "InvalidGrantException", "the portal session has ended");
            }
            let refresh = if s.settings.rotate_refresh {
                s.refresh[i].valid = false;
                let new = random_token("aorAAAA");
                s.issued.push(new.clone());
                s.refresh.push(Refresh { token: new.clone(), client_id, session, valid: true });
                new
            } else {
                given.to_owned()
            };
            issue(session, refresh, s)
        }
        other => oidc_error(400, "UnsupportedGrantTypeException", &format!("grant type {other:?} is not supported")),
    }
}

/// `url` with `params` added to its query, percent-encoded.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))).collect();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", joined.join("&"))
}

fn authorize(query: &BTreeMap<String, String>, s: &mut State) -> Response {
    let get = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    let (client_id, redirect) = (get("client_id"), get("redirect_uri"));
    let Some(client) = s.clients.iter().find(|c| c.id == client_id) else {
        return oidc_error(400, "InvalidClientException", "unknown client_id");
    };
    if !redirect_allowed(&client.redirect_uris, redirect) {
        return oidc_error(400, "InvalidRedirectUriException", "redirect_uri is not a registered loopback URI");
    }
    let state = get("state");
    let back = |params: &[(&str, &str)]| Response::new(302, "").header_line("Location", &with_query(redirect, params));
    if get("response_type") != "code" {
        return back(&[("error", "unsupported_response_type"), ("state", state)]);
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return back(&[("error", "invalid_request"), ("state", state)]);
    }
    if !query.contains_key("scopes") && !query.contains_key("scope") {
        return back(&[("error", "invalid_scope"), ("state", state)]);
    }
    if s.settings.deny_authorize {
        return back(&[("error", "access_denied"), ("state", state)]);
    }
    let code = random_token("code-");
    s.issued.push(code.clone());
    let expires_at = s.now() + chrono::Duration::seconds(CODE_SECONDS);
    s.codes.push(AuthCode {
        code: code.clone(),
        client_id: client_id.to_owned(),
        redirect_uri: redirect.to_owned(),
        challenge: get("code_challenge").to_owned(),
        expires_at,
        used: false,
    });
    back(&[("code", &code), ("state", state)])
}

fn portal(method: &str, path: &str, request: &Request, query: &BTreeMap<String, String>, s: &mut State) -> Outcome {
    let answer = |r| Outcome::Answer(r);
    if let Some(limit) = s.settings.throttle {
        let now = Instant::now();
        while s.recent.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            s.recent.pop_front();
        }
        if s.recent.len() >= limit {
            return answer(portal_error(429, "TooManyRequestsException", "Too many requests"));
        }
        s.recent.push_back(now);
    }
    let now = s.now();
    let token = request.header("x-amz-sso_bearer_token").unwrap_or_default();
    let session = s.access.iter().find(|a| a.token == token && now < a.expires_at).map(|a| a.session);
    let Some(session) = session.filter(|&i| s.session_active(i)) else {
        return answer(portal_error(401, "UnauthorizedException", "Session token not found or invalid"));
    };
    let get = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let no_access = || portal_error(403, "ForbiddenException", "No access");
    match (method, path) {
        ("GET", "/assignment/accounts") => {
            let items: Vec<Value> = s
                .accounts
                .iter()
                .map(|a| json!({ "accountId": a.account_id, "accountName": a.account_name, "emailAddress": a.email_address }))
                .collect();
            answer(page(items, "accountList", get("next_token"), get("max_result"), s.settings.page_cap))
        }
        ("GET", "/assignment/roles") => {
            let Some(id) = get("account_id") else {
                return answer(portal_error(400, "InvalidRequestException", "account_id is required"));
            };
            let Some(account) = s.account(id) else { return answer(no_access()) };
            let items: Vec<Value> =
                account.roles.iter().map(|r| json!({ "roleName": r, "accountId": account.account_id })).collect();
            answer(page(items, "roleList", get("next_token"), get("max_result"), s.settings.page_cap))
        }
        ("GET", "/federation/credentials") => {
            let (Some(role), Some(id)) = (get("role_name"), get("account_id")) else {
                return answer(portal_error(400, "InvalidRequestException", "role_name and account_id are required"));
            };
            if !s.account(id).is_some_and(|a| a.roles.iter().any(|r| r == role)) {
                return answer(no_access());
            }
            Outcome::Mint { account: id.to_owned(), role: role.to_owned(), seconds: s.settings.role_session_seconds }
        }
        ("POST", "/logout") => {
            s.sessions[session].ends_at = now;
            answer(Response::new(200, ""))
        }
        _ => answer(portal_error(405, "InvalidRequestException", "method not allowed")),
    }
}

/// One page of `items` under `key`, from the offset in `next_token` (`page-N`), at most `cap`
/// items, with `nextToken` when more follow.
fn page(
    items: Vec<Value>,
    key: &str,
    next_token: Option<&str>,
    max_result: Option<&str>,
    cap: Option<usize>,
) -> Response {
    let size = match max_result.map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return portal_error(400, "InvalidRequestException", "max_result must be 1 to 100"),
    };
    let size = cap.map_or(size, |cap| size.min(cap.max(1)));
    let start = match next_token.map(|t| t.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok())) {
        None => 0,
        Some(Some(n)) if n <= items.len() => n,
        Some(_) => return portal_error(400, "InvalidRequestException", "invalid next_token"),
    };
    let end = (start + size).min(items.len());
    let mut answer = json!({ key: items[start..end].to_vec() });
    if end < items.len() {
        answer["nextToken"] = json!(format!("page-{end}"));
    }
    json_response(200, &answer)
}

/// What the venv's python runs to mint: AssumeRole with the keys of its environment; prints
/// `roleCredentials` with `expiration` in epoch milliseconds.
const MINT_SCRIPT: &str = r#"
import json, os, sys
import boto3
endpoint, role_arn, session, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])
c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session, DurationSeconds=seconds)["Credentials"]
json.dump({"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"],
    "sessionToken": c["SessionToken"], "expiration": int(c["Expiration"].timestamp() * 1000)}, sys.stdout)
"#;

/// Mints credentials for `role` in `account` through moto's AssumeRole.
/// A role session for GetRoleCredentials: minted (and recorded as issued), or the one kept for
/// the role when the fake reuses them.
fn minted(state: &Mutex<State>, minter: &Minter, account: &str, role: &str, seconds: i64) -> Result<Value, String> {
    let kept = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        let found = s.minted.iter().find(|(a, r, _)| a == account && r == role).map(|(_, _, v)| v.clone());
        found.filter(|_| s.settings.reuse_minted)
    };
    if let Some(creds) = kept {
        return Ok(creds);
    }
    let creds = mint(minter, account, role, seconds)?;
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    for k in ["secretAccessKey", "sessionToken"] {
        s.issued.push(creds[k].as_str().unwrap_or_default().to_owned());
    }
    if s.settings.reuse_minted {
        s.minted.push((account.to_owned(), role.to_owned(), creds.clone()));
    }
    Ok(creds)
}

fn mint(minter: &Minter, account: &str, role: &str, seconds: i64) -> Result<Value, String> {
    let mut cmd = Command::new(venv_tool("python"));
    cmd.arg("-c")
        .arg(MINT_SCRIPT)
        .arg(&minter.endpoint)
        .arg(format!("arn:aws:iam::{account}:role/{role}"))
        .arg(SESSION_NAME)
        .arg(seconds.to_string());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("AWS_")) {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_ACCESS_KEY_ID", &minter.key)
        .env("AWS_SECRET_ACCESS_KEY", &minter.secret)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = run_with_timeout(&mut cmd, None, MINT_TIMEOUT);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().last().unwrap_or("no output").to_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad output: {e}"))
}

/// One hop of a [`browse`]: the URL requested, the status, and the `Location` it was sent to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The status of the answer.
    pub status: u16,
    /// Its `Location` header, if any.
    pub location: Option<String>,
}

/// Plays the user's browser in-process: GETs `url` (an `http://` loopback URL, e.g. the
/// authorize URL or a device code's verification page) and follows redirects to loopback URLs
/// (e.g. to the client's redirect URI), up to 5; returns each hop.
///
/// # Errors
/// If a request fails, or `url` or a redirect is not a loopback `http://` URL.
pub fn browse(url: &str) -> std::io::Result<Vec<Hop>> {
    let mut hops = Vec::new();
    let mut next = url.to_owned();
    for _ in 0..5 {
        let rest = next.strip_prefix("http://").ok_or_else(|| std::io::Error::other(format!("not http: {next}")))?;
        let (authority, target) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, t)| (a, format!("/{t}")));
        let port = authority
            .strip_prefix("127.0.0.1:")
            .or_else(|| authority.strip_prefix("localhost:"))
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not a loopback URL with a port: {next}")))?;
        let response = http::request(port, &Request::new("GET", &target), Duration::from_secs(10))?;
        let location = response.header("location").map(str::to_owned);
        hops.push(Hop { url: next.clone(), status: response.status, location: location.clone() });
        match location {
            Some(to) if (300..400).contains(&response.status) => next = to,
            _ => return Ok(hops),
        }
    }
    Ok(hops)
}

/// The decoded query parameters of a URL (empty without a query).
pub fn url_params(url: &str) -> BTreeMap<String, String> {
    url.split_once('?').map(|(_, q)| form_params(q)).unwrap_or_default()
}

/// A stand-in for `xdg-open` that plays the user: it logs each URL it is given (in a private
/// file) and, in the background, GETs it with the venv's python, following redirects (so the
/// authorize URL's 302 reaches the client's loopback redirect URI, and a verification page
/// approves its device code). Given a `file://` page (rolecall's private redirect page), it
/// opens the first `http(s)` URL in it.
pub struct StubBrowser {
    dir: PathBuf,
}

/// The stub browser's python: open the URL, or the first URL in a `file://` page.
const BROWSER_SCRIPT: &str = r#"
import html, re, sys, urllib.request
url, log = sys.argv[1], sys.argv[2]
if url.startswith("file://"):
    page = open(url[len("file://"):], encoding="utf-8", errors="replace").read()
    url = html.unescape(re.search(r"https?://[^\"'<>\s]+", page).group(0))
with open(log, "a") as f:
    f.write(url + "\n")
try:
    status = urllib.request.urlopen(url, timeout=10).status
except Exception as e:
    status = "error " + type(e).__name__
with open(log + ".status", "a") as f:
    f.write(str(status) + "\n")
"#;

impl StubBrowser {
    /// Writes `DIR/xdg-open` (0700) and its helper into `dir` (created 0700): put `dir` first
    /// in `PATH` ([`StubBrowser::path_env`]).
    ///
    /// # Panics
    /// If the files cannot be written.
    pub fn install(dir: &Path) -> StubBrowser {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(dir).expect("stub browser dir");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod stub browser dir");
        let helper = dir.join("stub-browser.py");
        std::fs::write(&helper, BROWSER_SCRIPT).expect("write the stub browser");
        let opener = dir.join("xdg-open");
        let script = format!(
            "#!/bin/sh\numask 077\n'{}' '{}' \"$1\" '{}' </dev/null >/dev/null 2>&1 &\nexit 0\n",
            venv_tool("python").display(),
            helper.display(),
            dir.join("opened.log").display()
        );
        std::fs::write(&opener, script).expect("write xdg-open");
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o700)).expect("chmod xdg-open");
        StubBrowser { dir: dir.to_owned() }
    }

    /// `DIR:$PATH`, for the `PATH` of a process that should open URLs with it.
    pub fn path_env(&self) -> String {
        format!("{}:{}", self.dir.display(), std::env::var("PATH").unwrap_or_default())
    }

    /// The path of its `xdg-open`.
    pub fn opener(&self) -> PathBuf {
        self.dir.join("xdg-open")
    }

    /// The URLs it opened so far, in order.
    pub fn opened(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.join("opened.log")).unwrap_or_default();
        log.lines().map(str::to_owned).collect()
    }

    /// The final status of each visit so far (`200`, or `error NAME`), in order.
    pub fn statuses(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.join("opened.log.status")).unwrap_or_default();
        log.lines().map(str::to_owned).collect()
    }
}

/// The PKCE S256 challenge of `verifier`: base64url (no padding) of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    base64url(&sha256(verifier.as_bytes()))
}

/// Percent-encodes everything but the unreserved characters.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Base64url without padding.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), for PKCE's S256.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{base64url, pkce_challenge, redirect_allowed, sha256};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_examples() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(hex(&sha256(two_blocks)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    #[test]
    fn the_s256_challenge_is_rfc_7636s_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
    }

    #[test]
    fn a_redirect_must_be_a_registered_loopback_uri_on_any_port() {
        let registered = vec!["http://127.0.0.1/oauth/callback".to_owned()];
        assert!(redirect_allowed(&registered, "http://127.0.0.1:4321/oauth/callback"));
        assert!(!redirect_allowed(&registered, "http://127.0.0.1:4321/other"));
        assert!(!redirect_allowed(&registered, "http://evil.example:4321/oauth/callback"));
        assert!(!redirect_allowed(&registered, "https://127.0.0.1/oauth/callback"));
        assert!(!redirect_allowed(&[], "http://127.0.0.1/oauth/callback"));
    }
}
