//! What crosses the IPC boundary to the webview: views with no secret in them, inputs parsed into
//! core types once, and errors as `{code, message}`.
//!
//! These types are the contract: `ui/src/ipc-types.ts` is written from them by ts-rs (the test
//! `ts_contract::the_checked_in_typescript_is_what_the_rust_types_produce` fails when it differs;
//! `ROLECALL_BLESS=1` rewrites it), and `ui/src/ipc.ts` imports its types from there. Their doc
//! comments become the TypeScript's.

use rolecall_app::{Discovery, DiscoveryProgress, PortalFavourites, SsoSessionBlock, SsoStatus};
use rolecall_core::config::{
    Delivery, Favourite, MAX_SSO_SESSION_MINUTES, Preferences, SessionTags, Source, SourceKind,
    check_sso_session_minutes,
};
use rolecall_core::import::{Candidate, SsoCandidate};
use rolecall_core::portal_names::{NamePattern, PortalPick};
use rolecall_core::sso::StartUrl;
use rolecall_core::time::SessionState;
use rolecall_core::validate::{
    ExternalId, Lead, MfaSerial, Name, PolicyArn, ProfileName, Region, RoleArn, SessionDuration, SessionName,
    SourceIdentity, Tag, ValidationError, check_tag_key,
};
use rolecall_core::{Error, ErrorDto};
use serde::{Deserialize, Serialize};

/// The app's version, as Settings → About shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// The version, `x.y.z`.
    pub version: &'static str,
}

/// Where a source's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SourceKindView {
    /// Access keys in the OS keychain.
    Keychain,
    /// A profile of the AWS files, resolved by the AWS SDK.
    AwsProfile,
    /// IAM Identity Center: roles from the organisation's access portal.
    Sso,
}

/// A source, as the settings window lists it (the key id only masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    /// Its name.
    pub name: String,
    /// Where its credentials come from.
    pub kind: SourceKindView,
    /// The access key id masked as `****WXYZ`; null for AWS-profile sources.
    pub key_hint: Option<String>,
    /// The AWS profile, for `aws_profile` sources.
    pub aws_profile: Option<String>,
    /// The access portal's start URL, for `sso` sources.
    pub sso_start_url: Option<String>,
    /// The rest of an `sso` source: its region, `[sso-session]` and sign-in; absent for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sso: Option<SsoSourceState>,
    /// The MFA device.
    pub mfa_serial: Option<String>,
    /// The ARN GetCallerIdentity answered with when the source was verified.
    pub identity: Option<String>,
}

impl SourceView {
    /// The view of a source.
    pub fn new(name: &Name, s: &Source) -> SourceView {
        let (kind, key_hint, aws_profile, sso_start_url) = match &s.kind {
            SourceKind::Keychain { key_hint } => (SourceKindView::Keychain, key_hint.clone(), None, None),
            SourceKind::AwsProfile { aws_profile } => {
                (SourceKindView::AwsProfile, None, Some(aws_profile.to_string()), None)
            }
            SourceKind::Sso { sso_start_url, .. } => (SourceKindView::Sso, None, None, Some(sso_start_url.to_string())),
        };
        let sso = match &s.kind {
            SourceKind::Sso { sso_region, sso_session, share_with_aws_cli, .. } => Some(SsoSourceState {
                region: sso_region.to_string(),
                session: sso_session.clone(),
                share_with_aws_cli: *share_with_aws_cli,
                session_minutes: s.kind.sso_session_length().map_or(0, |l| u32::try_from(l.num_minutes()).unwrap_or(0)),
                signed_in: false,
                signed_in_until: None,
            }),
            _ => None,
        };
        SourceView {
            name: name.to_string(),
            kind,
            key_hint,
            aws_profile,
            sso_start_url,
            sso,
            mfa_serial: s.mfa_serial.as_ref().map(ToString::to_string),
            identity: s.identity.clone(),
        }
    }
}

impl SourceView {
    /// The view with an `sso` source's sign-in state at the time `status` was read.
    pub fn with_sso_status(mut self, status: &SsoStatus) -> SourceView {
        if let Some(sso) = &mut self.sso {
            (sso.signed_in, sso.signed_in_until) = match status {
                SsoStatus::SignedOut => (false, None),
                SsoStatus::SignedIn { ends_at, .. } => (true, ends_at.map(|t| t.to_rfc3339())),
            };
        }
        self
    }
}

/// An IAM Identity Center source's settings and sign-in, as the Sources tab shows them (no token,
/// no client secret: only whether it is signed in and until when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SsoSourceState {
    /// The region of the organisation's IAM Identity Center.
    pub region: String,
    /// The `[sso-session NAME]` of `~/.aws/config` it came from.
    pub session: Option<String>,
    /// Whether its sign-in is shared with the AWS CLI and SDKs.
    pub share_with_aws_cli: bool,
    /// How long a portal session lasts, in minutes.
    pub session_minutes: u32,
    /// Whether it is signed in now.
    pub signed_in: bool,
    /// When the portal session should end (RFC 3339), when signed in and known.
    pub signed_in_until: Option<String>,
}

/// A new IAM Identity Center source from the settings window: a start URL and region, or an
/// `[sso-session]` of `~/.aws/config` (then its start URL and region are read from there).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewSsoSourceInput {
    /// The source's name.
    pub name: String,
    /// The access portal's start URL ("" with `ssoSession`).
    pub start_url: String,
    /// The region of IAM Identity Center ("" with `ssoSession`).
    pub region: String,
    /// The `[sso-session NAME]` to take them from; null or "" for none.
    pub sso_session: Option<String>,
    /// How long a portal session lasts, in whole hours ("" = 8, AWS's default).
    pub session_hours: String,
    /// Whether to share the sign-in with the AWS CLI and SDKs (the token cache).
    pub share_with_aws_cli: bool,
}

/// Hours of a portal session as typed ("" = none given) into minutes, checked against IAM
/// Identity Center's range.
pub fn parse_session_hours(raw: &str) -> Result<Option<u32>, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ValidationError::new(
            "session length",
            format!("must be whole hours from 1 to {}, got {raw:?}", MAX_SSO_SESSION_MINUTES / 60),
        )
    };
    let hours: u32 = raw.parse().map_err(|_| bad())?;
    let minutes = hours.checked_mul(60).ok_or_else(bad)?;
    if minutes < 60 {
        return Err(bad());
    }
    check_sso_session_minutes(minutes).map_err(|_| bad()).map(Some)
}

/// An `[sso-session NAME]` block of `~/.aws/config`, offered by the IAM Identity Center form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SsoSessionView {
    /// `NAME`.
    pub name: String,
    /// Its `sso_start_url`, as read.
    pub start_url: Option<String>,
    /// Its `sso_region`, as read.
    pub region: Option<String>,
}

impl From<SsoSessionBlock> for SsoSessionView {
    fn from(b: SsoSessionBlock) -> Self {
        let SsoSessionBlock { name, start_url, region } = b;
        SsoSessionView { name, start_url, region }
    }
}

/// A role the user may use in an account of the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PortalRoleView {
    /// The role (permission set) name.
    pub name: String,
    /// The favourite of this source that already is this role, if any.
    pub favourite: Option<String>,
}

/// An account of the portal, with its roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PortalAccountView {
    /// The 12-digit id.
    pub id: String,
    /// Its name in the portal.
    pub name: String,
    /// Its e-mail address, if the portal gave one.
    pub email: Option<String>,
    /// Its roles, sorted.
    pub roles: Vec<PortalRoleView>,
}

/// A listing of an IAM Identity Center source's accounts and roles (names and ids only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PortalListing {
    /// When it was listed, RFC 3339.
    pub fetched_at: String,
    /// Whether it is older than a day: time to list afresh.
    pub stale: bool,
    /// The accounts, by name.
    pub accounts: Vec<PortalAccountView>,
}

impl PortalListing {
    /// The view of `discovery` at `now`, each role marked with the favourite it already is.
    pub fn new(discovery: &Discovery, favourites: &PortalFavourites, now: chrono::DateTime<chrono::Utc>) -> Self {
        let accounts = discovery
            .roles
            .iter()
            .map(|a| PortalAccountView {
                id: a.account.id.clone(),
                name: a.account.name.clone(),
                email: a.account.email.clone(),
                roles: a
                    .roles
                    .iter()
                    .map(|r| PortalRoleView {
                        name: r.clone(),
                        favourite: favourites.get(&(a.account.id.clone(), r.clone())).map(ToString::to_string),
                    })
                    .collect(),
            })
            .collect();
        PortalListing { fetched_at: discovery.fetched_at.to_rfc3339(), stale: discovery.is_stale(now), accounts }
    }
}

/// How far a fresh listing has come (the picker's progress bar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryProgressView {
    /// Accounts listed so far.
    pub accounts_listed: u32,
    /// Whether every account is listed (then `accountsListed` is the total).
    pub all_accounts_listed: bool,
    /// Accounts whose roles are all listed.
    pub accounts_done: u32,
    /// Requests the portal refused as too many so far (each asked again after a pause).
    pub throttled: u32,
}

impl From<&DiscoveryProgress> for DiscoveryProgressView {
    fn from(p: &DiscoveryProgress) -> Self {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        DiscoveryProgressView {
            accounts_listed: n(p.accounts_listed),
            all_accounts_listed: p.all_accounts_listed,
            accounts_done: n(p.accounts_done),
            throttled: n(p.throttled),
        }
    }
}

/// A role of the portal the user picked to become a favourite.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PortalPickInput {
    /// The account's id.
    pub account_id: String,
    /// The account's name.
    pub account_name: String,
    /// The role name.
    pub role_name: String,
}

impl From<PortalPickInput> for PortalPick {
    fn from(p: PortalPickInput) -> Self {
        let PortalPickInput { account_id, account_name, role_name } = p;
        PortalPick { account_id, account_name, role_name }
    }
}

/// A new source from the settings window. The secret travels UI → Rust once and is zeroized here.
#[derive(Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct NewSourceInput {
    /// The source's name.
    pub name: String,
    /// The access key id (keys sources).
    pub access_key_id: Option<String>,
    /// The secret access key (keys sources).
    #[cfg_attr(test, ts(as = "Option<String>"))]
    pub secret_access_key: Option<zeroize::Zeroizing<String>>,
    /// The AWS profile (aws_profile sources).
    pub aws_profile: Option<String>,
    /// The MFA device.
    pub mfa_serial: Option<String>,
    /// Whether to check the credentials with GetCallerIdentity first.
    pub verify: bool,
}

impl std::fmt::Debug for NewSourceInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewSourceInput({}, secret: [redacted])", self.name)
    }
}

/// Whether a favourite has a session: serialized as the core's label for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SessionStateView {
    /// A session that has not expired.
    Active,
    /// A session that has expired.
    Expired,
    /// No session written by rolecall.
    Never,
}

/// A session's state for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Active, expired or never.
    pub state: SessionStateView,
    /// When it expires, RFC 3339.
    pub expires: Option<String>,
    /// Seconds left, when active.
    pub seconds_left: Option<i64>,
}

impl From<&SessionState> for SessionView {
    fn from(s: &SessionState) -> SessionView {
        let (state, expires, seconds_left) = match s {
            SessionState::Active { expires, seconds_left } => {
                (SessionStateView::Active, Some(expires.to_rfc3339()), Some(*seconds_left))
            }
            SessionState::Expired { expires } => (SessionStateView::Expired, Some(expires.to_rfc3339()), None),
            SessionState::Never => (SessionStateView::Never, None, None),
        };
        SessionView { state, expires, seconds_left }
    }
}

/// A session tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TagView {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A favourite, as the settings window lists and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FavouriteView {
    /// Its name.
    pub name: String,
    /// The role.
    pub arn: String,
    /// Its source (a source or a favourite).
    pub source: String,
    /// The profile it writes.
    pub profile: String,
    /// Session length in seconds.
    pub duration_secs: u32,
    /// The session name, if set.
    pub session_name: Option<String>,
    /// The external id, if set.
    pub external_id: Option<String>,
    /// Whether it uses MFA.
    pub mfa: bool,
    /// Its region, if set.
    pub region: Option<String>,
    /// Session tags.
    pub tags: Vec<TagView>,
    /// Transitive tag keys.
    pub transitive_tags: Vec<String>,
    /// The source identity, if set.
    pub source_identity: Option<String>,
    /// Session policy ARNs.
    pub policy_arns: Vec<String>,
    /// Its own auto-renew choice; null follows the preference.
    pub auto_renew: Option<bool>,
    /// Its own notification lead time (`14m55s`); null follows the preference.
    pub notify_before: Option<String>,
    /// Its own renewal lead time; null follows the preference.
    pub renew_before: Option<String>,
    /// How AWS tools get its credentials.
    pub delivery: DeliveryView,
    /// Its session.
    pub session: SessionView,
    /// Its lead times that its session length clamps, in words: a lead never exceeds half a
    /// session (`renew before 20m applies as 7m30s (half of its 15m session)`).
    pub lead_notes: Vec<String>,
}

impl FavouriteView {
    /// The view of a favourite in `state`, with the notes on its clamped leads.
    pub fn new(name: &Name, f: &Favourite, state: &SessionState, lead_notes: Vec<String>) -> FavouriteView {
        // Every field named: a new favourite field fails to compile here until the UI sees it.
        let Favourite {
            arn,
            source,
            profile,
            duration,
            session_name,
            external_id,
            mfa,
            region,
            tags,
            transitive_tags,
            source_identity,
            policy_arns,
            auto_renew,
            notify_before,
            renew_before,
            delivery,
        } = f;
        FavouriteView {
            name: name.to_string(),
            arn: arn.to_string(),
            source: source.to_string(),
            profile: profile.to_string(),
            duration_secs: duration.as_secs(),
            session_name: session_name.as_ref().map(ToString::to_string),
            external_id: external_id.as_ref().map(ToString::to_string),
            mfa: *mfa,
            region: region.as_ref().map(ToString::to_string),
            tags: tags.as_slice().iter().map(|t| TagView { key: t.key.clone(), value: t.value.clone() }).collect(),
            transitive_tags: transitive_tags.clone(),
            source_identity: source_identity.as_ref().map(ToString::to_string),
            policy_arns: policy_arns.iter().map(ToString::to_string).collect(),
            auto_renew: *auto_renew,
            notify_before: notify_before.map(|l| l.to_string()),
            renew_before: renew_before.map(|l| l.to_string()),
            delivery: (*delivery).into(),
            session: state.into(),
            lead_notes,
        }
    }
}

/// A favourite from the settings form, as typed; empty strings mean "not set".
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FavouriteInput {
    /// Its name.
    pub name: String,
    /// The role ARN.
    pub arn: String,
    /// Its source (a source, or a favourite to chain from).
    pub source: String,
    /// The profile it writes ("" = the name).
    pub profile: String,
    /// `1h`, `3600`, `45m` ("" = 1h).
    pub duration: String,
    /// Session name.
    pub session_name: String,
    /// External id.
    pub external_id: String,
    /// MFA.
    pub mfa: bool,
    /// Region.
    pub region: String,
    /// `key=value` tags.
    pub tags: Vec<String>,
    /// Transitive tag keys.
    pub transitive_tags: Vec<String>,
    /// Source identity.
    pub source_identity: String,
    /// Policy ARNs.
    pub policy_arns: Vec<String>,
    /// Auto-renew (null follows the preference).
    #[serde(default)]
    pub auto_renew: Option<bool>,
    /// Notification lead time: `10m`, `14m55s`, `90s`, `1h` (1s to 12h, less than the duration);
    /// "" = the preference.
    #[serde(default)]
    pub notify_before: String,
    /// Renewal lead time, as `notifyBefore`.
    #[serde(default)]
    pub renew_before: String,
    /// How AWS tools get its credentials (absent: `file`).
    #[serde(default)]
    pub delivery: DeliveryView,
}

/// How a favourite's credentials reach AWS tools: `file` (written into its profile of the
/// credentials file) or `process` (never written; served through `credential_process`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryView {
    /// Written into the credentials file.
    #[default]
    File,
    /// Served by `rolecall credentials` through the profile's `credential_process`.
    Process,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        match d {
            Delivery::File => DeliveryView::File,
            Delivery::Process => DeliveryView::Process,
        }
    }
}

impl From<DeliveryView> for Delivery {
    fn from(d: DeliveryView) -> Self {
        match d {
            DeliveryView::File => Delivery::File,
            DeliveryView::Process => Delivery::Process,
        }
    }
}

fn opt<T>(raw: &str, parse: impl Fn(&str) -> Result<T, ValidationError>) -> Result<Option<T>, ValidationError> {
    let t = raw.trim();
    if t.is_empty() { Ok(None) } else { parse(t).map(Some) }
}

impl FavouriteInput {
    /// Validates every field into a favourite.
    pub fn parse(&self) -> Result<(Name, Favourite), ValidationError> {
        let name = Name::parse(self.name.trim())?;
        let profile = opt(&self.profile, ProfileName::parse)?.map_or_else(|| ProfileName::parse(name.as_str()), Ok)?;
        let fav = Favourite {
            arn: RoleArn::parse(self.arn.trim())?,
            source: Name::parse(self.source.trim())?,
            profile,
            duration: opt(&self.duration, SessionDuration::parse)?.unwrap_or(SessionDuration::DEFAULT),
            session_name: opt(&self.session_name, SessionName::parse)?,
            external_id: opt(&self.external_id, ExternalId::parse)?,
            mfa: self.mfa,
            region: opt(&self.region, Region::parse)?,
            tags: SessionTags::new(
                self.tags
                    .iter()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| Tag::parse(t.trim()))
                    .collect::<Result<_, _>>()?,
            )?,
            transitive_tags: self
                .transitive_tags
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| check_tag_key(t.trim()))
                .collect::<Result<_, _>>()?,
            source_identity: opt(&self.source_identity, SourceIdentity::parse)?,
            policy_arns: self
                .policy_arns
                .iter()
                .filter(|p| !p.trim().is_empty())
                .map(|p| PolicyArn::parse(p.trim()))
                .collect::<Result<_, _>>()?,
            auto_renew: self.auto_renew,
            notify_before: opt(&self.notify_before, |v| Lead::parse_as("notify before", v))?,
            renew_before: opt(&self.renew_before, |v| Lead::parse_as("renew before", v))?,
            delivery: self.delivery.into(),
        };
        Ok((name, fav))
    }
}

/// Preferences, as the settings window edits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PreferencesDto {
    /// Minutes of warning before expiry.
    pub notify_before_minutes: u32,
    /// Auto-renew by default.
    pub auto_renew: bool,
    /// Minutes before expiry to renew.
    pub renew_before_minutes: u32,
    /// Start at login.
    pub start_at_login: bool,
    /// How long one MFA session (GetSessionToken) lasts, 1–36 hours.
    pub mfa_session_hours: u32,
    /// "Open console" first signs the browser out of its current console session.
    #[serde(default)]
    pub console_sign_out_first: bool,
    /// "Never write secrets to disk": new favourites are served through credential_process.
    #[serde(default)]
    pub never_write_secrets: bool,
}

/// What converting favourites to `process` did (`convert_favourites`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConversionView {
    /// The favourites now served through credential_process.
    pub converted: Vec<String>,
    /// The favourites left as they were, with why.
    pub skipped: Vec<SkippedView>,
}

/// A favourite a conversion left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SkippedView {
    /// The favourite.
    pub name: String,
    /// Why.
    pub reason: String,
}

impl From<rolecall_app::Conversion> for ConversionView {
    fn from(c: rolecall_app::Conversion) -> Self {
        ConversionView {
            converted: c.converted.iter().map(ToString::to_string).collect(),
            skipped: c.skipped.into_iter().map(|(n, reason)| SkippedView { name: n.to_string(), reason }).collect(),
        }
    }
}

impl From<&Preferences> for PreferencesDto {
    fn from(p: &Preferences) -> Self {
        PreferencesDto {
            notify_before_minutes: p.notify_before_minutes,
            auto_renew: p.auto_renew,
            renew_before_minutes: p.renew_before_minutes,
            start_at_login: p.start_at_login,
            mfa_session_hours: p.mfa_session_hours,
            console_sign_out_first: p.console_sign_out_first,
            never_write_secrets: p.never_write_secrets,
        }
    }
}

impl From<PreferencesDto> for Preferences {
    fn from(p: PreferencesDto) -> Self {
        Preferences {
            notify_before_minutes: p.notify_before_minutes,
            auto_renew: p.auto_renew,
            renew_before_minutes: p.renew_before_minutes,
            start_at_login: p.start_at_login,
            mfa_session_hours: p.mfa_session_hours,
            console_sign_out_first: p.console_sign_out_first,
            never_write_secrets: p.never_write_secrets,
        }
    }
}

/// The IAM Identity Center side of an SSO profile of `~/.aws/config`; values are as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportSso {
    /// `sso_session`: the `[sso-session NAME]` block it uses; null for the legacy form.
    pub session: Option<String>,
    /// `sso_start_url`.
    pub start_url: Option<String>,
    /// `sso_region`.
    pub region: Option<String>,
    /// `sso_account_id`.
    pub account_id: Option<String>,
    /// `sso_role_name`.
    pub role_name: Option<String>,
    /// The IAM Identity Center source it gets when none for its portal exists yet.
    pub source: String,
}

/// A role or SSO profile of `~/.aws/config` that could become a favourite; values are as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportCandidate {
    /// The AWS profile's name (`default` for `[default]`).
    pub profile: String,
    /// The favourite it becomes (the profile's name made a valid name); may be invalid, then
    /// `problem` says so.
    pub favourite: String,
    /// The profile rolecall will write its sessions to: `profile` + `-rolecall`.
    pub rolecall_profile: String,
    /// `role_arn`.
    pub role_arn: String,
    /// `source_profile`.
    pub source_profile: Option<String>,
    /// `mfa_serial`.
    pub mfa_serial: Option<String>,
    /// `external_id`.
    pub external_id: Option<String>,
    /// `duration_seconds`.
    pub duration_seconds: Option<String>,
    /// `role_session_name`.
    pub role_session_name: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// Why this profile cannot be imported as it is, in plain words; null when it can.
    pub problem: Option<String>,
    /// Whether a favourite with its name, or writing its profile, already exists.
    pub already_imported: bool,
    /// For an SSO profile, its IAM Identity Center settings (`roleArn` is then the role it stands
    /// for); absent for a role profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub sso: Option<ImportSso>,
}

impl From<Candidate> for ImportCandidate {
    fn from(c: Candidate) -> Self {
        // Every field named: a field added to the core's candidate fails to compile here.
        let Candidate {
            profile,
            favourite,
            rolecall_profile,
            role_arn,
            source_profile,
            mfa_serial,
            external_id,
            duration_seconds,
            role_session_name,
            region,
            problem,
            already_imported,
            sso,
        } = c;
        ImportCandidate {
            profile,
            favourite,
            rolecall_profile,
            role_arn,
            source_profile,
            mfa_serial,
            external_id,
            duration_seconds,
            role_session_name,
            region,
            problem,
            already_imported,
            sso: sso.map(|s| {
                let SsoCandidate { session, start_url, region, account_id, role_name, source } = s;
                ImportSso { session, start_url, region, account_id, role_name, source }
            }),
        }
    }
}

/// A form field the settings window checks as it is typed (`validate_field`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// A favourite's or a source's name.
    Name,
    /// A role ARN.
    Arn,
    /// The profile a favourite writes.
    Profile,
    /// A source's AWS profile.
    AwsProfile,
    /// A session length.
    Duration,
    /// A session name.
    SessionName,
    /// An external id.
    ExternalId,
    /// A region.
    Region,
    /// A `key=value` session tag.
    Tag,
    /// A transitive tag key.
    TransitiveTag,
    /// A source identity.
    SourceIdentity,
    /// A session policy ARN.
    PolicyArn,
    /// A notification lead time.
    NotifyBefore,
    /// A renewal lead time.
    RenewBefore,
    /// An MFA device.
    MfaSerial,
    /// An access key id.
    AccessKeyId,
    /// An IAM Identity Center start URL.
    StartUrl,
    /// A portal session length in hours.
    SessionHours,
    /// A favourite name pattern (`ACCOUNTNAME-ROLENAME`).
    NamePattern,
    /// Any other name (the UI sends none): its message says the field is unknown. Not part of
    /// the TypeScript type.
    #[serde(untagged)]
    #[cfg_attr(test, ts(skip))]
    Unknown(String),
}

/// The core's message for one form field's value, or `None` if it is valid.
pub fn validate_field(field: &Field, value: &str) -> Option<String> {
    let v = value.trim();
    let result: Result<(), ValidationError> = match field {
        Field::Name => Name::parse(v).map(drop),
        Field::Arn => RoleArn::parse(v).map(drop),
        Field::Profile | Field::AwsProfile => ProfileName::parse(v).map(drop),
        Field::Duration => SessionDuration::parse(v).map(drop),
        Field::SessionName => SessionName::parse(v).map(drop),
        Field::ExternalId => ExternalId::parse(v).map(drop),
        Field::Region => Region::parse(v).map(drop),
        Field::Tag => Tag::parse(v).map(drop),
        Field::TransitiveTag => check_tag_key(v).map(drop),
        Field::SourceIdentity => SourceIdentity::parse(v).map(drop),
        Field::PolicyArn => PolicyArn::parse(v).map(drop),
        Field::NotifyBefore => Lead::parse_as("notify before", v).map(drop),
        Field::RenewBefore => Lead::parse_as("renew before", v).map(drop),
        Field::MfaSerial => MfaSerial::parse(v).map(drop),
        Field::AccessKeyId => rolecall_core::secret::AccessKeyId::parse(v).map(drop),
        Field::StartUrl => StartUrl::parse(v).map(drop),
        Field::SessionHours => parse_session_hours(v).map(drop),
        Field::NamePattern => NamePattern::parse(v).map(drop),
        Field::Unknown(field) => Err(ValidationError::new("field", format!("unknown field {field:?}"))),
    };
    result.err().map(|e| e.to_string())
}

/// Any error, as the UI receives it.
pub fn err(e: impl Into<Error>) -> ErrorDto {
    e.into().to_dto()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> FavouriteInput {
        FavouriteInput {
            name: "prod".into(),
            arn: "arn:aws:iam::123456789012:role/Admin".into(),
            source: "work".into(),
            profile: String::new(),
            duration: "45m".into(),
            session_name: String::new(),
            external_id: " xid-1 ".into(),
            mfa: true,
            region: String::new(),
            tags: vec!["team=ops".into(), " ".into()],
            transitive_tags: vec!["team".into()],
            source_identity: String::new(),
            policy_arns: vec![],
            auto_renew: Some(true),
            notify_before: "14m55s".into(),
            renew_before: String::new(),
            delivery: DeliveryView::Process,
        }
    }

    #[test]
    fn form_input_becomes_a_favourite_and_back() {
        let (name, fav) = input().parse().unwrap();
        assert_eq!(fav.profile.as_str(), "prod", "an empty profile is the name");
        assert_eq!(fav.duration.as_secs(), 2700);
        assert_eq!(fav.external_id.as_ref().unwrap().as_str(), "xid-1");
        let view = FavouriteView::new(&name, &fav, &SessionState::Never, vec!["x".into()]);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["durationSecs"], 2700);
        assert_eq!(json["leadNotes"], serde_json::json!(["x"]));
        assert_eq!(json["tags"][0]["key"], "team");
        assert_eq!(json["session"], serde_json::json!({"state": "never", "expires": null, "secondsLeft": null}));
        assert_eq!(
            (&json["autoRenew"], &json["notifyBefore"], &json["renewBefore"]),
            (&serde_json::json!(true), &serde_json::json!("14m55s"), &serde_json::Value::Null)
        );
        assert_eq!(fav.delivery, Delivery::Process);
        assert_eq!(json["delivery"], "process");
        let absent: FavouriteInput = serde_json::from_value(serde_json::json!({
            "name": "a", "arn": "arn:aws:iam::123456789012:role/A", "source": "work", "profile": "", "duration": "",
            "sessionName": "", "externalId": "", "mfa": false, "region": "", "tags": [], "transitiveTags": [],
            "sourceIdentity": "", "policyArns": []
        }))
        .unwrap();
        assert_eq!(absent.parse().unwrap().1.delivery, Delivery::File, "absent: file");
        let mut lead = input();
        lead.notify_before = "soon".into();
        assert_eq!(
            lead.parse().unwrap_err().to_string(),
            "notify before: \"soon\" is not a time like 10m, 14m55s, 90s or 1h"
        );
        let mut bad = input();
        bad.arn = "arn:aws:s3:::bucket-name-long".into();
        assert!(bad.parse().unwrap_err().to_string().starts_with("role arn: "));
    }

    /// The field as the UI sends it: its name in JSON.
    fn field(name: &str) -> Field {
        serde_json::from_value(serde_json::json!(name)).unwrap()
    }

    #[test]
    fn field_messages_are_the_cores() {
        assert_eq!(
            validate_field(&field("duration"), "13h").unwrap(),
            "duration: must be between 15m (900) and 12h (43200) seconds, got 46800"
        );
        assert_eq!(
            validate_field(&field("profile"), "a]\n[default"),
            Some("profile: ']' is not allowed; use letters, digits and _ - . + @ / :".into())
        );
        assert_eq!(validate_field(&field("arn"), "arn:aws:iam::123456789012:role/Admin"), None);
        assert!(validate_field(&field("nope"), "x").is_some());
        assert_eq!(validate_field(&field("nope"), "x").unwrap(), "field: unknown field \"nope\"");
    }

    #[test]
    fn fields_are_the_names_the_ui_sends() {
        let names = [
            ("name", Field::Name),
            ("arn", Field::Arn),
            ("profile", Field::Profile),
            ("awsProfile", Field::AwsProfile),
            ("duration", Field::Duration),
            ("sessionName", Field::SessionName),
            ("externalId", Field::ExternalId),
            ("region", Field::Region),
            ("tag", Field::Tag),
            ("transitiveTag", Field::TransitiveTag),
            ("sourceIdentity", Field::SourceIdentity),
            ("policyArn", Field::PolicyArn),
            ("notifyBefore", Field::NotifyBefore),
            ("renewBefore", Field::RenewBefore),
            ("mfaSerial", Field::MfaSerial),
            ("accessKeyId", Field::AccessKeyId),
            ("startUrl", Field::StartUrl),
            ("sessionHours", Field::SessionHours),
            ("namePattern", Field::NamePattern),
        ];
        for (name, expected) in &names {
            assert_eq!(&field(name), expected, "{name}");
        }
        // Any other name, a different case included, is an unknown field, never an error.
        for other in ["secretAccessKey", "Region", "", "session_name"] {
            assert_eq!(field(other), Field::Unknown(other.into()));
        }
        assert!(serde_json::from_value::<Field>(serde_json::json!(1)).is_err());
    }

    #[test]
    fn views_serialize_as_before() {
        let now = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        for state in [
            SessionState::Active { expires: now, seconds_left: 90 },
            SessionState::Expired { expires: now },
            SessionState::Never,
        ] {
            let json = serde_json::to_value(SessionView::from(&state)).unwrap();
            assert_eq!(json["state"], state.label(), "the state is the core's label");
        }
        let source = |kind| Source { kind, mfa_serial: None, identity: None };
        let name = Name::parse("work").unwrap();
        let keys = source(SourceKind::Keychain { key_hint: Some("****WXYZ".into()) });
        let profile = source(SourceKind::AwsProfile { aws_profile: ProfileName::parse("alice").unwrap() });
        assert_eq!(
            serde_json::to_value(SourceView::new(&name, &keys)).unwrap(),
            serde_json::json!({"name": "work", "kind": "keychain", "keyHint": "****WXYZ", "awsProfile": null, "ssoStartUrl": null, "mfaSerial": null, "identity": null})
        );
        assert_eq!(serde_json::to_value(SourceView::new(&name, &profile)).unwrap()["kind"], "aws_profile");
        let sso = source(SourceKind::Sso {
            sso_start_url: rolecall_core::sso::StartUrl::parse("https://d-1234567890.awsapps.com/start").unwrap(),
            sso_region: rolecall_core::validate::Region::parse("eu-west-1").unwrap(),
            sso_session: None,
            share_with_aws_cli: false,
            sso_session_minutes: None,
        });
        let until = chrono::DateTime::parse_from_rfc3339("2030-01-01T08:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let signed_in = SsoStatus::SignedIn { since: None, ends_at: Some(until) };
        let view = SourceView::new(&name, &sso);
        let json = serde_json::to_value(view.clone().with_sso_status(&signed_in)).unwrap();
        assert_eq!(
            (&json["kind"], &json["ssoStartUrl"]),
            (&"sso".into(), &"https://d-1234567890.awsapps.com/start".into())
        );
        assert_eq!(
            json["sso"],
            serde_json::json!({"region": "eu-west-1", "session": null, "shareWithAwsCli": false, "sessionMinutes": 480, "signedIn": true, "signedInUntil": "2030-01-01T08:00:00+00:00"})
        );
        let out = serde_json::to_value(view.with_sso_status(&SsoStatus::SignedOut)).unwrap();
        assert_eq!((&out["sso"]["signedIn"], &out["sso"]["signedInUntil"]), (&false.into(), &serde_json::Value::Null));
        // Other kinds have no sso part, and no status changes that.
        let keys = SourceView::new(&name, &keys).with_sso_status(&signed_in);
        assert!(keys.sso.is_none());
    }

    #[test]
    fn a_portal_session_is_whole_hours_within_identity_centers_range() {
        assert_eq!(parse_session_hours(""), Ok(None));
        assert_eq!(parse_session_hours(" 8 "), Ok(Some(480)));
        assert_eq!(parse_session_hours("2160"), Ok(Some(2160 * 60)));
        for bad in ["0", "2161", "1.5", "-1", "eight", "99999999999"] {
            let e = parse_session_hours(bad).unwrap_err();
            assert!(e.to_string().starts_with("session length: must be whole hours from 1 to 2160"), "{bad}: {e}");
        }
        assert!(validate_field(&field("sessionHours"), "0").is_some());
        assert_eq!(validate_field(&field("startUrl"), "https://d-1234567890.awsapps.com/start"), None);
        assert!(validate_field(&field("startUrl"), "http://example.com/start").is_some());
        assert_eq!(validate_field(&field("namePattern"), "ACCOUNTNAME-ROLENAME"), None);
        assert!(validate_field(&field("namePattern"), "plain").is_some());
    }

    #[test]
    fn a_portal_listing_marks_the_roles_that_already_are_favourites() {
        use rolecall_app::AccountRoles;
        use rolecall_core::sso::PortalAccount;
        let at = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let discovery = Discovery {
            roles: vec![AccountRoles {
                account: PortalAccount { id: "111122223333".into(), name: "Prod".into(), email: None },
                roles: vec!["Admin".into(), "ReadOnly".into()],
            }],
            fetched_at: at,
        };
        let mut favourites = PortalFavourites::new();
        favourites.insert(("111122223333".into(), "Admin".into()), Name::parse("prod").unwrap());
        let json = serde_json::to_value(PortalListing::new(&discovery, &favourites, at)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"fetchedAt": "2030-01-01T00:00:00+00:00", "stale": false, "accounts": [
                {"id": "111122223333", "name": "Prod", "email": null,
                 "roles": [{"name": "Admin", "favourite": "prod"}, {"name": "ReadOnly", "favourite": null}]}]})
        );
        let later = PortalListing::new(&discovery, &favourites, at + chrono::Duration::hours(25));
        assert!(later.stale, "a day old");
    }

    #[test]
    fn an_import_candidate_crosses_as_the_core_serializes_it() {
        let c = Candidate {
            profile: "team/prod".into(),
            favourite: "team-prod".into(),
            rolecall_profile: "team/prod-rolecall".into(),
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
            source_profile: Some("default".into()),
            mfa_serial: None,
            external_id: Some("xid-1".into()),
            duration_seconds: Some("3600".into()),
            role_session_name: None,
            region: Some("eu-west-1".into()),
            problem: None,
            already_imported: true,
            sso: None,
        };
        assert_eq!(serde_json::to_value(ImportCandidate::from(c.clone())).unwrap(), serde_json::to_value(&c).unwrap());
        let sso = Candidate {
            source_profile: None,
            external_id: None,
            duration_seconds: None,
            sso: Some(SsoCandidate {
                session: Some("corp".into()),
                start_url: Some("https://corp.awsapps.com/start".into()),
                region: Some("eu-west-1".into()),
                account_id: Some("123456789012".into()),
                role_name: Some("Admin".into()),
                source: "corp".into(),
            }),
            ..c
        };
        let json = serde_json::to_value(ImportCandidate::from(sso.clone())).unwrap();
        assert_eq!(json, serde_json::to_value(&sso).unwrap());
        assert_eq!(json["sso"]["startUrl"], "https://corp.awsapps.com/start");
        assert_eq!(json["sso"]["accountId"], "123456789012");
    }

    #[test]
    fn the_secret_is_never_in_debug_output() {
        let i: NewSourceInput = serde_json::from_str(r#"{"name":"w","accessKeyId":"AKIA","secretAccessKey":"s3cr3t","awsProfile":null,"mfaSerial":null,"verify":true}"#).unwrap();
        assert!(!format!("{i:?}").contains("s3cr3t"));
    }
}

/// `ui/src/ipc-types.ts`: the TypeScript of every type above that crosses IPC, and of the events'
/// payloads, checked against the file in the tree.
#[cfg(test)]
mod ts_contract {
    use std::any::TypeId;

    use ts_rs::{Config, TS};

    use rolecall_core::Code;

    use super::*;
    use crate::mfa::MfaRequest;
    use crate::signin::{DeviceSignIn, DeviceSignInState};

    /// The checked-in file.
    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/ipc-types.ts");

    const HEADER: &str = "\
// Generated from src-tauri/src/dto.rs by ts-rs; do not edit. The test
// `dto::ts_contract` in src-tauri fails when this differs from the Rust types;
// `ROLECALL_BLESS=1 cargo test -p rolecall-tray ts_contract` rewrites it.
// Only ui/src/ipc.ts imports it.
";

    /// Every stable error code, as its wire string: written from `rolecall_core::Code::ALL`
    /// (the core cannot derive ts-rs).
    struct ErrorCode;

    impl TS for ErrorCode {
        type WithoutGenerics = Self;
        type OptionInnerType = Self;

        fn docs() -> Option<String> {
            Some("/**\n * A stable error code (`rolecall_core::Code`), as its wire string; docs/errors.md says what each means.\n */\n".into())
        }

        fn name(_: &Config) -> String {
            "ErrorCode".into()
        }

        fn inline(_: &Config) -> String {
            Code::ALL.iter().map(|c| format!("\"{}\"", c.as_str())).collect::<Vec<_>>().join(" | ")
        }

        fn decl(_: &Config) -> String {
            let lines: Vec<String> = Code::ALL.iter().map(|c| format!("\n  | \"{}\"", c.as_str())).collect();
            format!("type ErrorCode ={};", lines.concat())
        }

        fn decl_concrete(cfg: &Config) -> String {
            Self::decl(cfg)
        }

        fn output_path() -> Option<std::path::PathBuf> {
            Some("ErrorCode.ts".into())
        }
    }

    /// What every failed command rejects with: a stable code and a message safe to show. (The
    /// core's `ErrorDto`, which cannot derive ts-rs; `error_dto_has_this_shape` checks it.)
    #[derive(TS)]
    #[ts(rename = "ErrorDto")]
    #[allow(dead_code)]
    struct ErrorShape {
        /// The stable code, like `sts.access_denied`.
        code: ErrorCode,
        /// The message: its subject, what is wrong, what to do.
        message: String,
    }

    struct Rendered {
        cfg: Config,
        text: String,
        declared: Vec<TypeId>,
        needed: Vec<(TypeId, String)>,
    }

    impl Rendered {
        fn add<T: TS + 'static>(&mut self) {
            if let Some(docs) = T::docs() {
                self.text.push_str(&docs);
            }
            self.text.push_str("export ");
            self.text.push_str(&tidy(&T::decl(&self.cfg)));
            self.text.push_str("\n\n");
            self.declared.push(TypeId::of::<T>());
            self.needed.extend(T::dependencies(&self.cfg).into_iter().map(|d| (d.type_id, d.ts_name)));
        }
    }

    /// ts-rs's declaration laid out for reading: an object's fields one per line, indented, and a
    /// long union one member per line (each after a `|`, the first too). Only whitespace changes,
    /// and that leading `|`.
    fn tidy(decl: &str) -> String {
        if let Some((head, body)) = decl.split_once(" = { \n") {
            let mut out = format!("{head} = {{\n");
            for line in body.lines() {
                let line = line.trim_end();
                match line.strip_suffix(" };") {
                    Some(last) => out.push_str(&format!("  {last}\n}};")),
                    None => out.push_str(&format!("  {line}\n")),
                }
            }
            out
        } else if let Some((head, union)) = decl.split_once(" = ")
            && decl.len() > 100
            && !decl.contains('\n')
            && union.contains(" | ")
        {
            let members: Vec<String> = union.trim_end_matches(';').split(" | ").map(|m| format!("\n  | {m}")).collect();
            format!("{head} ={};", members.concat())
        } else {
            decl.to_string()
        }
    }

    /// The file as the Rust types produce it.
    fn render() -> String {
        // `i64` seconds fit a JavaScript number (serde_json writes them as plain numbers).
        let cfg = Config::new().with_large_int("number");
        let mut out = Rendered { cfg, text: format!("{HEADER}\n"), declared: vec![], needed: vec![] };
        // Errors.
        out.add::<ErrorCode>();
        out.add::<ErrorShape>();
        // Command results and arguments, in the order of the commands.
        out.add::<AppInfo>();
        out.add::<SourceKindView>();
        out.add::<SourceView>();
        out.add::<NewSourceInput>();
        out.add::<SessionStateView>();
        out.add::<SessionView>();
        out.add::<TagView>();
        out.add::<DeliveryView>();
        out.add::<FavouriteView>();
        out.add::<FavouriteInput>();
        out.add::<Field>();
        out.add::<PreferencesDto>();
        out.add::<ConversionView>();
        out.add::<SkippedView>();
        out.add::<ImportSso>();
        out.add::<ImportCandidate>();
        out.add::<SsoSourceState>();
        out.add::<NewSsoSourceInput>();
        out.add::<SsoSessionView>();
        out.add::<PortalRoleView>();
        out.add::<PortalAccountView>();
        out.add::<PortalListing>();
        out.add::<DiscoveryProgressView>();
        out.add::<PortalPickInput>();
        // `mfa_pending`'s result and the `rolecall://mfa-request` event's payload
        // (`rolecall://changed` carries none).
        out.add::<MfaRequest>();
        // `signin_pending`'s result and the `rolecall://signin` event's payload.
        out.add::<DeviceSignInState>();
        out.add::<DeviceSignIn>();
        for (id, name) in &out.needed {
            assert!(out.declared.contains(id), "{name} is used by the contract but not declared in it");
        }
        let mut text = out.text;
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }

    /// The lines of `old` and `new` that differ, `-` for the checked-in file's, `+` for the
    /// generated one's, each with its line number (a longest-common-subsequence diff).
    fn diff(old: &str, new: &str) -> String {
        let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
        let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
            }
        }
        let (mut i, mut j, mut out) = (0, 0, String::new());
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                (i, j) = (i + 1, j + 1);
            } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
                out.push_str(&format!("+{:>4} {}\n", j + 1, b[j]));
                j += 1;
            } else {
                out.push_str(&format!("-{:>4} {}\n", i + 1, a[i]));
                i += 1;
            }
        }
        out
    }

    #[test]
    fn the_checked_in_typescript_is_what_the_rust_types_produce() {
        let generated = render();
        if std::env::var("ROLECALL_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(FILE, &generated).expect("write ui/src/ipc-types.ts");
            return;
        }
        let checked_in = std::fs::read_to_string(FILE).unwrap_or_default();
        assert!(
            checked_in == generated,
            "ui/src/ipc-types.ts is not what src-tauri/src/dto.rs produces \
             (- checked in, + generated); run `ROLECALL_BLESS=1 cargo test -p rolecall-tray ts_contract` \
             and commit it:\n{}",
            diff(&checked_in, &generated)
        );
    }

    #[test]
    fn tidying_changes_only_whitespace() {
        let squeeze = |t: &str| t.split_whitespace().collect::<String>();
        for decl in [
            FavouriteView::decl(&Config::new()),
            Field::decl(&Config::new()),
            SourceKindView::decl(&Config::new()),
            ErrorShape::decl(&Config::new()),
        ] {
            let tidy = tidy(&decl);
            assert_eq!(squeeze(&tidy).replacen("=|", "=", 1), squeeze(&decl));
            assert!(tidy.lines().all(|l| l.len() <= 110 && l == l.trim_end()), "{tidy}");
        }
        assert_eq!(tidy("type A = { \nx: string, \ny: number, };"), "type A = {\n  x: string,\n  y: number,\n};");
    }

    #[test]
    fn the_diff_names_each_changed_line() {
        assert_eq!(diff("a\nb\nc\n", "a\nB\nc\nd\n"), "-   2 b\n+   2 B\n+   4 d\n");
        assert_eq!(diff("same\n", "same\n"), "");
        assert_eq!(diff("", "x\n"), "+   1 x\n");
    }

    #[test]
    fn error_dto_has_this_shape() {
        let dto = err(ValidationError::new("region", "\"mars\" is not a region"));
        let json = serde_json::to_value(&dto).unwrap();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["code", "message"]);
        assert!(json["message"].is_string(), "{json}");
        let union = ErrorCode::inline(&Config::new());
        assert!(union.split(" | ").any(|c| json["code"] == c.trim_matches('"')), "{json} in {union}");
        assert_eq!(union.split(" | ").count(), Code::ALL.len());
        let ts = ErrorShape::inline(&Config::new());
        let mut fields = String::new();
        for (i, part) in ts.split("/**").enumerate() {
            // Each part after the first starts with a doc comment: keep what follows it.
            fields.push_str(if i == 0 { part } else { part.split_once("*/").map_or("", |(_, rest)| rest) });
        }
        let fields: String = fields.split_whitespace().collect();
        assert_eq!(fields, "{code:ErrorCode,message:string,}", "{ts}");
    }

    #[test]
    fn the_field_type_is_the_names_the_ui_may_send() {
        let ts = Field::inline(&Config::new());
        let names: Vec<&str> = ts.split(" | ").map(|n| n.trim_matches('"')).collect();
        assert_eq!(names.len(), 19, "{ts}");
        for name in names {
            let field: Field = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert!(!matches!(field, Field::Unknown(_)), "{name} is a known field");
        }
    }
}
