//! rolecall's IAM Identity Center adapter: [`rolecall_core::sso::SsoSignIn`] and
//! [`rolecall_core::sso::SsoPortal`] over the AWS SDK ([`SdkSso`]), the browser step of the
//! authorization-code flow ([`pkce`]) and its loopback redirect ([`loopback`]).
//!
//! Both services are unsigned: the clients get no credentials provider, so the SDK never looks
//! for AWS credentials, and no shared config or credentials file is read. The region is the
//! caller's; the endpoint is `AWS_ENDPOINT_URL_SSO_OIDC` (sign-in) or `AWS_ENDPOINT_URL_SSO`
//! (portal), else `AWS_ENDPOINT_URL`, else AWS's own ([`endpoint_override`]). Every client retries
//! throttling and transient errors (standard mode, 3 attempts), but for the portal's listings,
//! which the caller paces, throttling is not retried here (it comes back as
//! [`SsoErrorKind::Throttled`] after one attempt); the sign-in service's
//! `SlowDownException` is not retried by the SDK and comes back as [`SsoErrorKind::SlowDown`].
//! Errors keep the service's own message as their detail, never a token or a secret.
#![deny(missing_docs)]

pub mod loopback;
pub mod pkce;

use std::time::Duration;

use aws_sdk_sso::config::retry::RetryConfig;
use aws_sdk_sso::config::timeout::TimeoutConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region as SdkRegion};
use aws_sdk_sso::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use chrono::{DateTime, Utc};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::sso::{
    ClientRegistration, DeviceAuthorization, Grant, Page, PortalAccount, SsoError, SsoErrorKind, SsoPortal, SsoSignIn,
    StartUrl, Token, classify,
};
use rolecall_core::validate::Region;
use secrecy::{ExposeSecret, SecretString};

pub use loopback::LoopbackRedirect;
pub use pkce::{Pkce, authorize_url};

/// How long one attempt may take to connect, and a whole call (all retries) to finish.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The variable that overrides the time a whole call may take, in seconds (slow links, tests).
pub const TIMEOUT_VAR: &str = "ROLECALL_SSO_TIMEOUT";
/// The longest piece of a service's message kept in an error.
const DETAIL_MAX_CHARS: usize = 300;
/// The most items one listing page asks for (the portal's maximum).
const PAGE_SIZE: i32 = 100;
/// The wait between device-token requests when the service names none (RFC 8628).
const DEFAULT_INTERVAL_SECS: i64 = 5;

/// Which of the two services a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The sign-in service (`oidc.REGION.amazonaws.com`).
    SignIn,
    /// The access portal (`portal.sso.REGION.amazonaws.com`).
    Portal,
}

impl Service {
    /// The variables that move this service's calls, the first one set winning.
    pub fn endpoint_vars(self) -> [&'static str; 2] {
        match self {
            Service::SignIn => ["AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL"],
            Service::Portal => ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL"],
        }
    }
}

/// Set to `true`, the endpoint variables are ignored: AWS's own endpoints for the region.
pub const IGNORE_ENDPOINTS_VAR: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// The endpoint for `service`, from the environment as `var` reads it: the first of its
/// [`Service::endpoint_vars`] that is set and not blank, none when [`IGNORE_ENDPOINTS_VAR`] is
/// `true` (then the SDK uses AWS's endpoint for the region). The authorize URL of the browser step
/// uses the sign-in service's.
pub fn endpoint_override(service: Service, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    if var(IGNORE_ENDPOINTS_VAR).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return None;
    }
    service.endpoint_vars().iter().find_map(|name| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
}

/// [`endpoint_override`] over the process's environment.
pub fn endpoint_from_env(service: Service) -> Option<String> {
    endpoint_override(service, |name| std::env::var(name).ok())
}

/// The time a whole call may take ([`TIMEOUT_VAR`] seconds, else 30 s).
fn operation_timeout() -> Duration {
    std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map_or(OPERATION_TIMEOUT, Duration::from_secs_f64)
}

/// IAM Identity Center through the AWS SDK: both ports.
#[derive(Debug, Clone, Default)]
pub struct SdkSso {
    /// Test settings; `None`: the environment's, per call.
    fixed: Option<Fixed>,
}

/// What a test fixes instead of reading the environment.
#[derive(Debug, Clone)]
struct Fixed {
    endpoint: Option<String>,
    timeout: Duration,
    initial_backoff: Duration,
}

/// The settings of one client: endpoint, region, retries, timeouts.
struct Settings {
    endpoint: Option<String>,
    region: SdkRegion,
    retry: RetryConfig,
    timeout: TimeoutConfig,
}

impl SdkSso {
    /// The adapter; each call builds its client from the region it is given and the environment.
    pub fn new() -> Self {
        Self::default()
    }

    fn settings(&self, service: Service, region: &Region) -> Settings {
        let (endpoint, operation, retry) = match &self.fixed {
            Some(f) => (
                f.endpoint.clone(),
                f.timeout,
                RetryConfig::standard().with_max_attempts(3).with_initial_backoff(f.initial_backoff),
            ),
            None => (endpoint_from_env(service), operation_timeout(), RetryConfig::standard().with_max_attempts(3)),
        };
        let attempt = operation / 3;
        let timeout = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(attempt))
            .operation_attempt_timeout(attempt)
            .operation_timeout(operation)
            .build();
        Settings { endpoint, region: SdkRegion::new(region.to_string()), retry, timeout }
    }

    /// A sign-in client: no credentials provider (the calls are unsigned), no profile read.
    fn oidc(&self, region: &Region) -> aws_sdk_ssooidc::Client {
        let s = self.settings(Service::SignIn, region);
        let mut builder = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(s.region)
            .retry_config(s.retry)
            .timeout_config(s.timeout);
        builder.set_endpoint_url(s.endpoint);
        aws_sdk_ssooidc::Client::from_conf(builder.build())
    }

    /// A portal client: no credentials provider (the token goes in its own header), no profile.
    fn portal(&self, region: &Region) -> aws_sdk_sso::Client {
        aws_sdk_sso::Client::from_conf(self.portal_config(region).build())
    }

    /// A portal client for the listings, which the caller paces: a throttled one is not retried
    /// here ([`NoThrottlingRetry`]).
    fn listing_portal(&self, region: &Region) -> aws_sdk_sso::Client {
        aws_sdk_sso::Client::from_conf(self.portal_config(region).retry_classifier(NoThrottlingRetry).build())
    }

    fn portal_config(&self, region: &Region) -> aws_sdk_sso::config::Builder {
        let s = self.settings(Service::Portal, region);
        let mut builder = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(s.region)
            .retry_config(s.retry)
            .timeout_config(s.timeout);
        builder.set_endpoint_url(s.endpoint);
        builder
    }
}

/// Keeps the SDK from retrying a throttled portal listing (HTTP 429, `TooManyRequestsException`):
/// rolecall paces the listings itself and asks a refused one again after its own pause, which the
/// SDK's backoff would only lengthen and hide. Other failures keep the standard retries.
#[derive(Debug)]
struct NoThrottlingRetry;

impl ClassifyRetry for NoThrottlingRetry {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(r) if r.status().as_u16() == 429 => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "no retry of a throttled portal listing"
    }
}

/// The first line of a service's message, at most [`DETAIL_MAX_CHARS`] long.
fn short(message: &str) -> Option<String> {
    let line = message.lines().map(str::trim).find(|l| !l.is_empty())?.trim_end_matches('.');
    Some(match line.char_indices().nth(DETAIL_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    })
}

/// An SDK failure as an [`SsoError`]: a service error by its error type, a connection that
/// failed as unreachable, a timeout as such, an answer the SDK could not read as malformed.
fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E, HttpResponse>,
    subject: &str,
) -> SsoError {
    let (kind, detail) = match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            match se.err().code() {
                Some(code) => (classify(code), se.err().message().and_then(short)),
                // A success the SDK could not read comes back as an error without a code.
                None if se.raw().status().is_success() => (SsoErrorKind::Malformed, None),
                None => (SsoErrorKind::Other, Some(format!("HTTP {status}"))),
            }
        }
        SdkError::ResponseError(_) => (SsoErrorKind::Malformed, None),
        SdkError::TimeoutError(_) => (SsoErrorKind::Timeout, None),
        SdkError::DispatchFailure(d) if d.is_timeout() => (SsoErrorKind::Timeout, None),
        SdkError::DispatchFailure(_) => (SsoErrorKind::Unreachable, None),
        // The request could not be built: rolecall's own fault; its words could hold an input.
        _ => (SsoErrorKind::Other, Some("the request could not be built".to_owned())),
    };
    tracing::debug!(kind = ?kind, "identity center call failed");
    SsoError { kind, subject: subject.to_owned(), detail }
}

fn malformed(subject: &str, what: &str) -> SsoError {
    SsoError { kind: SsoErrorKind::Malformed, subject: subject.to_owned(), detail: Some(what.to_owned()) }
}

/// A required text field of an answer.
fn required<'a>(value: Option<&'a str>, subject: &str, field: &str) -> Result<&'a str, SsoError> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| malformed(subject, &format!("no {field} in the answer")))
}

/// `seconds` after `now`, when positive.
fn after(now: DateTime<Utc>, seconds: i64, subject: &str, field: &str) -> Result<DateTime<Utc>, SsoError> {
    (seconds > 0)
        .then(|| now + chrono::Duration::seconds(seconds))
        .ok_or_else(|| malformed(subject, &format!("no usable {field} in the answer")))
}

impl SsoSignIn for SdkSso {
    async fn register_client(
        &self,
        region: &Region,
        start_url: &StartUrl,
        redirect_uri: Option<&str>,
    ) -> Result<ClientRegistration, SsoError> {
        let subject = "register with the sign-in service";
        // As the AWS CLI v2 does: the code grant with its redirect URI, else the device grant.
        let grants: &[&str] = match redirect_uri {
            Some(_) => &["authorization_code", "refresh_token"],
            None => &[Grant::DeviceCode(SecretString::from(String::new())).grant_type(), "refresh_token"],
        };
        tracing::debug!(region = %region, start_url = %start_url, code_flow = redirect_uri.is_some(), "RegisterClient");
        let out = self
            .oidc(region)
            .register_client()
            .client_name("rolecall")
            .client_type("public")
            .scopes(pkce::SCOPE)
            .set_grant_types(Some(grants.iter().map(|g| (*g).to_owned()).collect()))
            .set_redirect_uris(redirect_uri.map(|u| vec![u.to_owned()]))
            .issuer_url(start_url.as_str())
            .send()
            .await
            .map_err(|e| sdk_error(e, subject))?;
        let client_id = required(out.client_id(), subject, "clientId")?.to_owned();
        let secret = required(out.client_secret(), subject, "clientSecret")?;
        let expires_at = DateTime::from_timestamp(out.client_secret_expires_at(), 0)
            .filter(|_| out.client_secret_expires_at() > 0)
            .ok_or_else(|| malformed(subject, "no usable clientSecretExpiresAt in the answer"))?;
        tracing::info!(expires_at = %expires_at, "registered with the sign-in service");
        Ok(ClientRegistration {
            client_id,
            client_secret: SecretString::from(secret.to_owned()),
            expires_at,
            redirect_uri: redirect_uri.map(str::to_owned),
        })
    }

    async fn start_device_authorization(
        &self,
        region: &Region,
        client: &ClientRegistration,
        start_url: &StartUrl,
        now: DateTime<Utc>,
    ) -> Result<DeviceAuthorization, SsoError> {
        let subject = "start a device sign-in";
        tracing::debug!(region = %region, start_url = %start_url, "StartDeviceAuthorization");
        let out = self
            .oidc(region)
            .start_device_authorization()
            .client_id(&client.client_id)
            .client_secret(client.client_secret.expose_secret())
            .start_url(start_url.as_str())
            .send()
            .await
            .map_err(|e| sdk_error(e, subject))?;
        let device_code = required(out.device_code(), subject, "deviceCode")?;
        let interval = if out.interval() > 0 { i64::from(out.interval()) } else { DEFAULT_INTERVAL_SECS };
        Ok(DeviceAuthorization {
            device_code: SecretString::from(device_code.to_owned()),
            user_code: required(out.user_code(), subject, "userCode")?.to_owned(),
            verification_uri: required(out.verification_uri(), subject, "verificationUri")?.to_owned(),
            verification_uri_complete: out.verification_uri_complete().filter(|u| !u.is_empty()).map(str::to_owned),
            expires_at: after(now, i64::from(out.expires_in()), subject, "expiresIn")?,
            interval: chrono::Duration::seconds(interval),
        })
    }

    async fn create_token(
        &self,
        region: &Region,
        client: &ClientRegistration,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> Result<Token, SsoError> {
        let subject = match grant {
            Grant::RefreshToken(_) => "refresh the access token",
            _ => "get an access token",
        };
        let request = self
            .oidc(region)
            .create_token()
            .client_id(&client.client_id)
            .client_secret(client.client_secret.expose_secret())
            .grant_type(grant.grant_type());
        let request = match grant {
            Grant::AuthorizationCode { code, redirect_uri, code_verifier } => request
                .code(code.expose_secret())
                .redirect_uri(redirect_uri)
                .code_verifier(code_verifier.expose_secret()),
            Grant::DeviceCode(device_code) => request.device_code(device_code.expose_secret()),
            Grant::RefreshToken(refresh) => request.refresh_token(refresh.expose_secret()),
        };
        tracing::debug!(region = %region, grant = grant.grant_type(), "CreateToken");
        let out = request.send().await.map_err(|e| sdk_error(e, subject))?;
        let access_token = required(out.access_token(), subject, "accessToken")?;
        let expires_at = after(now, i64::from(out.expires_in()), subject, "expiresIn")?;
        tracing::info!(expires_at = %expires_at, refreshable = out.refresh_token().is_some(), "got an access token");
        Ok(Token {
            access_token: SecretString::from(access_token.to_owned()),
            expires_at,
            refresh_token: out.refresh_token().filter(|t| !t.is_empty()).map(|t| SecretString::from(t.to_owned())),
        })
    }
}

impl SsoPortal for SdkSso {
    async fn list_accounts(
        &self,
        region: &Region,
        token: &Token,
        next: Option<&str>,
    ) -> Result<Page<PortalAccount>, SsoError> {
        let subject = "list the portal's accounts";
        tracing::debug!(region = %region, "ListAccounts");
        let out = self
            .listing_portal(region)
            .list_accounts()
            .access_token(token.access_token.expose_secret())
            .max_results(PAGE_SIZE)
            .set_next_token(next.map(str::to_owned))
            .send()
            .await
            .map_err(|e| sdk_error(e, subject))?;
        let items = out
            .account_list()
            .iter()
            .map(|a| {
                Ok(PortalAccount {
                    id: required(a.account_id(), subject, "accountId")?.to_owned(),
                    name: a.account_name().unwrap_or_default().to_owned(),
                    email: a.email_address().filter(|e| !e.is_empty()).map(str::to_owned),
                })
            })
            .collect::<Result<Vec<_>, SsoError>>()?;
        Ok(Page { items, next: out.next_token().filter(|t| !t.is_empty()).map(str::to_owned) })
    }

    async fn list_account_roles(
        &self,
        region: &Region,
        token: &Token,
        account_id: &str,
        next: Option<&str>,
    ) -> Result<Page<String>, SsoError> {
        let subject = format!("list the roles of account {account_id}");
        tracing::debug!(region = %region, account = account_id, "ListAccountRoles");
        let out = self
            .listing_portal(region)
            .list_account_roles()
            .access_token(token.access_token.expose_secret())
            .account_id(account_id)
            .max_results(PAGE_SIZE)
            .set_next_token(next.map(str::to_owned))
            .send()
            .await
            .map_err(|e| sdk_error(e, &subject))?;
        let items = out
            .role_list()
            .iter()
            .map(|r| required(r.role_name(), &subject, "roleName").map(str::to_owned))
            .collect::<Result<Vec<_>, SsoError>>()?;
        Ok(Page { items, next: out.next_token().filter(|t| !t.is_empty()).map(str::to_owned) })
    }

    async fn role_credentials(
        &self,
        region: &Region,
        token: &Token,
        account_id: &str,
        role_name: &str,
    ) -> Result<SessionCredentials, SsoError> {
        let subject = format!("get credentials for {role_name} in {account_id}");
        tracing::debug!(region = %region, account = account_id, role = role_name, "GetRoleCredentials");
        let out = self
            .portal(region)
            .get_role_credentials()
            .access_token(token.access_token.expose_secret())
            .account_id(account_id)
            .role_name(role_name)
            .send()
            .await
            .map_err(|e| sdk_error(e, &subject))?;
        let c = out.role_credentials().ok_or_else(|| malformed(&subject, "no roleCredentials in the answer"))?;
        let access_key_id = AccessKeyId::parse(required(c.access_key_id(), &subject, "accessKeyId")?)
            .map_err(|_| malformed(&subject, "an unreadable accessKeyId"))?;
        // The portal's expiration is in epoch milliseconds.
        let expiration = DateTime::from_timestamp_millis(c.expiration())
            .filter(|_| c.expiration() > 0)
            .ok_or_else(|| malformed(&subject, "no usable expiration in the answer"))?;
        let credentials = SessionCredentials {
            access_key_id,
            secret_access_key: SecretString::from(
                required(c.secret_access_key(), &subject, "secretAccessKey")?.to_owned(),
            ),
            session_token: SecretString::from(required(c.session_token(), &subject, "sessionToken")?.to_owned()),
            expiration,
        };
        tracing::info!(key = %credentials.access_key_id.masked(), expiration = %credentials.expiration, "got role credentials");
        Ok(credentials)
    }
}

#[cfg(test)]
mod tests;
