//! The catalogue of error codes: every stable code rolecall reports, with what it means and what
//! the user should do. Both front ends and every adapter crate take their codes from here, and
//! `docs/errors.md` is rendered from it ([`markdown`]), so the list, the wire strings and the
//! documentation cannot drift apart.
//!
//! A code's [`Code::remedy`] is the neutral "what to do": it names no CLI flag or command, because
//! the tray shows the same messages. Front ends add their own hints keyed by the code.

use std::fmt;

use serde::{Serialize, Serializer};

/// Declares [`Code`] from one table: variant, wire string, meaning, remedy.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal, $meaning:literal, $remedy:literal;)+) => {
        /// A stable error code. It serializes (JSON output, IPC payloads) as its wire string,
        /// e.g. `sts.access_denied`; see [`Code::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            /// Every code, in catalogue order (grouped by subject).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The wire string (`sts.access_denied`): what scripts and the UI match on. Never changes.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)+
                }
            }

            /// What the code means, in plain words.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)+
                }
            }

            /// What the user should do, naming no front end's flags or commands.
            pub const fn remedy(self) -> &'static str {
                match self {
                    $(Code::$variant => $remedy,)+
                }
            }
        }
    };
}

codes! {
    /// A value given by the user was refused.
    InputInvalid = "input.invalid",
        "a value given (a name, an ARN, a duration, a tag, an MFA code, …) breaks one of AWS's or rolecall's rules; the message names the field and the rule",
        "correct the value as the message says";
    /// Something needs the user but there is no way to ask.
    InputNeeded = "input.needed",
        "rolecall needs something from the user (an MFA code, the source's keys) and has no way to ask for it here",
        "give it up front as the message says, or run where rolecall can ask";
    /// The user cancelled.
    Cancelled = "cancelled",
        "the user cancelled (an MFA prompt was closed)",
        "nothing; start again when ready";
    /// Another assume of the same favourite is in progress.
    Busy = "busy",
        "the favourite is already being assumed; the tray runs at most one assume per favourite",
        "wait for the running one to finish";
    /// The tray app is shutting down.
    AppQuitting = "app.quitting",
        "the tray app is quitting and no longer takes requests",
        "start rolecall again";
    /// The MFA request answered is no longer waiting.
    MfaStale = "mfa.stale",
        "the MFA request the code was typed for is no longer waiting (it was answered, cancelled or has timed out)",
        "click the favourite again";
    /// There is no session to use.
    SessionMissing = "session.missing",
        "the favourite has no current session to use (never assumed, or it has expired)",
        "assume the favourite first";
    /// The clipboard could not be used.
    ClipboardError = "clipboard.error",
        "the desktop's clipboard could not be reached or refused the text",
        "check that a clipboard manager or the desktop session is running and try again";
    /// Start at login could not be changed.
    AutostartError = "autostart.error",
        "start at login could not be turned on or off",
        "check that the autostart directory is writable and try again";
    /// config.toml is not valid TOML or has unknown or invalid fields.
    ConfigSyntax = "config.syntax",
        "`config.toml` could not be read: a syntax error, an unknown key or a value of the wrong type (the message gives line and column)",
        "fix `config.toml` at the place the message names";
    /// config.toml was written by a newer rolecall.
    ConfigTooNew = "config.too_new",
        "`config.toml` was written by a newer rolecall whose layout this one does not understand",
        "upgrade rolecall";
    /// A name is not a known source or favourite.
    ConfigNotFound = "config.not_found",
        "no source or favourite has that name",
        "check the name against the configured sources and favourites";
    /// A name is already taken.
    ConfigExists = "config.exists",
        "the name is already used by a source or a favourite (the two share one namespace)",
        "remove the existing one first or choose another name";
    /// A favourite's settings contradict each other or STS's rules.
    ConfigInvalid = "config.invalid",
        "a favourite's settings contradict each other or STS's rules (a chained session over 1h, MFA without a device, a region outside the role's partition, a lead not shorter than the session, two favourites writing one profile, …)",
        "change the setting the message names";
    /// A source is still used by favourites.
    ConfigInUse = "config.in_use",
        "the source cannot be removed while favourites use it",
        "remove those favourites first";
    /// config.toml is not a regular file.
    ConfigNotRegular = "config.not_regular",
        "`config.toml` is not a regular file (a directory, a device, a FIFO, …), so rolecall does not read it",
        "replace it with a regular file or move it away";
    /// config.toml is too large.
    ConfigTooLarge = "config.too_large",
        "`config.toml` is larger than rolecall reads (64 MiB)",
        "check the file: a configuration is never that large";
    /// The AWS config file cannot be parsed.
    ConfigFileUnparseable = "config_file.unparseable",
        "the AWS config file has a line rolecall cannot parse, so it is left exactly as it is",
        "fix or move the line the message names";
    /// The AWS config file gives the profile a credential source of its own.
    ConfigFileConflict = "config_file.conflict",
        "the AWS config file gives the profile a credential source (such as `sso_session` or `credential_process`) that AWS tools would use instead of rolecall's credentials",
        "remove that key or choose another profile";
    /// The rolecall command's path cannot be written as a credential_process.
    ConfigFileUnsafeCommand = "config_file.unsafe_command",
        "the path of the rolecall command has a space or a character a shell reads as syntax, so a credential_process line naming it would not read the same to every AWS tool",
        "install rolecall where its path has only letters, digits and / . _ - +";
    /// The AWS config file is not a regular file.
    ConfigFileNotRegular = "config_file.not_regular",
        "the AWS config file is not a regular file, so rolecall does not read or write it",
        "replace it with a regular file or move it away";
    /// The AWS config file is too large.
    ConfigFileTooLarge = "config_file.too_large",
        "the AWS config file is larger than rolecall reads (64 MiB)",
        "check the file and make it smaller";
    /// The credentials file cannot be parsed.
    CredentialsFileUnparseable = "credentials_file.unparseable",
        "the AWS credentials file has a line rolecall cannot parse, so it is left exactly as it is",
        "fix or move the line the message names";
    /// The profile exists and was not written by rolecall.
    CredentialsFileNotOwned = "credentials_file.not_owned",
        "the profile exists in the credentials file and was not written by rolecall, which never overwrites it unasked",
        "take it over (its lines are kept in a private backup) or choose another profile";
    /// The profile is written by another favourite.
    CredentialsFileConflict = "credentials_file.conflict",
        "the profile is written by another favourite",
        "choose another profile";
    /// The credentials file is not a regular file.
    CredentialsFileNotRegular = "credentials_file.not_regular",
        "the AWS credentials file is not a regular file, so rolecall does not read or write it",
        "replace it with a regular file or move it away";
    /// The credentials file is too large.
    CredentialsFileTooLarge = "credentials_file.too_large",
        "the AWS credentials file is larger than rolecall reads (64 MiB)",
        "check the file and make it smaller";
    /// File IO failed.
    FileIo = "file.io",
        "reading or writing a file failed for a reason not listed here (the message gives the system's words)",
        "act on the system's words in the message";
    /// Permission denied.
    FilePermissionDenied = "file.permission_denied",
        "the system refused access to a file or directory",
        "check the owner and mode of the file and its directory";
    /// The disk is full.
    FileDiskFull = "file.disk_full",
        "there is no space left to write the file; nothing was changed",
        "free some space and try again";
    /// The file system is read-only.
    FileReadOnly = "file.read_only",
        "the file is on a read-only file system",
        "point rolecall at a writable location or remount the file system";
    /// A file or directory does not exist.
    FileNotFound = "file.not_found",
        "a file or directory rolecall needs does not exist",
        "check the path in the message";
    /// The file's lock was not released in time.
    FileLockTimeout = "file.lock_timeout",
        "another program held the file's lock too long",
        "try again; if it persists, find the program holding the lock";
    /// The file kept changing under the edit.
    FileBusy = "file.busy",
        "the file kept changing while rolecall tried to edit it, so the edit was given up with nothing changed",
        "try again when the other program is done";
    /// A path that must be a directory is not one.
    FileNotADirectory = "file.not_a_directory",
        "a path that must be a directory is something else",
        "move the thing at that path away";
    /// A directory rolecall writes in is not the user's.
    FileDirNotOwned = "file.dir_not_owned",
        "a directory rolecall writes in belongs to another user, so writing there is refused",
        "make the directory the user's own or point rolecall elsewhere";
    /// The lock file is not a regular file.
    FileLockNotRegular = "file.lock_not_regular",
        "the lock file next to a file rolecall edits is a symlink or not a regular file, so it is refused",
        "remove the lock file (rolecall creates it again)";
    /// A file is not a regular file.
    FileNotRegular = "file.not_regular",
        "a file rolecall reads is not a regular file",
        "replace it with a regular file or move it away";
    /// A file is too large.
    FileTooLarge = "file.too_large",
        "a file is larger than rolecall reads (64 MiB)",
        "check the file and make it smaller";
    /// There is no home directory.
    FileNoHome = "file.no_home",
        "no home directory is known (HOME is unset), so rolecall cannot find its files",
        "set HOME";
    /// No keys for the source in the keychain.
    KeychainNoEntry = "keychain.no_entry",
        "the keychain holds no keys for the source",
        "store the source's keys again";
    /// No keychain is available.
    KeychainUnavailable = "keychain.unavailable",
        "no keychain is available (on Linux: no Secret Service on the session D-Bus); rolecall never falls back to plain files",
        "start a keychain (on Linux: a Secret Service such as gnome-keyring or KeePassXC) and try again";
    /// The keychain is locked or refused access.
    KeychainLocked = "keychain.locked",
        "the keychain is locked or refused access",
        "unlock it (on Linux: log in to the desktop, or unlock the login keyring in Seahorse) and try again";
    /// The keychain entry is not one rolecall wrote.
    KeychainCorrupt = "keychain.corrupt",
        "the keychain entry for the source is not one rolecall wrote",
        "store the keys again";
    /// The keychain reported another error.
    KeychainError = "keychain.error",
        "the keychain reported an error not listed here (the message gives its words)",
        "check the keychain and try again";
    /// AWS does not know the access key id.
    StsUnknownKey = "sts.unknown_key",
        "AWS does not know the source's access key id (deleted, deactivated, or from another partition)",
        "check the source's keys or store new ones";
    /// The secret key does not match the access key id.
    StsWrongSecret = "sts.wrong_secret",
        "the secret access key does not match the access key id (or this computer's clock is far off)",
        "store the keys again";
    /// STS refused access.
    StsAccessDenied = "sts.access_denied",
        "STS refused access: the role's trust policy may not trust the identity, the identity may lack sts:AssumeRole, or the external id may be wrong",
        "check the role's trust policy, the identity's permissions and the external id";
    /// The MFA code was refused.
    StsMfaInvalid = "sts.mfa_invalid",
        "STS refused the MFA code",
        "wait for the next code and try again";
    /// The credentials used have expired.
    StsExpiredToken = "sts.expired_token",
        "the credentials the call was signed with have expired",
        "renew them and try again";
    /// STS is throttling.
    StsThrottled = "sts.throttled",
        "STS is throttling requests",
        "try again in a minute";
    /// The duration asked for is above the role's maximum.
    StsDurationTooLong = "sts.duration_too_long",
        "the session duration asked for is above the role's maximum session duration",
        "ask for a shorter session or raise the role's maximum";
    /// STS refused the request as invalid.
    StsInvalidRequest = "sts.invalid_request",
        "STS refused the request as invalid (AWS's words are in the message)",
        "check the favourite's settings against what AWS said";
    /// STS is not enabled in the region.
    StsRegionDisabled = "sts.region_disabled",
        "STS is not enabled in the region for the account",
        "choose another region";
    /// The STS endpoint could not be reached.
    StsUnreachable = "sts.unreachable",
        "the STS endpoint could not be reached",
        "check the network, proxy and AWS_ENDPOINT_URL settings";
    /// The STS endpoint did not answer in time.
    StsTimeout = "sts.timeout",
        "the STS endpoint did not answer in time",
        "check the network and try again";
    /// STS sent a response that cannot be read.
    StsMalformedResponse = "sts.malformed_response",
        "the STS endpoint sent a response rolecall cannot read",
        "check that AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL, if set, points at STS";
    /// STS failed on its side.
    StsServerError = "sts.server_error",
        "STS (or a proxy in front of it) failed on its side, even after retries",
        "try again in a few minutes";
    /// This computer's clock is too far off.
    StsClockSkew = "sts.clock_skew",
        "this computer's clock is off by more than 15 minutes, so AWS refuses the request",
        "set the clock (enable NTP) and try again";
    /// Another STS failure.
    StsError = "sts.error",
        "an STS call failed for a reason not listed here (AWS's words are in the message)",
        "check what AWS said and try again";
    /// A named AWS profile gives no credentials.
    AwsProfileUnusable = "aws_profile.unusable",
        "the named AWS profile a source uses gives no credentials: there is no such profile, its IAM Identity Center sign-in is missing or expired, its credential_process failed or printed something unreadable, or its source_profile chain loops (the message says which)",
        "fix the profile in the AWS config file, or sign in to its IAM Identity Center again, then retry";
    /// The sign-in has not been confirmed yet.
    SsoPending = "sso.pending",
        "the IAM Identity Center sign-in has not been confirmed in the browser yet",
        "confirm the sign-in in the browser, then try again";
    /// The sign-in expired before it was confirmed.
    SsoExpired = "sso.expired",
        "the IAM Identity Center sign-in (its device code or browser step) expired before it was confirmed",
        "sign in again and confirm it within a few minutes";
    /// The access portal session has ended.
    SsoSignedOut = "sso.signed_out",
        "the access portal session has ended (it lasts what the organisation set, 8 hours by default), or the sign-in was never made",
        "sign in to the source again";
    /// The sign-in was cancelled or denied.
    SsoCancelled = "sso.cancelled",
        "the IAM Identity Center sign-in was cancelled or denied in the browser, or its answer did not match the request",
        "sign in again when ready";
    /// The role is not assigned to the user.
    SsoNoAccess = "sso.no_access",
        "IAM Identity Center does not give you that role in that account (not assigned, or no such account)",
        "choose a role the access portal lists for you, or ask an administrator to assign it";
    /// The access portal is throttling.
    SsoThrottled = "sso.throttled",
        "the access portal is throttling requests, even after backing off",
        "try again in a minute";
    /// The start URL is not an access portal.
    SsoNotAPortal = "sso.not_a_portal",
        "the start URL is not an AWS access portal, or the portal is not in the region given",
        "check the start URL and the region your organisation's portal uses";
    /// IAM Identity Center could not be reached.
    SsoUnreachable = "sso.unreachable",
        "the IAM Identity Center endpoint could not be reached",
        "check the network, the proxy and AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC";
    /// IAM Identity Center did not answer in time.
    SsoTimeout = "sso.timeout",
        "the IAM Identity Center endpoint did not answer in time",
        "check the network and try again";
    /// Another IAM Identity Center failure.
    SsoError = "sso.error",
        "an IAM Identity Center call failed for a reason not listed here (AWS's words are in the message)",
        "check what AWS said and try again";
    /// The federation endpoint refused the session.
    SigninRejected = "signin.rejected",
        "the AWS federation endpoint refused the session (expired or revoked)",
        "assume the favourite again and retry";
    /// The federation endpoint failed.
    SigninUnavailable = "signin.unavailable",
        "the AWS federation endpoint failed on its side",
        "try again in a minute";
    /// The federation endpoint could not be reached.
    SigninUnreachable = "signin.unreachable",
        "the AWS federation endpoint could not be reached",
        "check the network, the proxy (HTTPS_PROXY, NO_PROXY) and ROLECALL_FEDERATION_ENDPOINT";
    /// The federation endpoint's answer had no sign-in token.
    SigninMalformedResponse = "signin.malformed_response",
        "the AWS federation endpoint sent an answer without a sign-in token",
        "check that ROLECALL_FEDERATION_ENDPOINT, if set, points at the federation endpoint";
    /// No web browser could be opened.
    ConsoleNoBrowser = "console.no_browser",
        "the default web browser could not be opened for the console sign-in",
        "set a default web browser for the desktop and try again";
}

impl Code {
    /// The subject: the part of the wire string before the dot (`sts` for `sts.access_denied`),
    /// `general` for a code without one (`busy`, `cancelled`).
    pub fn subject(self) -> &'static str {
        self.as_str().split_once('.').map_or("general", |(s, _)| s)
    }

    /// The code whose wire string is `s`, if any.
    pub fn from_wire(s: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// The heading of a subject's section in `docs/errors.md`.
fn subject_heading(subject: &str) -> &'static str {
    match subject {
        "input" => "Input",
        "general" => "General",
        "app" => "The tray app",
        "mfa" => "MFA prompts (the tray app)",
        "session" => "Sessions",
        "clipboard" => "The clipboard",
        "autostart" => "Start at login",
        "config" => "rolecall's configuration (`config.toml`)",
        "config_file" => "The AWS config file",
        "credentials_file" => "The AWS credentials file",
        "file" => "Files",
        "keychain" => "The keychain",
        "sts" => "STS",
        "aws_profile" => "Named AWS profiles (`aws_profile` sources)",
        "sso" => "IAM Identity Center (the access portal)",
        "signin" => "The console sign-in (the AWS federation endpoint)",
        "console" => "The console",
        _ => "Other",
    }
}

/// `docs/errors.md`: every code grouped by subject, in catalogue order, with its meaning and what
/// to do.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         <!-- Generated from crates/core/src/code.rs by its tests; do not edit by hand. \
         ROLECALL_BLESS=1 cargo test -p rolecall-core code:: rewrites it. -->\n\n\
         Every rolecall failure has one of these stable codes. The CLI prints `rolecall: CODE: MESSAGE` \
         (with `--json`, `{\"error\": {\"code\": …, \"message\": …}}`); the tray shows the message and \
         the settings window the code. A message starts with its subject and says what to do; the CLI \
         may name the flag or command that does it.\n",
    );
    let mut subject = "";
    for code in Code::ALL {
        if code.subject() != subject {
            subject = code.subject();
            out.push_str(&format!(
                "\n## {}\n\n| code | meaning | what to do |\n| --- | --- | --- |\n",
                subject_heading(subject)
            ));
        }
        out.push_str(&format!("| `{}` | {} | {} |\n", code.as_str(), code.meaning(), code.remedy()));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn wire_strings_are_unique_stable_and_well_formed() {
        let wires: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(wires.len(), Code::ALL.len(), "two codes share a wire string");
        for code in Code::ALL {
            let w = code.as_str();
            assert!(w.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'), "{w}");
            assert!(w.matches('.').count() <= 1, "{w}");
            assert_eq!(Code::from_wire(w), Some(*code));
            assert_eq!(code.to_string(), w);
        }
        assert_eq!(Code::StsAccessDenied.as_str(), "sts.access_denied");
        assert_eq!(Code::from_wire("nope.nope"), None);
    }

    #[test]
    fn serializes_as_its_wire_string() {
        assert_eq!(toml::Value::try_from(Code::KeychainLocked).unwrap(), toml::Value::String("keychain.locked".into()));
    }

    #[test]
    fn every_code_is_explained_without_naming_a_cli_flag_or_command() {
        for code in Code::ALL {
            for text in [code.meaning(), code.remedy()] {
                assert!(!text.is_empty(), "{code}");
                assert!(!text.contains("--") && !text.contains("`rolecall "), "{code}: {text}");
                assert!(!text.ends_with('.'), "{code}: {text}");
            }
        }
    }

    #[test]
    fn subjects_are_contiguous_and_each_has_a_heading() {
        let mut seen = Vec::new();
        for code in Code::ALL {
            if seen.last() != Some(&code.subject()) {
                assert!(!seen.contains(&code.subject()), "{code}: subject {} split in two", code.subject());
                seen.push(code.subject());
            }
            assert_ne!(subject_heading(code.subject()), "Other", "{code}");
        }
    }

    /// `docs/errors.md` is exactly what [`markdown`] renders; `ROLECALL_BLESS=1` rewrites it.
    /// Test-only IO (the check of the checked-in file): the domain itself does none.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn docs_errors_md_matches_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
        let want = markdown();
        if std::env::var_os("ROLECALL_BLESS").is_some_and(|v| v == "1") {
            std::fs::write(path, &want).expect("docs/errors.md is writable");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/errors.md differs from the catalogue in crates/core/src/code.rs; \
             run ROLECALL_BLESS=1 cargo test -p rolecall-core code:: to rewrite it"
        );
        for code in Code::ALL {
            assert!(have.contains(&format!("| `{}` |", code.as_str())), "{code} missing from docs/errors.md");
        }
    }
}
