//! rolecall's STS adapter: [`rolecall_core::sts::Sts`] over the AWS SDK (AssumeRole,
//! GetSessionToken, GetFederationToken, GetCallerIdentity), and the server's clock as seen in
//! each response's `Date` header ([`SdkSts::last_clock_reading`]).
//!
//! The SDK resolves the endpoint (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS`), retries throttling and
//! transient errors with backoff (standard mode, 3 attempts), and signs with exactly the caller's
//! credentials: keychain keys, a previous session, or (for `aws_profile` sources) the SDK's own
//! resolution of that profile. Errors are classified by the core, from the raw response when the
//! SDK finds no error code in it.
#![deny(missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::sts::{
    AssumeRoleRequest, AssumedRole, Caller, FederatedUser, FederationTokenRequest, SessionTokenRequest, Sts, StsError,
    StsErrorKind, classify,
};
use rolecall_core::validate::Region;
use secrecy::{ExposeSecret, SecretString};

/// How long one attempt may take to connect, and a whole call (all retries) to finish.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The variable that overrides [`OPERATION_TIMEOUT`], in seconds (slow links, tests).
pub const TIMEOUT_VAR: &str = "ROLECALL_STS_TIMEOUT";

/// The time a whole call may take (`ROLECALL_STS_TIMEOUT` seconds, else 30 s), and one attempt:
/// a third of it, so an endpoint that accepts and never answers is retried, not waited for.
fn timeouts() -> (Duration, Duration) {
    let operation = std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map_or(OPERATION_TIMEOUT, Duration::from_secs_f64);
    (operation, operation / 3)
}

/// STS through the AWS SDK.
#[derive(Debug, Clone, Default)]
pub struct SdkSts {
    clock: Arc<Mutex<Option<ClockReading>>>,
}

/// The server's `Date` against this computer's clock, from the last STS response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The response's `Date` header.
    pub server: DateTime<Utc>,
    /// This computer's clock when the response arrived.
    pub local: DateTime<Utc>,
}

impl ClockReading {
    /// How far this computer's clock is ahead of STS's (negative: behind), to the nearest second
    /// (the `Date` header has whole seconds).
    pub fn offset(&self) -> chrono::Duration {
        let ms = (self.local - self.server).num_milliseconds();
        chrono::Duration::seconds((ms as f64 / 1000.0).round() as i64)
    }
}

/// Reads the `Date` header of every STS response (also of errors: a skewed clock is most useful
/// to know about when STS refuses the signature).
#[derive(Debug)]
struct ClockWatch(Arc<Mutex<Option<ClockReading>>>);

impl Intercept for ClockWatch {
    fn name(&self) -> &'static str {
        "rolecall-clock-watch"
    }
    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let local = Utc::now();
        if let Some(server) = context
            .response()
            .headers()
            .get("date")
            .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.with_timezone(&Utc))
        {
            *self.0.lock().expect("clock lock") = Some(ClockReading { server, local });
        }
        Ok(())
    }
}

impl SdkSts {
    /// A client; each call builds its SDK config from the caller and region it is given.
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock reading of the last STS response that had a `Date` header.
    pub fn last_clock_reading(&self) -> Option<ClockReading> {
        *self.clock.lock().expect("clock lock")
    }

    async fn client(&self, caller: &Caller, region: &Region) -> aws_sdk_sts::Client {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config({
                let (operation, attempt) = timeouts();
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT.min(attempt))
                    .operation_attempt_timeout(attempt)
                    .operation_timeout(operation)
                    .build()
            });
        loader = match caller {
            Caller::Keys(k) => loader.credentials_provider(Credentials::new(
                k.access_key_id.as_str(),
                k.secret_access_key.expose_secret(),
                None,
                None,
                "rolecall-keychain",
            )),
            Caller::Session(s) => loader.credentials_provider(Credentials::new(
                s.access_key_id.as_str(),
                s.secret(),
                Some(s.token().to_owned()),
                Some(s.expiration.into()),
                "rolecall-session",
            )),
            Caller::AwsProfile(p) => loader.profile_name(p.as_str()),
        };
        let config: SdkConfig = loader.load().await;
        let config = aws_sdk_sts::config::Builder::from(&config).interceptor(ClockWatch(self.clock.clone())).build();
        aws_sdk_sts::Client::from_conf(config)
    }
}

fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: SdkError<E, HttpResponse>,
    subject: String,
) -> StsError {
    let body_text = |raw: &HttpResponse| raw.body().bytes().map(|b| String::from_utf8_lossy(b).into_owned());
    // A 5xx whose body says nothing rolecall knows is the service's (or a proxy's) failure.
    let server_side = |raw: &HttpResponse, kind: (StsErrorKind, Option<String>)| match kind {
        (StsErrorKind::Malformed | StsErrorKind::Other, _) if raw.status().is_server_error() => {
            (StsErrorKind::ServerError, Some(format!("HTTP {}", raw.status().as_u16())))
        }
        other => other,
    };
    let (kind, aws_message) = match &err {
        SdkError::ServiceError(se) => {
            let body = body_text(se.raw());
            server_side(se.raw(), classify(se.err().code(), se.err().message(), body.as_deref()))
        }
        SdkError::ResponseError(re) => {
            let body = body_text(re.raw());
            match server_side(re.raw(), classify(None, None, body.as_deref())) {
                (StsErrorKind::Malformed, _) => (StsErrorKind::Malformed, None),
                other => other,
            }
        }
        SdkError::TimeoutError(_) => (StsErrorKind::Timeout, None),
        SdkError::DispatchFailure(d) if d.is_timeout() => (StsErrorKind::Timeout, None),
        SdkError::DispatchFailure(_) => (StsErrorKind::Unreachable, None),
        _ => (StsErrorKind::Other, Some(error_chain(&err))),
    };
    tracing::debug!(code = ?kind, "sts call failed");
    StsError { kind, subject, aws_message }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut src = err.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

fn malformed(subject: String, what: &str) -> StsError {
    StsError { kind: StsErrorKind::Malformed, subject, aws_message: Some(what.to_owned()) }
}

/// The SDK's temporary credentials as rolecall's, with the expiry STS returned.
fn session_credentials(c: &aws_sdk_sts::types::Credentials, subject: &str) -> Result<SessionCredentials, StsError> {
    let expiration = DateTime::from_timestamp(c.expiration().secs(), c.expiration().subsec_nanos())
        .ok_or_else(|| malformed(subject.to_owned(), "an unreadable expiration"))?;
    let access_key_id = AccessKeyId::parse(c.access_key_id())
        .map_err(|_| malformed(subject.to_owned(), "an unreadable access key id"))?;
    Ok(SessionCredentials {
        access_key_id,
        secret_access_key: SecretString::from(c.secret_access_key().to_owned()),
        session_token: SecretString::from(c.session_token().to_owned()),
        expiration,
    })
}

impl Sts for SdkSts {
    async fn assume_role(&self, caller: &Caller, req: &AssumeRoleRequest) -> Result<AssumedRole, StsError> {
        let subject = format!("assume {}", req.role_arn);
        let client = self.client(caller, &req.region).await;
        let tags = req
            .tags
            .iter()
            .map(|t| Tag::builder().key(&t.key).value(&t.value).build().expect("key and value are set"))
            .collect::<Vec<_>>();
        let policies =
            req.policy_arns.iter().map(|p| PolicyDescriptorType::builder().arn(p.as_str()).build()).collect::<Vec<_>>();
        let (serial, code) = match &req.mfa {
            Some((s, c)) => (Some(s.to_string()), Some(c.as_str().to_owned())),
            None => (None, None),
        };
        tracing::debug!(role = %req.role_arn, session = %req.session_name, duration = req.duration.as_secs(), region = %req.region, "AssumeRole");
        let out = client
            .assume_role()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .duration_seconds(i32::try_from(req.duration.as_secs()).expect("at most 43200"))
            .set_external_id(req.external_id.as_ref().map(|e| e.to_string()))
            .set_serial_number(serial)
            .set_token_code(code)
            .set_tags((!tags.is_empty()).then_some(tags))
            .set_transitive_tag_keys((!req.transitive_tag_keys.is_empty()).then(|| req.transitive_tag_keys.clone()))
            .set_source_identity(req.source_identity.as_ref().map(|s| s.to_string()))
            .set_policy_arns((!policies.is_empty()).then_some(policies))
            .send()
            .await
            .map_err(|e| sdk_error(e, subject.clone()))?;
        let c = out.credentials().ok_or_else(|| malformed(subject.clone(), "no credentials in the response"))?;
        let credentials = session_credentials(c, &subject)?;
        let assumed_role_arn = out.assumed_role_user().map(|u| u.arn().to_owned()).unwrap_or_default();
        tracing::info!(role = %req.role_arn, key = %credentials.access_key_id.masked(), expiration = %credentials.expiration, "assumed role");
        Ok(AssumedRole { credentials, assumed_role_arn })
    }

    async fn federation_token(&self, caller: &Caller, req: &FederationTokenRequest) -> Result<FederatedUser, StsError> {
        let subject = "get a federation token".to_owned();
        let client = self.client(caller, &req.region).await;
        tracing::debug!(name = %req.name, duration = req.duration.as_secs(), region = %req.region, "GetFederationToken");
        let out = client
            .get_federation_token()
            .name(&req.name)
            .duration_seconds(i32::try_from(req.duration.as_secs()).expect("at most 43200"))
            .policy(&req.policy)
            .send()
            .await
            .map_err(|e| sdk_error(e, subject.clone()))?;
        let c = out.credentials().ok_or_else(|| malformed(subject.clone(), "no credentials in the response"))?;
        let credentials = session_credentials(c, &subject)?;
        let federated_user_arn = out.federated_user().map(|u| u.arn().to_owned()).unwrap_or_default();
        tracing::info!(user = %federated_user_arn, key = %credentials.access_key_id.masked(), expiration = %credentials.expiration, "got a federation token");
        Ok(FederatedUser { credentials, federated_user_arn })
    }

    async fn session_token(&self, caller: &Caller, req: &SessionTokenRequest) -> Result<SessionCredentials, StsError> {
        let subject = "get an MFA session".to_owned();
        let client = self.client(caller, &req.region).await;
        tracing::debug!(device = %req.mfa.0, duration = req.duration_secs, region = %req.region, "GetSessionToken");
        let out = client
            .get_session_token()
            .duration_seconds(i32::try_from(req.duration_secs).unwrap_or(i32::MAX))
            .serial_number(req.mfa.0.to_string())
            .token_code(req.mfa.1.as_str())
            .send()
            .await
            .map_err(|e| sdk_error(e, subject.clone()))?;
        let c = out.credentials().ok_or_else(|| malformed(subject.clone(), "no credentials in the response"))?;
        let credentials = session_credentials(c, &subject)?;
        tracing::info!(key = %credentials.access_key_id.masked(), expiration = %credentials.expiration, "got an MFA session");
        Ok(credentials)
    }

    async fn caller_identity(&self, caller: &Caller, region: &Region) -> Result<String, StsError> {
        let subject = "verify credentials".to_owned();
        let client = self.client(caller, region).await;
        let out = client.get_caller_identity().send().await.map_err(|e| sdk_error(e, subject.clone()))?;
        out.arn().map(str::to_owned).ok_or_else(|| malformed(subject, "no ARN in the response"))
    }
}
