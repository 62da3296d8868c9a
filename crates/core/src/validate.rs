//! Validated newtypes for everything a user types: names, ARNs, durations, regions, tags, MFA codes.
//!
//! Raw input (CLI flags, `config.toml`, `~/.aws/config`, the settings form) becomes one of these types
//! exactly once; downstream code never re-checks. Each type's rules follow AWS's documented limits,
//! and names that end up inside an INI file can never inject a section or a key.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a value was refused. The message names the field and the rule, never the value when it may be secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// The field being validated, as the user knows it (`--arn`, `session name`, …).
    pub field: &'static str,
    /// What is wrong, in plain words.
    pub reason: String,
}

impl ValidationError {
    /// A refusal of `field` for `reason`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }

    /// The stable code of every validation error.
    pub fn code(&self) -> crate::code::Code {
        crate::code::Code::InputInvalid
    }
}

type Result<T> = std::result::Result<T, ValidationError>;

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `raw` into this type.
            pub fn parse(raw: &str) -> Result<Self> {
                $check(raw).map_err(|reason| ValidationError::new($field, reason))?;
                Ok(Self(raw.to_owned()))
            }
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(raw: String) -> Result<Self> {
                Self::parse(&raw)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(raw: &str) -> Result<Self> {
                Self::parse(raw)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn check_len(raw: &str, min: usize, max: usize) -> std::result::Result<(), String> {
    let n = raw.chars().count();
    if n < min || n > max {
        if min == max {
            return Err(format!("must be {min} characters, got {n}"));
        }
        return Err(format!("must be {min} to {max} characters, got {n}"));
    }
    Ok(())
}

fn check_chars(raw: &str, allowed: impl Fn(char) -> bool, what: &str) -> std::result::Result<(), String> {
    match raw.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!("{c:?} is not allowed; use {what}")),
        None => Ok(()),
    }
}

/// AWS's `[\w+=,.@-]` set, used by session names and source identities.
fn is_sts_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn check_name(raw: &str) -> std::result::Result<(), String> {
    check_len(raw, 1, 64)?;
    check_chars(raw, |c| c.is_ascii_alphanumeric() || "_-.".contains(c), "letters, digits, '-', '_' and '.'")?;
    if raw.starts_with(['-', '.']) {
        return Err("must start with a letter, digit or '_'".into());
    }
    Ok(())
}

fn check_profile(raw: &str) -> std::result::Result<(), String> {
    check_len(raw, 1, 128)?;
    if raw.trim() != raw {
        return Err("must not start or end with whitespace".into());
    }
    check_chars(raw, |c| c.is_ascii_alphanumeric() || "_-.+@/:".contains(c), "letters, digits and _ - . + @ / :")?;
    if raw.starts_with("profile ") || raw.starts_with("sso-session") {
        return Err("is reserved by the AWS config file".into());
    }
    // Python's configparser (botocore, the AWS CLI) reads `[DEFAULT]` as defaults for every other
    // section: a session written there would leak its token into every profile of the file.
    if raw == "DEFAULT" {
        return Err("is reserved: AWS tools read [DEFAULT] as defaults for every other profile".into());
    }
    Ok(())
}

fn check_session_name(raw: &str) -> std::result::Result<(), String> {
    check_len(raw, 2, 64)?;
    check_chars(raw, is_sts_name_char, "letters, digits and _ + = , . @ -")
}

fn check_external_id(raw: &str) -> std::result::Result<(), String> {
    check_len(raw, 2, 1224)?;
    check_chars(raw, |c| is_sts_name_char(c) || c == ':' || c == '/', "letters, digits and _ + = , . @ : / -")
}

fn check_region(raw: &str) -> std::result::Result<(), String> {
    // e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-5, us-isob-east-1
    let parts: Vec<&str> = raw.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && raw.len() <= 32;
    if ok { Ok(()) } else { Err("is not an AWS region name like us-east-1".into()) }
}

string_newtype!(
    /// A name for a source or a favourite role in rolecall's own config (`prod-admin`, `work`).
    Name,
    "name",
    check_name
);
string_newtype!(
    /// A profile name in `~/.aws/credentials` and `~/.aws/config` that cannot inject INI.
    ProfileName,
    "profile",
    check_profile
);
string_newtype!(
    /// An STS `RoleSessionName`: `[\w+=,.@-]{2,64}`.
    SessionName,
    "session name",
    check_session_name
);
string_newtype!(
    /// An STS `SourceIdentity`: `[\w+=,.@-]{2,64}`.
    SourceIdentity,
    "source identity",
    check_session_name
);
string_newtype!(
    /// An STS `ExternalId`: 2–1224 characters of `[\w+=,.@:/-]`.
    ExternalId,
    "external id",
    check_external_id
);
string_newtype!(
    /// An AWS region name (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
    Region,
    "region",
    check_region
);

impl SessionName {
    /// A traceable session name derived from an IAM identity ARN: the user (or session) name, made valid.
    /// Falls back to `rolecall` when nothing usable remains.
    pub fn traceable_from(identity_arn: Option<&str>) -> SessionName {
        let candidate: String = identity_arn
            .and_then(|arn| arn.rsplit_once('/'))
            .map_or("", |(_, last)| last)
            .chars()
            .filter(|c| is_sts_name_char(*c))
            .take(64)
            .collect();
        SessionName::parse(&candidate).unwrap_or_else(|_| SessionName("rolecall".to_owned()))
    }
}

/// An AWS partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-us-gov`: AWS GovCloud (US).
    AwsUsGov,
    /// `aws-cn`: the China regions.
    AwsCn,
}

impl Partition {
    /// Parses the partition field of an ARN.
    pub fn parse(raw: &str) -> Option<Partition> {
        match raw {
            "aws" => Some(Partition::Aws),
            "aws-us-gov" => Some(Partition::AwsUsGov),
            "aws-cn" => Some(Partition::AwsCn),
            _ => None,
        }
    }
    /// The partition's ARN name.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
        }
    }
    /// The region STS is called in when a favourite names none.
    pub fn default_region(self) -> Region {
        let r = match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsCn => "cn-north-1",
        };
        Region(r.to_owned())
    }
    /// The partition `region` belongs to.
    pub fn of_region(region: &Region) -> Partition {
        [Partition::AwsUsGov, Partition::AwsCn].into_iter().find(|p| p.contains(region)).unwrap_or(Partition::Aws)
    }
    /// Whether `region` belongs to this partition.
    pub fn contains(self, region: &Region) -> bool {
        let r = region.as_str();
        match self {
            Partition::AwsUsGov => r.starts_with("us-gov-"),
            Partition::AwsCn => r.starts_with("cn-"),
            Partition::Aws => !r.starts_with("us-gov-") && !r.starts_with("cn-") && !r.starts_with("us-iso"),
        }
    }
}

/// The parts of an IAM ARN: `arn:PARTITION:iam::ACCOUNT:RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IamArn<'a> {
    partition: Partition,
    account: &'a str,
    resource_type: &'a str,
    resource_path: &'a str,
}

fn parse_iam_arn(raw: &str) -> std::result::Result<IamArn<'_>, String> {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err("is not an ARN (arn:aws:iam::123456789012:role/NAME)".into());
    }
    let partition = Partition::parse(parts[1])
        .ok_or_else(|| format!("unknown partition {:?}; expected aws, aws-us-gov or aws-cn", parts[1]))?;
    if parts[2] != "iam" {
        return Err(format!("is an ARN of service {:?}, not iam", parts[2]));
    }
    if !parts[3].is_empty() {
        return Err("IAM ARNs have no region".into());
    }
    if parts[4].len() != 12 || !parts[4].chars().all(|c| c.is_ascii_digit()) {
        return Err("the account id must be 12 digits".into());
    }
    let (resource_type, resource_path) =
        parts[5].split_once('/').ok_or_else(|| "the resource must look like TYPE/NAME".to_string())?;
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace".into());
    }
    Ok(IamArn { partition, account: parts[4], resource_type, resource_path })
}

fn check_iam_name_path(path: &str, max_name: usize) -> std::result::Result<(), String> {
    let name = path.rsplit('/').next().unwrap_or("");
    check_len(name, 1, max_name).map_err(|e| format!("the name {e}"))?;
    check_chars(path, |c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c), "letters, digits and _ + = , . @ - /")
}

fn check_role_arn(raw: &str) -> std::result::Result<(), String> {
    check_len(raw, 20, 2048)?;
    let arn = parse_iam_arn(raw)?;
    if arn.resource_type != "role" {
        return Err(format!("is an IAM {}, not a role", arn.resource_type));
    }
    check_iam_name_path(arn.resource_path, 64)
}

fn check_mfa_serial(raw: &str) -> std::result::Result<(), String> {
    // A virtual device ARN, or a hardware device serial number (e.g. GAHT12345678).
    if !raw.starts_with("arn:") {
        check_len(raw, 9, 256)?;
        return check_chars(raw, |c| c.is_ascii_alphanumeric() || "=,.@-".contains(c), "a device ARN or serial number");
    }
    let arn = parse_iam_arn(raw)?;
    if arn.resource_type != "mfa" && arn.resource_type != "u2f" {
        return Err(format!("is an IAM {}, not an MFA device", arn.resource_type));
    }
    check_iam_name_path(arn.resource_path, 512)
}

fn check_policy_arn(raw: &str) -> std::result::Result<(), String> {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    // Managed policies of AWS itself have the account "aws".
    if parts.len() == 6 && parts[4] == "aws" {
        let fake = format!("{}:{}:{}:{}:000000000000:{}", parts[0], parts[1], parts[2], parts[3], parts[5]);
        return check_policy_arn(&fake);
    }
    check_len(raw, 20, 2048)?;
    let arn = parse_iam_arn(raw)?;
    if arn.resource_type != "policy" {
        return Err(format!("is an IAM {}, not a policy", arn.resource_type));
    }
    check_iam_name_path(arn.resource_path, 128)
}

string_newtype!(
    /// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
    RoleArn,
    "role arn",
    check_role_arn
);
string_newtype!(
    /// An MFA device: a virtual device ARN (`arn:aws:iam::ACCOUNT:mfa/NAME`) or a hardware serial.
    MfaSerial,
    "mfa serial",
    check_mfa_serial
);
string_newtype!(
    /// A managed policy ARN passed as a session policy (`arn:aws:iam::aws:policy/ReadOnlyAccess`).
    PolicyArn,
    "policy arn",
    check_policy_arn
);

impl RoleArn {
    /// The role's partition.
    pub fn partition(&self) -> Partition {
        parse_iam_arn(&self.0).map(|a| a.partition).unwrap_or(Partition::Aws)
    }
    /// The role's 12-digit account id.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or("")
    }
    /// The role's name (without its path).
    pub fn role_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

/// A session duration accepted by STS AssumeRole: 15 minutes to 12 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SessionDuration(u32);

impl SessionDuration {
    /// The shortest session STS grants.
    pub const MIN: SessionDuration = SessionDuration(900);
    /// The longest session STS grants (the role's own maximum may be lower).
    pub const MAX: SessionDuration = SessionDuration(43_200);
    /// The cap STS puts on sessions from role chaining.
    pub const CHAINED_MAX: SessionDuration = SessionDuration(3_600);
    /// The default: one hour, like STS's own.
    pub const DEFAULT: SessionDuration = SessionDuration(3_600);

    /// Validates a number of seconds.
    pub fn from_secs(secs: u32) -> Result<Self> {
        if !(Self::MIN.0..=Self::MAX.0).contains(&secs) {
            return Err(ValidationError::new(
                "duration",
                format!("must be between 15m (900) and 12h (43200) seconds, got {secs}"),
            ));
        }
        Ok(Self(secs))
    }
    /// Parses `3600`, `3600s`, `45m`, `1h`, `1h30m`.
    pub fn parse(raw: &str) -> Result<Self> {
        let secs = parse_hms(raw).ok_or_else(|| {
            ValidationError::new("duration", format!("{raw:?} is not a duration like 3600, 45m, 1h or 1h30m"))
        })?;
        Self::from_secs(secs)
    }
    /// Seconds.
    pub fn as_secs(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for SessionDuration {
    type Error = ValidationError;
    fn try_from(secs: u32) -> Result<Self> {
        Self::from_secs(secs)
    }
}
impl From<SessionDuration> for u32 {
    fn from(d: SessionDuration) -> u32 {
        d.0
    }
}
impl fmt::Display for SessionDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::time::human_duration(i64::from(self.0)))
    }
}

/// Seconds from `3600`, `3600s`, `45m`, `1h`, `1h30m`, `14m55s` (units in descending order, each
/// once); `None` for anything else.
fn parse_hms(raw: &str) -> Option<u32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Ok(secs) = raw.parse::<u32>() {
        return Some(secs);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut last_unit = u64::MAX;
    for c in raw.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        if unit >= last_unit {
            return None;
        }
        last_unit = unit;
        total = total.checked_add(n.checked_mul(unit)?)?;
        if total > u64::from(u32::MAX) {
            return None;
        }
    }
    if !digits.is_empty() {
        return None;
    }
    u32::try_from(total).ok()
}

/// How long before a session's expiry something happens (a notification, a renewal): 1 second to
/// 12 hours. Written as text in `config.toml` (`10m`, `14m55s`, `90s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Lead(u32);

impl Lead {
    /// The longest lead: as long as the longest session.
    pub const MAX_SECS: u32 = 43_200;

    /// Validates a number of seconds (`what` names the field in errors).
    pub fn from_secs(what: &'static str, secs: u32) -> Result<Self> {
        if !(1..=Self::MAX_SECS).contains(&secs) {
            return Err(ValidationError::new(what, format!("must be between 1s and 12h, got {secs}s")));
        }
        Ok(Self(secs))
    }
    /// Parses `600`, `90s`, `10m`, `14m55s`, `1h`.
    pub fn parse_as(what: &'static str, raw: &str) -> Result<Self> {
        let secs = parse_hms(raw)
            .ok_or_else(|| ValidationError::new(what, format!("{raw:?} is not a time like 10m, 14m55s, 90s or 1h")))?;
        Self::from_secs(what, secs)
    }
    /// Parses a lead time.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_as("lead time", raw)
    }
    /// Seconds.
    pub fn as_secs(self) -> u32 {
        self.0
    }
    /// As a chrono duration.
    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(self.0))
    }
}

impl TryFrom<String> for Lead {
    type Error = ValidationError;
    fn try_from(raw: String) -> Result<Self> {
        Self::parse(&raw)
    }
}
impl From<Lead> for String {
    fn from(l: Lead) -> String {
        l.to_string()
    }
}
/// Compact and exact: `14m55s`, `10m`, `1h30m`, `45s` (parses back to the same value).
impl fmt::Display for Lead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::time::human_duration_exact(i64::from(self.0)))
    }
}

/// A session tag (`key=value`), within STS's limits: key 1–128, value 0–256 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tag {
    /// The tag key.
    pub key: String,
    /// The tag value.
    pub value: String,
}

/// The most session tags STS accepts in one call.
pub const MAX_SESSION_TAGS: usize = 50;
/// The most session policy ARNs STS accepts in one call.
pub const MAX_POLICY_ARNS: usize = 10;

fn check_tag_text(raw: &str) -> std::result::Result<(), String> {
    check_chars(
        raw,
        |c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c),
        "letters, digits, spaces and _ . : / = + - @",
    )
}

/// Validates a session tag key (also used for `--transitive-tag`).
pub fn check_tag_key(raw: &str) -> Result<String> {
    check_len(raw, 1, 128)
        .and_then(|()| check_tag_text(raw))
        .and_then(|()| {
            if raw.to_ascii_lowercase().starts_with("aws:") {
                Err("the aws: prefix is reserved".into())
            } else {
                Ok(())
            }
        })
        .map_err(|r| ValidationError::new("tag key", r))?;
    Ok(raw.to_owned())
}

impl Tag {
    /// Parses `key=value`.
    pub fn parse(raw: &str) -> Result<Tag> {
        let (k, v) = raw
            .split_once('=')
            .ok_or_else(|| ValidationError::new("tag", format!("{raw:?} must look like key=value")))?;
        let key = check_tag_key(k)?;
        check_len(v, 0, 256).and_then(|()| check_tag_text(v)).map_err(|r| ValidationError::new("tag value", r))?;
        Ok(Tag { key, value: v.to_owned() })
    }
}

/// A one-time code from an MFA device: exactly six digits.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaCode(String);

impl MfaCode {
    /// Validates a code; surrounding whitespace is ignored.
    pub fn parse(raw: &str) -> Result<MfaCode> {
        let t = raw.trim();
        if t.len() != 6 || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(ValidationError::new("mfa code", "must be exactly 6 digits"));
        }
        Ok(MfaCode(t.to_owned()))
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MfaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MfaCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let ok = [
            "arn:aws:iam::123456789012:role/Admin",
            "arn:aws:iam::123456789012:role/path/to/Admin-1_x+=,.@",
            "arn:aws-us-gov:iam::123456789012:role/gov",
            "arn:aws-cn:iam::123456789012:role/cn",
        ];
        for a in ok {
            assert!(RoleArn::parse(a).is_ok(), "{a}");
        }
        let bad = [
            ("", "must be 20"),
            ("arn:aws:s3:::my-bucket/some/key/abc", "service \"s3\""),
            ("arn:aws:iam::123456789012:user/alice", "not a role"),
            ("arn:aws-xx:iam::123456789012:role/x", "unknown partition"),
            ("arn:aws:iam::12345:role/Admin12345678", "12 digits"),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "no region"),
            ("arn:aws:iam::123456789012:role/has space", "whitespace"),
            ("arn:aws:iam::123456789012:role/", "the name must be"),
            ("not-an-arn-at-all-really", "is not an ARN"),
        ];
        for (a, why) in bad {
            let e = RoleArn::parse(a).unwrap_err().to_string();
            assert!(e.starts_with("role arn: "), "{e}");
            assert!(e.contains(why), "{a}: {e}");
        }
        let r = RoleArn::parse("arn:aws-us-gov:iam::123456789012:role/p/gov").unwrap();
        assert_eq!(r.partition(), Partition::AwsUsGov);
        assert_eq!(r.account(), "123456789012");
        assert_eq!(r.role_name(), "gov");
    }

    #[test]
    fn profile_names_cannot_inject_ini() {
        for bad in
            ["a]\n[default", "a]", "[a", "x=y", "a\nb", " a", "a ", "", "a;b", "a#b", "profile x", "a\tb", "DEFAULT"]
        {
            assert!(ProfileName::parse(bad).is_err(), "{bad:?} accepted");
        }
        for ok in ["default", "prod-admin", "team/prod", "a.b_c+d@e:f", "Prod1"] {
            assert!(ProfileName::parse(ok).is_ok(), "{ok:?} refused");
        }
    }

    #[test]
    fn session_names() {
        assert!(SessionName::parse("alice@example.com").is_ok());
        assert!(SessionName::parse("a").is_err());
        assert!(SessionName::parse("has space").is_err());
        assert!(SessionName::parse(&"x".repeat(65)).is_err());
        assert!(SessionName::parse(&"x".repeat(64)).is_ok());
        assert_eq!(SessionName::traceable_from(Some("arn:aws:iam::123456789012:user/ops/alice")).as_str(), "alice");
        assert_eq!(SessionName::traceable_from(Some("arn:aws:iam::123456789012:root")).as_str(), "rolecall");
        assert_eq!(SessionName::traceable_from(None).as_str(), "rolecall");
        assert_eq!(SessionName::traceable_from(Some("arn:aws:iam::1:user/é")).as_str(), "rolecall");
    }

    #[test]
    fn durations() {
        let table = [
            ("3600", Some(3600)),
            ("1h", Some(3600)),
            ("1h30m", Some(5400)),
            ("15m", Some(900)),
            ("12h", Some(43200)),
            ("899", None),
            ("43201", None),
            ("13h", None),
            ("1x", None),
            ("", None),
            ("h", None),
            ("-1", None),
            ("99999999999h", None),
            ("900s", Some(900)),
        ];
        for (raw, want) in table {
            assert_eq!(SessionDuration::parse(raw).ok().map(SessionDuration::as_secs), want, "{raw:?}");
        }
        assert_eq!(SessionDuration::parse("5400").unwrap().to_string(), "1h 30m");
    }

    #[test]
    fn lead_times() {
        let table = [
            ("600", Some(600)),
            ("10m", Some(600)),
            ("14m55s", Some(895)),
            ("90s", Some(90)),
            ("1h", Some(3600)),
            ("1h0m5s", Some(3605)),
            ("12h", Some(43_200)),
            ("0", None),
            ("0s", None),
            ("12h1s", None),
            ("5s10m", None),
            ("10m10m", None),
            ("10 m", None),
            ("-5m", None),
            ("", None),
            ("m", None),
        ];
        for (raw, want) in table {
            assert_eq!(Lead::parse(raw).ok().map(Lead::as_secs), want, "{raw:?}");
        }
        for secs in [1, 59, 60, 61, 895, 3600, 3601, 5400, 43_200] {
            let lead = Lead::from_secs("lead time", secs).unwrap();
            assert_eq!(Lead::parse(&lead.to_string()), Ok(lead), "{lead}");
        }
        assert_eq!(Lead::parse("895").unwrap().to_string(), "14m55s");
        let e = Lead::parse_as("notify before", "soon").unwrap_err();
        assert_eq!(e.to_string(), "notify before: \"soon\" is not a time like 10m, 14m55s, 90s or 1h");
    }

    #[test]
    fn regions_and_partitions() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-5"] {
            assert!(Region::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["US-EAST-1", "useast1", "us-east", "us-east-1 ", "", "us--1"] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
        assert!(Partition::AwsCn.contains(&Region::parse("cn-northwest-1").unwrap()));
        assert!(!Partition::Aws.contains(&Region::parse("cn-northwest-1").unwrap()));
        assert!(Partition::AwsUsGov.contains(&Partition::AwsUsGov.default_region()));
    }

    #[test]
    fn tags_mfa_and_policies() {
        assert_eq!(Tag::parse("team=ops").unwrap(), Tag { key: "team".into(), value: "ops".into() });
        assert!(Tag::parse("empty=").is_ok());
        assert!(Tag::parse("novalue").is_err());
        assert!(Tag::parse("aws:x=1").is_err());
        assert!(Tag::parse(&format!("{}=v", "k".repeat(129))).is_err());
        assert!(Tag::parse(&format!("k={}", "v".repeat(257))).is_err());
        assert!(MfaCode::parse("123456").is_ok());
        assert!(MfaCode::parse(" 123456\n").is_ok());
        for bad in ["12345", "1234567", "12345a", ""] {
            assert!(MfaCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", MfaCode::parse("123456").unwrap()), "MfaCode(******)");
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:mfa/alice").is_ok());
        assert!(MfaSerial::parse("GAHT12345678").is_ok());
        assert!(MfaSerial::parse("arn:aws:iam::123456789012:role/x").is_err());
        assert!(PolicyArn::parse("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(PolicyArn::parse("arn:aws:iam::123456789012:policy/team/Mine").is_ok());
        assert!(PolicyArn::parse("arn:aws:iam::123456789012:role/x").is_err());
    }

    #[test]
    fn names() {
        for ok in ["prod-admin", "a", "dev_1", "x.y"] {
            assert!(Name::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", ".x", "a b", "a/b", &"n".repeat(65)] {
            assert!(Name::parse(bad).is_err(), "{bad}");
        }
    }
}

/// Property tests of every validated type: no input panics, what is accepted round-trips and can
/// never inject INI structure or reach STS out of AWS's limits, and well-formed values are
/// accepted. `ROLECALL_PROPTEST_CASES` raises the case count.
#[cfg(test)]
mod props {
    use super::*;
    use crate::ini::IniDocument;
    use proptest::prelude::*;

    use crate::test_support::proptest_cases as cases;

    /// Text a user or an attacker might type: INI and shell metacharacters, whitespace of every
    /// kind, control characters, non-ASCII, and plain arbitrary strings.
    fn hostile() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[a-zA-Z0-9 _.:/@+=,\\[\\]#;\\n\\r\\t\\x00\\x0b\\x1c\u{a0}\u{2028}é'\"$`\\\\-]{0,80}",
            2 => any::<String>(),
            1 => "arn:(aws|aws-cn|aws-us-gov|aws-x|)?:(iam|s3|sts|)?:[a-z0-9-]{0,3}:[0-9a]{0,13}:[a-z/]{0,6}[ -~\\n]{0,20}",
        ]
    }

    /// No accepted value holds anything that could break a line, a section or a key of an INI file.
    fn ini_safe(s: &str) -> bool {
        !s.chars().any(|c| c.is_control() || matches!(c, '[' | ']' | '\n' | '\r'))
    }

    /// Checks that `parse` never panics and that what it accepts round-trips through its text.
    macro_rules! round_trip {
        ($ty:ty, $raw:expr) => {{
            let raw: &str = $raw;
            match <$ty>::parse(raw) {
                Ok(v) => {
                    prop_assert_eq!(v.as_str(), raw);
                    let again = <$ty>::parse(v.as_str());
                    prop_assert_eq!(again, Ok(v.clone()));
                    prop_assert_eq!(v.to_string(), raw);
                    let from_config = <$ty>::try_from(v.to_string());
                    prop_assert_eq!(from_config, Ok(v.clone()));
                    Some(v)
                }
                Err(e) => {
                    prop_assert_eq!(e.code(), "input.invalid");
                    prop_assert!(!e.to_string().is_empty());
                    None
                }
            }
        }};
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

        #[test]
        fn validate_prop_names_and_profiles(raw in hostile()) {
            if let Some(n) = round_trip!(Name, &raw) {
                prop_assert!(n.as_str().chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
                prop_assert!((1..=64).contains(&n.as_str().len()));
            }
            if let Some(p) = round_trip!(ProfileName, &raw) {
                prop_assert!(ini_safe(p.as_str()));
                prop_assert!(!p.as_str().contains(|c: char| c.is_whitespace() || "=#;".contains(c)));
                prop_assert_ne!(p.as_str(), "DEFAULT");
                // It is a section name the INI editor writes and reads back as exactly one section.
                let mut doc = IniDocument::parse("[default]\nk = v\n").unwrap();
                doc.set_entries(p.as_str(), &[("x_rolecall_favourite", "f")]).unwrap();
                let reparsed = IniDocument::parse(doc.as_bytes().to_vec()).unwrap();
                prop_assert_eq!(reparsed.get(p.as_str(), "x_rolecall_favourite"), Some("f".to_owned()));
                prop_assert_eq!(reparsed.get("default", "k"), Some("v".to_owned()));
            }
        }

        #[test]
        fn validate_prop_sts_strings(raw in hostile()) {
            for v in [round_trip!(SessionName, &raw).map(String::from), round_trip!(SourceIdentity, &raw).map(String::from)].into_iter().flatten() {
                prop_assert!((2..=64).contains(&v.len()));
                prop_assert!(v.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)));
            }
            if let Some(x) = round_trip!(ExternalId, &raw) {
                prop_assert!((2..=1224).contains(&x.as_str().len()) && ini_safe(x.as_str()));
                prop_assert!(!x.as_str().contains(char::is_whitespace));
            }
            if let Some(r) = round_trip!(Region, &raw) {
                prop_assert!(r.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            }
            let _ = check_tag_key(&raw);
            if let Ok(t) = Tag::parse(&raw) {
                let joined = format!("{}={}", t.key, t.value);
                prop_assert_eq!(joined, raw.clone());
                prop_assert!((1..=128).contains(&t.key.chars().count()) && t.value.chars().count() <= 256);
                prop_assert!(!t.key.to_ascii_lowercase().starts_with("aws:"));
                prop_assert!(ini_safe(&t.key) && ini_safe(&t.value));
            }
            match MfaCode::parse(&raw) {
                Ok(c) => {
                    prop_assert_eq!(c.as_str(), raw.trim());
                    prop_assert!(c.as_str().len() == 6 && c.as_str().bytes().all(|b| b.is_ascii_digit()));
                    let shown = format!("{:?}", c);
                    prop_assert_eq!(shown, "MfaCode(******)");
                }
                Err(e) => prop_assert_eq!(e.to_string(), "mfa code: must be exactly 6 digits"),
            }
        }

        #[test]
        fn validate_prop_arns(raw in hostile()) {
            if let Some(a) = round_trip!(RoleArn, &raw) {
                let prefix = format!("arn:{}:iam::", a.partition().as_str());
                prop_assert!(a.as_str().starts_with(&prefix));
                prop_assert!(a.account().len() == 12 && a.account().bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(a.as_str().contains(":role/") && !a.role_name().is_empty());
                prop_assert!(ini_safe(a.as_str()) && !a.as_str().contains(char::is_whitespace));
            }
            if let Some(m) = round_trip!(MfaSerial, &raw) {
                prop_assert!(ini_safe(m.as_str()) && !m.as_str().contains(char::is_whitespace));
            }
            if let Some(p) = round_trip!(PolicyArn, &raw) {
                prop_assert!(p.as_str().contains(":policy/"));
            }
        }

        #[test]
        fn validate_prop_well_formed_arns_are_accepted(
            partition in prop::sample::select(vec!["aws", "aws-us-gov", "aws-cn"]),
            account in "[0-9]{12}",
            path in "(/[a-zA-Z0-9_+=,.@-]{1,10}){0,3}/",
            name in "[a-zA-Z0-9_+=,.@-]{1,64}",
            other_service in "[a-z0-9]{1,10}",
        ) {
            let arn = format!("arn:{}:iam::{}:role{}{}", partition, account, path, name);
            let parsed = RoleArn::parse(&arn);
            prop_assert!(parsed.is_ok(), "{} refused: {:?}", arn, parsed);
            let a = parsed.unwrap();
            prop_assert_eq!(a.partition().as_str(), partition);
            prop_assert_eq!(a.account(), account.as_str());
            prop_assert_eq!(a.role_name(), name.as_str());
            // The same ARN of any other service, or as an IAM user, is refused.
            if other_service != "iam" {
                let other = arn.replacen(":iam:", &format!(":{}:", other_service), 1);
                prop_assert!(RoleArn::parse(&other).is_err());
            }
            prop_assert!(RoleArn::parse(&arn.replacen(":role", ":user", 1)).is_err());
            let injected = format!("{}\n[default]", arn);
            prop_assert!(RoleArn::parse(&injected).is_err());
            let mfa = format!("arn:{}:iam::{}:mfa/{}", partition, account, name);
            prop_assert!(MfaSerial::parse(&mfa).is_ok());
        }

        #[test]
        fn validate_prop_durations(secs in any::<u32>(), h in 0u32..20, m in 0u32..200, s in 0u32..4000) {
            prop_assert_eq!(SessionDuration::from_secs(secs).is_ok(), (900..=43_200).contains(&secs));
            prop_assert_eq!(SessionDuration::parse(&secs.to_string()).ok(), SessionDuration::from_secs(secs).ok());
            let total = h * 3600 + m * 60 + s;
            let text = format!("{}h{}m{}s", h, m, s);
            prop_assert_eq!(SessionDuration::parse(&text).ok().map(SessionDuration::as_secs), SessionDuration::from_secs(total).ok().map(SessionDuration::as_secs));
            if let Ok(d) = SessionDuration::from_secs(secs) {
                prop_assert_eq!(SessionDuration::try_from(u32::from(d)), Ok(d));
            }
        }

        #[test]
        fn validate_prop_durations_never_panic(raw in hostile()) {
            if let Ok(d) = SessionDuration::parse(&raw) {
                prop_assert!((900..=43_200).contains(&d.as_secs()));
            }
        }

        #[test]
        fn validate_prop_tags_at_the_limits(key_len in 0usize..140, value_len in 0usize..270, c in "[a-zA-Z0-9 _.:/=+@-]") {
            let key = "k".repeat(key_len);
            let value = c.repeat(value_len);
            let ok = (1..=128).contains(&key_len) && value_len <= 256;
            let raw = format!("{}={}", key, value);
            prop_assert_eq!(Tag::parse(&raw).is_ok(), ok, "key {} value {}", key_len, value_len);
        }

        #[test]
        fn validate_prop_keys_never_echo_secrets(id in hostile(), secret in hostile()) {
            match crate::secret::SourceKeys::parse(&id, &secret) {
                Ok(k) => {
                    let shown = format!("{:?}", k);
                    prop_assert!(!shown.contains(secret.trim()));
                    prop_assert!(k.access_key_id.as_str().bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
                }
                Err(e) => {
                    // The message is one of two fixed texts: it cannot echo the secret.
                    let fixed = [
                        "access key id: must be 16 to 128 uppercase letters and digits (like AKIA…)",
                        "secret access key: must be 16 to 128 characters without spaces",
                    ];
                    prop_assert!(fixed.contains(&e.to_string().as_str()), "unexpected message: {}", e);
                }
            }
        }
    }
}
