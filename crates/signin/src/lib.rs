//! rolecall's console sign-in adapter: [`rolecall_core::console::SigninClient`] over HTTPS
//! ([`HttpSignin`]), the `ROLECALL_FEDERATION_ENDPOINT` override ([`endpoint_from_env`]), and the
//! default web browser ([`open_in_browser`]).
//!
//! The client is reqwest on the AWS SDK's own stack (hyper 1, rustls 0.23 on aws-lc-rs), so there
//! is one TLS implementation in the binary. It honours `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`
//! and `NO_PROXY`, except for a loopback endpoint (an override on this machine: a proxy would see
//! the session in plain http, and could not reach the loopback anyway), follows no redirects, and gives up after a connect timeout of 5 s and 15 s in
//! all. Errors never hold the session, the sign-in token or a URL with a query: reqwest's own
//! messages (which quote the URL) are replaced by the status or the network error's kind.
#![deny(missing_docs)]

mod browser;
mod page;

use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use rolecall_core::ValidationError;
use rolecall_core::console::{
    ConsoleError, ConsoleErrorKind, FederationEndpoint, SigninClient, SigninToken, SigninTokenRequest, TokenMethod,
};
use secrecy::ExposeSecret;

pub use browser::{open_in_browser, open_url_in_browser};

/// The environment variable that overrides the federation endpoint (tests, private endpoints).
pub const ENDPOINT_VAR: &str = "ROLECALL_FEDERATION_ENDPOINT";

/// How long connecting may take, and the whole request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(15);
/// The most of an answer rolecall reads (a token is about a kilobyte).
const MAX_ANSWER: usize = 64 * 1024;

/// `ROLECALL_FEDERATION_ENDPOINT`, validated, when set and not empty.
pub fn endpoint_from_env() -> Result<Option<FederationEndpoint>, ValidationError> {
    std::env::var(ENDPOINT_VAR).ok().filter(|v| !v.trim().is_empty()).map(|v| FederationEndpoint::parse(&v)).transpose()
}

/// The federation endpoint over HTTPS.
#[derive(Debug, Clone, Default)]
pub struct HttpSignin {
    _private: (),
}

impl HttpSignin {
    /// A client; each sign-in builds its HTTP client (one request per sign-in).
    pub fn new() -> HttpSignin {
        HttpSignin::default()
    }
}

impl SigninClient for HttpSignin {
    async fn signin_token(
        &self,
        endpoint: &FederationEndpoint,
        request: &SigninTokenRequest,
        subject: &str,
    ) -> Result<SigninToken, ConsoleError> {
        let fail = |kind, detail: String| ConsoleError { kind, subject: subject.to_owned(), detail: Some(detail) };
        let mut builder = reqwest::Client::builder();
        if !uses_proxy(endpoint) {
            builder = builder.no_proxy();
        }
        let client = builder
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("rolecall/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| fail(ConsoleErrorKind::Unreachable, format!("cannot set up HTTPS: {}", describe(&e))))?;
        let params = request.encoded();
        let call = match request.method {
            TokenMethod::Get => client.get(format!("{}?{}", endpoint.as_str(), params.expose_secret())),
            TokenMethod::Post => client
                .post(endpoint.as_str())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(params.expose_secret().to_owned()),
        };
        tracing::debug!(
            host = host(endpoint),
            method = ?request.method,
            session_duration = request.session_duration.map(|d| d.as_secs()),
            "getSigninToken"
        );
        let mut response = call.send().await.map_err(|e| fail(ConsoleErrorKind::Unreachable, describe(&e)))?;
        let status = response.status();
        tracing::debug!(status = status.as_u16(), "getSigninToken answered");
        if status.is_client_error() {
            return Err(fail(ConsoleErrorKind::Rejected, format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(fail(ConsoleErrorKind::Unavailable, format!("HTTP {}", status.as_u16())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| fail(ConsoleErrorKind::Unreachable, describe(&e)))? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(fail(ConsoleErrorKind::Malformed, "the answer is too long".into()));
            }
            body.extend_from_slice(&chunk);
        }
        let token = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("SigninToken").and_then(|t| t.as_str()).map(str::to_owned))
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail(ConsoleErrorKind::Malformed, "no SigninToken in the answer".into()))?;
        Ok(SigninToken::new(token))
    }
}

/// Whether requests to `endpoint` may go through a proxy from the environment: not when its host
/// is loopback (`localhost`, `127.0.0.0/8`, `::1`).
fn uses_proxy(endpoint: &FederationEndpoint) -> bool {
    let authority = host(endpoint);
    let name = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback =
        name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// The endpoint's host, for logs (never the query).
fn host(endpoint: &FederationEndpoint) -> &str {
    let rest = endpoint.as_str().split_once("://").map_or(endpoint.as_str(), |(_, r)| r);
    rest.split('/').next().unwrap_or("")
}

/// A network failure in safe words: whether it timed out or could not connect, and the innermost
/// OS or TLS error. Never reqwest's own message, which quotes the URL (and a GET's query); the
/// errors it wraps (hyper's, the OS's, rustls's) do not.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        return format!("no answer within {}s", TIMEOUT.as_secs());
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_builder() {
        "cannot build the request"
    } else {
        "the request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut io = None;
    while let Some(s) = source {
        if let Some(i) = s.downcast_ref::<std::io::Error>() {
            io = Some(i.to_string());
        }
        source = s.source();
    }
    match io {
        Some(io) => format!("{what}: {io}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests;
