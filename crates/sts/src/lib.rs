//! rolecall's STS adapter: [`rolecall_core::sts::Sts`] over the AWS SDK (AssumeRole,
//! GetSessionToken, GetFederationToken, GetCallerIdentity), and the server's clock as seen in
//! each response's `Date` header ([`SdkSts::last_clock_reading`]).
//!
//! A call signed with keychain keys or a session gets a client built from rolecall's own settings
//! alone: no shared config or credentials file is read, so an ambient `AWS_PROFILE` (or
//! `[default]`) cannot move it with `endpoint_url`, a `services` section,
//! `ignore_configured_endpoint_urls`, `use_fips_endpoint` or retry settings. Its endpoint is
//! `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else AWS's own for the region
//! ([`endpoint_override`]). An `aws_profile` source's calls are the SDK's resolution of that named
//! profile (never the ambient one), signed with that profile's credentials only. Every client
//! retries throttling and transient errors with backoff (standard mode, 3 attempts). Errors are
//! classified by the core, from the raw response when the SDK finds no error code in it.
#![deny(missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::{CredentialsError, TokenError};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use chrono::{DateTime, Utc};
use rolecall_core::Code;
use rolecall_core::secret::{AccessKeyId, SessionCredentials, SourceKeys};
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

/// The variables that point rolecall's STS calls at another endpoint, the first one set winning:
/// the SDK's own names, the only settings that move a call signed with keychain keys or a session.
pub const ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"];
/// Set to `true`, the [`ENDPOINT_VARS`] are ignored: AWS's own endpoint for the region.
pub const IGNORE_ENDPOINTS_VAR: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";

/// The endpoint for calls signed with keychain keys or a session, from the environment as `var`
/// reads it: the first of [`ENDPOINT_VARS`] that is set and not blank, none when
/// [`IGNORE_ENDPOINTS_VAR`] is `true` (then the SDK uses AWS's endpoint for the region).
pub fn endpoint_override(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    if var(IGNORE_ENDPOINTS_VAR).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return None;
    }
    ENDPOINT_VARS.iter().find_map(|name| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
}

fn retry_config() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3)
}

fn timeout_config() -> TimeoutConfig {
    let (operation, attempt) = timeouts();
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(attempt))
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// Keychain keys as the SDK's credentials.
fn sdk_keys(k: &SourceKeys) -> Credentials {
    Credentials::new(k.access_key_id.as_str(), k.secret_access_key.expose_secret(), None, None, "rolecall-keychain")
}

/// A session (an MFA session, or the previous link's) as the SDK's credentials.
fn sdk_session(s: &SessionCredentials) -> Credentials {
    Credentials::new(
        s.access_key_id.as_str(),
        s.secret(),
        Some(s.token().to_owned()),
        Some(s.expiration.into()),
        "rolecall-session",
    )
}

/// The client config for a call signed with `credentials`, from these settings alone: no shared
/// config or credentials file and no other variable is read, so no profile changes its endpoint,
/// region, FIPS or dual-stack use, retries or credentials. `endpoint` is
/// [`endpoint_override`]'s; without one the SDK uses AWS's endpoint for `region`.
fn explicit_config(
    credentials: Credentials,
    region: &Region,
    endpoint: Option<String>,
) -> aws_sdk_sts::config::Builder {
    let mut builder = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(region.to_string()))
        .credentials_provider(credentials)
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    builder.set_endpoint_url(endpoint);
    builder
}

/// The client config for an `aws_profile` source: the SDK's resolution of `profile` (the source's,
/// whatever `AWS_PROFILE` says), signed with that profile's credentials only (never keys from the
/// environment), with rolecall's region, retries and timeouts.
///
/// The profile's credentials are resolved first, within the operation timeout (static keys, a
/// `source_profile` chain, IAM Identity Center through its token cache, `credential_process`):
/// when they cannot be, the error is [`StsErrorKind::ProfileUnusable`] naming the profile and why,
/// not an STS failure, and no STS call is made.
async fn profile_config(profile: &str, region: &Region) -> Result<aws_sdk_sts::config::Builder, StsError> {
    let region = aws_config::Region::new(region.to_string());
    let provider_config = ProviderConfig::without_region()
        .with_region(Some(region.clone()))
        .with_behavior_version(Some(BehaviorVersion::latest()))
        .with_retry_config(retry_config())
        .with_timeout_config(timeout_config());
    let provider = ProfileFileCredentialsProvider::builder().configure(&provider_config).profile_name(profile).build();
    let (operation, _) = timeouts();
    let credentials = match tokio::time::timeout(operation, provider.provide_credentials()).await {
        Ok(Ok(credentials)) => credentials,
        Ok(Err(e)) => return Err(profile_unusable(profile, &credentials_reason(&e))),
        Err(_) => return Err(profile_unusable(profile, &format!("none within {} s", operation.as_secs()))),
    };
    let config: SdkConfig = aws_config::defaults(BehaviorVersion::latest())
        .profile_name(profile)
        .region(region)
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .load()
        .await;
    Ok(aws_sdk_sts::config::Builder::from(&config))
}

/// The longest reason kept from the SDK's words about an unusable profile.
const REASON_MAX_CHARS: usize = 300;

/// An `aws_profile` source's profile that gives no credentials, and why (named in the message,
/// which outlives the subject callers replace).
fn profile_unusable(profile: &str, why: &str) -> StsError {
    tracing::debug!(code = %Code::AwsProfileUnusable, "the profile gave no credentials");
    StsError {
        kind: StsErrorKind::ProfileUnusable,
        subject: format!("AWS profile {profile}"),
        aws_message: Some(format!("the AWS profile {profile} gives no credentials: {why}")),
    }
}

/// Why the SDK could not resolve a profile's credentials: its error's causes (the generic "an
/// error occurred while loading credentials" or "… an access token" of a wrapper left out when
/// it has a cause), cut at the first line break and at [`REASON_MAX_CHARS`]. A failing
/// `credential_process`'s stderr comes last in the SDK's message and could hold anything, so at
/// most its first line is kept.
fn credentials_reason(e: &CredentialsError) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let wrapper = (s.is::<CredentialsError>() || s.is::<TokenError>()) && s.source().is_some();
        let text = s.to_string();
        // Some errors repeat their cause in their own text: keep each once.
        if !wrapper && !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    let joined = if parts.is_empty() { e.to_string() } else { parts.join(": ") };
    let line = joined.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").trim_end_matches('.');
    match line.char_indices().nth(REASON_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
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

    async fn client(&self, caller: &Caller, region: &Region) -> Result<aws_sdk_sts::Client, StsError> {
        let endpoint = || endpoint_override(|name| std::env::var(name).ok());
        let builder = match caller {
            Caller::Keys(k) => explicit_config(sdk_keys(k), region, endpoint()),
            Caller::Session(s) => explicit_config(sdk_session(s), region, endpoint()),
            Caller::AwsProfile(p) => profile_config(p.as_str(), region).await?,
        };
        Ok(aws_sdk_sts::Client::from_conf(builder.interceptor(ClockWatch(self.clock.clone())).build()))
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
        let client = self.client(caller, &req.region).await?;
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
        let client = self.client(caller, &req.region).await?;
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
        let client = self.client(caller, &req.region).await?;
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
        let client = self.client(caller, region).await?;
        let out = client.get_caller_identity().send().await.map_err(|e| sdk_error(e, subject.clone()))?;
        out.arn().map(str::to_owned).ok_or_else(|| malformed(subject, "no ARN in the response"))
    }

    fn clock_offset(&self) -> Option<chrono::Duration> {
        self.last_clock_reading().map(|r| r.offset())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use chrono::{TimeZone, Utc};
    use rolecall_core::secret::{AccessKeyId, SessionCredentials, SourceKeys};
    use rolecall_core::validate::Region;
    use secrecy::SecretString;

    use super::{REASON_MAX_CHARS, credentials_reason, endpoint_override, explicit_config, sdk_keys, sdk_session};

    /// What a request carried: its URL, `Authorization` and `X-Amz-Security-Token`.
    type Seen = (String, Option<String>, Option<String>);

    /// An HTTP client that records each request and answers none (the call fails at once).
    #[derive(Debug, Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Seen>>>);

    impl HttpConnector for Recorder {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let header = |name| request.headers().get(name).map(str::to_owned);
            let seen = (request.uri().to_owned(), header("authorization"), header("x-amz-security-token"));
            self.0.lock().unwrap().push(seen);
            HttpConnectorFuture::ready(Err(ConnectorError::other("recorded, not sent".into(), None)))
        }
    }

    impl HttpClient for Recorder {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    /// The request a GetCallerIdentity with `credentials` sends in eu-west-1, with `vars` as the
    /// environment.
    async fn sent(credentials: aws_credential_types::Credentials, vars: &[(&str, &str)]) -> Seen {
        let recorder = Recorder::default();
        let region = Region::parse("eu-west-1").unwrap();
        let config =
            explicit_config(credentials, &region, endpoint_override(env(vars))).http_client(recorder.clone()).build();
        let result = aws_sdk_sts::Client::from_conf(config).get_caller_identity().send().await;
        assert!(result.is_err(), "the recorder answers nothing");
        recorder.0.lock().unwrap().first().cloned().expect("a request was sent")
    }

    fn keys() -> aws_credential_types::Credentials {
        sdk_keys(&SourceKeys::parse("AKIAKEYCHAINKEY00001", "keychainSecretKey0000000000").unwrap())
    }

    #[test]
    fn only_the_endpoint_variables_set_an_endpoint() {
        assert_eq!(endpoint_override(env(&[])), None);
        // The names a profile or the SDK's other settings use change nothing.
        let unrelated = [
            ("AWS_PROFILE", "localstack"),
            ("AWS_DEFAULT_PROFILE", "localstack"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ];
        assert_eq!(endpoint_override(env(&unrelated)), None);
        let both = [("AWS_ENDPOINT_URL", "http://127.0.0.1:2"), ("AWS_ENDPOINT_URL_STS", " http://127.0.0.1:3 ")];
        assert_eq!(endpoint_override(env(&both)).as_deref(), Some("http://127.0.0.1:3"));
        assert_eq!(endpoint_override(env(&both[..1])).as_deref(), Some("http://127.0.0.1:2"));
        let blank_sts = [("AWS_ENDPOINT_URL_STS", "  "), ("AWS_ENDPOINT_URL", "http://127.0.0.1:2")];
        assert_eq!(endpoint_override(env(&blank_sts)).as_deref(), Some("http://127.0.0.1:2"));
        for ignore in ["true", "TRUE", " true"] {
            let ignored = [both[0], both[1], ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", ignore)];
            assert_eq!(endpoint_override(env(&ignored)), None, "{ignore:?}");
        }
        let not_ignored = [both[0], ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")];
        assert_eq!(endpoint_override(env(&not_ignored)).as_deref(), Some("http://127.0.0.1:2"));
    }

    #[tokio::test]
    async fn keys_go_to_aws_for_the_region_unless_a_variable_says_otherwise() {
        let (url, authorization, token) = sent(keys(), &[("AWS_PROFILE", "localstack")]).await;
        assert_eq!(url, "https://sts.eu-west-1.amazonaws.com/");
        let authorization = authorization.expect("signed");
        assert!(
            authorization.contains("Credential=AKIAKEYCHAINKEY00001/") && authorization.contains("/eu-west-1/sts/"),
            "{authorization}"
        );
        assert_eq!(token, None);

        let (url, _, _) = sent(keys(), &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]).await;
        assert_eq!(url, "http://127.0.0.1:9/");
        let vars = [("AWS_ENDPOINT_URL", "http://127.0.0.1:9"), ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:8")];
        assert_eq!(sent(keys(), &vars).await.0, "http://127.0.0.1:8/");
    }

    #[tokio::test]
    async fn a_session_signs_with_its_token() {
        let session = SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIASESSIONKEY000001").unwrap(),
            secret_access_key: SecretString::from("sessionSecretKey000000000000".to_owned()),
            session_token: SecretString::from("theSessionToken".to_owned()),
            expiration: Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap(),
        };
        let (url, authorization, token) = sent(sdk_session(&session), &[]).await;
        assert_eq!(url, "https://sts.eu-west-1.amazonaws.com/");
        assert!(authorization.expect("signed").contains("Credential=ASIASESSIONKEY000001/"));
        assert_eq!(token.as_deref(), Some("theSessionToken"));
    }

    #[test]
    fn a_profiles_reason_keeps_the_cause_and_only_the_first_line_of_it() {
        use aws_credential_types::provider::error::{CredentialsError, TokenError};
        // What the SDK says when a credential_process exits 1: its stderr follows, and only its
        // first line may be shown.
        let failed = CredentialsError::provider_error(
            "Error retrieving credentials: external process exited with code exit status: 1. Stderr: vault is sealed\nhunter2-second-line",
        );
        let why = credentials_reason(&failed);
        assert_eq!(
            why,
            "Error retrieving credentials: external process exited with code exit status: 1. Stderr: vault is sealed"
        );
        assert!(!why.contains("hunter2"), "{why}");
        // The SDK's wrappers (an SSO provider's token error inside a credentials error) add nothing.
        let nested = CredentialsError::provider_error(TokenError::provider_error(
            "the SSO token has expired and cannot be refreshed",
        ));
        assert_eq!(credentials_reason(&nested), "the SSO token has expired and cannot be refreshed");
        // Without a cause, the SDK's own words; a long cause is cut.
        assert_eq!(
            credentials_reason(&CredentialsError::not_loaded_no_source()),
            "the credential provider was not enabled"
        );
        let long = credentials_reason(&CredentialsError::provider_error("x".repeat(1000)));
        assert_eq!(long.chars().count(), REASON_MAX_CHARS + 1, "{long}");
        assert!(long.ends_with('…'));
    }
}
