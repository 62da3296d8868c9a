//! The sign-in flow: how the session was obtained (it decides whether `SessionDuration` may be
//! sent), the getSigninToken request, the sign-in token and the login URL in redacting types, the
//! sign-out that may come first, the [`SigninClient`] port to the federation endpoint, and
//! [`ConsoleError`].
//!
//! `SessionDuration` (900–43200 s, the console session's length) may be sent only for sessions
//! from AssumeRole called with an IAM user's long-term keys; AWS's federation endpoint fails for
//! chained sessions and for GetFederationToken sessions (whose console session lasts as long as
//! the federation token). A source given as an AWS profile may resolve to anything (SSO, a
//! session), so it is treated as not long-term.

use std::fmt;
use std::future::Future;

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};

use super::hosts::{FederationEndpoint, domain, signin_host};
use super::target::ConsoleTarget;
use crate::code::Code;
use crate::config::{Config, ConfigError, SourceKind};
use crate::secret::SessionCredentials;
use crate::validate::{Name, Partition, SessionDuration, SessionName};

/// The `Issuer` of rolecall's login URLs (where AWS sends the user when the console session ends).
pub const ISSUER: &str = "rolecall";

/// The session policy of a console session for an IAM user's own keys (GetFederationToken): allow
/// everything, so the session may do what the user's own policies allow and no more (AWS grants
/// the intersection of the user's policies and the session policy).
pub const ALLOW_ALL_SESSION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// How the credentials of a console session were obtained: it decides whether `SessionDuration`
/// may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOrigin {
    /// AssumeRole signed with an IAM user's long-term keys (a keychain source).
    RoleFromKeys,
    /// AssumeRole signed with a previous role session (role chaining).
    ChainedRole,
    /// AssumeRole signed with the source's MFA session (GetSessionToken).
    RoleFromMfaSession,
    /// AssumeRole signed with whatever an AWS profile resolves to (keys, SSO, a session…).
    RoleFromAwsProfile,
    /// GetFederationToken with an IAM user's long-term keys.
    FederatedUser,
    /// A role's session handed out by the IAM Identity Center access portal (GetRoleCredentials).
    PortalRole,
}

impl SessionOrigin {
    /// Whether AWS accepts `SessionDuration` for such a session.
    pub fn allows_session_duration(self) -> bool {
        matches!(self, SessionOrigin::RoleFromKeys)
    }
}

/// How favourite `name`'s session is obtained, from the config: chained when it is assumed from
/// another favourite's session, else after its source's kind.
pub fn session_origin(config: &Config, name: &Name) -> Result<SessionOrigin, ConfigError> {
    let (root, chain) = config.chain(name)?;
    Ok(match (&root.source.kind, chain.len()) {
        (_, n) if n > 1 => SessionOrigin::ChainedRole,
        _ if config.uses_mfa_session(name).unwrap_or(false) => SessionOrigin::RoleFromMfaSession,
        (SourceKind::Keychain { .. }, _) => SessionOrigin::RoleFromKeys,
        (SourceKind::AwsProfile { .. }, _) => SessionOrigin::RoleFromAwsProfile,
        (SourceKind::Sso { .. }, _) => SessionOrigin::PortalRole,
    })
}

/// The `SessionDuration` to send: the favourite's duration where AWS allows one, else none.
pub fn session_duration(origin: SessionOrigin, duration: SessionDuration) -> Option<SessionDuration> {
    origin.allows_session_duration().then_some(duration)
}

/// How the getSigninToken request travels: a form POST keeps the long session token out of URLs
/// (and proxy logs); AWS's own tools use GET in aws-us-gov, where POST was not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMethod {
    /// Parameters in the query string.
    Get,
    /// Parameters in an `application/x-www-form-urlencoded` body.
    Post,
}

/// The method for a partition.
pub fn token_method(partition: Partition) -> TokenMethod {
    match partition {
        Partition::AwsUsGov => TokenMethod::Get,
        Partition::Aws | Partition::AwsCn => TokenMethod::Post,
    }
}

/// A getSigninToken request: the Session JSON and, where allowed, `SessionDuration`.
pub struct SigninTokenRequest {
    session: SecretString,
    /// `SessionDuration`, when sent.
    pub session_duration: Option<SessionDuration>,
    /// GET or POST.
    pub method: TokenMethod,
}

impl SigninTokenRequest {
    /// The request for a session; `SessionDuration` only if `origin` allows one.
    pub fn new(
        credentials: &SessionCredentials,
        origin: SessionOrigin,
        duration: SessionDuration,
        method: TokenMethod,
    ) -> SigninTokenRequest {
        let mut json = Zeroizing::new(String::with_capacity(64 + credentials.token().len()));
        json.push_str("{\"sessionId\":");
        push_json_string(&mut json, credentials.access_key_id.as_str());
        json.push_str(",\"sessionKey\":");
        push_json_string(&mut json, credentials.secret());
        json.push_str(",\"sessionToken\":");
        push_json_string(&mut json, credentials.token());
        json.push('}');
        SigninTokenRequest {
            session: SecretString::from(json.as_str().to_owned()),
            session_duration: session_duration(origin, duration),
            method,
        }
    }

    /// The Session JSON: `{"sessionId":…,"sessionKey":…,"sessionToken":…}`.
    pub fn session_json(&self) -> &SecretString {
        &self.session
    }

    /// The parameters, form-encoded (`Action=getSigninToken[&SessionDuration=N]&Session=…`): the
    /// query of a GET or the body of a POST.
    pub fn encoded(&self) -> SecretString {
        let mut out = String::from("Action=getSigninToken");
        if let Some(d) = self.session_duration {
            out.push_str(&format!("&SessionDuration={}", d.as_secs()));
        }
        out.push_str("&Session=");
        push_encoded(&mut out, self.session.expose_secret());
        SecretString::from(out)
    }
}

impl fmt::Debug for SigninTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SigninTokenRequest({:?}, session duration {:?}, session: [redacted])",
            self.method,
            self.session_duration.map(SessionDuration::as_secs)
        )
    }
}

/// A sign-in token from the federation endpoint: a bearer secret for 15 minutes.
#[derive(Clone)]
pub struct SigninToken(SecretString);

impl SigninToken {
    /// Wraps the token the endpoint returned.
    pub fn new(token: String) -> SigninToken {
        SigninToken(SecretString::from(token))
    }
    /// The token, for the login URL.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SigninToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigninToken([redacted])")
    }
}

/// The login URL: whoever holds it is signed in, so it is a secret too.
#[derive(Clone)]
pub struct LoginUrl(SecretString);

impl LoginUrl {
    /// The URL, for the browser or `--print`.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for LoginUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginUrl([redacted])")
    }
}

/// `ENDPOINT?Action=login&Issuer=rolecall&Destination=…&SigninToken=…`.
pub fn login_url(endpoint: &FederationEndpoint, token: &SigninToken, destination: &str) -> LoginUrl {
    let mut url = format!("{}?Action=login&Issuer=", endpoint.as_str());
    push_encoded(&mut url, ISSUER);
    url.push_str("&Destination=");
    push_encoded(&mut url, destination);
    url.push_str("&SigninToken=");
    push_encoded(&mut url, token.expose());
    LoginUrl(SecretString::from(url))
}

/// The GetFederationToken `Name` for a source: its user name (from the verified identity ARN),
/// at most 32 characters of `[\w+=,.@-]`, else `rolecall`.
pub fn federated_user_name(identity_arn: Option<&str>) -> String {
    let name: String = SessionName::traceable_from(identity_arn).as_str().chars().take(32).collect();
    if name.len() >= 2 { name } else { "rolecall".to_owned() }
}

/// The federation endpoint, as rolecall uses it.
pub trait SigninClient: Sync {
    /// getSigninToken: a sign-in token for the request's session. Errors carry `subject`.
    fn signin_token(
        &self,
        endpoint: &FederationEndpoint,
        request: &SigninTokenRequest,
        subject: &str,
    ) -> impl Future<Output = Result<SigninToken, ConsoleError>> + Send;
}

/// Signs a session in: a token from the endpoint, then the login URL to `target`'s destination.
pub async fn sign_in<C: SigninClient>(
    client: &C,
    endpoint: &FederationEndpoint,
    request: &SigninTokenRequest,
    target: &ConsoleTarget,
    subject: &str,
) -> Result<LoginUrl, ConsoleError> {
    let token = client.signin_token(endpoint, request, subject).await?;
    Ok(login_url(endpoint, &token, &target.destination()))
}

/// The federation endpoint to use when the browser should sign out of its current console session
/// first: a sign-in host whose sign-out honours a `redirect_uri`. In the `aws` partition that is
/// the regional host of `us-east-1` (the global host signs out but ignores the redirect); the
/// other partitions have one host each.
pub fn sign_out_endpoint(partition: Partition) -> FederationEndpoint {
    let host = match partition {
        Partition::Aws => format!("us-east-1.signin.{}", domain(partition)),
        Partition::AwsUsGov | Partition::AwsCn => signin_host(partition, None),
    };
    FederationEndpoint::at_host(&host)
}

/// Wraps a login URL (from [`sign_in`] at `endpoint`) so that the browser first signs out of
/// the console session it has, then signs in: `https://HOST/oauth?Action=logout&redirect_uri=LOGIN`
/// on the endpoint's host. AWS does not document this sign-out; it is what its own console's
/// *Sign out* does. Still a bearer secret.
pub fn sign_out_first(login: &LoginUrl, endpoint: &FederationEndpoint) -> LoginUrl {
    let base = endpoint.as_str().rsplit_once('/').map_or(endpoint.as_str(), |(base, _)| base);
    let mut url = format!("{base}/oauth?Action=logout&redirect_uri=");
    push_encoded(&mut url, login.expose());
    LoginUrl(SecretString::from(url))
}

/// What went wrong on the way to the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleErrorKind {
    /// The federation endpoint refused the session (HTTP 4xx).
    Rejected,
    /// The federation endpoint failed (HTTP 5xx or another unexpected status).
    Unavailable,
    /// The endpoint could not be reached, or did not answer in time.
    Unreachable,
    /// The answer held no sign-in token.
    Malformed,
    /// No web browser could be opened.
    NoBrowser,
}

/// A console sign-in failure. It never holds the session, the token or the login URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {}{}", self.explain(), self.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct ConsoleError {
    /// The kind.
    pub kind: ConsoleErrorKind,
    /// What was being done (`favourite prod: console sign-in`).
    pub subject: String,
    /// A safe detail: an HTTP status, a network error's kind.
    pub detail: Option<String>,
}

impl ConsoleError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self.kind {
            ConsoleErrorKind::Rejected => Code::SigninRejected,
            ConsoleErrorKind::Unavailable => Code::SigninUnavailable,
            ConsoleErrorKind::Unreachable => Code::SigninUnreachable,
            ConsoleErrorKind::Malformed => Code::SigninMalformedResponse,
            ConsoleErrorKind::NoBrowser => Code::ConsoleNoBrowser,
        }
    }

    /// What happened and what to do: the problem, then the catalogue's remedy
    /// ([`Code::remedy`]), which names no front end's flags or commands.
    pub fn explain(&self) -> String {
        format!("{}; {}", self.problem(), self.code().remedy())
    }

    /// What happened.
    pub fn problem(&self) -> &'static str {
        match self.kind {
            ConsoleErrorKind::Rejected => {
                "the AWS federation endpoint refused the session; it may have expired or been revoked"
            }
            ConsoleErrorKind::Unavailable => "the AWS federation endpoint failed",
            ConsoleErrorKind::Unreachable => "cannot reach the AWS federation endpoint",
            ConsoleErrorKind::Malformed => "the AWS federation endpoint sent an answer without a sign-in token",
            ConsoleErrorKind::NoBrowser => "cannot open the default web browser",
        }
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `s` percent-encoded for a query or form value (everything but `A-Za-z0-9-._~`).
fn push_encoded(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::config::{Favourite, Source};
    use crate::console::{ConsoleService, sign_out_endpoint};
    use crate::secret::AccessKeyId;
    use crate::validate::{Region, RoleArn};

    fn r(s: &str) -> Region {
        Region::parse(s).unwrap()
    }

    fn svc(s: &str) -> ConsoleService {
        ConsoleService::parse(s).unwrap()
    }

    fn creds(token: &str) -> SessionCredentials {
        SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAIOSFODNN7EXAMPLE").unwrap(),
            secret_access_key: SecretString::from("wJalr/XUtnFEMI+K7MDENG".to_owned()),
            session_token: SecretString::from(token.to_owned()),
            expiration: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn session_duration_only_for_roles_assumed_with_long_term_keys() {
        let d = SessionDuration::parse("2h").unwrap();
        // (origin, SessionDuration sent)
        let table = [
            (SessionOrigin::RoleFromKeys, Some(7200)),
            (SessionOrigin::ChainedRole, None),
            (SessionOrigin::RoleFromMfaSession, None),
            (SessionOrigin::RoleFromAwsProfile, None),
            (SessionOrigin::FederatedUser, None),
        ];
        for (origin, want) in table {
            let req = SigninTokenRequest::new(&creds("tok"), origin, d, TokenMethod::Post);
            assert_eq!(req.session_duration.map(SessionDuration::as_secs), want, "{origin:?}");
            let enc = req.encoded();
            let enc = enc.expose_secret();
            assert_eq!(enc.contains("&SessionDuration=7200&"), want.is_some(), "{origin:?}: {enc}");
            assert!(enc.starts_with("Action=getSigninToken&"), "{enc}");
        }
    }

    #[test]
    fn session_origin_from_the_config() {
        let mut c = Config::default();
        let keys = Source {
            kind: SourceKind::Keychain { key_hint: None },
            mfa_serial: Some("arn:aws:iam::123456789012:mfa/alice".parse().unwrap()),
            identity: None,
        };
        let profile = Source {
            kind: SourceKind::AwsProfile { aws_profile: "corp".parse().unwrap() },
            mfa_serial: None,
            identity: None,
        };
        let n = |s: &str| Name::parse(s).unwrap();
        c.add_source(n("work"), keys).unwrap();
        c.add_source(n("corp"), profile).unwrap();
        let fav = |arn: &str, source: &str, p: &str| {
            Favourite::new(RoleArn::parse(arn).unwrap(), n(source), p.parse().unwrap())
        };
        c.put_favourite(n("direct"), fav("arn:aws:iam::111111111111:role/A", "work", "direct"), false).unwrap();
        c.put_favourite(n("chained"), fav("arn:aws:iam::222222222222:role/B", "direct", "chained"), false).unwrap();
        c.put_favourite(n("viaprofile"), fav("arn:aws:iam::333333333333:role/C", "corp", "viaprofile"), false).unwrap();
        c.put_favourite(n("deep"), fav("arn:aws:iam::444444444444:role/D", "viaprofile", "deep"), false).unwrap();
        let mut mfa = fav("arn:aws:iam::555555555555:role/E", "work", "mfa");
        mfa.mfa = true;
        c.put_favourite(n("mfa"), mfa, false).unwrap();
        c.put_favourite(n("aftermfa"), fav("arn:aws:iam::666666666666:role/F", "mfa", "aftermfa"), false).unwrap();
        let table = [
            ("mfa", SessionOrigin::RoleFromMfaSession),
            ("aftermfa", SessionOrigin::ChainedRole),
            ("direct", SessionOrigin::RoleFromKeys),
            ("chained", SessionOrigin::ChainedRole),
            ("viaprofile", SessionOrigin::RoleFromAwsProfile),
            ("deep", SessionOrigin::ChainedRole),
        ];
        for (name, want) in table {
            assert_eq!(session_origin(&c, &n(name)).unwrap(), want, "{name}");
        }
        assert_eq!(session_origin(&c, &n("nope")).unwrap_err().code(), "config.not_found");
    }

    #[test]
    fn the_session_json_carries_exactly_the_credentials() {
        let req = SigninTokenRequest::new(
            &creds("FwoG\"quoted\\token"),
            SessionOrigin::ChainedRole,
            SessionDuration::DEFAULT,
            TokenMethod::Get,
        );
        assert_eq!(
            req.session_json().expose_secret(),
            r#"{"sessionId":"ASIAIOSFODNN7EXAMPLE","sessionKey":"wJalr/XUtnFEMI+K7MDENG","sessionToken":"FwoG\"quoted\\token"}"#
        );
        assert_eq!(
            req.encoded().expose_secret(),
            "Action=getSigninToken&Session=%7B%22sessionId%22%3A%22ASIAIOSFODNN7EXAMPLE%22%2C%22sessionKey%22%3A%22wJalr%2FXUtnFEMI%2BK7MDENG%22%2C%22sessionToken%22%3A%22FwoG%5C%22quoted%5C%5Ctoken%22%7D"
        );
    }

    #[test]
    fn login_url_golden() {
        let t = ConsoleTarget::new(Partition::Aws, Some(r("eu-west-1")), Some(svc("ec2/home"))).unwrap();
        let url = login_url(&t.endpoint(), &SigninToken::new("tok+en/=".into()), &t.destination());
        assert_eq!(
            url.expose(),
            "https://eu-west-1.signin.aws.amazon.com/federation?Action=login&Issuer=rolecall&Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Deu-west-1&SigninToken=tok%2Ben%2F%3D"
        );
        let cn = ConsoleTarget::new(Partition::AwsCn, None, None).unwrap();
        let url = login_url(&cn.endpoint(), &SigninToken::new("t".into()), &cn.destination());
        assert_eq!(
            url.expose(),
            "https://signin.amazonaws.cn/federation?Action=login&Issuer=rolecall&Destination=https%3A%2F%2Fconsole.amazonaws.cn%2Fconsole%2Fhome&SigninToken=t"
        );
    }

    #[test]
    fn methods_per_partition() {
        assert_eq!(token_method(Partition::Aws), TokenMethod::Post);
        assert_eq!(token_method(Partition::AwsCn), TokenMethod::Post);
        assert_eq!(token_method(Partition::AwsUsGov), TokenMethod::Get);
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let req = SigninTokenRequest::new(
            &creds("SECRETTOKEN"),
            SessionOrigin::RoleFromKeys,
            SessionDuration::DEFAULT,
            TokenMethod::Post,
        );
        let shown = format!("{req:?}");
        assert_eq!(shown, "SigninTokenRequest(Post, session duration Some(3600), session: [redacted])");
        assert_eq!(format!("{:?}", SigninToken::new("SECRETTOKEN".into())), "SigninToken([redacted])");
        let url = login_url(
            &ConsoleTarget::new(Partition::Aws, None, None).unwrap().endpoint(),
            &SigninToken::new("SECRETTOKEN".into()),
            "d",
        );
        assert_eq!(format!("{url:?}"), "LoginUrl([redacted])");
        let e = ConsoleError {
            kind: ConsoleErrorKind::Rejected,
            subject: "favourite prod: console sign-in".into(),
            detail: Some("HTTP 400".into()),
        };
        assert_eq!(e.code(), "signin.rejected");
        assert!(
            e.to_string()
                .starts_with("favourite prod: console sign-in: the AWS federation endpoint refused the session"),
            "{e}"
        );
        assert!(e.to_string().ends_with(" (HTTP 400)"), "{e}");
    }

    #[test]
    fn federated_user_names() {
        assert_eq!(federated_user_name(Some("arn:aws:iam::123456789012:user/alice")), "alice");
        assert_eq!(
            federated_user_name(Some("arn:aws:iam::123456789012:user/a-very-long-user-name-that-goes-on-and-on")),
            "a-very-long-user-name-that-goes-"
        );
        assert_eq!(federated_user_name(None), "rolecall");
    }

    struct FakeClient(std::sync::Mutex<Vec<String>>);
    impl SigninClient for FakeClient {
        async fn signin_token(
            &self,
            endpoint: &FederationEndpoint,
            request: &SigninTokenRequest,
            _: &str,
        ) -> Result<SigninToken, ConsoleError> {
            self.0.lock().unwrap().push(format!("{} {}", endpoint.as_str(), request.encoded().expose_secret()));
            Ok(SigninToken::new("issued".into()))
        }
    }

    #[test]
    fn sign_in_asks_the_endpoint_and_builds_the_login_url() {
        let client = FakeClient(Default::default());
        let t = ConsoleTarget::new(Partition::Aws, Some(r("us-east-1")), None).unwrap();
        let req =
            SigninTokenRequest::new(&creds("tok"), SessionOrigin::RoleFromKeys, SessionDuration::DEFAULT, t.method());
        let endpoint = t.endpoint();
        let mut f = std::pin::pin!(sign_in(&client, &endpoint, &req, &t, "favourite x: console sign-in"));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(url) = f.as_mut().poll(&mut cx) else { panic!("fake suspended") };
        assert_eq!(
            url.unwrap().expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=rolecall&Destination=https%3A%2F%2Fus-east-1.console.aws.amazon.com%2Fconsole%2Fhome%3Fregion%3Dus-east-1&SigninToken=issued"
        );
        let calls = client.0.lock().unwrap();
        assert!(
            calls[0].starts_with(
                "https://signin.aws.amazon.com/federation Action=getSigninToken&SessionDuration=3600&Session=%7B"
            ),
            "{calls:?}"
        );
    }

    #[test]
    fn signing_out_first_wraps_the_login_in_the_partitions_sign_out() {
        let table = [
            (Partition::Aws, "https://us-east-1.signin.aws.amazon.com"),
            (Partition::AwsUsGov, "https://signin.amazonaws-us-gov.com"),
            (Partition::AwsCn, "https://signin.amazonaws.cn"),
        ];
        for (partition, base) in table {
            let endpoint = sign_out_endpoint(partition);
            assert_eq!(endpoint.as_str(), format!("{base}/federation"), "{partition:?}");
            let token = SigninToken(SecretString::from("tok+/=".to_owned()));
            let login = login_url(&endpoint, &token, "https://console.aws.amazon.com/s3/home");
            let wrapped = sign_out_first(&login, &endpoint);
            let text = wrapped.expose();
            let prefix = format!("{base}/oauth?Action=logout&redirect_uri=");
            assert!(text.starts_with(&prefix), "{text}");
            let inner = &text[prefix.len()..];
            assert!(!inner.contains(['&', '?', '=', ':', '/']), "the login URL is one encoded value: {inner}");
            assert_eq!(percent_decode(inner), login.expose(), "it decodes to the login URL itself");
            assert_eq!(format!("{wrapped:?}"), "LoginUrl([redacted])");
        }
        // An overridden endpoint (tests, private endpoints) signs out on its own host.
        let custom = FederationEndpoint::parse("http://127.0.0.1:8080/federation").unwrap();
        let login = LoginUrl(SecretString::from("http://127.0.0.1:8080/federation?Action=login".to_owned()));
        assert!(sign_out_first(&login, &custom).expose().starts_with("http://127.0.0.1:8080/oauth?Action=logout&"));
    }

    fn percent_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }
}
