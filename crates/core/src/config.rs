//! rolecall's own configuration: sources (where credentials come from) and favourite roles.
//!
//! The text form is `config.toml`; reading and writing the file is an adapter's job, this module
//! turns text into a validated [`Config`] and back. Secrets never appear here: a keychain source
//! records only that its keys live in the keychain, a masked key id and the verified identity.
//! Every mutation re-validates the whole config, so an invalid config is never produced.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::code::Code;
use crate::sso::StartUrl;
use crate::validate::{
    ExternalId, Lead, MAX_POLICY_ARNS, MAX_SESSION_TAGS, MfaSerial, Name, PolicyArn, ProfileName, Region, RoleArn,
    SessionDuration, SessionName, SourceIdentity, Tag, ValidationError, check_tag_key,
};

/// The version of the `config.toml` layout this build writes.
pub const CONFIG_VERSION: u32 = 1;

/// Why a config cannot be loaded or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML could not be read (syntax, unknown field, invalid value). `message` names the place.
    #[error("config.toml: {message}")]
    Syntax {
        /// The parser's description, with line and column.
        message: String,
    },
    /// The file was written by a newer rolecall.
    #[error("config.toml: version {0} is newer than this rolecall understands ({CONFIG_VERSION}); upgrade rolecall")]
    TooNew(u32),
    /// A name is not a known source or favourite.
    #[error("{kind} {name}: not found")]
    NotFound {
        /// `source`, `favourite` or `source or favourite`.
        kind: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A name is already taken.
    #[error("{name}: already exists as a {kind}; remove it first or choose another name")]
    Exists {
        /// What holds the name.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A favourite's settings contradict each other or STS's rules.
    #[error("favourite {name}: {reason}")]
    Invalid {
        /// The favourite.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A source is still used by favourites.
    #[error("source {name}: still used by {users}; remove those favourites first")]
    InUse {
        /// The source or favourite.
        name: String,
        /// The favourites using it, comma-separated.
        users: String,
    },
    /// A field failed validation.
    #[error(transparent)]
    Input(#[from] ValidationError),
}

impl ConfigError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            ConfigError::Syntax { .. } => Code::ConfigSyntax,
            ConfigError::TooNew(_) => Code::ConfigTooNew,
            ConfigError::NotFound { .. } => Code::ConfigNotFound,
            ConfigError::Exists { .. } => Code::ConfigExists,
            ConfigError::Invalid { .. } => Code::ConfigInvalid,
            ConfigError::InUse { .. } => Code::ConfigInUse,
            ConfigError::Input(e) => e.code(),
        }
    }
}

/// Where a source's credentials come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceKind {
    /// Long-term IAM user keys kept in the OS keychain.
    Keychain {
        /// The masked access key id (`****WXYZ`), for display.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_hint: Option<String>,
    },
    /// A profile of the user's AWS config, resolved by the AWS SDK (keys, SSO, credential_process).
    AwsProfile {
        /// The profile's name.
        aws_profile: ProfileName,
    },
    /// IAM Identity Center: the user signs in to the organisation's access portal, and the
    /// portal hands out the credentials of the roles assigned to them (GetRoleCredentials). Its
    /// sign-in (client registration, tokens) lives in the keychain.
    Sso {
        /// The access portal's start URL.
        sso_start_url: StartUrl,
        /// The region of the organisation's IAM Identity Center.
        sso_region: Region,
        /// The `[sso-session NAME]` block of `~/.aws/config` it was made from, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sso_session: Option<String>,
        /// Whether its sign-in is shared with the AWS CLI and SDKs: the standard token cache
        /// (`~/.aws/sso/cache/`) is written and kept fresh. Off, nothing leaves the keychain.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        share_with_aws_cli: bool,
        /// How long a sign-in to the portal lasts, in minutes, as the organisation set it in IAM
        /// Identity Center (none: AWS's default, [`DEFAULT_SSO_SESSION_MINUTES`]). rolecall warns
        /// before it ends; the portal, not this number, decides when it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sso_session_minutes: Option<u32>,
    },
}

/// AWS's default length of an access portal session: 8 hours.
pub const DEFAULT_SSO_SESSION_MINUTES: u32 = 8 * 60;
/// The shortest portal session IAM Identity Center allows: 15 minutes.
pub const MIN_SSO_SESSION_MINUTES: u32 = 15;
/// The longest portal session IAM Identity Center allows: 90 days.
pub const MAX_SSO_SESSION_MINUTES: u32 = 90 * 24 * 60;

/// Checks a portal session length in minutes against IAM Identity Center's range.
pub fn check_sso_session_minutes(minutes: u32) -> Result<u32, ValidationError> {
    if (MIN_SSO_SESSION_MINUTES..=MAX_SSO_SESSION_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ValidationError::new(
            "sso_session_minutes",
            format!(
                "{minutes} minutes is outside IAM Identity Center's range, {MIN_SSO_SESSION_MINUTES} minutes to 90 days"
            ),
        ))
    }
}

impl SourceKind {
    /// What kind, in words (`keychain`, `aws_profile`, `sso`), as `config.toml` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            SourceKind::Keychain { .. } => "keychain",
            SourceKind::AwsProfile { .. } => "aws_profile",
            SourceKind::Sso { .. } => "sso",
        }
    }

    /// How long a sign-in of this IAM Identity Center source lasts (`None` for other kinds).
    pub fn sso_session_length(&self) -> Option<chrono::Duration> {
        match self {
            SourceKind::Sso { sso_session_minutes, .. } => {
                Some(chrono::Duration::minutes(i64::from(sso_session_minutes.unwrap_or(DEFAULT_SSO_SESSION_MINUTES))))
            }
            _ => None,
        }
    }
}

/// A source of credentials for assuming roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSource")]
pub struct Source {
    /// Where its credentials live.
    #[serde(flatten)]
    pub kind: SourceKind,
    /// The MFA device used with it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_serial: Option<MfaSerial>,
    /// The identity ARN GetCallerIdentity returned when the source was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

/// A source as `config.toml` spells it: every key it may have, and no other (serde cannot refuse
/// unknown keys next to a flattened enum), so a key typed by hand, say `secret_access_key`, is
/// refused with its name instead of being dropped on the next save.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    key_hint: Option<String>,
    #[serde(default)]
    aws_profile: Option<ProfileName>,
    #[serde(default)]
    sso_start_url: Option<StartUrl>,
    #[serde(default)]
    sso_region: Option<Region>,
    #[serde(default)]
    sso_session: Option<String>,
    #[serde(default)]
    share_with_aws_cli: Option<bool>,
    #[serde(default)]
    sso_session_minutes: Option<u32>,
    #[serde(default)]
    mfa_serial: Option<MfaSerial>,
    #[serde(default)]
    identity: Option<String>,
}

impl TryFrom<RawSource> for Source {
    type Error = String;
    fn try_from(r: RawSource) -> Result<Source, String> {
        let sso = r.sso_start_url.is_some()
            || r.sso_region.is_some()
            || r.sso_session.is_some()
            || r.sso_session_minutes.is_some();
        if sso && r.kind != "sso" {
            return Err(format!(
                "a {} source has no sso_start_url, sso_region, sso_session or sso_session_minutes",
                r.kind
            ));
        }
        if r.share_with_aws_cli.is_some() && r.kind != "sso" {
            return Err(format!(
                "a {} source has no share_with_aws_cli (only an sso source shares its sign-in)",
                r.kind
            ));
        }
        let kind = match (r.kind.as_str(), r.aws_profile) {
            ("keychain", None) => SourceKind::Keychain { key_hint: r.key_hint },
            ("aws_profile", Some(aws_profile)) if r.key_hint.is_none() => SourceKind::AwsProfile { aws_profile },
            ("keychain", Some(_)) => return Err("a keychain source has no aws_profile".into()),
            ("aws_profile", Some(_)) => return Err("an aws_profile source has no key_hint".into()),
            ("aws_profile", None) => return Err("missing field `aws_profile`".into()),
            ("sso", Some(_)) => return Err("an sso source has no aws_profile".into()),
            ("sso", None) if r.key_hint.is_some() || r.mfa_serial.is_some() => {
                return Err("an sso source has no key_hint or mfa_serial (the portal does the sign-in)".into());
            }
            ("sso", None) => SourceKind::Sso {
                sso_start_url: r.sso_start_url.ok_or("missing field `sso_start_url`")?,
                sso_region: r.sso_region.ok_or("missing field `sso_region`")?,
                sso_session: r.sso_session,
                share_with_aws_cli: r.share_with_aws_cli.unwrap_or(false),
                sso_session_minutes: r
                    .sso_session_minutes
                    .map(check_sso_session_minutes)
                    .transpose()
                    .map_err(|e| e.to_string())?,
            },
            (other, _) => {
                return Err(format!("unknown source type {other:?}, expected keychain, aws_profile or sso"));
            }
        };
        Ok(Source { kind, mfa_serial: r.mfa_serial, identity: r.identity })
    }
}

/// Session tags: at most 50, keys and values within STS's limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, String>", into = "BTreeMap<String, String>")]
pub struct SessionTags(Vec<Tag>);

impl SessionTags {
    /// Validates a list of tags (no duplicate keys, case-insensitively, as STS requires).
    pub fn new(tags: Vec<Tag>) -> Result<Self, ValidationError> {
        if tags.len() > MAX_SESSION_TAGS {
            return Err(ValidationError::new(
                "tag",
                format!("at most {MAX_SESSION_TAGS} session tags, got {}", tags.len()),
            ));
        }
        let mut seen = BTreeSet::new();
        for t in &tags {
            if !seen.insert(t.key.to_lowercase()) {
                return Err(ValidationError::new("tag", format!("key {:?} given twice", t.key)));
            }
        }
        Ok(Self(tags))
    }
    /// The tags.
    pub fn as_slice(&self) -> &[Tag] {
        &self.0
    }
}

impl TryFrom<BTreeMap<String, String>> for SessionTags {
    type Error = ValidationError;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, ValidationError> {
        let tags = map.into_iter().map(|(k, v)| Tag::parse(&format!("{k}={v}"))).collect::<Result<Vec<_>, _>>()?;
        Self::new(tags)
    }
}
impl From<SessionTags> for BTreeMap<String, String> {
    fn from(t: SessionTags) -> Self {
        t.0.into_iter().map(|t| (t.key, t.value)).collect()
    }
}

/// A favourite role: everything needed to assume it with one click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Favourite {
    /// The role to assume.
    pub arn: RoleArn,
    /// A source, or another favourite (role chaining).
    pub source: Name,
    /// The profile written in `~/.aws/credentials`.
    pub profile: ProfileName,
    /// The requested session length.
    #[serde(default = "default_duration")]
    pub duration: SessionDuration,
    /// The session name; when absent, derived from the source's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<SessionName>,
    /// The external id the role's trust policy asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<ExternalId>,
    /// Whether to send the source's MFA device and a code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mfa: bool,
    /// The region written to the profile and used for STS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// Session tags.
    #[serde(default, skip_serializing_if = "is_empty_tags")]
    pub tags: SessionTags,
    /// Keys of `tags` that pass on through role chaining.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tags: Vec<String>,
    /// The STS source identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<SourceIdentity>,
    /// Managed policies that further limit the session.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<PolicyArn>,
    /// Whether its session renews itself in the background; unset: the preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// How long before expiry to notify; unset: the preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_before: Option<Lead>,
    /// How long before expiry an automatic renewal happens; unset: the preference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<Lead>,
    /// How AWS tools get its credentials: written into its profile (the default), or served by
    /// `rolecall credentials` through the profile's `credential_process`.
    #[serde(default, skip_serializing_if = "Delivery::is_file")]
    pub delivery: Delivery,
}

/// How a favourite's credentials reach AWS tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Written into its profile of `~/.aws/credentials`.
    #[default]
    File,
    /// Never written: its profile in `~/.aws/config` gets a `credential_process` that asks
    /// rolecall for them when a tool needs them.
    Process,
}

impl Delivery {
    /// Whether it is [`Delivery::File`] (the default, not written to `config.toml`).
    pub fn is_file(&self) -> bool {
        *self == Delivery::File
    }

    /// Its name in `config.toml`, the CLI and the tray.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::File => "file",
            Delivery::Process => "process",
        }
    }

    /// Parses `file` or `process`.
    pub fn parse(raw: &str) -> Option<Delivery> {
        match raw {
            "file" => Some(Delivery::File),
            "process" => Some(Delivery::Process),
            _ => None,
        }
    }
}

impl std::fmt::Display for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn default_duration() -> SessionDuration {
    SessionDuration::DEFAULT
}
fn is_empty_tags(t: &SessionTags) -> bool {
    t.0.is_empty()
}

impl Favourite {
    /// A favourite with defaults for everything optional.
    pub fn new(arn: RoleArn, source: Name, profile: ProfileName) -> Self {
        Favourite {
            arn,
            source,
            profile,
            duration: SessionDuration::DEFAULT,
            session_name: None,
            external_id: None,
            mfa: false,
            region: None,
            tags: SessionTags::default(),
            transitive_tags: Vec::new(),
            source_identity: None,
            policy_arns: Vec::new(),
            auto_renew: None,
            notify_before: None,
            renew_before: None,
            delivery: Delivery::File,
        }
    }
}

/// When a favourite's session warns and renews: its own settings over the preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpirySettings {
    /// Whether it renews itself.
    pub auto_renew: bool,
    /// How long before expiry to notify.
    pub notify_before: Lead,
    /// How long before expiry to renew (auto-renew only).
    pub renew_before: Lead,
}

/// App-wide preferences (the settings window's third tab).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preferences {
    /// Minutes before a session expires to notify the user (1–120).
    pub notify_before_minutes: u32,
    /// Whether favourites renew themselves in the background unless they say otherwise.
    pub auto_renew: bool,
    /// Minutes before expiry an automatic renewal happens (1–60).
    pub renew_before_minutes: u32,
    /// Whether the tray app starts at login.
    pub start_at_login: bool,
    /// How long an MFA session (GetSessionToken) lasts, in hours (1–36): favourites of an MFA
    /// source re-assume with it, without a new code, until it ends.
    pub mfa_session_hours: u32,
    /// Whether opening the console signs the browser out of its current console session first,
    /// so one click switches it from one account to another.
    pub console_sign_out_first: bool,
    /// "Never write secrets to disk": new favourites (added, imported, picked from a portal) get
    /// `delivery = "process"` unless they say otherwise.
    pub never_write_secrets: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            notify_before_minutes: 10,
            auto_renew: false,
            renew_before_minutes: 5,
            start_at_login: false,
            mfa_session_hours: 12,
            console_sign_out_first: false,
            never_write_secrets: false,
        }
    }
}

impl Preferences {
    /// How a new favourite's credentials are delivered unless it says otherwise.
    pub fn default_delivery(&self) -> Delivery {
        if self.never_write_secrets { Delivery::Process } else { Delivery::File }
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=120).contains(&self.notify_before_minutes) {
            return Err(ValidationError::new("notify before", "must be 1 to 120 minutes"));
        }
        if !(1..=60).contains(&self.renew_before_minutes) {
            return Err(ValidationError::new("renew before", "must be 1 to 60 minutes"));
        }
        if !(1..=36).contains(&self.mfa_session_hours) {
            return Err(ValidationError::new("MFA session", "must be 1 to 36 hours (STS's limits for IAM users)"));
        }
        Ok(())
    }
}

/// The whole rolecall configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The layout version.
    pub version: u32,
    /// App-wide preferences.
    #[serde(default)]
    pub preferences: Preferences,
    /// Sources by name.
    #[serde(default)]
    pub sources: BTreeMap<Name, Source>,
    /// Favourite roles by name.
    #[serde(default, rename = "roles")]
    pub favourites: BTreeMap<Name, Favourite>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: CONFIG_VERSION,
            preferences: Preferences::default(),
            sources: BTreeMap::new(),
            favourites: BTreeMap::new(),
        }
    }
}

/// The root of a favourite's chain: the source whose credentials start it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root<'a> {
    /// The source's name.
    pub name: &'a Name,
    /// The source.
    pub source: &'a Source,
}

/// One favourite in a chain, by name.
pub type Link<'a> = (&'a Name, &'a Favourite);

impl Config {
    /// Parses and validates `config.toml` text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        #[derive(Deserialize)]
        struct Version {
            #[serde(default)]
            version: Option<u32>,
        }
        if let Ok(Version { version: Some(v) }) = toml::from_str::<Version>(text)
            && v > CONFIG_VERSION
        {
            return Err(ConfigError::TooNew(v));
        }
        // The message and where, never the line itself: it may hold a value typed by hand that
        // does not belong there (a secret key, say).
        let config: Config = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().replace('\n', " ");
            let message = match e.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {column}: {message}")
                }
                None => message,
            };
            ConfigError::Syntax { message }
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The `config.toml` text.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("a validated config always serializes");
        format!(
            "# rolecall configuration: sources and favourite roles.\n# No secrets here: source keys live in the OS keychain.\n\n{body}"
        )
    }

    /// The favourite called `name`.
    pub fn favourite(&self, name: &Name) -> Result<&Favourite, ConfigError> {
        self.favourites.get(name).ok_or_else(|| ConfigError::NotFound { kind: "favourite", name: name.to_string() })
    }

    /// The source called `name`.
    pub fn source(&self, name: &Name) -> Result<&Source, ConfigError> {
        self.sources.get(name).ok_or_else(|| ConfigError::NotFound { kind: "source", name: name.to_string() })
    }

    /// The chain of favourites from the root source's first role to `name` (last), and the root source.
    pub fn chain(&self, name: &Name) -> Result<(Root<'_>, Vec<Link<'_>>), ConfigError> {
        let mut chain = Vec::new();
        let mut current = name;
        loop {
            let (key, fav) = self
                .favourites
                .get_key_value(current)
                .ok_or_else(|| ConfigError::NotFound { kind: "favourite", name: current.to_string() })?;
            if chain.iter().any(|(n, _)| *n == key) {
                return Err(ConfigError::Invalid { name: name.to_string(), reason: "its sources form a loop".into() });
            }
            chain.push((key, fav));
            if let Some((root_name, source)) = self.sources.get_key_value(&fav.source) {
                chain.reverse();
                return Ok((Root { name: root_name, source }, chain));
            }
            if !self.favourites.contains_key(&fav.source) {
                return Err(ConfigError::NotFound { kind: "source or favourite", name: fav.source.to_string() });
            }
            current = &fav.source;
        }
    }

    /// Adds a source, refusing a taken name.
    pub fn add_source(&mut self, name: Name, source: Source) -> Result<(), ConfigError> {
        self.check_free(&name)?;
        self.sources.insert(name, source);
        self.validate()
    }

    /// Adds or (with `replace`) replaces a favourite; the whole config is re-validated first.
    pub fn put_favourite(&mut self, name: Name, fav: Favourite, replace: bool) -> Result<(), ConfigError> {
        if !(replace && self.favourites.contains_key(&name)) {
            self.check_free(&name)?;
        }
        let mut next = self.clone();
        next.favourites.insert(name, fav);
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Removes a source (`favourite == false`) or a favourite that no favourite uses as its source.
    pub fn remove(&mut self, name: &Name, favourite: bool) -> Result<(), ConfigError> {
        let kind = if favourite { "favourite" } else { "source" };
        let exists = if favourite { self.favourites.contains_key(name) } else { self.sources.contains_key(name) };
        if !exists {
            return Err(ConfigError::NotFound { kind, name: name.to_string() });
        }
        let users: Vec<String> =
            self.favourites.iter().filter(|(_, f)| &f.source == name).map(|(n, _)| n.to_string()).collect();
        if !users.is_empty() {
            return Err(ConfigError::InUse { name: name.to_string(), users: users.join(", ") });
        }
        if favourite {
            self.favourites.remove(name);
        } else {
            self.sources.remove(name);
        }
        Ok(())
    }

    fn check_free(&self, name: &Name) -> Result<(), ConfigError> {
        if self.sources.contains_key(name) {
            return Err(ConfigError::Exists { kind: "source", name: name.to_string() });
        }
        if self.favourites.contains_key(name) {
            return Err(ConfigError::Exists { kind: "favourite", name: name.to_string() });
        }
        Ok(())
    }

    /// The expiry settings of favourite `name`: its own, else the preferences.
    pub fn expiry_settings(&self, name: &Name) -> Result<ExpirySettings, ConfigError> {
        let fav = self.favourite(name)?;
        let p = &self.preferences;
        let minutes = |m: u32| Lead::from_secs("lead time", m * 60).expect("validated preference");
        Ok(ExpirySettings {
            auto_renew: fav.auto_renew.unwrap_or(p.auto_renew),
            notify_before: fav.notify_before.unwrap_or_else(|| minutes(p.notify_before_minutes)),
            renew_before: fav.renew_before.unwrap_or_else(|| minutes(p.renew_before_minutes)),
        })
    }

    /// Whether assuming favourite `name` needs an MFA code (any favourite of its chain asks for
    /// MFA), and with which source's device.
    pub fn mfa_source(&self, name: &Name) -> Result<Option<(&Name, &MfaSerial)>, ConfigError> {
        let (root, chain) = self.chain(name)?;
        Ok(match &root.source.mfa_serial {
            Some(serial) if chain.iter().any(|(_, f)| f.mfa) => Some((root.name, serial)),
            _ => None,
        })
    }

    /// Whether favourite `name` is assumed through its source's MFA session: its first link asks for
    /// MFA and its source is an IAM user's keys (GetSessionToken needs long-term keys).
    pub fn uses_mfa_session(&self, name: &Name) -> Result<bool, ConfigError> {
        let (root, chain) = self.chain(name)?;
        Ok(chain[0].1.mfa
            && matches!(root.source.kind, SourceKind::Keychain { .. })
            && root.source.mfa_serial.is_some())
    }

    /// Checks every rule that spans fields or entries.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.preferences.validate()?;
        if let Some(n) = self.sources.keys().find(|n| self.favourites.contains_key(*n)) {
            return Err(ConfigError::Exists { kind: "source and a favourite", name: n.to_string() });
        }
        let mut profiles: BTreeMap<&ProfileName, &Name> = BTreeMap::new();
        for (name, fav) in &self.favourites {
            let invalid = |reason: String| ConfigError::Invalid { name: name.to_string(), reason };
            if let Some(other) = profiles.insert(&fav.profile, name) {
                return Err(invalid(format!("profile {} is already written by favourite {other}", fav.profile)));
            }
            let (root, chain) = self.chain(name)?;
            if chain.len() > 1 && fav.duration > SessionDuration::CHAINED_MAX {
                return Err(invalid(format!(
                    "its source {} is a role, and STS caps chained sessions at 1h; ask for 1h or less (asked {})",
                    fav.source, fav.duration
                )));
            }
            if fav.mfa && root.source.mfa_serial.is_none() {
                return Err(invalid(format!(
                    "asking for MFA needs an MFA device on source {}; give the source its MFA device's serial",
                    root.name
                )));
            }
            if let Some(region) = &fav.region
                && !fav.arn.partition().contains(region)
            {
                return Err(invalid(format!(
                    "region {region} is not in the role's partition {}",
                    fav.arn.partition().as_str()
                )));
            }
            for (what, lead) in [("warning lead", fav.notify_before), ("renewal lead", fav.renew_before)] {
                if let Some(lead) = lead
                    && lead.as_secs() >= fav.duration.as_secs()
                {
                    return Err(invalid(format!(
                        "its {what} {lead} must be shorter than its session ({})",
                        fav.duration
                    )));
                }
            }
            for key in &fav.transitive_tags {
                check_tag_key(key)?;
                if !fav.tags.as_slice().iter().any(|t| &t.key == key) {
                    return Err(invalid(format!("transitive tag {key:?} is not one of its tags")));
                }
            }
            if fav.policy_arns.len() > MAX_POLICY_ARNS {
                return Err(invalid(format!("at most {MAX_POLICY_ARNS} policy ARNs, got {}", fav.policy_arns.len())));
            }
            if let Some(p) = fav
                .policy_arns
                .iter()
                .find(|p| !p.as_str().starts_with(&format!("arn:{}:", fav.arn.partition().as_str())))
            {
                return Err(invalid(format!("policy {p} is not in the role's partition")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }
    fn fav(arn_role: &str, source: &str, profile: &str) -> Favourite {
        Favourite::new(
            RoleArn::parse(&format!("arn:aws:iam::123456789012:role/{arn_role}")).unwrap(),
            name(source),
            ProfileName::parse(profile).unwrap(),
        )
    }
    fn keychain_source(mfa: bool) -> Source {
        Source {
            kind: SourceKind::Keychain { key_hint: Some("****MPLE".into()) },
            mfa_serial: mfa.then(|| MfaSerial::parse("arn:aws:iam::123456789012:mfa/alice").unwrap()),
            identity: Some("arn:aws:iam::123456789012:user/alice".into()),
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(true)).unwrap();
        let mut f = fav("Admin", "work", "prod-admin");
        f.mfa = true;
        f.region = Some(Region::parse("eu-west-1").unwrap());
        f.tags = SessionTags::new(vec![Tag::parse("team=ops").unwrap()]).unwrap();
        f.transitive_tags = vec!["team".into()];
        f.external_id = Some(ExternalId::parse("xid-123").unwrap());
        c.put_favourite(name("prod-admin"), f, false).unwrap();
        c.put_favourite(name("chained"), fav("Inner", "prod-admin", "chained"), false).unwrap();
        let text = c.to_toml();
        assert!(text.contains("[roles.prod-admin]"), "{text}");
        assert!(text.contains("tags = { team = \"ops\" }") || text.contains("[roles.prod-admin.tags]"), "{text}");
        assert_eq!(Config::from_toml(&text).unwrap(), c);
    }

    #[test]
    fn delivery_is_written_only_when_it_is_process() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(false)).unwrap();
        c.put_favourite(name("a"), fav("A", "work", "a"), false).unwrap();
        assert!(!c.to_toml().contains("delivery"), "file is the default, not written: {}", c.to_toml());
        let mut f = fav("B", "work", "b");
        f.delivery = Delivery::Process;
        c.put_favourite(name("b"), f, false).unwrap();
        let text = c.to_toml();
        assert!(text.contains("delivery = \"process\""), "{text}");
        assert_eq!(Config::from_toml(&text).unwrap(), c, "round trip");
        assert_eq!(Config::from_toml(&text).unwrap().favourites[&name("a")].delivery, Delivery::File);
        let bad = text.replace("delivery = \"process\"", "delivery = \"socket\"");
        assert!(Config::from_toml(&bad).unwrap_err().to_string().contains("unknown variant"), "refused");
        assert_eq!(Delivery::parse("process"), Some(Delivery::Process));
        assert_eq!(Delivery::parse("Process"), None);
    }

    #[test]
    fn chains_resolve_and_loops_are_refused() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(false)).unwrap();
        c.put_favourite(name("a"), fav("A", "work", "a"), false).unwrap();
        c.put_favourite(name("b"), fav("B", "a", "b"), false).unwrap();
        let (root, chain) = c.chain(&name("b")).unwrap();
        assert_eq!(root.name.as_str(), "work");
        assert_eq!(chain.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        // a -> b -> a
        let err = c.put_favourite(name("a"), fav("A", "b", "a"), true).unwrap_err();
        assert!(err.to_string().contains("loop"), "{err}");
        assert_eq!(c.favourites[&name("a")].source.as_str(), "work", "a refused change leaves the config as it was");
    }

    #[test]
    fn rules_across_fields() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(false)).unwrap();
        c.put_favourite(name("a"), fav("A", "work", "a"), false).unwrap();

        let mut long = fav("B", "a", "b");
        long.duration = SessionDuration::parse("2h").unwrap();
        let e = c.put_favourite(name("b"), long, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "favourite b: its source a is a role, and STS caps chained sessions at 1h; ask for 1h or less (asked 2h)"
        );

        let mut mfa = fav("B", "work", "b");
        mfa.mfa = true;
        assert!(
            c.put_favourite(name("b"), mfa, false)
                .unwrap_err()
                .to_string()
                .contains("asking for MFA needs an MFA device on source work")
        );

        let e = c.put_favourite(name("b"), fav("B", "work", "a"), false).unwrap_err();
        assert!(e.to_string().contains("profile a is already written by favourite a"), "{e}");

        let e = c.put_favourite(name("work"), fav("B", "work", "w"), false).unwrap_err();
        assert_eq!(e.code(), "config.exists");

        let e = c.put_favourite(name("b"), fav("B", "nowhere", "b"), false).unwrap_err();
        assert_eq!(e.to_string(), "source or favourite nowhere: not found");

        let mut cn = fav("B", "work", "b");
        cn.region = Some(Region::parse("cn-north-1").unwrap());
        assert!(c.put_favourite(name("b"), cn, false).unwrap_err().to_string().contains("not in the role's partition"));

        let mut tt = fav("B", "work", "b");
        tt.transitive_tags = vec!["team".into()];
        assert!(c.put_favourite(name("b"), tt, false).unwrap_err().to_string().contains("transitive tag"));

        let e = c.remove(&name("work"), false).unwrap_err();
        assert_eq!(e.to_string(), "source work: still used by a; remove those favourites first");
        c.remove(&name("a"), true).unwrap();
        c.remove(&name("work"), false).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let e = Config::from_toml("version = 1\n[roles.x]\narn = \"arn:aws:s3:::b\"\n").unwrap_err();
        assert_eq!(e.code(), "config.syntax");
        assert!(e.to_string().contains("line 3"), "{e}");
        assert_eq!(Config::from_toml("version = 9\n").unwrap_err(), ConfigError::TooNew(9));
        assert!(Config::from_toml("version = 1\nsecret = \"x\"\n").is_err(), "unknown fields are refused");
        assert_eq!(Config::from_toml("version = 1\n").unwrap(), Config::default());
        let e = Config::from_toml("version = 1\n[preferences]\nnotify_before_minutes = 0\n").unwrap_err();
        assert_eq!(e.to_string(), "notify before: must be 1 to 120 minutes");
        let c = Config::from_toml("version = 1\n[preferences]\nauto_renew = true\n").unwrap();
        assert!(c.preferences.auto_renew);
        assert_eq!(c.preferences.notify_before_minutes, 10, "missing preferences take their defaults");
    }

    #[test]
    fn a_source_with_a_key_it_does_not_have_is_refused_not_dropped() {
        let base = "version = 1\n[sources.work]\ntype = \"keychain\"\nkey_hint = \"****MPLE\"\n";
        let c = Config::from_toml(base).unwrap();
        assert_eq!(c.sources[&name("work")].kind, SourceKind::Keychain { key_hint: Some("****MPLE".into()) });
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c, "round trip");
        for (extra, says) in [
            ("secret_access_key = \"wJalrXUtnFEMI\"\n", "unknown field `secret_access_key`"),
            ("aws_profile = \"dev\"\n", "a keychain source has no aws_profile"),
        ] {
            let e = Config::from_toml(&format!("{base}{extra}")).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
            assert!(!e.contains("wJalrXUtnFEMI"), "the value is not repeated: {e}");
        }
        let e = Config::from_toml("version = 1\n[sources.p]\ntype = \"aws_profile\"\n").unwrap_err().to_string();
        assert!(e.contains("missing field `aws_profile`"), "{e}");
        let e = Config::from_toml("version = 1\n[sources.p]\ntype = \"vault\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown source type \"vault\", expected keychain, aws_profile or sso"), "{e}");
        // IAM Identity Center: its start URL and region, nothing that belongs to keys.
        let e = Config::from_toml("version = 1\n[sources.p]\ntype = \"sso\"\n").unwrap_err().to_string();
        assert!(e.contains("missing field `sso_start_url`"), "{e}");
        let sso = "version = 1\n[sources.corp]\ntype = \"sso\"\nsso_start_url = \"https://d-1234567890.awsapps.com/start\"\nsso_region = \"eu-west-1\"\n";
        let c = Config::from_toml(sso).unwrap();
        assert!(
            matches!(&c.sources[&name("corp")].kind, SourceKind::Sso { sso_region, .. } if sso_region.as_str() == "eu-west-1")
        );
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c, "round trip");
        for (extra, says) in [
            ("key_hint = \"****MPLE\"\n", "an sso source has no key_hint or mfa_serial"),
            ("aws_profile = \"dev\"\n", "an sso source has no aws_profile"),
        ] {
            let e = Config::from_toml(&format!("{sso}{extra}")).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let e = Config::from_toml(&format!("{base}sso_region = \"eu-west-1\"\n")).unwrap_err().to_string();
        assert!(
            e.contains("a keychain source has no sso_start_url, sso_region, sso_session or sso_session_minutes"),
            "{e}"
        );
        let e = Config::from_toml(&sso.replace("https://", "http://")).unwrap_err().to_string();
        assert!(e.contains("start URL: must start with https://"), "{e}");
        let p = Config::from_toml("version = 1\n[sources.p]\ntype = \"aws_profile\"\naws_profile = \"dev\"\n").unwrap();
        assert!(
            matches!(&p.sources[&name("p")].kind, SourceKind::AwsProfile { aws_profile } if aws_profile.as_str() == "dev")
        );
    }

    #[test]
    fn sharing_the_sign_in_is_off_unless_asked_and_only_for_an_sso_source() {
        let sso = "version = 1\n[sources.corp]\ntype = \"sso\"\nsso_start_url = \"https://d-1234567890.awsapps.com/start\"\nsso_region = \"eu-west-1\"\n";
        let shares =
            |c: &Config| matches!(&c.sources[&name("corp")].kind, SourceKind::Sso { share_with_aws_cli: true, .. });
        let off = Config::from_toml(sso).unwrap();
        assert!(!shares(&off));
        assert!(!off.to_toml().contains("share_with_aws_cli"), "off is not written: {}", off.to_toml());
        let on = Config::from_toml(&format!("{sso}share_with_aws_cli = true\n")).unwrap();
        assert!(shares(&on));
        assert!(on.to_toml().contains("share_with_aws_cli = true"), "{}", on.to_toml());
        assert_eq!(Config::from_toml(&on.to_toml()).unwrap(), on, "round trip");
        let keys = "version = 1\n[sources.work]\ntype = \"keychain\"\nshare_with_aws_cli = true\n";
        let e = Config::from_toml(keys).unwrap_err().to_string();
        assert!(e.contains("a keychain source has no share_with_aws_cli"), "{e}");
    }

    #[test]
    fn a_portal_session_lasts_eight_hours_unless_the_source_says_within_aws_range() {
        let sso = "version = 1\n[sources.corp]\ntype = \"sso\"\nsso_start_url = \"https://d-1234567890.awsapps.com/start\"\nsso_region = \"eu-west-1\"\n";
        let length = |c: &Config| c.sources[&name("corp")].kind.sso_session_length();
        let default = Config::from_toml(sso).unwrap();
        assert_eq!(length(&default), Some(chrono::Duration::hours(8)));
        assert!(!default.to_toml().contains("sso_session_minutes"), "the default is not written");
        let set = Config::from_toml(&format!("{sso}sso_session_minutes = 720\n")).unwrap();
        assert_eq!(length(&set), Some(chrono::Duration::hours(12)));
        assert_eq!(Config::from_toml(&set.to_toml()).unwrap(), set, "round trip");
        for bad in [14, 90 * 24 * 60 + 1] {
            let e = Config::from_toml(&format!("{sso}sso_session_minutes = {bad}\n")).unwrap_err().to_string();
            assert!(e.contains("outside IAM Identity Center's range"), "{e}");
        }
        let keys = "version = 1\n[sources.work]\ntype = \"keychain\"\nsso_session_minutes = 60\n";
        let e = Config::from_toml(keys).unwrap_err().to_string();
        assert!(
            e.contains("a keychain source has no sso_start_url, sso_region, sso_session or sso_session_minutes"),
            "{e}"
        );
        assert_eq!(keychain_source(false).kind.sso_session_length(), None);
    }

    #[test]
    fn expiry_settings_fall_back_to_the_preferences() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(true)).unwrap();
        c.put_favourite(name("plain"), fav("A", "work", "plain"), false).unwrap();
        let mut own = fav("B", "work", "own");
        own.duration = SessionDuration::from_secs(900).unwrap();
        own.auto_renew = Some(true);
        own.notify_before = Some(Lead::parse("14m55s").unwrap());
        own.renew_before = Some(Lead::parse("14m50s").unwrap());
        c.put_favourite(name("own"), own, false).unwrap();
        c.preferences.notify_before_minutes = 7;

        let plain = c.expiry_settings(&name("plain")).unwrap();
        assert_eq!((plain.auto_renew, plain.notify_before.as_secs(), plain.renew_before.as_secs()), (false, 420, 300));
        let own = c.expiry_settings(&name("own")).unwrap();
        assert_eq!((own.auto_renew, own.notify_before.as_secs(), own.renew_before.as_secs()), (true, 895, 890));
        c.preferences.auto_renew = true;
        assert!(c.expiry_settings(&name("plain")).unwrap().auto_renew);
        c.favourites.get_mut(&name("own")).unwrap().auto_renew = Some(false);
        assert!(!c.expiry_settings(&name("own")).unwrap().auto_renew, "the favourite's own choice wins");

        let text = c.to_toml();
        assert!(text.contains("notify_before = \"14m55s\""), "{text}");
        assert_eq!(Config::from_toml(&text).unwrap(), c);

        // A lead as long as the session would notify (or renew) the moment it starts.
        let mut long = fav("C", "work", "long");
        long.duration = SessionDuration::from_secs(900).unwrap();
        long.renew_before = Some(Lead::parse("15m").unwrap());
        let e = c.put_favourite(name("long"), long, false).unwrap_err();
        assert_eq!(e.to_string(), "favourite long: its renewal lead 15m must be shorter than its session (15m)");
        let e = Config::from_toml("version = 1\n[preferences]\nmfa_session_hours = 37\n").unwrap_err();
        assert_eq!(e.to_string(), "MFA session: must be 1 to 36 hours (STS's limits for IAM users)");
    }

    #[test]
    fn mfa_source_is_the_root_device_when_any_link_asks_for_mfa() {
        let mut c = Config::default();
        c.add_source(name("work"), keychain_source(true)).unwrap();
        c.add_source(name("plain"), keychain_source(false)).unwrap();
        let mut m = fav("A", "work", "a");
        m.mfa = true;
        c.put_favourite(name("a"), m, false).unwrap();
        c.put_favourite(name("b"), fav("B", "a", "b"), false).unwrap();
        c.put_favourite(name("c"), fav("C", "work", "c"), false).unwrap();
        c.put_favourite(name("d"), fav("D", "plain", "d"), false).unwrap();
        let serial = MfaSerial::parse("arn:aws:iam::123456789012:mfa/alice").unwrap();
        assert_eq!(c.mfa_source(&name("a")).unwrap(), Some((&name("work"), &serial)));
        assert_eq!(c.mfa_source(&name("b")).unwrap(), Some((&name("work"), &serial)), "chained through an MFA link");
        assert_eq!(c.mfa_source(&name("c")).unwrap(), None, "the device is there but this favourite does not ask");
        assert_eq!(c.mfa_source(&name("d")).unwrap(), None);
    }
}
