//! Importing favourites from the role profiles of the user's AWS config file (`~/.aws/config`).
//!
//! Pure: the caller parses the file into an [`IniDocument`] and saves the changed [`Config`];
//! nothing here reads or writes a file, and the AWS config file itself is never edited.
//!
//! # What is a candidate
//!
//! Every profile of the config file, as botocore reads it (`[default]` and `[profile NAME]`;
//! `[sso-session …]`, `[services …]` and other sections are not profiles) that sets `role_arn`.
//! SSO, `credential_process` and plain key profiles have no `role_arn` and are not candidates
//! (they can still be the `source_profile` of one). A candidate that cannot be imported as it is
//! says why in [`Candidate::problem`]. A section that appears twice with the same header, or
//! whose `role_arn` key appears twice, cannot be read (the AWS CLI refuses such a file too) and is
//! not listed.
//!
//! # Naming convention
//!
//! - **Favourite**: the AWS profile's name, with every character a [`Name`] does not allow
//!   replaced by `-`, leading `-` and `.` dropped, cut at 64 characters (`team/prod` → `team-prod`).
//! - **Profile rolecall writes**: the AWS profile's name + [`PROFILE_SUFFIX`] (`prod` →
//!   `prod-rolecall`). It can never be the imported profile itself: the AWS CLI resolves that one
//!   through its `role_arn` and would ignore credentials written under the same name (and rolecall
//!   refuses to write them). `aws --profile prod` keeps working as before; `aws --profile
//!   prod-rolecall` uses rolecall's session.
//! - **Source**: when `source_profile` names a role profile that is imported in the same call, or
//!   that is already a favourite (same name or written profile, same role ARN), the favourite chains
//!   from that favourite. Otherwise its source is an `aws_profile` source for the `source_profile`
//!   profile: an existing one for that profile is reused (preferring the one named after it), else
//!   one is created, named after the profile like a favourite (`alice-keys`). The AWS SDK resolves
//!   that profile (keys, SSO, `credential_process`, or a role of its own).
//! - **MFA**: a profile's `mfa_serial` goes onto the source at the root of the favourite's chain
//!   (filled in if that source has no device; a different device is refused) and the favourite gets
//!   `mfa = true`.
//! - `external_id`, `duration_seconds`, `role_session_name` and `region` are carried over as they
//!   are; invalid values, and more than 1 h for a role chained from another role, are refused
//!   (never clamped).
//!
//! [`import`] is all or nothing: on any error the config is left as it was.

use serde::Serialize;

use crate::config::{Config, ConfigError, Favourite, SessionTags, Source, SourceKind};
use crate::ini::IniDocument;
use crate::profile::check_config;
use crate::validate::{
    ExternalId, MfaSerial, Name, ProfileName, Region, RoleArn, SessionDuration, SessionName, ValidationError,
};

/// Appended to an imported profile's name to make the profile rolecall writes (`prod` → `prod-rolecall`).
pub const PROFILE_SUFFIX: &str = "-rolecall";

/// A role profile of the AWS config file that can become a favourite. Values are as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The AWS profile's name (`default` for `[default]`).
    pub profile: String,
    /// The favourite it becomes (see the naming convention); may be invalid, then `problem` says so.
    pub favourite: String,
    /// The profile rolecall will write its sessions to: `profile` + [`PROFILE_SUFFIX`].
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
    /// Why it cannot be imported as it is, in plain words; `None` when it can.
    pub problem: Option<String>,
    /// Whether a favourite with its name, or writing its profile, already exists.
    pub already_imported: bool,
}

/// The favourite name an AWS profile is imported as: invalid characters become `-`, leading `-`
/// and `.` are dropped, and it is cut at 64 characters.
pub fn favourite_name(profile: &str) -> Result<Name, ValidationError> {
    Name::parse(&favourite_text(profile))
}

fn favourite_text(profile: &str) -> String {
    let mapped: String =
        profile.chars().map(|c| if c.is_ascii_alphanumeric() || "_-.".contains(c) { c } else { '-' }).collect();
    mapped.trim_start_matches(['-', '.']).chars().take(64).collect()
}

/// The profile rolecall writes for an imported AWS profile: its name + [`PROFILE_SUFFIX`].
pub fn rolecall_profile(profile: &str) -> String {
    format!("{profile}{PROFILE_SUFFIX}")
}

/// One profile of the config file and the sections that define it (more than one is a problem).
struct AwsProfile {
    name: String,
    sections: Vec<String>,
}

impl AwsProfile {
    /// The section whose values count: the last, as botocore lets a later section win.
    fn section(&self) -> &str {
        self.sections.last().map_or("", String::as_str)
    }
}

/// The profile a section header defines, as botocore reads it: `default`, or `profile NAME`
/// (split on whitespace; a double-quoted name may hold spaces).
fn profile_of(section: &str) -> Option<String> {
    if section == "default" {
        return Some("default".into());
    }
    let rest = section.strip_prefix("profile")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_matches([' ', '\t']);
    if let Some(quoted) = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return (!quoted.is_empty()).then(|| quoted.to_owned());
    }
    let mut parts = rest.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(name), None) => Some(name.to_owned()),
        _ => None,
    }
}

fn aws_profiles(doc: &IniDocument) -> Vec<AwsProfile> {
    let mut out: Vec<AwsProfile> = Vec::new();
    for section in doc.section_names() {
        let Some(name) = profile_of(&section) else { continue };
        match out.iter_mut().find(|p| p.name == name) {
            Some(p) if !p.sections.contains(&section) => p.sections.push(section),
            Some(_) => {}
            None => out.push(AwsProfile { name, sections: vec![section] }),
        }
    }
    out
}

/// Every role profile (one with `role_arn`) of an AWS config file, in file order, with what stops
/// it from being imported and whether it already is.
pub fn candidates(doc: &IniDocument, config: &Config) -> Vec<Candidate> {
    let profiles = aws_profiles(doc);
    let role_arn = |p: &AwsProfile| doc.get(p.section(), "role_arn");
    let mut out = Vec::new();
    for p in &profiles {
        let Some(arn) = role_arn(p) else { continue };
        let get = |key: &str| doc.get(p.section(), key);
        let favourite = favourite_text(&p.name);
        let written = rolecall_profile(&p.name);
        let already_imported = config.favourites.keys().any(|n| n.as_str() == favourite)
            || config.favourites.values().any(|f| f.profile.as_str() == written);
        let mut c = Candidate {
            profile: p.name.clone(),
            favourite,
            rolecall_profile: written,
            role_arn: arn,
            source_profile: get("source_profile"),
            mfa_serial: get("mfa_serial"),
            external_id: get("external_id"),
            duration_seconds: get("duration_seconds"),
            role_session_name: get("role_session_name"),
            region: get("region"),
            problem: None,
            already_imported,
        };
        let is_role = |name: &str| profiles.iter().any(|q| q.name == name && role_arn(q).is_some());
        let source_of =
            |name: &str| profiles.iter().find(|q| q.name == name).and_then(|q| doc.get(q.section(), "source_profile"));
        c.problem = check(doc, config, p, &c, &is_role, &source_of).err();
        out.push(c);
    }
    out
}

fn says(e: ValidationError) -> String {
    e.to_string()
}

/// Why `c` cannot be imported as it is.
fn check(
    doc: &IniDocument,
    config: &Config,
    p: &AwsProfile,
    c: &Candidate,
    is_role: &dyn Fn(&str) -> bool,
    source_of: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    if p.sections.len() > 1 {
        let headers: Vec<String> = p.sections.iter().map(|s| format!("[{s}]")).collect();
        return Err(format!(
            "is defined by more than one section of the config file ({}); keep one",
            headers.join(", ")
        ));
    }
    doc.section(p.section()).map_err(|e| e.to_string())?;
    ProfileName::parse(&c.profile).map_err(says)?;
    let name = favourite_name(&c.profile).map_err(|e| format!("cannot be made a rolecall favourite name: {e}"))?;
    let written = ProfileName::parse(&c.rolecall_profile)
        .map_err(|e| format!("cannot name the profile rolecall would write: {e}"))?;
    check_config(doc, &written).map_err(|e| e.to_string())?;
    let arn = RoleArn::parse(&c.role_arn).map_err(says)?;
    if doc.get(p.section(), "web_identity_token_file").is_some() {
        return Err("uses web_identity_token_file (AssumeRoleWithWebIdentity), which rolecall does not do".into());
    }
    let source = match (&c.source_profile, doc.get(p.section(), "credential_source")) {
        (Some(_), Some(_)) => {
            return Err("sets both source_profile and credential_source, which the AWS CLI refuses; keep one".into());
        }
        (None, Some(cs)) => {
            return Err(format!(
                "uses credential_source ({cs}) instead of a source_profile; rolecall imports only roles assumed from a source_profile"
            ));
        }
        (None, None) => return Err("has no source_profile to assume the role from".into()),
        (Some(s), None) => s.as_str(),
    };
    ProfileName::parse(source).map_err(|e| format!("source_profile: {}", e.reason))?;
    if source == c.profile {
        return Err("its source_profile is itself (keys and role_arn in one profile); add the keys as a source and the role as a favourite of it".into());
    }
    let mut seen = vec![c.profile.clone()];
    let mut current = source.to_owned();
    while is_role(&current) {
        let looped = seen.contains(&current);
        seen.push(current.clone());
        if looped {
            return Err(format!("its source_profile chain loops ({})", seen.join(" -> ")));
        }
        match source_of(&current) {
            Some(next) => current = next,
            None => break,
        }
    }
    if let Some(m) = &c.mfa_serial {
        MfaSerial::parse(m).map_err(says)?;
    }
    if let Some(x) = &c.external_id {
        ExternalId::parse(x).map_err(says)?;
    }
    let duration = c.duration_seconds.as_deref().map(SessionDuration::parse).transpose().map_err(says)?;
    if let Some(s) = &c.role_session_name {
        SessionName::parse(s).map_err(says)?;
    }
    if let Some(r) = &c.region {
        let region = Region::parse(r).map_err(says)?;
        if !arn.partition().contains(&region) {
            return Err(format!("region {region} is not in the role's partition {}", arn.partition().as_str()));
        }
    }
    if is_role(source) {
        if let Some(d) = duration.filter(|d| *d > SessionDuration::CHAINED_MAX) {
            return Err(format!(
                "its source_profile {source} is a role, and STS caps chained sessions at 1h; set duration_seconds to 3600 or less (asked {d})"
            ));
        }
    } else {
        favourite_name(source)
            .map_err(|e| format!("source_profile {source} cannot be made a rolecall source name: {e}"))?;
    }
    if config.sources.contains_key(&name) {
        return Err(format!("its rolecall name {name} is already a source; remove or rename that source first"));
    }
    Ok(())
}

fn invalid(c: &Candidate, reason: String) -> ConfigError {
    ConfigError::Invalid { name: c.favourite.clone(), reason }
}

/// Imports the role profiles named in `profiles` as favourites (see the module's naming
/// convention) and returns their names, in the order given. All or nothing: on any error `config`
/// is unchanged. A profile that is not a candidate, has a problem, or whose favourite or written
/// profile already exists is refused.
pub fn import(config: &mut Config, doc: &IniDocument, profiles: &[String]) -> Result<Vec<Name>, ConfigError> {
    let cands = candidates(doc, config);
    let mut chosen: Vec<&Candidate> = Vec::new();
    for p in profiles {
        let c = cands
            .iter()
            .find(|c| &c.profile == p)
            .ok_or_else(|| ConfigError::NotFound { kind: "AWS config profile with role_arn", name: p.clone() })?;
        if chosen.iter().any(|x| x.profile == c.profile) {
            continue;
        }
        if let Some(problem) = &c.problem {
            return Err(invalid(c, format!("cannot import AWS profile {}: {problem}", c.profile)));
        }
        if let Some(other) = chosen.iter().find(|x| x.favourite == c.favourite) {
            return Err(invalid(
                c,
                format!(
                    "AWS profiles {} and {} would both be imported as it; import one of them",
                    other.profile, c.profile
                ),
            ));
        }
        chosen.push(c);
    }
    // A favourite's source must exist before it: place chosen source profiles first.
    let mut order: Vec<&Candidate> = Vec::new();
    for c in &chosen {
        place(c, &chosen, &mut order, 0);
    }
    let mut next = config.clone();
    for c in order {
        import_one(&mut next, &cands, &chosen, c)?;
    }
    let names = chosen.iter().map(|c| Name::parse(&c.favourite)).collect::<Result<Vec<_>, _>>()?;
    *config = next;
    Ok(names)
}

fn place<'a>(c: &'a Candidate, chosen: &[&'a Candidate], order: &mut Vec<&'a Candidate>, depth: usize) {
    if order.iter().any(|o| o.profile == c.profile) || depth > chosen.len() {
        return;
    }
    if let Some(s) = &c.source_profile
        && let Some(sc) = chosen.iter().find(|x| &x.profile == s)
    {
        place(sc, chosen, order, depth + 1);
    }
    if !order.iter().any(|o| o.profile == c.profile) {
        order.push(c);
    }
}

/// The existing favourite a role profile was imported as: same name or written profile, same role.
fn existing_favourite(config: &Config, c: &Candidate) -> Option<Name> {
    config
        .favourites
        .iter()
        .find(|(n, f)| {
            (n.as_str() == c.favourite || f.profile.as_str() == c.rolecall_profile) && f.arn.as_str() == c.role_arn
        })
        .map(|(n, _)| n.clone())
}

fn import_one(next: &mut Config, cands: &[Candidate], chosen: &[&Candidate], c: &Candidate) -> Result<(), ConfigError> {
    let name = Name::parse(&c.favourite)?;
    let source_profile = ProfileName::parse(c.source_profile.as_deref().unwrap_or_default())?;
    let mfa = c.mfa_serial.as_deref().map(MfaSerial::parse).transpose()?;
    let chain_from = cands.iter().find(|x| x.profile == source_profile.as_str()).and_then(|sc| {
        if chosen.iter().any(|x| x.profile == sc.profile) {
            Name::parse(&sc.favourite).ok()
        } else {
            existing_favourite(next, sc)
        }
    });
    let source = match chain_from {
        Some(from) => {
            if let Some(serial) = &mfa {
                let root = next.chain(&from)?.0.name.clone();
                set_mfa(next, &root, serial, c)?;
            }
            from
        }
        None => aws_profile_source(next, &source_profile, mfa.as_ref(), c)?,
    };
    // Every field named: a new favourite field fails to compile here until the import says where
    // it comes from in `~/.aws/config` (or that it does not).
    let fav = Favourite {
        arn: RoleArn::parse(&c.role_arn)?,
        source,
        profile: ProfileName::parse(&c.rolecall_profile)?,
        duration: c
            .duration_seconds
            .as_deref()
            .map(SessionDuration::parse)
            .transpose()?
            .unwrap_or(SessionDuration::DEFAULT),
        session_name: c.role_session_name.as_deref().map(SessionName::parse).transpose()?,
        external_id: c.external_id.as_deref().map(ExternalId::parse).transpose()?,
        mfa: mfa.is_some(),
        region: c.region.as_deref().map(Region::parse).transpose()?,
        // The AWS CLI's profiles have no session tags, source identity or policy ARNs to import.
        tags: SessionTags::default(),
        transitive_tags: Vec::new(),
        source_identity: None,
        policy_arns: Vec::new(),
        // rolecall's own settings: the preferences apply.
        auto_renew: None,
        notify_before: None,
        renew_before: None,
    };
    next.put_favourite(name, fav, false)
}

/// Records `serial` as the MFA device of source `name`: filled in if it has none, refused if it has another.
fn set_mfa(next: &mut Config, name: &Name, serial: &MfaSerial, c: &Candidate) -> Result<(), ConfigError> {
    let source =
        next.sources.get_mut(name).ok_or_else(|| ConfigError::NotFound { kind: "source", name: name.to_string() })?;
    match &source.mfa_serial {
        None => source.mfa_serial = Some(serial.clone()),
        Some(have) if have == serial => {}
        Some(have) => {
            return Err(invalid(
                c,
                format!("AWS profile {} uses MFA device {serial}, but its source {name} uses {have}", c.profile),
            ));
        }
    }
    Ok(())
}

/// The `aws_profile` source for `profile`: an existing one (the one named after it first), else a new one.
fn aws_profile_source(
    next: &mut Config,
    profile: &ProfileName,
    mfa: Option<&MfaSerial>,
    c: &Candidate,
) -> Result<Name, ConfigError> {
    let preferred = favourite_name(profile.as_str())?;
    let for_profile = |s: &Source| matches!(&s.kind, SourceKind::AwsProfile { aws_profile } if aws_profile == profile);
    let fits = |s: &Source| for_profile(s) && (mfa.is_none() || s.mfa_serial.is_none() || s.mfa_serial.as_ref() == mfa);
    let found = if next.sources.get(&preferred).is_some_and(fits) {
        Some(preferred.clone())
    } else {
        next.sources.iter().find(|(_, s)| fits(s)).map(|(n, _)| n.clone())
    };
    if let Some(name) = found {
        if let Some(serial) = mfa {
            set_mfa(next, &name, serial, c)?;
        }
        return Ok(name);
    }
    if let (Some(serial), Some(have)) =
        (mfa, next.sources.get(&preferred).filter(|s| for_profile(s)).and_then(|s| s.mfa_serial.as_ref()))
    {
        return Err(invalid(
            c,
            format!("AWS profile {} uses MFA device {serial}, but its source {preferred} uses {have}", c.profile),
        ));
    }
    next.add_source(
        preferred.clone(),
        Source {
            kind: SourceKind::AwsProfile { aws_profile: profile.clone() },
            mfa_serial: mfa.cloned(),
            identity: None,
        },
    )?;
    Ok(preferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform engineer's `~/.aws/config`: keys in the credentials file's `[default]`, SSO, a
    /// hub role with MFA, roles chained from it, and a few mistakes.
    const USER_CONFIG: &str = "\
# ~/.aws/config
[default]
region = eu-west-1
output = json

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile sso-dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer

; the hub role, from my IAM user keys
[profile hub]
role_arn = arn:aws:iam::111111111111:role/Hub
source_profile = default
mfa_serial = arn:aws:iam::111111111111:mfa/alice
duration_seconds = 7200
role_session_name = alice

[profile prod/admin]
role_arn: arn:aws:iam::222222222222:role/Admin
source_profile = hub
region = eu-central-1
external_id = xid-prod-42

[profile from-sso]
role_arn = arn:aws:iam::333333333333:role/ReadOnly
source_profile = sso-dev

[profile on-ec2]
role_arn = arn:aws:iam::111111111111:role/Hub
credential_source = Ec2InstanceMetadata

[profile long-chain]
role_arn = arn:aws:iam::222222222222:role/Long
source_profile = hub
duration_seconds = 7200

[profile typo]
role_arn = arn:aws:iam::111111111111:user/alice
source_profile = default

[profile   spaced]
role_arn = arn:aws:iam::111111111111:role/Spaced
source_profile = default
role_session_name = has space

[services local]
sts =
  endpoint_url = http://localhost:5000
";

    fn doc(text: &str) -> IniDocument {
        IniDocument::parse(text.as_bytes().to_vec()).unwrap()
    }
    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }
    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }
    fn keychain_source() -> Source {
        Source { kind: SourceKind::Keychain { key_hint: None }, mfa_serial: None, identity: None }
    }

    /// (profile, favourite, written profile, source_profile, problem containing, already imported)
    type Row = (&'static str, &'static str, &'static str, Option<&'static str>, Option<&'static str>, bool);

    fn assert_rows(cands: &[Candidate], rows: &[Row]) {
        assert_eq!(
            cands.iter().map(|c| c.profile.as_str()).collect::<Vec<_>>(),
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            "{cands:#?}"
        );
        for (c, (profile, favourite, written, source, problem, imported)) in cands.iter().zip(rows) {
            assert_eq!(c.favourite, *favourite, "{profile}");
            assert_eq!(c.rolecall_profile, *written, "{profile}");
            assert_eq!(c.source_profile.as_deref(), *source, "{profile}");
            match (problem, &c.problem) {
                (None, None) => {}
                (Some(want), Some(got)) => assert!(got.contains(want), "{profile}: {got:?} lacks {want:?}"),
                (want, got) => panic!("{profile}: problem {got:?}, expected {want:?}"),
            }
            assert_eq!(c.already_imported, *imported, "{profile}");
        }
    }

    #[test]
    fn candidates_of_a_realistic_config() {
        let cands = candidates(&doc(USER_CONFIG), &Config::default());
        assert_rows(
            &cands,
            &[
                ("hub", "hub", "hub-rolecall", Some("default"), None, false),
                ("prod/admin", "prod-admin", "prod/admin-rolecall", Some("hub"), None, false),
                ("from-sso", "from-sso", "from-sso-rolecall", Some("sso-dev"), None, false),
                (
                    "on-ec2",
                    "on-ec2",
                    "on-ec2-rolecall",
                    None,
                    Some("uses credential_source (Ec2InstanceMetadata) instead of a source_profile"),
                    false,
                ),
                (
                    "long-chain",
                    "long-chain",
                    "long-chain-rolecall",
                    Some("hub"),
                    Some(
                        "its source_profile hub is a role, and STS caps chained sessions at 1h; set duration_seconds to 3600 or less (asked 2h)",
                    ),
                    false,
                ),
                ("typo", "typo", "typo-rolecall", Some("default"), Some("role arn: is an IAM user, not a role"), false),
                (
                    "spaced",
                    "spaced",
                    "spaced-rolecall",
                    Some("default"),
                    Some("session name: ' ' is not allowed"),
                    false,
                ),
            ],
        );
        let hub = &cands[0];
        assert_eq!(hub.role_arn, "arn:aws:iam::111111111111:role/Hub");
        assert_eq!(hub.mfa_serial.as_deref(), Some("arn:aws:iam::111111111111:mfa/alice"));
        assert_eq!(hub.duration_seconds.as_deref(), Some("7200"));
        assert_eq!(hub.role_session_name.as_deref(), Some("alice"));
        assert_eq!(hub.region, None);
        let admin = &cands[1];
        assert_eq!(admin.role_arn, "arn:aws:iam::222222222222:role/Admin", "`key: value` is read too");
        assert_eq!(admin.region.as_deref(), Some("eu-central-1"));
        assert_eq!(admin.external_id.as_deref(), Some("xid-prod-42"));
    }

    #[test]
    fn problems_in_plain_words() {
        let text = "\
[default]
role_arn = arn:aws:iam::111111111111:role/Default
source_profile = keys

[profile default]
role_arn = arn:aws:iam::111111111111:role/Other
source_profile = keys

[profile loop-a]
role_arn = arn:aws:iam::111111111111:role/A
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::111111111111:role/B
source_profile = loop-a

[profile self]
role_arn = arn:aws:iam::111111111111:role/Self
source_profile = self
aws_access_key_id = AKIAEXAMPLE

[profile both]
role_arn = arn:aws:iam::111111111111:role/Both
source_profile = keys
credential_source = Environment

[profile orphan]
role_arn = arn:aws:iam::111111111111:role/Orphan

[profile web]
role_arn = arn:aws:iam::111111111111:role/Web
web_identity_token_file = /var/run/token

[profile dupkey]
role_arn = arn:aws:iam::111111111111:role/Dup
source_profile = a
source_profile = b

[profile short]
role_arn = arn:aws:iam::111111111111:role/Short
source_profile = keys
duration_seconds = 600

[profile words]
role_arn = arn:aws:iam::111111111111:role/Words
source_profile = keys
duration_seconds = one hour

[profile china]
role_arn = arn:aws:iam::111111111111:role/China
source_profile = keys
region = cn-north-1

[profile mfa-typo]
role_arn = arn:aws:iam::111111111111:role/Mfa
source_profile = keys
mfa_serial = arn:aws:iam::111111111111:user/alice

[profile xid]
role_arn = arn:aws:iam::111111111111:role/Xid
source_profile = keys
external_id = x

[profile weird!name]
role_arn = arn:aws:iam::111111111111:role/Weird
source_profile = keys

[profile taken]
role_arn = arn:aws:iam::111111111111:role/Taken
source_profile = keys
[profile taken-rolecall]
role_arn = arn:aws:iam::111111111111:role/Other
source_profile = keys

[profile sourced]
role_arn = arn:aws:iam::111111111111:role/Sourced
source_profile = keys

[profile empty]
role_arn =
source_profile = keys
";
        let mut config = Config::default();
        config.add_source(n("sourced"), keychain_source()).unwrap();
        let cands = candidates(&doc(text), &config);
        assert_rows(
            &cands,
            &[
                (
                    "default",
                    "default",
                    "default-rolecall",
                    Some("keys"),
                    Some(
                        "is defined by more than one section of the config file ([default], [profile default]); keep one",
                    ),
                    false,
                ),
                (
                    "loop-a",
                    "loop-a",
                    "loop-a-rolecall",
                    Some("loop-b"),
                    Some("chain loops (loop-a -> loop-b -> loop-a)"),
                    false,
                ),
                (
                    "loop-b",
                    "loop-b",
                    "loop-b-rolecall",
                    Some("loop-a"),
                    Some("chain loops (loop-b -> loop-a -> loop-b)"),
                    false,
                ),
                ("self", "self", "self-rolecall", Some("self"), Some("its source_profile is itself"), false),
                (
                    "both",
                    "both",
                    "both-rolecall",
                    Some("keys"),
                    Some("sets both source_profile and credential_source"),
                    false,
                ),
                ("orphan", "orphan", "orphan-rolecall", None, Some("has no source_profile"), false),
                ("web", "web", "web-rolecall", None, Some("web_identity_token_file"), false),
                (
                    "dupkey",
                    "dupkey",
                    "dupkey-rolecall",
                    None,
                    Some("key source_profile appears more than once in section [profile dupkey]"),
                    false,
                ),
                ("short", "short", "short-rolecall", Some("keys"), Some("duration: must be between 15m"), false),
                ("words", "words", "words-rolecall", Some("keys"), Some("is not a duration like 3600"), false),
                (
                    "china",
                    "china",
                    "china-rolecall",
                    Some("keys"),
                    Some("region cn-north-1 is not in the role's partition aws"),
                    false,
                ),
                (
                    "mfa-typo",
                    "mfa-typo",
                    "mfa-typo-rolecall",
                    Some("keys"),
                    Some("mfa serial: is an IAM user, not an MFA device"),
                    false,
                ),
                ("xid", "xid", "xid-rolecall", Some("keys"), Some("external id: must be 2 to 1224 characters"), false),
                (
                    "weird!name",
                    "weird-name",
                    "weird!name-rolecall",
                    Some("keys"),
                    Some("profile: '!' is not allowed"),
                    false,
                ),
                (
                    "taken",
                    "taken",
                    "taken-rolecall",
                    Some("keys"),
                    Some(
                        "profile taken-rolecall: the config file sets role_arn for it, so AWS tools would ignore rolecall's credentials",
                    ),
                    false,
                ),
                ("taken-rolecall", "taken-rolecall", "taken-rolecall-rolecall", Some("keys"), None, false),
                (
                    "sourced",
                    "sourced",
                    "sourced-rolecall",
                    Some("keys"),
                    Some("its rolecall name sourced is already a source"),
                    false,
                ),
                (
                    "empty",
                    "empty",
                    "empty-rolecall",
                    Some("keys"),
                    Some("role arn: must be 20 to 2048 characters, got 0"),
                    false,
                ),
            ],
        );
    }

    #[test]
    fn names_and_sections() {
        let names = [
            ("prod", Some("prod")),
            ("team/prod", Some("team-prod")),
            ("a@b:c+d", Some("a-b-c-d")),
            ("-x", Some("x")),
            (".hidden", Some("hidden")),
            ("Prod_1.eu", Some("Prod_1.eu")),
            ("@@@", None),
        ];
        for (profile, want) in names {
            assert_eq!(favourite_name(profile).ok().as_ref().map(Name::as_str), want, "{profile}");
        }
        assert_eq!(favourite_name(&"p".repeat(100)).unwrap().as_str(), "p".repeat(64));
        assert_eq!(rolecall_profile("prod"), "prod-rolecall");
        assert_eq!(rolecall_profile("default"), "default-rolecall");

        let sections = [
            ("default", Some("default")),
            ("profile dev", Some("dev")),
            ("profile   dev  ", Some("dev")),
            ("profile\tdev", Some("dev")),
            ("profile \"dev\"", Some("dev")),
            ("profiledev", None),
            ("profile a b", None),
            ("profile ", None),
            (" default", None),
            ("dev", None),
            ("sso-session corp", None),
            ("services local", None),
        ];
        for (section, want) in sections {
            assert_eq!(profile_of(section).as_deref(), want, "{section:?}");
        }
    }

    #[test]
    fn imports_chains_mfa_and_every_field() {
        let d = doc(USER_CONFIG);
        let mut config = Config::default();
        // Given in any order: a chained profile's source is placed first.
        let names = import(&mut config, &d, &strings(&["prod/admin", "from-sso", "hub"])).unwrap();
        assert_eq!(names, [n("prod-admin"), n("from-sso"), n("hub")]);

        let alice = MfaSerial::parse("arn:aws:iam::111111111111:mfa/alice").unwrap();
        assert_eq!(
            config.sources[&n("default")],
            Source {
                kind: SourceKind::AwsProfile { aws_profile: ProfileName::parse("default").unwrap() },
                mfa_serial: Some(alice),
                identity: None,
            }
        );
        assert_eq!(
            config.sources[&n("sso-dev")].kind,
            SourceKind::AwsProfile { aws_profile: ProfileName::parse("sso-dev").unwrap() }
        );
        assert_eq!(config.sources[&n("sso-dev")].mfa_serial, None);
        assert_eq!(config.sources.len(), 2);

        let hub = &config.favourites[&n("hub")];
        assert_eq!(hub.arn.as_str(), "arn:aws:iam::111111111111:role/Hub");
        assert_eq!(hub.source, n("default"));
        assert_eq!(hub.profile.as_str(), "hub-rolecall");
        assert_eq!(hub.duration.as_secs(), 7200);
        assert_eq!(hub.session_name.as_ref().map(SessionName::as_str), Some("alice"));
        assert!(hub.mfa);
        assert_eq!(hub.region, None);

        let admin = &config.favourites[&n("prod-admin")];
        assert_eq!(admin.source, n("hub"), "chained from the imported hub favourite");
        assert_eq!(admin.profile.as_str(), "prod/admin-rolecall");
        assert_eq!(admin.duration, SessionDuration::DEFAULT);
        assert_eq!(admin.external_id.as_ref().map(ExternalId::as_str), Some("xid-prod-42"));
        assert_eq!(admin.region.as_ref().map(Region::as_str), Some("eu-central-1"));
        assert!(!admin.mfa);
        let (root, chain) = config.chain(&n("prod-admin")).unwrap();
        assert_eq!(root.name, &n("default"));
        assert_eq!(chain.len(), 2);

        let sso = &config.favourites[&n("from-sso")];
        assert_eq!(sso.source, n("sso-dev"));
        assert_eq!(sso.session_name, None);

        // What was imported survives config.toml, and shows as imported.
        assert_eq!(Config::from_toml(&config.to_toml()).unwrap(), config);
        let imported: Vec<(String, bool)> =
            candidates(&d, &config).into_iter().map(|c| (c.profile, c.already_imported)).collect();
        assert_eq!(
            imported,
            [
                ("hub".into(), true),
                ("prod/admin".into(), true),
                ("from-sso".into(), true),
                ("on-ec2".into(), false),
                ("long-chain".into(), false),
                ("typo".into(), false),
                ("spaced".into(), false),
            ]
        );
        // Importing again is refused by the core's own check, and changes nothing.
        let before = config.clone();
        let e = import(&mut config, &d, &strings(&["hub"])).unwrap_err();
        assert_eq!(e.to_string(), "hub: already exists as a favourite; remove it first or choose another name");
        assert_eq!(config, before);
    }

    #[test]
    fn later_imports_chain_from_existing_favourites_and_reuse_sources() {
        let d = doc(USER_CONFIG);
        let mut config = Config::default();
        // The user already has an aws_profile source for `default`, under another name.
        config
            .add_source(
                n("corp"),
                Source {
                    kind: SourceKind::AwsProfile { aws_profile: ProfileName::parse("default").unwrap() },
                    mfa_serial: None,
                    identity: Some("arn:aws:iam::111111111111:user/alice".into()),
                },
            )
            .unwrap();
        import(&mut config, &d, &strings(&["hub"])).unwrap();
        assert_eq!(config.favourites[&n("hub")].source, n("corp"), "the existing source is reused");
        assert_eq!(
            config.sources[&n("corp")].mfa_serial.as_ref().map(MfaSerial::as_str),
            Some("arn:aws:iam::111111111111:mfa/alice"),
            "the MFA device is filled in"
        );
        assert_eq!(config.sources.len(), 1);
        import(&mut config, &d, &strings(&["prod/admin"])).unwrap();
        assert_eq!(config.favourites[&n("prod-admin")].source, n("hub"), "chained from the earlier import");
    }

    #[test]
    fn a_role_source_profile_not_imported_becomes_an_aws_profile_source() {
        let d = doc(USER_CONFIG);
        let mut config = Config::default();
        import(&mut config, &d, &strings(&["prod/admin"])).unwrap();
        assert_eq!(
            config.sources[&n("hub")].kind,
            SourceKind::AwsProfile { aws_profile: ProfileName::parse("hub").unwrap() },
            "the AWS SDK resolves the hub profile's own role"
        );
        assert_eq!(config.favourites[&n("prod-admin")].source, n("hub"));
        // hub can no longer be imported under its name, and the list says why.
        let hub = candidates(&d, &config).into_iter().find(|c| c.profile == "hub").unwrap();
        assert_eq!(
            hub.problem.as_deref(),
            Some("its rolecall name hub is already a source; remove or rename that source first")
        );
    }

    #[test]
    fn mfa_on_a_chained_profile_goes_to_the_root_source() {
        let text = "\
[profile keys]
aws_access_key_id = AKIAEXAMPLE
[profile hub]
role_arn = arn:aws:iam::111111111111:role/Hub
source_profile = keys
[profile spoke]
role_arn = arn:aws:iam::111111111111:role/Spoke
source_profile = hub
mfa_serial = GAHT12345678
";
        let mut config = Config::default();
        import(&mut config, &doc(text), &strings(&["hub", "spoke"])).unwrap();
        assert_eq!(config.sources[&n("keys")].mfa_serial.as_ref().map(MfaSerial::as_str), Some("GAHT12345678"));
        assert!(!config.favourites[&n("hub")].mfa);
        assert!(config.favourites[&n("spoke")].mfa);
    }

    #[test]
    fn refusals_are_clear_and_change_nothing() {
        let d = doc(USER_CONFIG);
        let mut base = Config::default();
        base.add_source(n("work"), keychain_source()).unwrap();
        let other_device = Source {
            kind: SourceKind::AwsProfile { aws_profile: ProfileName::parse("default").unwrap() },
            mfa_serial: Some(MfaSerial::parse("arn:aws:iam::111111111111:mfa/bob").unwrap()),
            identity: None,
        };
        let mut with_device = base.clone();
        with_device.add_source(n("default"), other_device).unwrap();
        let mut writes_hub = base.clone();
        writes_hub
            .put_favourite(
                n("mine"),
                Favourite::new(
                    RoleArn::parse("arn:aws:iam::111111111111:role/Mine").unwrap(),
                    n("work"),
                    ProfileName::parse("hub-rolecall").unwrap(),
                ),
                false,
            )
            .unwrap();
        let mut other_hub = base.clone();
        other_hub
            .put_favourite(
                n("hub"),
                Favourite::new(
                    RoleArn::parse("arn:aws:iam::111111111111:role/NotTheHub").unwrap(),
                    n("work"),
                    ProfileName::parse("hub").unwrap(),
                ),
                false,
            )
            .unwrap();
        let clash = doc(
            "[profile a/b]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = k\n\n[profile a:b]\nrole_arn = arn:aws:iam::111111111111:role/B\nsource_profile = k\n",
        );

        let table: &[(&Config, &IniDocument, &[&str], &str, &str)] = &[
            (&base, &d, &["nope"], "config.not_found", "AWS config profile with role_arn nope: not found"),
            (&base, &d, &["sso-dev"], "config.not_found", "AWS config profile with role_arn sso-dev: not found"),
            (
                &base,
                &d,
                &["on-ec2"],
                "config.invalid",
                "favourite on-ec2: cannot import AWS profile on-ec2: uses credential_source (Ec2InstanceMetadata) instead of a source_profile",
            ),
            (&base, &d, &["hub", "long-chain"], "config.invalid", "STS caps chained sessions at 1h"),
            (
                &base,
                &d,
                &["hub", "typo"],
                "config.invalid",
                "favourite typo: cannot import AWS profile typo: role arn: is an IAM user, not a role",
            ),
            (
                &with_device,
                &d,
                &["hub"],
                "config.invalid",
                "favourite hub: AWS profile hub uses MFA device arn:aws:iam::111111111111:mfa/alice, but its source default uses arn:aws:iam::111111111111:mfa/bob",
            ),
            (&writes_hub, &d, &["hub"], "config.invalid", "profile hub-rolecall is already written by favourite"),
            (&other_hub, &d, &["prod/admin"], "config.exists", "hub: already exists as a favourite"),
            (
                &base,
                &clash,
                &["a/b", "a:b"],
                "config.invalid",
                "favourite a-b: AWS profiles a/b and a:b would both be imported as it",
            ),
        ];
        for (config, d, profiles, code, want) in table {
            let mut c = (*config).clone();
            let e = import(&mut c, d, &strings(profiles)).unwrap_err();
            assert_eq!(e.code(), *code, "{profiles:?}: {e}");
            assert!(e.to_string().contains(want), "{profiles:?}: {e}");
            assert_eq!(&c, *config, "{profiles:?}: a refused import changes nothing");
        }
    }

    #[test]
    fn candidates_serialize_with_camel_case_names() {
        let cands = candidates(&doc(USER_CONFIG), &Config::default());
        #[derive(Serialize)]
        struct Wrap<'a> {
            c: &'a Candidate,
        }
        let text = toml::to_string(&Wrap { c: &cands[0] }).unwrap();
        for key in [
            "profile = \"hub\"",
            "favourite = \"hub\"",
            "rolecallProfile = \"hub-rolecall\"",
            "roleArn = ",
            "sourceProfile = \"default\"",
            "mfaSerial = ",
            "durationSeconds = \"7200\"",
            "roleSessionName = \"alice\"",
            "alreadyImported = false",
        ] {
            assert!(text.contains(key), "{key} missing in {text}");
        }
    }
}
