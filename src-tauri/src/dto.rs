//! What crosses the IPC boundary to the webview: views with no secret in them, inputs parsed into
//! core types once, and errors as `{code, message}`.

use rolecall_core::config::{Favourite, Preferences, SessionTags, Source, SourceKind};
use rolecall_core::time::SessionState;
use rolecall_core::validate::{
    ExternalId, Lead, MfaSerial, Name, PolicyArn, ProfileName, Region, RoleArn, SessionDuration, SessionName,
    SourceIdentity, Tag, ValidationError, check_tag_key,
};
use rolecall_core::{Error, ErrorDto};
use serde::{Deserialize, Serialize};

/// A source, as the settings window lists it (the key id only masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    /// Its name.
    pub name: String,
    /// `keychain` or `aws_profile`.
    pub kind: &'static str,
    /// `****WXYZ`.
    pub key_hint: Option<String>,
    /// The AWS profile, for `aws_profile` sources.
    pub aws_profile: Option<String>,
    /// The MFA device.
    pub mfa_serial: Option<String>,
    /// The identity verified when added.
    pub identity: Option<String>,
}

impl SourceView {
    /// The view of a source.
    pub fn new(name: &Name, s: &Source) -> SourceView {
        let (kind, key_hint, aws_profile) = match &s.kind {
            SourceKind::Keychain { key_hint } => ("keychain", key_hint.clone(), None),
            SourceKind::AwsProfile { aws_profile } => ("aws_profile", None, Some(aws_profile.to_string())),
        };
        SourceView {
            name: name.to_string(),
            kind,
            key_hint,
            aws_profile,
            mfa_serial: s.mfa_serial.as_ref().map(ToString::to_string),
            identity: s.identity.clone(),
        }
    }
}

/// A new source from the settings window. The secret travels UI → Rust once and is zeroized here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSourceInput {
    /// The source's name.
    pub name: String,
    /// The access key id (keys sources).
    pub access_key_id: Option<String>,
    /// The secret access key (keys sources).
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

/// A session's state for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// `active`, `expired` or `never`.
    pub state: &'static str,
    /// RFC 3339.
    pub expires: Option<String>,
    /// Seconds left, when active.
    pub seconds_left: Option<i64>,
}

impl From<&SessionState> for SessionView {
    fn from(s: &SessionState) -> SessionView {
        let (expires, seconds_left) = match s {
            SessionState::Active { expires, seconds_left } => (Some(expires.to_rfc3339()), Some(*seconds_left)),
            SessionState::Expired { expires } => (Some(expires.to_rfc3339()), None),
            SessionState::Never => (None, None),
        };
        SessionView { state: s.label(), expires, seconds_left }
    }
}

/// A session tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagView {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A favourite, as the settings window lists and edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Auto-renew: `true`/`false` its own choice, `null` the preference.
    pub auto_renew: Option<bool>,
    /// Its own notification lead time (`14m55s`), `null` for the preference.
    pub notify_before: Option<String>,
    /// Its own renewal lead time, `null` for the preference.
    pub renew_before: Option<String>,
    /// Its session.
    pub session: SessionView,
    /// Its lead times that its session length clamps, in words (`renew before 20m applies as
    /// 7m30s (half of its 15m session)`).
    pub lead_notes: Vec<String>,
}

impl FavouriteView {
    /// The view of a favourite in `state`, with the notes on its clamped leads.
    pub fn new(name: &Name, f: &Favourite, state: &SessionState, lead_notes: Vec<String>) -> FavouriteView {
        FavouriteView {
            name: name.to_string(),
            arn: f.arn.to_string(),
            source: f.source.to_string(),
            profile: f.profile.to_string(),
            duration_secs: f.duration.as_secs(),
            session_name: f.session_name.as_ref().map(ToString::to_string),
            external_id: f.external_id.as_ref().map(ToString::to_string),
            mfa: f.mfa,
            region: f.region.as_ref().map(ToString::to_string),
            tags: f.tags.as_slice().iter().map(|t| TagView { key: t.key.clone(), value: t.value.clone() }).collect(),
            transitive_tags: f.transitive_tags.clone(),
            source_identity: f.source_identity.as_ref().map(ToString::to_string),
            policy_arns: f.policy_arns.iter().map(ToString::to_string).collect(),
            auto_renew: f.auto_renew,
            notify_before: f.notify_before.map(|l| l.to_string()),
            renew_before: f.renew_before.map(|l| l.to_string()),
            session: state.into(),
            lead_notes,
        }
    }
}

/// A favourite from the settings form; empty strings mean "not set".
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FavouriteInput {
    /// Its name.
    pub name: String,
    /// The role ARN.
    pub arn: String,
    /// Its source.
    pub source: String,
    /// The profile ("" = the name).
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
    /// Auto-renew (`null`: the preference).
    #[serde(default)]
    pub auto_renew: Option<bool>,
    /// Notification lead time, `10m`, `14m55s` ("" = the preference).
    #[serde(default)]
    pub notify_before: String,
    /// Renewal lead time ("" = the preference).
    #[serde(default)]
    pub renew_before: String,
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
        };
        Ok((name, fav))
    }
}

/// Preferences, as the settings window edits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Hours an MFA session lasts.
    pub mfa_session_hours: u32,
    /// Sign the browser out of its console session before opening another.
    #[serde(default)]
    pub console_sign_out_first: bool,
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
        }
    }
}

/// The core's message for one form field's value, or `None` if it is valid.
pub fn validate_field(field: &str, value: &str) -> Option<String> {
    let v = value.trim();
    let result: Result<(), ValidationError> = match field {
        "name" => Name::parse(v).map(drop),
        "arn" => RoleArn::parse(v).map(drop),
        "profile" | "awsProfile" => ProfileName::parse(v).map(drop),
        "duration" => SessionDuration::parse(v).map(drop),
        "sessionName" => SessionName::parse(v).map(drop),
        "externalId" => ExternalId::parse(v).map(drop),
        "region" => Region::parse(v).map(drop),
        "tag" => Tag::parse(v).map(drop),
        "transitiveTag" => check_tag_key(v).map(drop),
        "sourceIdentity" => SourceIdentity::parse(v).map(drop),
        "policyArn" => PolicyArn::parse(v).map(drop),
        "notifyBefore" => Lead::parse_as("notify before", v).map(drop),
        "renewBefore" => Lead::parse_as("renew before", v).map(drop),
        "mfaSerial" => MfaSerial::parse(v).map(drop),
        "accessKeyId" => rolecall_core::secret::AccessKeyId::parse(v).map(drop),
        _ => Err(ValidationError::new("field", format!("unknown field {field:?}"))),
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

    #[test]
    fn field_messages_are_the_cores() {
        assert_eq!(
            validate_field("duration", "13h").unwrap(),
            "duration: must be between 15m (900) and 12h (43200) seconds, got 46800"
        );
        assert_eq!(
            validate_field("profile", "a]\n[default"),
            Some("profile: ']' is not allowed; use letters, digits and _ - . + @ / :".into())
        );
        assert_eq!(validate_field("arn", "arn:aws:iam::123456789012:role/Admin"), None);
        assert!(validate_field("nope", "x").is_some());
    }

    #[test]
    fn the_secret_is_never_in_debug_output() {
        let i: NewSourceInput = serde_json::from_str(r#"{"name":"w","accessKeyId":"AKIA","secretAccessKey":"s3cr3t","awsProfile":null,"mfaSerial":null,"verify":true}"#).unwrap();
        assert!(!format!("{i:?}").contains("s3cr3t"));
    }
}
