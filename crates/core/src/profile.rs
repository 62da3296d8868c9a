//! What rolecall writes into `~/.aws/credentials` and `~/.aws/config`, as pure text edits.
//!
//! rolecall owns a credentials section only if it carries the [`MANAGED_KEY`] marker; it refuses to
//! overwrite any other section unless forced, and then the caller keeps a backup of that section
//! first ([`section_text`]: the section's own lines, nothing else of the file). Everything
//! outside the section being written survives byte for byte (see [`crate::ini`]).

use chrono::{DateTime, SecondsFormat, Utc};

use crate::code::Code;
use crate::ini::{IniDocument, IniError};
use crate::secret::SessionCredentials;
use crate::validate::{Name, ProfileName, Region};

/// The key that marks a credentials section as written by rolecall; its value is the favourite.
pub const MANAGED_KEY: &str = "x_rolecall_favourite";
/// The expiry key other tools read (RFC 3339, UTC).
pub const EXPIRES_KEY: &str = "x_security_token_expires";
/// When STS issued the session (RFC 3339, UTC, in STS's clock): with the expiry, how long STS
/// granted it for, which bounds how early it may be renewed or warned about.
pub const ISSUED_KEY: &str = "x_rolecall_issued";

/// Keys in a config-file profile that make the AWS CLI ignore static credentials for it.
const CREDENTIAL_SOURCE_KEYS: &[&str] = &[
    "role_arn",
    "credential_process",
    "credential_source",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "web_identity_token_file",
];

/// Which AWS file an edit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsFile {
    /// The shared credentials file.
    Credentials,
    /// The shared config file.
    Config,
}

impl AwsFile {
    /// The name users know it by.
    pub fn label(self) -> &'static str {
        match self {
            AwsFile::Credentials => "credentials file",
            AwsFile::Config => "config file",
        }
    }
}

/// Why a profile cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The file cannot be parsed; it is left as it is.
    #[error("{} line {line}: {reason}; fix or move the file, rolecall will not rewrite it", file.label())]
    Unparseable {
        /// Which file.
        file: AwsFile,
        /// The 1-based line.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
    /// The profile exists and was not written by rolecall.
    #[error(
        "profile {profile}: exists in the credentials file and was not written by rolecall; {}",
        Code::CredentialsFileNotOwned.remedy()
    )]
    NotOwned {
        /// The profile.
        profile: String,
    },
    /// The profile is written by another favourite.
    #[error("profile {profile}: belongs to favourite {owner}; {}", Code::CredentialsFileConflict.remedy())]
    OwnedByOther {
        /// The profile.
        profile: String,
        /// The favourite that wrote it.
        owner: String,
    },
    /// The rolecall command's path cannot be written as a `credential_process` that every reader
    /// splits the same way.
    #[error(
        "the rolecall command {path}: {reason}, so a credential_process line would not read the same to every AWS tool; {}",
        Code::ConfigFileUnsafeCommand.remedy()
    )]
    UnsafeCommand {
        /// The path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The config file gives the profile a credential source that would win over the credentials file.
    #[error(
        "profile {profile}: the config file sets {key} for it, so AWS tools would ignore rolecall's credentials; {}",
        Code::ConfigFileConflict.remedy()
    )]
    ConfigConflict {
        /// The profile.
        profile: String,
        /// The conflicting key.
        key: String,
    },
}

impl ProfileError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            ProfileError::Unparseable { file: AwsFile::Credentials, .. } => Code::CredentialsFileUnparseable,
            ProfileError::Unparseable { file: AwsFile::Config, .. } => Code::ConfigFileUnparseable,
            ProfileError::NotOwned { .. } => Code::CredentialsFileNotOwned,
            ProfileError::OwnedByOther { .. } => Code::CredentialsFileConflict,
            ProfileError::ConfigConflict { .. } => Code::ConfigFileConflict,
            ProfileError::UnsafeCommand { .. } => Code::ConfigFileUnsafeCommand,
        }
    }

    fn from_ini(file: AwsFile, e: IniError) -> ProfileError {
        ProfileError::Unparseable { file, line: e.line().unwrap_or(0), reason: e.to_string() }
    }
}

/// Parses one of the AWS files, turning parse errors into [`ProfileError::Unparseable`].
pub fn parse(file: AwsFile, bytes: Vec<u8>) -> Result<IniDocument, ProfileError> {
    IniDocument::parse(bytes).map_err(|e| ProfileError::from_ini(file, e))
}

/// What a credentials write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// A new section was added.
    Created,
    /// rolecall's own section was updated.
    Updated,
    /// A section rolecall did not own was overwritten (forced): the caller must have kept a
    /// backup of its [`section_text`].
    TookOver,
}

/// Who holds a profile in the credentials file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// No such section.
    Nobody,
    /// A section rolecall did not write.
    Foreign,
    /// A section rolecall wrote for this favourite, with the expiry it recorded.
    Rolecall {
        /// The favourite named in the marker.
        favourite: String,
        /// The recorded expiry, if readable.
        expires: Option<DateTime<Utc>>,
        /// When the session was issued, if recorded and readable (older versions did not).
        issued: Option<DateTime<Utc>>,
    },
}

/// Who holds `profile` in a parsed credentials file.
pub fn holder(doc: &IniDocument, profile: &ProfileName) -> Result<Holder, ProfileError> {
    let entries = doc.section(profile.as_str()).map_err(|e| ProfileError::from_ini(AwsFile::Credentials, e))?;
    let Some(entries) = entries else { return Ok(Holder::Nobody) };
    let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let time =
        |k: &str| get(k).and_then(|v: String| DateTime::parse_from_rfc3339(&v).ok()).map(|d| d.with_timezone(&Utc));
    Ok(match get(MANAGED_KEY) {
        None => Holder::Foreign,
        Some(favourite) => Holder::Rolecall { favourite, expires: time(EXPIRES_KEY), issued: time(ISSUED_KEY) },
    })
}

/// The credentials section of `profile` exactly as it is in the file (header, entries and the
/// comments between them; see [`IniDocument::section_text`]), None if absent: what a backup
/// made before taking the section over keeps, and no other profile's keys.
pub fn section_text(doc: &IniDocument, profile: &ProfileName) -> Result<Option<Vec<u8>>, ProfileError> {
    let text = doc.section_text(profile.as_str()).map_err(|e| ProfileError::from_ini(AwsFile::Credentials, e))?;
    Ok(text.map(<[u8]>::to_vec))
}

/// Writes a session into `profile` of a credentials file, for favourite `favourite`; `issued` is
/// when STS issued it (in STS's clock).
pub fn write_session(
    doc: &mut IniDocument,
    profile: &ProfileName,
    favourite: &Name,
    creds: &SessionCredentials,
    issued: DateTime<Utc>,
    force: bool,
) -> Result<WriteKind, ProfileError> {
    let kind = match holder(doc, profile)? {
        Holder::Nobody => WriteKind::Created,
        Holder::Rolecall { favourite: owner, .. } if owner == favourite.as_str() => WriteKind::Updated,
        Holder::Rolecall { favourite: owner, .. } if !force => {
            return Err(ProfileError::OwnedByOther { profile: profile.to_string(), owner });
        }
        Holder::Foreign if !force => return Err(ProfileError::NotOwned { profile: profile.to_string() }),
        Holder::Rolecall { .. } | Holder::Foreign => WriteKind::TookOver,
    };
    let expires = creds.expiration.to_rfc3339_opts(SecondsFormat::Secs, true);
    let issued = issued.to_rfc3339_opts(SecondsFormat::Secs, true);
    doc.set_entries(
        profile.as_str(),
        &[
            ("aws_access_key_id", creds.access_key_id.as_str()),
            ("aws_secret_access_key", creds.secret()),
            ("aws_session_token", creds.token()),
            (EXPIRES_KEY, &expires),
            (ISSUED_KEY, &issued),
            (MANAGED_KEY, favourite.as_str()),
        ],
    )
    .map_err(|e| ProfileError::from_ini(AwsFile::Credentials, e))?;
    Ok(kind)
}

/// The config file's section name for a profile: `default` or `profile NAME`.
pub fn config_section(profile: &ProfileName) -> String {
    if profile.as_str() == "default" { "default".to_owned() } else { format!("profile {profile}") }
}

/// Refuses a profile the config file would resolve some other way (role_arn, SSO, credential_process…).
pub fn check_config(doc: &IniDocument, profile: &ProfileName) -> Result<(), ProfileError> {
    let entries = doc.section(&config_section(profile)).map_err(|e| ProfileError::from_ini(AwsFile::Config, e))?;
    if let Some(key) =
        entries.unwrap_or_default().into_iter().map(|(k, _)| k).find(|k| CREDENTIAL_SOURCE_KEYS.contains(&k.as_str()))
    {
        return Err(ProfileError::ConfigConflict { profile: profile.to_string(), key });
    }
    Ok(())
}

/// Sets the profile's region in the config file (creating `[profile NAME]` if needed).
pub fn set_region(doc: &mut IniDocument, profile: &ProfileName, region: &Region) -> Result<(), ProfileError> {
    check_config(doc, profile)?;
    doc.set_entries(&config_section(profile), &[("region", region.as_str())])
        .map_err(|e| ProfileError::from_ini(AwsFile::Config, e))
}

/// The config-file key through which AWS tools run a command for a profile's credentials.
pub const PROCESS_KEY: &str = "credential_process";

/// The `credential_process` value that serves favourite `favourite`: `CLI credentials NAME`,
/// with `cli` the absolute path of the rolecall command. Nothing is quoted: a path that a shell
/// (`sh -c`, botocore) and a plain split on spaces (the SDKs) would read differently is refused.
pub fn credential_process_line(cli: &str, favourite: &Name) -> Result<String, ProfileError> {
    let refuse = |reason: &str| ProfileError::UnsafeCommand { path: cli.to_owned(), reason: reason.to_owned() };
    let absolute = cli.starts_with('/') || cli.get(1..3).is_some_and(|s| s == ":\\");
    if !absolute {
        return Err(refuse("is not an absolute path"));
    }
    if let Some(c) = cli.chars().find(|c| !(c.is_ascii_alphanumeric() || "/\\._-+:".contains(*c))) {
        return Err(refuse(&if c.is_whitespace() {
            "contains a space".to_owned()
        } else {
            format!("contains {c:?}, which a shell reads as syntax")
        }));
    }
    Ok(format!("{cli} credentials {favourite}"))
}

/// Gives `profile` of a config file the `credential_process` `line` (and `region`), in a section
/// rolecall owns for favourite `favourite` (the [`MANAGED_KEY`] marker): created if absent,
/// updated if this favourite's; a section that resolves its credentials some other way, or is
/// another favourite's, is refused. Everything else in the file is kept byte for byte.
pub fn set_credential_process(
    doc: &mut IniDocument,
    profile: &ProfileName,
    favourite: &Name,
    line: &str,
    region: Option<&Region>,
) -> Result<(), ProfileError> {
    let section = config_section(profile);
    let entries = doc.section(&section).map_err(|e| ProfileError::from_ini(AwsFile::Config, e))?.unwrap_or_default();
    match entries.iter().find(|(k, _)| k == MANAGED_KEY) {
        Some((_, owner)) if owner == favourite.as_str() => {}
        Some((_, owner)) => {
            return Err(ProfileError::OwnedByOther { profile: profile.to_string(), owner: owner.clone() });
        }
        None => check_config(doc, profile)?,
    }
    let mut set = vec![(PROCESS_KEY, line)];
    if let Some(region) = region {
        set.push(("region", region.as_str()));
    }
    set.push((MANAGED_KEY, favourite.as_str()));
    doc.set_entries(&section, &set).map_err(|e| ProfileError::from_ini(AwsFile::Config, e))
}

/// Takes favourite `favourite`'s `credential_process` out of `profile` of a config file (and
/// rolecall's marker; the section too when nothing else is left in it). A section that is not
/// this favourite's is left alone. Returns whether anything changed.
pub fn remove_credential_process(
    doc: &mut IniDocument,
    profile: &ProfileName,
    favourite: &Name,
) -> Result<bool, ProfileError> {
    let section = config_section(profile);
    let ini = |e| ProfileError::from_ini(AwsFile::Config, e);
    let Some(entries) = doc.section(&section).map_err(ini)? else { return Ok(false) };
    if !entries.iter().any(|(k, v)| k == MANAGED_KEY && v == favourite.as_str()) {
        return Ok(false);
    }
    doc.remove_keys(&section, &[PROCESS_KEY, MANAGED_KEY]).map_err(ini)?;
    if doc.section(&section).map_err(ini)?.is_some_and(|e| e.is_empty()) {
        doc.remove_section(&section).map_err(ini)?;
    }
    Ok(true)
}

/// Removes rolecall's own section for `profile`; a section rolecall did not write is left alone.
pub fn remove_session(doc: &mut IniDocument, profile: &ProfileName) -> Result<bool, ProfileError> {
    match holder(doc, profile)? {
        Holder::Rolecall { .. } => {
            doc.remove_section(profile.as_str()).map_err(|e| ProfileError::from_ini(AwsFile::Credentials, e))
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AccessKeyId;
    use chrono::TimeZone;
    use secrecy::SecretString;

    fn creds(n: u8) -> SessionCredentials {
        SessionCredentials {
            access_key_id: AccessKeyId::parse(&format!("ASIAEXAMPLE000000{n:03}")).unwrap(),
            secret_access_key: SecretString::from(format!("secret{n}")),
            session_token: SecretString::from(format!("token{n}")),
            expiration: Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap(),
        }
    }
    fn p(s: &str) -> ProfileName {
        ProfileName::parse(s).unwrap()
    }
    fn issued() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap()
    }
    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    const USER_FILE: &str = "# my keys\r\n[default]\r\naws_access_key_id=AKIAUSER\r\naws_secret_access_key = userSecret ; keep\r\n\r\n[other]\r\nregion: eu-west-1";

    #[test]
    fn a_credential_process_line_names_an_absolute_path_a_shell_and_a_split_read_the_same() {
        assert_eq!(
            credential_process_line("/usr/bin/rolecall", &n("prod")).unwrap(),
            "/usr/bin/rolecall credentials prod"
        );
        assert_eq!(
            credential_process_line("/opt/rc-1.2_x+y/rolecall", &n("a.b-c")).unwrap(),
            "/opt/rc-1.2_x+y/rolecall credentials a.b-c"
        );
        for (path, why) in [
            ("rolecall", "is not an absolute path"),
            ("/home/a b/rolecall", "contains a space"),
            ("/home/a$HOME/rolecall", "'$'"),
            ("/x;rm/rolecall", "';'"),
            ("/x'y/rolecall", "'\\''"),
            ("/x\"y/rolecall", "'\"'"),
            ("/x*/rolecall", "'*'"),
            ("/x\ty/rolecall", "contains a space"),
        ] {
            let e = credential_process_line(path, &n("prod")).unwrap_err();
            assert_eq!(e.code(), Code::ConfigFileUnsafeCommand, "{path}");
            assert!(e.to_string().contains(why), "{path}: {e}");
        }
    }

    #[test]
    fn a_credential_process_goes_into_a_section_rolecall_owns_and_leaves_losslessly() {
        let before = "# mine\n[default]\nregion = eu-west-1 ; keep\n\n[profile other]\noutput=json\n";
        let mut doc = IniDocument::parse(before).unwrap();
        let line = "/usr/bin/rolecall credentials prod";
        set_credential_process(&mut doc, &p("prod"), &n("prod"), line, Some(&Region::parse("eu-west-2").unwrap()))
            .unwrap();
        let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
        assert!(text.starts_with(before), "{text}");
        assert_eq!(doc.get("profile prod", PROCESS_KEY).as_deref(), Some(line));
        assert_eq!(doc.get("profile prod", "region").as_deref(), Some("eu-west-2"));
        assert_eq!(doc.get("profile prod", MANAGED_KEY).as_deref(), Some("prod"));
        // Again: unchanged.
        let once = doc.as_bytes().to_vec();
        set_credential_process(&mut doc, &p("prod"), &n("prod"), line, Some(&Region::parse("eu-west-2").unwrap()))
            .unwrap();
        assert_eq!(doc.as_bytes(), &once[..]);
        // Another favourite's section, or one resolving credentials its own way, is refused.
        let e = set_credential_process(&mut doc, &p("prod"), &n("dev"), line, None).unwrap_err();
        assert_eq!(e.code(), Code::CredentialsFileConflict);
        let mut sso = IniDocument::parse("[profile prod]\nsso_session = corp\n").unwrap();
        let e = set_credential_process(&mut sso, &p("prod"), &n("prod"), line, None).unwrap_err();
        assert_eq!(e.code(), Code::ConfigFileConflict);
        // Removed only by its favourite; the region rolecall set stays, as a file favourite keeps it.
        assert!(!remove_credential_process(&mut doc, &p("prod"), &n("dev")).unwrap());
        assert!(remove_credential_process(&mut doc, &p("prod"), &n("prod")).unwrap());
        assert_eq!(doc.get("profile prod", PROCESS_KEY), None);
        assert_eq!(doc.get("profile prod", "region").as_deref(), Some("eu-west-2"));
        assert!(check_config(&doc, &p("prod")).is_ok());
        // Without a region the section rolecall made goes entirely: the file is as it was.
        let mut doc = IniDocument::parse(before).unwrap();
        set_credential_process(&mut doc, &p("prod"), &n("prod"), line, None).unwrap();
        assert!(remove_credential_process(&mut doc, &p("prod"), &n("prod")).unwrap());
        // (but for the blank line that set the new section apart, as for a credentials section)
        assert_eq!(String::from_utf8(doc.as_bytes().to_vec()).unwrap(), format!("{before}\n"));
        // A section of the user's that rolecall added to keeps the user's keys.
        let mut doc = IniDocument::parse("[profile prod]\noutput = json\n").unwrap();
        set_credential_process(&mut doc, &p("prod"), &n("prod"), line, None).unwrap();
        assert!(remove_credential_process(&mut doc, &p("prod"), &n("prod")).unwrap());
        assert_eq!(String::from_utf8(doc.as_bytes().to_vec()).unwrap(), "[profile prod]\noutput = json\n");
    }

    #[test]
    fn new_profile_is_appended_and_everything_else_survives() {
        let mut doc = parse(AwsFile::Credentials, USER_FILE.as_bytes().to_vec()).unwrap();
        assert_eq!(
            write_session(&mut doc, &p("prod"), &n("prod"), &creds(1), issued(), false).unwrap(),
            WriteKind::Created
        );
        let text = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
        let expected = format!(
            "{USER_FILE}\r\n\r\n[prod]\r\naws_access_key_id = ASIAEXAMPLE000000001\r\naws_secret_access_key = secret1\r\naws_session_token = token1\r\nx_security_token_expires = 2026-11-25T12:00:00Z\r\nx_rolecall_issued = 2026-11-25T11:00:00Z\r\nx_rolecall_favourite = prod\r\n"
        );
        assert_eq!(text, expected);
        assert_eq!(
            holder(&doc, &p("prod")).unwrap(),
            Holder::Rolecall {
                favourite: "prod".into(),
                expires: Some(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()),
                issued: Some(issued()),
            }
        );
        // An update rewrites values in place and nothing else.
        let before = doc.as_bytes().to_vec();
        assert_eq!(
            write_session(&mut doc, &p("prod"), &n("prod"), &creds(2), issued() + chrono::Duration::hours(1), false)
                .unwrap(),
            WriteKind::Updated
        );
        let after = String::from_utf8(doc.as_bytes().to_vec()).unwrap();
        assert_eq!(
            after,
            String::from_utf8(before)
                .unwrap()
                .replace("001", "002")
                .replace("secret1", "secret2")
                .replace("token1", "token2")
                .replace("T11:00:00Z", "T12:00:00Z")
        );
    }

    #[test]
    fn foreign_and_other_favourites_sections_are_refused_unless_forced() {
        let mut doc = parse(AwsFile::Credentials, USER_FILE.as_bytes().to_vec()).unwrap();
        let e = write_session(&mut doc, &p("default"), &n("x"), &creds(1), issued(), false).unwrap_err();
        assert_eq!(e.code(), "credentials_file.not_owned");
        assert_eq!(doc.as_bytes(), USER_FILE.as_bytes(), "a refused write changes nothing");
        // What a backup keeps before the takeover: that section alone, byte for byte.
        assert_eq!(
            section_text(&doc, &p("default")).unwrap().unwrap(),
            b"[default]\r\naws_access_key_id=AKIAUSER\r\naws_secret_access_key = userSecret ; keep\r\n"
        );
        assert_eq!(section_text(&doc, &p("absent")).unwrap(), None);
        assert_eq!(
            write_session(&mut doc, &p("default"), &n("x"), &creds(1), issued(), true).unwrap(),
            WriteKind::TookOver
        );
        assert!(doc.as_bytes().starts_with(b"# my keys\r\n[default]\r\naws_access_key_id=ASIAEXAMPLE000000001\r\n"));
        let e = write_session(&mut doc, &p("default"), &n("y"), &creds(1), issued(), false).unwrap_err();
        assert_eq!(e.to_string(), "profile default: belongs to favourite x; choose another profile");
        assert!(remove_session(&mut doc, &p("default")).unwrap());
        assert!(!remove_session(&mut doc, &p("other")).unwrap(), "foreign sections are never removed");
    }

    #[test]
    fn unparseable_files_are_refused_with_the_line() {
        let e = parse(AwsFile::Credentials, b"[a]\nx = 1\nthis is junk\n".to_vec()).unwrap_err();
        assert_eq!(e.code(), "credentials_file.unparseable");
        assert!(e.to_string().starts_with("credentials file line 3: "), "{e}");
    }

    #[test]
    fn region_goes_to_the_config_file_unless_the_profile_is_resolved_otherwise() {
        let mut doc = parse(AwsFile::Config, b"[default]\nregion = us-east-1\n".to_vec()).unwrap();
        set_region(&mut doc, &p("prod"), &Region::parse("eu-west-1").unwrap()).unwrap();
        set_region(&mut doc, &p("default"), &Region::parse("eu-west-2").unwrap()).unwrap();
        assert_eq!(doc.as_bytes(), b"[default]\nregion = eu-west-2\n\n[profile prod]\nregion = eu-west-1\n");
        let mut doc = parse(AwsFile::Config, b"[profile sso]\nsso_session = corp\n".to_vec()).unwrap();
        let e = set_region(&mut doc, &p("sso"), &Region::parse("eu-west-1").unwrap()).unwrap_err();
        assert_eq!(e.code(), "config_file.conflict");
        assert!(e.to_string().contains("sets sso_session"), "{e}");
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        use crate::test_support::proptest_cases as cases;

        /// Lines of credentials files people really have, and some they should not.
        const LINES: &[&str] = &[
            "[default]",
            "[prod]",
            "[profile prod]",
            "[other]",
            "\t[other]",
            "[DEFAULT]",
            "aws_access_key_id = AKIAUSER0000000001",
            "aws_secret_access_key = userSecret",
            "aws_session_token = userToken",
            "x_rolecall_favourite = prod",
            "x_rolecall_favourite = someone-else",
            "x_security_token_expires = not a date",
            "region: eu-west-1",
            "  nested = 1",
            "# comment",
            "; comment",
            "",
            "k = v",
            "k = v",
            "caf\u{e9} = \u{a0}",
        ];

        fn file() -> impl Strategy<Value = Vec<u8>> {
            (prop::collection::vec((prop::sample::select(LINES), any::<bool>()), 0..20), any::<bool>()).prop_map(
                |(lines, last_newline)| {
                    let n = lines.len();
                    let mut out = Vec::new();
                    for (i, (line, crlf)) in lines.into_iter().enumerate() {
                        out.extend_from_slice(line.as_bytes());
                        if i + 1 < n || last_newline {
                            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                        }
                    }
                    out
                },
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(cases(1024)))]

            /// Writing a session either is refused with the file unchanged, or leaves a file that
            /// parses, holds exactly our values in our section, and reads the same everywhere else.
            #[test]
            fn profile_prop_write_session_changes_only_its_section(
                input in file(),
                profile in prop::sample::select(vec!["prod", "default", "other", "profile prod", "new"]),
                force in any::<bool>(),
                k in 0u8..200,
            ) {
                let Ok(before) = parse(AwsFile::Credentials, input.clone()) else { return Ok(()) };
                let profile = ProfileName::parse(profile).ok();
                let Some(profile) = profile else { return Ok(()) };
                let mut doc = before.clone();
                let c = creds(k);
                match write_session(&mut doc, &profile, &n("prod"), &c, issued(), force) {
                    Err(_) => prop_assert_eq!(doc.as_bytes(), input.as_slice(), "a refused write changed the file"),
                    Ok(kind) => {
                        let reparsed = parse(AwsFile::Credentials, doc.as_bytes().to_vec());
                        prop_assert!(reparsed.is_ok());
                        let after = reparsed.unwrap();
                        prop_assert_eq!(after.get(profile.as_str(), "aws_secret_access_key"), Some(c.secret().to_owned()));
                        prop_assert_eq!(after.get(profile.as_str(), "aws_session_token"), Some(c.token().to_owned()));
                        let held = holder(&after, &profile).unwrap();
                        prop_assert_eq!(held, Holder::Rolecall { favourite: "prod".into(), expires: Some(c.expiration), issued: Some(issued()) });
                        if kind == WriteKind::TookOver {
                            prop_assert!(force);
                        }
                        for name in before.section_names() {
                            if name != profile.as_str() {
                                prop_assert_eq!(after.section(&name).ok(), before.section(&name).ok(), "section {} changed", name);
                            }
                        }
                        // And removing it again touches nothing else either.
                        // (or is refused, unchanged, when a header indented after it would merge).
                        let mut removed = after.clone();
                        match remove_session(&mut removed, &profile) {
                            Ok(gone) => {
                                prop_assert!(gone);
                                prop_assert_eq!(holder(&removed, &profile).unwrap(), Holder::Nobody);
                            }
                            Err(e) => {
                                prop_assert!(e.to_string().contains("indented section header"), "{}", e);
                                prop_assert_eq!(removed.as_bytes(), after.as_bytes());
                            }
                        }
                    }
                }
            }
        }
    }
}
