//! Importing favourites from the role profiles of the user's AWS config file (`~/.aws/config`).
//!
//! Pure: the caller parses the file into an [`IniDocument`] and saves the changed [`Config`];
//! nothing here reads or writes a file, and the AWS config file itself is never edited.
//!
//! # What is a candidate
//!
//! Every profile of the config file, as botocore reads it (`[default]` and `[profile NAME]`;
//! `[sso-session …]`, `[services …]` and other sections are not profiles) that sets `role_arn`
//! (a role profile), or, without `role_arn`, IAM Identity Center settings (`sso_session`, or the
//! legacy `sso_start_url` / `sso_region` on the profile itself, with `sso_account_id` and
//! `sso_role_name`: an SSO profile). `credential_process` and plain key profiles are not
//! candidates (they can still be the `source_profile` of one). A candidate that cannot be imported as it is
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
//! - **SSO profile**: a favourite of role `arn:PARTITION:iam::ACCOUNT:role/ROLE` (the partition
//!   of `sso_region`) whose source is an IAM Identity Center source for the start URL and region:
//!   an existing one for the same start URL and region is reused (preferring the one of the
//!   source's name), else one is created, named after the `[sso-session NAME]` (the legacy form:
//!   after the profile), with [`SSO_SOURCE_SUFFIX`] when a profile of the file would be imported
//!   under that name (always so for the legacy form: `dev` → `dev-sso`). A role profile whose `source_profile` is an SSO profile chains from its
//!   favourite when that is imported too (or already is), as role chains do.
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
use crate::sso::StartUrl;
use crate::validate::{
    ExternalId, MfaSerial, Name, Partition, ProfileName, Region, RoleArn, SessionDuration, SessionName, ValidationError,
};

/// Appended to an imported profile's name to make the profile rolecall writes (`prod` → `prod-rolecall`).
pub const PROFILE_SUFFIX: &str = "-rolecall";

/// Appended to an SSO profile's source name when a profile of the file would be imported under
/// that name (`dev` → `dev-sso`): a source and a favourite never share a name.
pub const SSO_SOURCE_SUFFIX: &str = "-sso";

/// The IAM Identity Center side of an SSO profile candidate. Values are as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoCandidate {
    /// `sso_session`: the `[sso-session NAME]` block it uses; `None` for the legacy form.
    pub session: Option<String>,
    /// `sso_start_url` (of the sso-session block, else of the profile).
    pub start_url: Option<String>,
    /// `sso_region` (of the sso-session block, else of the profile).
    pub region: Option<String>,
    /// `sso_account_id`.
    pub account_id: Option<String>,
    /// `sso_role_name`.
    pub role_name: Option<String>,
    /// The rolecall source it gets, when none for its start URL and region exists yet (see the
    /// naming convention).
    pub source: String,
}

/// A role or SSO profile of the AWS config file that can become a favourite. Values are as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The AWS profile's name (`default` for `[default]`).
    pub profile: String,
    /// The favourite it becomes (see the naming convention); may be invalid, then `problem` says so.
    pub favourite: String,
    /// The profile rolecall will write its sessions to: `profile` + [`PROFILE_SUFFIX`].
    pub rolecall_profile: String,
    /// `role_arn`; for an SSO profile the role it stands for, `arn:PARTITION:iam::ACCOUNT:role/ROLE`
    /// (empty when its account or role is missing).
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
    /// For an SSO profile, its IAM Identity Center settings; `None` for a role profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso: Option<SsoCandidate>,
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

/// The name of an `[sso-session NAME]` section.
fn sso_session_of(section: &str) -> Option<&str> {
    let rest = section.strip_prefix("sso-session")?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let name = rest.trim_matches([' ', '\t']);
    (!name.is_empty() && !name.contains([' ', '\t'])).then_some(name)
}

/// The keys that make a profile without `role_arn` an SSO profile.
const SSO_KEYS: [&str; 4] = ["sso_session", "sso_start_url", "sso_account_id", "sso_role_name"];

fn is_sso_profile(doc: &IniDocument, section: &str) -> bool {
    doc.get(section, "role_arn").is_none() && SSO_KEYS.iter().any(|k| doc.get(section, k).is_some())
}

/// An SSO profile's settings, the sso-session block's winning over the profile's.
fn sso_candidate(doc: &IniDocument, p: &AwsProfile, profiles: &[AwsProfile]) -> SsoCandidate {
    let get = |key: &str| doc.get(p.section(), key);
    let session = get("sso_session");
    let block =
        session.as_deref().and_then(|name| doc.section_names().into_iter().rfind(|s| sso_session_of(s) == Some(name)));
    let from_block = |key: &str| block.as_deref().and_then(|b| doc.get(b, key)).or_else(|| get(key));
    let mut source = favourite_text(session.as_deref().unwrap_or(&p.name));
    if profiles.iter().any(|q| favourite_text(&q.name) == source) {
        source.push_str(SSO_SOURCE_SUFFIX);
    }
    SsoCandidate {
        start_url: from_block("sso_start_url"),
        region: from_block("sso_region"),
        account_id: get("sso_account_id"),
        role_name: get("sso_role_name"),
        session,
        source,
    }
}

/// The role an SSO profile stands for, or `""` when its account or role is missing.
fn sso_role_arn(sso: &SsoCandidate) -> String {
    let partition =
        sso.region.as_deref().and_then(|r| Region::parse(r).ok()).map_or(Partition::Aws, |r| Partition::of_region(&r));
    match (&sso.account_id, &sso.role_name) {
        (Some(account), Some(role)) => format!("arn:{}:iam::{account}:role/{role}", partition.as_str()),
        _ => String::new(),
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
        let favourite = favourite_text(&p.name);
        let sso = is_sso_profile(doc, p.section()).then(|| sso_candidate(doc, p, &profiles));
        let Some(arn) = role_arn(p).or_else(|| sso.as_ref().map(sso_role_arn)) else { continue };
        // An SSO profile's role settings are not the role's: only `region` is read.
        let get = |key: &str| if sso.is_some() && key != "region" { None } else { doc.get(p.section(), key) };
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
            sso,
        };
        let is_role = |name: &str| profiles.iter().any(|q| q.name == name && role_arn(q).is_some());
        let is_sso = |name: &str| profiles.iter().any(|q| q.name == name && is_sso_profile(doc, q.section()));
        let source_of =
            |name: &str| profiles.iter().find(|q| q.name == name).and_then(|q| doc.get(q.section(), "source_profile"));
        c.problem = match &c.sso {
            Some(sso) => check_sso(doc, config, p, &c, sso),
            None => check(doc, config, p, &c, &is_role, &is_sso, &source_of),
        }
        .err();
        out.push(c);
    }
    out
}

fn says(e: ValidationError) -> String {
    e.to_string()
}

/// What every candidate needs: one section, valid names, a profile rolecall may write.
fn check_names(doc: &IniDocument, p: &AwsProfile, c: &Candidate) -> Result<Name, String> {
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
    Ok(name)
}

fn name_free(config: &Config, name: &Name) -> Result<(), String> {
    if config.sources.contains_key(name) {
        return Err(format!("its rolecall name {name} is already a source; remove or rename that source first"));
    }
    Ok(())
}

/// Why the SSO profile `c` cannot be imported as it is.
fn check_sso(
    doc: &IniDocument,
    config: &Config,
    p: &AwsProfile,
    c: &Candidate,
    sso: &SsoCandidate,
) -> Result<(), String> {
    let name = check_names(doc, p, c)?;
    for key in ["aws_access_key_id", "credential_process", "web_identity_token_file"] {
        if doc.get(p.section(), key).is_some() {
            return Err(format!("sets {key} beside its sso_* settings, and AWS tools use the {key}; keep one"));
        }
    }
    let (start_url, region) = match &sso.session {
        Some(session) => {
            let blocks: Vec<String> =
                doc.section_names().into_iter().filter(|s| sso_session_of(s) == Some(session.as_str())).collect();
            let block = match blocks.as_slice() {
                [] => return Err(format!("its sso_session {session} has no [sso-session {session}] section; add it")),
                [one] => one,
                _ => {
                    return Err(format!("[sso-session {session}] appears more than once in the config file; keep one"));
                }
            };
            doc.section(block).map_err(|e| e.to_string())?;
            let key = |k: &str| {
                let own = doc.get(p.section(), k);
                match doc.get(block, k) {
                    Some(v) if own.as_ref().is_some_and(|o| o != &v) => Err(format!(
                        "its {k} differs from the one of [sso-session {session}], which AWS tools refuse; keep one"
                    )),
                    Some(v) => Ok(v),
                    None => Err(format!("its [sso-session {session}] has no {k}; add it")),
                }
            };
            (key("sso_start_url")?, key("sso_region")?)
        }
        None => {
            let key =
                |k: &str| doc.get(p.section(), k).ok_or_else(|| format!("has no {k} (and no sso_session); add it"));
            (key("sso_start_url")?, key("sso_region")?)
        }
    };
    StartUrl::parse(&start_url).map_err(|e| format!("sso_start_url: {}", e.reason))?;
    let sso_region = Region::parse(&region).map_err(|e| format!("sso_region: {}", e.reason))?;
    for (key, value) in [("sso_account_id", &sso.account_id), ("sso_role_name", &sso.role_name)] {
        if value.is_none() {
            return Err(format!(
                "has no {key}, so it names no role (it only signs in); add sso_account_id and sso_role_name"
            ));
        }
    }
    let arn = RoleArn::parse(&c.role_arn).map_err(|e| format!("sso_account_id or sso_role_name: {}", e.reason))?;
    if let Some(r) = &c.region {
        let region = Region::parse(r).map_err(says)?;
        if !arn.partition().contains(&region) {
            return Err(format!(
                "region {region} is not in the partition {} of its sso_region {sso_region}",
                arn.partition().as_str()
            ));
        }
    }
    let source =
        Name::parse(&sso.source).map_err(|e| format!("{} cannot be made a rolecall source name: {e}", sso.source))?;
    let url = StartUrl::parse(&start_url).map_err(says)?;
    let reusable = config.sources.values().any(|s| is_portal(s, &url, &sso_region));
    if !reusable && (config.sources.contains_key(&source) || config.favourites.contains_key(&source)) {
        return Err(format!("its source name {source} is taken by another source or favourite; rename that one first"));
    }
    name_free(config, &name)
}

/// Whether `s` is the IAM Identity Center source of that start URL and region.
fn is_portal(s: &Source, url: &StartUrl, region: &Region) -> bool {
    matches!(&s.kind, SourceKind::Sso { sso_start_url, sso_region, .. } if sso_start_url == url && sso_region == region)
}

/// Why the role profile `c` cannot be imported as it is.
fn check(
    doc: &IniDocument,
    config: &Config,
    p: &AwsProfile,
    c: &Candidate,
    is_role: &dyn Fn(&str) -> bool,
    is_sso: &dyn Fn(&str) -> bool,
    source_of: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let name = check_names(doc, p, c)?;
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
    // An SSO profile's credentials are a role's session too: STS caps what is chained from it.
    if (is_role(source) || is_sso(source))
        && let Some(d) = duration.filter(|d| *d > SessionDuration::CHAINED_MAX)
    {
        return Err(format!(
            "its source_profile {source} is a role, and STS caps chained sessions at 1h; set duration_seconds to 3600 or less (asked {d})"
        ));
    }
    if !is_role(source) {
        favourite_name(source)
            .map_err(|e| format!("source_profile {source} cannot be made a rolecall source name: {e}"))?;
    }
    name_free(config, &name)
}

fn invalid(c: &Candidate, reason: String) -> ConfigError {
    ConfigError::Invalid { name: c.favourite.clone(), reason }
}

/// Imports the role and SSO profiles named in `profiles` as favourites (see the module's naming
/// convention) and returns their names, in the order given. All or nothing: on any error `config`
/// is unchanged. A profile that is not a candidate, has a problem, or whose favourite or written
/// profile already exists is refused.
pub fn import(config: &mut Config, doc: &IniDocument, profiles: &[String]) -> Result<Vec<Name>, ConfigError> {
    let cands = candidates(doc, config);
    let mut chosen: Vec<&Candidate> = Vec::new();
    for p in profiles {
        let c = cands.iter().find(|c| &c.profile == p).ok_or_else(|| ConfigError::NotFound {
            kind: "AWS config profile with role_arn or sso_*",
            name: p.clone(),
        })?;
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
    let mfa = c.mfa_serial.as_deref().map(MfaSerial::parse).transpose()?;
    let source = match &c.sso {
        Some(sso) => portal_source(next, sso)?,
        None => role_source(next, cands, chosen, c, mfa.as_ref())?,
    };
    // Every field named: a new favourite field fails to compile here until the import says where
    // it comes from in `~/.aws/config` (or that it does not). An SSO profile has none of a role
    // profile's own fields (they are `None` in its candidate): the portal hands out its session.
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
        // Into the credentials file as the AWS CLI had it, unless the user never wants secrets
        // written to disk.
        delivery: next.preferences.default_delivery(),
    };
    next.put_favourite(name, fav, false)
}

/// The source (or favourite) a role profile's favourite is assumed from.
fn role_source(
    next: &mut Config,
    cands: &[Candidate],
    chosen: &[&Candidate],
    c: &Candidate,
    mfa: Option<&MfaSerial>,
) -> Result<Name, ConfigError> {
    let source_profile = ProfileName::parse(c.source_profile.as_deref().unwrap_or_default())?;
    let chain_from = cands.iter().find(|x| x.profile == source_profile.as_str()).and_then(|sc| {
        if chosen.iter().any(|x| x.profile == sc.profile) {
            Name::parse(&sc.favourite).ok()
        } else {
            existing_favourite(next, sc)
        }
    });
    match chain_from {
        Some(from) => {
            if let Some(serial) = mfa {
                let root = next.chain(&from)?.0;
                if let SourceKind::Sso { .. } = root.source.kind {
                    return Err(invalid(
                        c,
                        format!(
                            "AWS profile {} asks for MFA, but its chain starts at IAM Identity Center source {}, whose portal does the sign-in; remove its mfa_serial",
                            c.profile, root.name
                        ),
                    ));
                }
                let root = root.name.clone();
                set_mfa(next, &root, serial, c)?;
            }
            Ok(from)
        }
        None => aws_profile_source(next, &source_profile, mfa, c),
    }
}

/// The IAM Identity Center source of an SSO profile: an existing one for its start URL and
/// region (the one of its name first), else a new one.
fn portal_source(next: &mut Config, sso: &SsoCandidate) -> Result<Name, ConfigError> {
    let url = StartUrl::parse(sso.start_url.as_deref().unwrap_or_default())?;
    let region = Region::parse(sso.region.as_deref().unwrap_or_default())?;
    let preferred = Name::parse(&sso.source)?;
    let fits = |s: &Source| is_portal(s, &url, &region);
    if next.sources.get(&preferred).is_some_and(fits) {
        return Ok(preferred);
    }
    if let Some((name, _)) = next.sources.iter().find(|(_, s)| fits(s)) {
        return Ok(name.clone());
    }
    next.add_source(
        preferred.clone(),
        Source {
            kind: SourceKind::Sso {
                sso_start_url: url,
                sso_region: region,
                sso_session: sso.session.clone(),
                share_with_aws_cli: false,
                sso_session_minutes: None,
            },
            mfa_serial: None,
            identity: None,
        },
    )?;
    Ok(preferred)
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
                ("sso-dev", "sso-dev", "sso-dev-rolecall", None, None, false),
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
        assert_eq!(cands[0].role_arn, "arn:aws:iam::111111111111:role/Developer");
        let hub = &cands[1];
        assert_eq!(hub.role_arn, "arn:aws:iam::111111111111:role/Hub");
        assert_eq!(hub.mfa_serial.as_deref(), Some("arn:aws:iam::111111111111:mfa/alice"));
        assert_eq!(hub.duration_seconds.as_deref(), Some("7200"));
        assert_eq!(hub.role_session_name.as_deref(), Some("alice"));
        assert_eq!(hub.region, None);
        let admin = &cands[2];
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
                ("sso-dev".into(), false),
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
            (&base, &d, &["nope"], "config.not_found", "AWS config profile with role_arn or sso_* nope: not found"),
            (
                &base,
                &d,
                &["default"],
                "config.not_found",
                "AWS config profile with role_arn or sso_* default: not found",
            ),
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

    /// SSO profiles as others write them (modelled on the SDKs' and tools' own test files: the
    /// sso-session form, the legacy form, a login-only profile, mixed credentials, bad accounts).
    const SSO_CONFIG: &str = "\
[default]
sso_session = sso

[sso-session sso]
sso_start_url = https://example.com
sso_region = us-east-1

[profile sso-test]
region = us-east-1
sso_session = sso-test-session
sso_account_id = 123456789012
sso_role_name = ViewOnlyAccess

[sso-session sso-test-session]
sso_region = us-east-1
sso_start_url = https://test.awsapps.com/start
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://ssotest.awsapps.com/start/
sso_region = us-east-2
sso_account_id = 123456789012
sso_role_name = MySsoRole
region = us-east-2

[profile short-account]
sso_start_url = https://ssotest.awsapps.com/start
sso_region = us-east-2
sso_account_id = 123456789
sso_role_name = MySsoRole

[profile sso_and_static]
aws_access_key_id = AKIAEXAMPLE
sso_account_id = 012345678901
sso_region = us-west-2
sso_role_name = TestRole
sso_start_url = https://127.0.0.1/start

[profile no-region]
sso_start_url = https://ssotest.awsapps.com/start
sso_account_id = 123456789012
sso_role_name = R

[profile lost]
sso_session = nowhere
sso_account_id = 123456789012
sso_role_name = R

[profile half]
sso_session = half
sso_account_id = 123456789012
sso_role_name = R
[sso-session half]
sso_start_url = https://half.awsapps.com/start

[profile disagree]
sso_session = sso-test-session
sso_start_url = https://other.awsapps.com/start
sso_account_id = 123456789012
sso_role_name = R

[profile plain-http]
sso_start_url = http://portal.example.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = R

[profile gov]
sso_session = gov
sso_account_id = 123456789012
sso_role_name = GovRole
region = us-gov-east-1
[sso-session gov]
sso_start_url = https://start.us-gov-home.awsapps.com/directory/d-1
sso_region = us-gov-west-1

[profile gov-elsewhere]
sso_session = gov
sso_account_id = 123456789012
sso_role_name = GovRole
region = eu-west-1

[profile merged_profiles]
duration_seconds = 3601
role_arn = arn:aws:iam::123456789012:role/Merged
source_profile = sso-test
sso_start_url = https://my-sso-config-profile-role.awsapps.com/start
sso_region = us-east-1
sso_account_id = 1234567890
sso_role_name = ConfigProfileRole

[profile from-sso]
role_arn = arn:aws:iam::123456789012:role/Next
source_profile = sso-test
";

    #[test]
    fn sso_profiles_are_candidates_with_their_problems() {
        let cands = candidates(&doc(SSO_CONFIG), &Config::default());
        assert_rows(
            &cands,
            &[
                ("default", "default", "default-rolecall", None, Some("has no sso_account_id, so it names no role")),
                ("sso-test", "sso-test", "sso-test-rolecall", None, None),
                ("legacy", "legacy", "legacy-rolecall", None, None),
                (
                    "short-account",
                    "short-account",
                    "short-account-rolecall",
                    None,
                    Some("sso_account_id or sso_role_name: the account id must be 12 digits"),
                ),
                (
                    "sso_and_static",
                    "sso_and_static",
                    "sso_and_static-rolecall",
                    None,
                    Some("sets aws_access_key_id beside its sso_* settings"),
                ),
                (
                    "no-region",
                    "no-region",
                    "no-region-rolecall",
                    None,
                    Some("has no sso_region (and no sso_session); add it"),
                ),
                (
                    "lost",
                    "lost",
                    "lost-rolecall",
                    None,
                    Some("its sso_session nowhere has no [sso-session nowhere] section; add it"),
                ),
                ("half", "half", "half-rolecall", None, Some("its [sso-session half] has no sso_region; add it")),
                (
                    "disagree",
                    "disagree",
                    "disagree-rolecall",
                    None,
                    Some("its sso_start_url differs from the one of [sso-session sso-test-session]"),
                ),
                (
                    "plain-http",
                    "plain-http",
                    "plain-http-rolecall",
                    None,
                    Some("sso_start_url: must start with https://"),
                ),
                ("gov", "gov", "gov-rolecall", None, None),
                (
                    "gov-elsewhere",
                    "gov-elsewhere",
                    "gov-elsewhere-rolecall",
                    None,
                    Some("region eu-west-1 is not in the partition aws-us-gov of its sso_region us-gov-west-1"),
                ),
                // role_arn wins over sso_* (as in the AWS SDKs): a role profile, chained from an SSO profile.
                (
                    "merged_profiles",
                    "merged_profiles",
                    "merged_profiles-rolecall",
                    Some("sso-test"),
                    Some("its source_profile sso-test is a role, and STS caps chained sessions at 1h"),
                ),
                ("from-sso", "from-sso", "from-sso-rolecall", Some("sso-test"), None),
            ]
            .map(|(p, f, w, s, problem)| (p, f, w, s, problem, false)),
        );
        let by = |p: &str| cands.iter().find(|c| c.profile == p).unwrap();
        let test = by("sso-test");
        assert_eq!(test.role_arn, "arn:aws:iam::123456789012:role/ViewOnlyAccess");
        assert_eq!(test.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            test.sso,
            Some(SsoCandidate {
                session: Some("sso-test-session".into()),
                start_url: Some("https://test.awsapps.com/start".into()),
                region: Some("us-east-1".into()),
                account_id: Some("123456789012".into()),
                role_name: Some("ViewOnlyAccess".into()),
                source: "sso-test-session".into(),
            })
        );
        let legacy = by("legacy").sso.clone().unwrap();
        assert_eq!((legacy.session, legacy.source.as_str()), (None, "legacy-sso"), "named after the profile, -sso");
        assert_eq!(by("gov").role_arn, "arn:aws-us-gov:iam::123456789012:role/GovRole", "partition of the sso region");
        assert_eq!(by("short-account").role_arn, "arn:aws:iam::123456789:role/MySsoRole");
        assert_eq!(by("default").role_arn, "", "no account, no role");
        assert_eq!(by("merged_profiles").sso, None);
        assert_eq!(by("merged_profiles").role_arn, "arn:aws:iam::123456789012:role/Merged");
    }

    #[test]
    fn sso_profiles_import_with_a_portal_source_and_role_chains_from_them() {
        let d = doc(SSO_CONFIG);
        let mut config = Config::default();
        let names = import(&mut config, &d, &strings(&["from-sso", "sso-test", "legacy", "gov"])).unwrap();
        assert_eq!(names, [n("from-sso"), n("sso-test"), n("legacy"), n("gov")]);
        let portal = |url: &str, region: &str, session: Option<&str>| Source {
            kind: SourceKind::Sso {
                sso_start_url: StartUrl::parse(url).unwrap(),
                sso_region: Region::parse(region).unwrap(),
                sso_session: session.map(str::to_owned),
                share_with_aws_cli: false,
                sso_session_minutes: None,
            },
            mfa_serial: None,
            identity: None,
        };
        assert_eq!(
            config.sources[&n("sso-test-session")],
            portal("https://test.awsapps.com/start", "us-east-1", Some("sso-test-session"))
        );
        assert_eq!(config.sources[&n("legacy-sso")], portal("https://ssotest.awsapps.com/start", "us-east-2", None));
        assert_eq!(
            config.sources[&n("gov-sso")],
            portal("https://start.us-gov-home.awsapps.com/directory/d-1", "us-gov-west-1", Some("gov"))
        );
        assert_eq!(config.sources.len(), 3);
        let test = &config.favourites[&n("sso-test")];
        assert_eq!(test.arn.as_str(), "arn:aws:iam::123456789012:role/ViewOnlyAccess");
        assert_eq!(test.source, n("sso-test-session"));
        assert_eq!(test.profile.as_str(), "sso-test-rolecall");
        assert_eq!(test.region.as_ref().map(Region::as_str), Some("us-east-1"));
        assert!(!test.mfa);
        assert_eq!(config.favourites[&n("legacy")].source, n("legacy-sso"));
        assert_eq!(config.favourites[&n("gov")].arn.as_str(), "arn:aws-us-gov:iam::123456789012:role/GovRole");
        assert_eq!(config.favourites[&n("from-sso")].source, n("sso-test"), "chained from the SSO favourite");
        let (root, chain) = config.chain(&n("from-sso")).unwrap();
        assert_eq!((root.name, chain.len()), (&n("sso-test-session"), 2));
        assert_eq!(Config::from_toml(&config.to_toml()).unwrap(), config);
        assert!(candidates(&d, &config).iter().find(|c| c.profile == "sso-test").unwrap().already_imported);
    }

    #[test]
    fn an_sso_source_of_the_same_portal_is_reused_and_a_taken_name_is_a_problem() {
        let text = "\
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start/
sso_region = eu-west-1
[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
[profile ops]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Operator
[profile corp]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = Admin
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile hop]
role_arn = arn:aws:iam::444444444444:role/Hop
source_profile = dev
mfa_serial = arn:aws:iam::111111111111:mfa/alice
";
        let d = doc(text);
        let portal = Source {
            kind: SourceKind::Sso {
                sso_start_url: StartUrl::parse("https://corp.awsapps.com/start").unwrap(),
                sso_region: Region::parse("eu-west-1").unwrap(),
                sso_session: None,
                share_with_aws_cli: false,
                sso_session_minutes: None,
            },
            mfa_serial: None,
            identity: None,
        };
        // The user added this portal by hand under another name: it is reused.
        let mut config = Config::default();
        config.add_source(n("work"), portal.clone()).unwrap();
        import(&mut config, &d, &strings(&["dev", "ops", "corp"])).unwrap();
        assert_eq!(config.sources.keys().collect::<Vec<_>>(), [&n("work")]);
        for f in ["dev", "ops", "corp"] {
            assert_eq!(config.favourites[&n(f)].source, n("work"), "{f}");
        }
        // Two profiles of one new sso-session share one new source; the session's name is the
        // favourite's own, so the source gets -sso; an SSO profile's mfa_serial means nothing.
        let mut fresh = Config::default();
        import(&mut fresh, &d, &strings(&["dev", "corp"])).unwrap();
        assert_eq!(fresh.sources.keys().collect::<Vec<_>>(), [&n("corp-sso")]);
        assert_eq!(fresh.favourites[&n("dev")].source, n("corp-sso"));
        assert!(!fresh.favourites[&n("corp")].mfa);
        // MFA on a role chained from an SSO favourite has no device to go to.
        let before = fresh.clone();
        let e = import(&mut fresh, &d, &strings(&["hop"])).unwrap_err();
        assert_eq!(e.code(), "config.invalid", "{e}");
        assert!(
            e.to_string().contains("asks for MFA, but its chain starts at IAM Identity Center source corp-sso"),
            "{e}"
        );
        assert_eq!(fresh, before);
        // Its source's name taken by something else: said before anything is imported.
        let mut taken = Config::default();
        taken.add_source(n("corp-sso"), keychain_source()).unwrap();
        let dev = candidates(&d, &taken).into_iter().find(|c| c.profile == "dev").unwrap();
        assert_eq!(
            dev.problem.as_deref(),
            Some("its source name corp-sso is taken by another source or favourite; rename that one first")
        );
    }

    #[test]
    fn candidates_serialize_with_camel_case_names() {
        let cands = candidates(&doc(USER_CONFIG), &Config::default());
        #[derive(Serialize)]
        struct Wrap<'a> {
            c: &'a Candidate,
        }
        let hub = cands.iter().find(|c| c.profile == "hub").unwrap();
        let text = toml::to_string(&Wrap { c: hub }).unwrap();
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
