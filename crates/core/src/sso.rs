//! IAM Identity Center (the AWS access portal) as rolecall uses it: the sign-in service (OIDC:
//! client registration, device authorization, tokens) and the portal (accounts, roles, role
//! credentials), as two ports with plain request and answer types, and what can go wrong, in
//! plain words. The adapter (`crates/sso`) speaks the services' wire formats; the browser step and
//! the loopback redirect are the adapter's too. Pure: times come in as arguments.

use std::fmt;
use std::future::Future;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::code::Code;
use crate::secret::SessionCredentials;
use crate::validate::{Region, ValidationError};

/// An access portal's start URL (`https://d-1234567890.awsapps.com/start`, or an organisation's
/// own `https://NAME.awsapps.com/start`): HTTPS, a host, no credentials or fragment in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StartUrl(String);

impl StartUrl {
    /// Checks `raw`. Plain `http://` is allowed only to a loopback host (tests, local fakes).
    pub fn parse(raw: &str) -> Result<StartUrl, ValidationError> {
        let bad = |why: &str| ValidationError::new("start URL", format!("{why}, got {raw:?}"));
        let raw = raw.trim();
        let rest = if let Some(rest) = raw.strip_prefix("https://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("http://") {
            let host = rest.split(['/', ':']).next().unwrap_or_default();
            if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
                return Err(bad("must start with https:// (http:// only to a loopback address)"));
            }
            rest
        } else {
            return Err(bad("must start with https://"));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.contains('@') {
            return Err(bad("must name a host, without a user name or password"));
        }
        if raw.contains('#') || raw.chars().any(|c| c.is_whitespace() || c.is_control()) || raw.len() > 512 {
            return Err(bad("must be one URL without spaces, a fragment or more than 512 characters"));
        }
        Ok(StartUrl(raw.trim_end_matches('/').to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StartUrl {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        StartUrl::parse(&s)
    }
}

impl From<StartUrl> for String {
    fn from(u: StartUrl) -> String {
        u.0
    }
}

impl fmt::Display for StartUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// rolecall's registration as an OIDC client of one sign-in service (RegisterClient): kept until
/// it expires (about 90 days), with its secret in the keychain.
#[derive(Debug, Clone)]
pub struct ClientRegistration {
    /// `clientId`.
    pub client_id: String,
    /// `clientSecret`.
    pub client_secret: SecretString,
    /// `clientSecretExpiresAt`.
    pub expires_at: DateTime<Utc>,
    /// The loopback redirect URI it was registered with (the authorization-code flow), if any.
    pub redirect_uri: Option<String>,
}

impl ClientRegistration {
    /// Whether it can still be used at `now` (with a day to spare, so a sign-in never starts on
    /// a registration that ends during it).
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at - chrono::Duration::days(1) > now
    }
}

/// A started device authorization (StartDeviceAuthorization): the code the user confirms in a
/// browser, anywhere.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    /// `deviceCode`: what the token request sends (a secret).
    pub device_code: SecretString,
    /// `userCode`: what the user sees and confirms.
    pub user_code: String,
    /// `verificationUri`.
    pub verification_uri: String,
    /// `verificationUriComplete` (the code filled in), if sent.
    pub verification_uri_complete: Option<String>,
    /// When the device code stops working.
    pub expires_at: DateTime<Utc>,
    /// How long to wait between token requests.
    pub interval: chrono::Duration,
}

/// What a token request (CreateToken) trades for a token.
#[derive(Debug, Clone)]
pub enum Grant {
    /// The authorization-code flow with PKCE: the code the loopback redirect received.
    AuthorizationCode {
        /// `code`.
        code: SecretString,
        /// `redirectUri`: the one the authorize request used.
        redirect_uri: String,
        /// `codeVerifier`: the secret whose S256 hash the authorize request sent.
        code_verifier: SecretString,
    },
    /// The device-code flow.
    DeviceCode(SecretString),
    /// A refresh: no browser, no prompt, while the portal session lasts.
    RefreshToken(SecretString),
}

impl Grant {
    /// The `grantType` sent.
    pub fn grant_type(&self) -> &'static str {
        match self {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::DeviceCode(_) => "urn:ietf:params:oauth:grant-type:device_code",
            Grant::RefreshToken(_) => "refresh_token",
        }
    }
}

/// An access token for the portal (CreateToken's answer).
#[derive(Debug, Clone)]
pub struct Token {
    /// `accessToken`: the portal's bearer token.
    pub access_token: SecretString,
    /// When it ends (`expiresIn` after it was issued).
    pub expires_at: DateTime<Utc>,
    /// `refreshToken`, when the service sent one.
    pub refresh_token: Option<SecretString>,
}

/// What rolecall keeps of one IAM Identity Center source, in the keychain and nowhere else: its
/// client registration (until it expires), the token of the current portal session, and when the
/// user signed in to that session.
#[derive(Clone)]
pub struct SsoSecrets {
    /// The client registration (RegisterClient).
    pub registration: ClientRegistration,
    /// The current token, if signed in.
    pub token: Option<Token>,
    /// When the user last signed in (the browser step), which bounds the portal session.
    pub signed_in_at: Option<DateTime<Utc>>,
}

/// Shows the client id and the times, never a secret.
impl fmt::Debug for SsoSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoSecrets")
            .field("client_id", &self.registration.client_id)
            .field("registration_expires_at", &self.registration.expires_at)
            .field("token_expires_at", &self.token.as_ref().map(|t| t.expires_at))
            .field("refresh_token", &self.token.as_ref().map(|t| t.refresh_token.is_some()))
            .field("signed_in_at", &self.signed_in_at)
            .finish_non_exhaustive()
    }
}

/// The key the AWS CLI and SDKs name a source's token cache file by (the file is
/// `~/.aws/sso/cache/<lowercase hex SHA-1 of the key>.json`): the `sso-session` name when there
/// is one, else the start URL (a profile with its own `sso_start_url`).
pub fn token_cache_key<'a>(sso_session: Option<&'a str>, start_url: &'a StartUrl) -> &'a str {
    sso_session.unwrap_or(start_url.as_str())
}

/// A time as the token cache spells it: RFC 3339 in UTC ending in `Z` (the Rust SDK refuses
/// offsets like `+00:00`).
fn cache_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `s` as a JSON string, quotes included.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The AWS CLI's and SDKs' token cache file for a sign-in (botocore's and the Rust SDK's
/// fields): `startUrl`, `region`, `accessToken`, `expiresAt`, `refreshToken` (when there is one),
/// `clientId`, `clientSecret`, `registrationExpiresAt`; times end in `Z`. It holds the tokens and
/// the client secret: whoever writes it keeps it private (0600).
pub fn token_cache_json(
    registration: &ClientRegistration,
    token: &Token,
    region: &Region,
    start_url: &StartUrl,
) -> String {
    use secrecy::ExposeSecret;
    let mut fields: Vec<(&str, String)> = vec![
        ("startUrl", json_string(start_url.as_str())),
        ("region", json_string(region.as_str())),
        ("accessToken", json_string(token.access_token.expose_secret())),
        ("expiresAt", json_string(&cache_time(token.expires_at))),
    ];
    if let Some(refresh) = &token.refresh_token {
        fields.push(("refreshToken", json_string(refresh.expose_secret())));
    }
    fields.push(("clientId", json_string(&registration.client_id)));
    fields.push(("clientSecret", json_string(registration.client_secret.expose_secret())));
    fields.push(("registrationExpiresAt", json_string(&cache_time(registration.expires_at))));
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("  \"{k}\": {v}")).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

/// A sign-in as another tool left it in the shared token cache (`~/.aws/sso/cache`): what
/// rolecall needs to take up a token that tool refreshed since.
#[derive(Debug, Clone)]
pub struct SharedToken {
    /// `clientId`: the registration it was refreshed with.
    pub client_id: String,
    /// `startUrl`.
    pub start_url: String,
    /// `accessToken`, `expiresAt` and `refreshToken`.
    pub token: Token,
}

impl SharedToken {
    /// Whether it is a newer token of the same sign-in as `token` of `registration` at
    /// `start_url`: the same client, the same portal, another access token, and it ends no
    /// sooner (to the second: the file keeps whole seconds).
    pub fn supersedes(&self, registration: &ClientRegistration, start_url: &StartUrl, token: &Token) -> bool {
        use chrono::SubsecRound;
        use secrecy::ExposeSecret;
        self.client_id == registration.client_id
            && self.start_url.trim_end_matches('/') == start_url.as_str().trim_end_matches('/')
            && self.token.access_token.expose_secret() != token.access_token.expose_secret()
            && self.token.expires_at >= token.expires_at.trunc_subsecs(0)
    }
}

/// An AWS account the user may use, as the portal lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PortalAccount {
    /// `accountId` (12 digits).
    pub id: String,
    /// `accountName`.
    pub name: String,
    /// `emailAddress`, if sent.
    pub email: Option<String>,
}

/// One page of a paged listing, and the token for the next (none: the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// `nextToken`.
    pub next: Option<String>,
}

/// The sign-in service (`oidc.REGION.amazonaws.com`), as rolecall uses it.
pub trait SsoSignIn: Sync {
    /// RegisterClient: a public client for `start_url`'s portal, with the grants rolecall uses;
    /// `redirect_uri` for the authorization-code flow.
    fn register_client(
        &self,
        region: &Region,
        start_url: &StartUrl,
        redirect_uri: Option<&str>,
    ) -> impl Future<Output = Result<ClientRegistration, SsoError>> + Send;
    /// StartDeviceAuthorization.
    fn start_device_authorization(
        &self,
        region: &Region,
        client: &ClientRegistration,
        start_url: &StartUrl,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<DeviceAuthorization, SsoError>> + Send;
    /// CreateToken: a token for `grant`, issued at `now`.
    fn create_token(
        &self,
        region: &Region,
        client: &ClientRegistration,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Token, SsoError>> + Send;
}

/// The access portal (`portal.sso.REGION.amazonaws.com`), as rolecall uses it.
pub trait SsoPortal: Sync {
    /// ListAccounts: one page.
    fn list_accounts(
        &self,
        region: &Region,
        token: &Token,
        next: Option<&str>,
    ) -> impl Future<Output = Result<Page<PortalAccount>, SsoError>> + Send;
    /// ListAccountRoles: one page of the role names the user may use in `account_id`.
    fn list_account_roles(
        &self,
        region: &Region,
        token: &Token,
        account_id: &str,
        next: Option<&str>,
    ) -> impl Future<Output = Result<Page<String>, SsoError>> + Send;
    /// GetRoleCredentials: a session of `role_name` in `account_id`.
    fn role_credentials(
        &self,
        region: &Region,
        token: &Token,
        account_id: &str,
        role_name: &str,
    ) -> impl Future<Output = Result<SessionCredentials, SsoError>> + Send;
}

/// What kind of Identity Center failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoErrorKind {
    /// The user has not confirmed the device code yet (AuthorizationPendingException).
    Pending,
    /// Token requests come too often (SlowDownException).
    SlowDown,
    /// The device code or the token has expired (ExpiredTokenException).
    Expired,
    /// The grant was refused (InvalidGrantException): for a refresh, the portal session ended.
    InvalidGrant,
    /// The user denied the sign-in (AccessDeniedException).
    Denied,
    /// The client registration is not valid any more (InvalidClientException).
    InvalidClient,
    /// The portal does not accept the token (UnauthorizedException: signed out, or expired).
    SignedOut,
    /// The role is not assigned to the user, or the account is unknown (ForbiddenException).
    NoAccess,
    /// The portal is throttling (TooManyRequestsException), even after retries.
    Throttled,
    /// The sign-in was cancelled in the browser, or its callback did not match (wrong `state`).
    Cancelled,
    /// The start URL is not an access portal, or the region does not match it.
    NotAPortal,
    /// The service could not be reached.
    Unreachable,
    /// The service did not answer in time.
    Timeout,
    /// An answer that cannot be read.
    Malformed,
    /// Any other failure.
    Other,
}

/// An Identity Center failure. `subject` names what was being done (`source corp: sign in`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {}{}", self.explain(), self.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct SsoError {
    /// What kind.
    pub kind: SsoErrorKind,
    /// What was being done.
    pub subject: String,
    /// The service's own words, when they help (never a token).
    pub detail: Option<String>,
}

impl SsoError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self.kind {
            SsoErrorKind::Pending | SsoErrorKind::SlowDown => Code::SsoPending,
            SsoErrorKind::Expired => Code::SsoExpired,
            SsoErrorKind::InvalidGrant | SsoErrorKind::SignedOut | SsoErrorKind::InvalidClient => Code::SsoSignedOut,
            SsoErrorKind::Denied | SsoErrorKind::Cancelled => Code::SsoCancelled,
            SsoErrorKind::NoAccess => Code::SsoNoAccess,
            SsoErrorKind::Throttled => Code::SsoThrottled,
            SsoErrorKind::NotAPortal => Code::SsoNotAPortal,
            SsoErrorKind::Unreachable => Code::SsoUnreachable,
            SsoErrorKind::Timeout => Code::SsoTimeout,
            SsoErrorKind::Malformed | SsoErrorKind::Other => Code::SsoError,
        }
    }

    /// What happened, then the catalogue's remedy.
    pub fn explain(&self) -> String {
        let problem = match self.kind {
            SsoErrorKind::Pending => "the sign-in has not been confirmed in the browser yet",
            SsoErrorKind::SlowDown => "the sign-in service asks to wait longer between checks",
            SsoErrorKind::Expired => "the sign-in took too long and expired",
            SsoErrorKind::InvalidGrant | SsoErrorKind::SignedOut => "the access portal session has ended",
            SsoErrorKind::InvalidClient => "rolecall's registration with the sign-in service is no longer valid",
            SsoErrorKind::Denied => "the sign-in was denied in the browser",
            SsoErrorKind::Cancelled => "the sign-in was cancelled",
            SsoErrorKind::NoAccess => "the role is not assigned to you in that account, or the account is unknown",
            SsoErrorKind::Throttled => "the access portal is throttling requests",
            SsoErrorKind::NotAPortal => "the start URL is not an AWS access portal, or not in that region",
            SsoErrorKind::Unreachable => "the IAM Identity Center endpoint could not be reached",
            SsoErrorKind::Timeout => "the IAM Identity Center endpoint did not answer in time",
            SsoErrorKind::Malformed => "IAM Identity Center sent an answer rolecall cannot read",
            SsoErrorKind::Other => "an IAM Identity Center call failed",
        };
        format!("{problem}; {}", self.code().remedy())
    }

    /// Whether waiting and asking again may help (a pending or throttled request).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            SsoErrorKind::Pending
                | SsoErrorKind::SlowDown
                | SsoErrorKind::Throttled
                | SsoErrorKind::Unreachable
                | SsoErrorKind::Timeout
        )
    }

    /// Whether the user must sign in again (the portal session ended, the registration lapsed).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self.kind, SsoErrorKind::InvalidGrant | SsoErrorKind::SignedOut | SsoErrorKind::InvalidClient)
    }
}

/// The error type the services send (the `x-amzn-errortype` header's name, before any `:`),
/// as a kind.
pub fn classify(error_type: &str) -> SsoErrorKind {
    let name = error_type.split(':').next().unwrap_or_default().trim();
    match name {
        "AuthorizationPendingException" => SsoErrorKind::Pending,
        "SlowDownException" => SsoErrorKind::SlowDown,
        "ExpiredTokenException" => SsoErrorKind::Expired,
        "InvalidGrantException" => SsoErrorKind::InvalidGrant,
        "AccessDeniedException" => SsoErrorKind::Denied,
        "InvalidClientException" | "UnauthorizedClientException" => SsoErrorKind::InvalidClient,
        "UnauthorizedException" => SsoErrorKind::SignedOut,
        "ForbiddenException" | "ResourceNotFoundException" => SsoErrorKind::NoAccess,
        "TooManyRequestsException" => SsoErrorKind::Throttled,
        "InvalidRequestException" | "InvalidRequestRegionException" | "InvalidScopeException" => {
            SsoErrorKind::NotAPortal
        }
        _ => SsoErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_cache_has_the_sdks_fields_with_times_ending_in_z() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let registration = ClientRegistration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("sec\"ret\\x"),
            expires_at: at("2026-03-01T10:00:00+02:00"),
            redirect_uri: None,
        };
        let mut token = Token {
            access_token: SecretString::from("access-1"),
            expires_at: at("2026-01-02T03:04:05.678Z"),
            refresh_token: Some(SecretString::from("refresh-1")),
        };
        let url = StartUrl::parse("https://d-1234567890.awsapps.com/start").unwrap();
        let region = Region::parse("eu-west-1").unwrap();
        let json = token_cache_json(&registration, &token, &region, &url);
        for line in [
            "\"startUrl\": \"https://d-1234567890.awsapps.com/start\"",
            "\"region\": \"eu-west-1\"",
            "\"accessToken\": \"access-1\"",
            "\"expiresAt\": \"2026-01-02T03:04:05Z\"",
            "\"refreshToken\": \"refresh-1\"",
            "\"clientId\": \"client-1\"",
            "\"clientSecret\": \"sec\\\"ret\\\\x\"",
            "\"registrationExpiresAt\": \"2026-03-01T08:00:00Z\"",
        ] {
            assert!(json.contains(line), "{line} in {json}");
        }
        assert!(json.trim_start().starts_with('{') && json.trim_end().ends_with('}'), "{json}");
        assert_eq!(json.matches(',').count(), 7, "{json}");
        token.refresh_token = None;
        let json = token_cache_json(&registration, &token, &region, &url);
        assert!(!json.contains("refreshToken"), "{json}");
        assert_eq!(token_cache_key(Some("corp"), &url), "corp");
        assert_eq!(token_cache_key(None, &url), url.as_str());
    }

    #[test]
    fn start_urls() {
        for ok in [
            "https://d-1234567890.awsapps.com/start",
            "https://d-1234567890.awsapps.com/start/",
            "https://my-org.awsapps.com/start#",
            "http://127.0.0.1:4566/start",
        ] {
            if ok.ends_with('#') {
                assert!(StartUrl::parse(ok).is_err(), "{ok}");
            } else {
                assert!(StartUrl::parse(ok).is_ok(), "{ok}");
            }
        }
        assert_eq!(
            StartUrl::parse("https://d-1234567890.awsapps.com/start/").unwrap().as_str(),
            "https://d-1234567890.awsapps.com/start"
        );
        for bad in [
            "",
            "d-1234567890.awsapps.com/start",
            "http://d-1234567890.awsapps.com/start",
            "https://user:pw@d-1.awsapps.com/start",
            "https:///start",
            "https://a.awsapps.com/st art",
        ] {
            let e = StartUrl::parse(bad).unwrap_err();
            assert!(e.to_string().starts_with("start URL: "), "{e}");
        }
    }

    #[test]
    fn error_types_become_kinds_and_codes() {
        assert_eq!(classify("AuthorizationPendingException"), SsoErrorKind::Pending);
        assert_eq!(classify("InvalidGrantException:http://internal.amazon.com/coral/"), SsoErrorKind::InvalidGrant);
        assert_eq!(classify("UnauthorizedException"), SsoErrorKind::SignedOut);
        assert_eq!(classify("ForbiddenException"), SsoErrorKind::NoAccess);
        assert_eq!(classify("TooManyRequestsException"), SsoErrorKind::Throttled);
        assert_eq!(classify("Whatever"), SsoErrorKind::Other);
        let e = SsoError { kind: SsoErrorKind::InvalidGrant, subject: "source corp: refresh".into(), detail: None };
        assert_eq!(e.code(), Code::SsoSignedOut);
        assert!(e.needs_sign_in() && !e.is_transient());
        assert!(e.to_string().starts_with("source corp: refresh: the access portal session has ended; "), "{e}");
        let t = SsoError { kind: SsoErrorKind::Throttled, subject: "source corp: list".into(), detail: None };
        assert!(t.is_transient() && !t.needs_sign_in());
    }

    #[test]
    fn a_shared_token_supersedes_only_a_newer_one_of_the_same_sign_in() {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 250_000_000).unwrap();
        let url = StartUrl::parse("https://d-1234567890.awsapps.com/start").unwrap();
        let registration = ClientRegistration {
            client_id: "c".into(),
            client_secret: SecretString::from("s"),
            expires_at: t0 + chrono::Duration::days(90),
            redirect_uri: None,
        };
        let token = |access: &str, at: DateTime<Utc>| Token {
            access_token: SecretString::from(access.to_owned()),
            expires_at: at,
            refresh_token: None,
        };
        let ours = token("a1", t0);
        let shared = |access: &str, at, client: &str, start: &str| SharedToken {
            client_id: client.into(),
            start_url: start.into(),
            token: token(access, at),
        };
        let whole = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let later = t0 + chrono::Duration::minutes(30);
        // The file keeps whole seconds: refreshed within the same second still counts.
        assert!(shared("a2", whole, "c", url.as_str()).supersedes(&registration, &url, &ours));
        assert!(shared("a2", later, "c", &format!("{url}/")).supersedes(&registration, &url, &ours));
        assert!(!shared("a1", later, "c", url.as_str()).supersedes(&registration, &url, &ours), "our own");
        assert!(!shared("a2", whole - chrono::Duration::seconds(1), "c", url.as_str()).supersedes(
            &registration,
            &url,
            &ours
        ));
        assert!(!shared("a2", later, "other", url.as_str()).supersedes(&registration, &url, &ours));
        assert!(!shared("a2", later, "c", "https://d-0000000000.awsapps.com/start").supersedes(
            &registration,
            &url,
            &ours
        ));
    }

    #[test]
    fn a_registration_is_used_until_a_day_before_it_expires() {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let registration = ClientRegistration {
            client_id: "c".into(),
            client_secret: SecretString::from("s"),
            expires_at: t0 + chrono::Duration::days(90),
            redirect_uri: None,
        };
        assert!(registration.usable_at(t0 + chrono::Duration::days(88)));
        assert!(!registration.usable_at(t0 + chrono::Duration::days(89) + chrono::Duration::seconds(1)));
    }

    #[test]
    fn kept_secrets_debug_without_a_secret() {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let secrets = SsoSecrets {
            registration: ClientRegistration {
                client_id: "client-1".into(),
                client_secret: SecretString::from("client-secret-value"),
                expires_at: t0,
                redirect_uri: Some("http://127.0.0.1:5000/callback".into()),
            },
            token: Some(Token {
                access_token: SecretString::from("access-token-value"),
                expires_at: t0,
                refresh_token: Some(SecretString::from("refresh-token-value")),
            }),
            signed_in_at: Some(t0),
        };
        let shown = format!("{secrets:?}");
        assert!(shown.contains("client-1") && shown.contains("refresh_token: Some(true)"), "{shown}");
        for secret in ["client-secret-value", "access-token-value", "refresh-token-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
