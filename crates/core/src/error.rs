//! The one error type callers at the top (CLI, app) handle: every failure has a stable code and a
//! message that starts with its subject and says what to do. None carries a secret.

use serde::Serialize;

use crate::code::Code;
use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::keychain::KeychainError;
use crate::profile::ProfileError;
use crate::sso::SsoError;
use crate::sts::StsError;
use crate::validate::ValidationError;

/// A file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FileError {
    /// The stable code ([`Code::FileIo`], [`Code::FilePermissionDenied`], …).
    pub code: Code,
    /// The file, as shown to the user.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Any rolecall failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Bad input.
    #[error(transparent)]
    Input(#[from] ValidationError),
    /// rolecall's config.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The keychain.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// STS.
    #[error(transparent)]
    Sts(#[from] StsError),
    /// The AWS credentials or config file's content.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// File IO.
    #[error(transparent)]
    File(#[from] FileError),
    /// The console sign-in (the federation endpoint, the browser).
    #[error(transparent)]
    Console(#[from] ConsoleError),
    /// IAM Identity Center (its sign-in service and the access portal).
    #[error(transparent)]
    Sso(#[from] SsoError),
    /// The user cancelled (e.g. an MFA prompt).
    #[error("{0}: cancelled")]
    Cancelled(String),
    /// Something needs the user but there is no way to ask.
    #[error("{subject}: {what}")]
    NeedsInput {
        /// What it concerns.
        subject: String,
        /// What is needed and how to give it.
        what: String,
    },
    /// An error another rolecall process (the tray app, answering for the CLI) reported, with
    /// its code and message as they were given.
    #[error("{}", .0.message)]
    Relayed(ErrorDto),
}

/// The shape an error takes at the edge (JSON for scripts, the UI): a stable code and a safe message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDto {
    /// The stable code (serialized as its wire string).
    pub code: Code,
    /// The message.
    pub message: String,
}

impl Error {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self {
            Error::Input(e) => e.code(),
            Error::Config(e) => e.code(),
            Error::Keychain(e) => e.code(),
            Error::Sts(e) => e.code(),
            Error::Profile(e) => e.code(),
            Error::File(e) => e.code,
            Error::Console(e) => e.code(),
            Error::Sso(e) => e.code(),
            Error::Cancelled(_) => Code::Cancelled,
            Error::NeedsInput { .. } => Code::InputNeeded,
            Error::Relayed(e) => e.code,
        }
    }

    /// The `{code, message}` form.
    pub fn to_dto(&self) -> ErrorDto {
        ErrorDto { code: self.code(), message: self.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ConsoleErrorKind;
    use crate::keychain::KeychainErrorKind;
    use crate::sts::StsErrorKind;

    /// Every error of a kind with a fixed remedy, paired with the code it must report.
    fn samples() -> Vec<(Error, Code)> {
        use StsErrorKind as S;
        let sts = [
            (S::UnknownKey, Code::StsUnknownKey),
            (S::WrongSecret, Code::StsWrongSecret),
            (S::AccessDenied, Code::StsAccessDenied),
            (S::MfaInvalid, Code::StsMfaInvalid),
            (S::Expired, Code::StsExpiredToken),
            (S::Throttled, Code::StsThrottled),
            (S::DurationTooLong, Code::StsDurationTooLong),
            (S::Invalid, Code::StsInvalidRequest),
            (S::RegionDisabled, Code::StsRegionDisabled),
            (S::Unreachable, Code::StsUnreachable),
            (S::Timeout, Code::StsTimeout),
            (S::Malformed, Code::StsMalformedResponse),
            (S::ServerError, Code::StsServerError),
            (S::ClockSkew, Code::StsClockSkew),
            (S::Other, Code::StsError),
        ]
        .map(|(kind, code)| {
            let e = StsError { kind, subject: "assume arn:aws:iam::1:role/R".into(), aws_message: Some("x".into()) };
            (Error::from(e), code)
        });
        use KeychainErrorKind as K;
        let keychain = [
            (K::NoEntry, Code::KeychainNoEntry),
            (K::Unavailable, Code::KeychainUnavailable),
            (K::Locked, Code::KeychainLocked),
            (K::Corrupt, Code::KeychainCorrupt),
            (K::Other, Code::KeychainError),
        ]
        .map(|(kind, code)| (Error::from(KeychainError { kind, source_name: "work".into(), detail: None }), code));
        use ConsoleErrorKind as C;
        let console = [
            (C::Rejected, Code::SigninRejected),
            (C::Unavailable, Code::SigninUnavailable),
            (C::Unreachable, Code::SigninUnreachable),
            (C::Malformed, Code::SigninMalformedResponse),
            (C::NoBrowser, Code::ConsoleNoBrowser),
        ]
        .map(|(kind, code)| {
            (Error::from(ConsoleError { kind, subject: "favourite p: console".into(), detail: None }), code)
        });
        let profile = [
            (ProfileError::NotOwned { profile: "p".into() }, Code::CredentialsFileNotOwned),
            (ProfileError::OwnedByOther { profile: "p".into(), owner: "q".into() }, Code::CredentialsFileConflict),
            (ProfileError::ConfigConflict { profile: "p".into(), key: "sso_session".into() }, Code::ConfigFileConflict),
        ]
        .map(|(e, code)| (Error::from(e), code));
        sts.into_iter().chain(keychain).chain(console).chain(profile).collect()
    }

    #[test]
    fn messages_say_what_to_do_in_the_catalogues_words_and_name_no_cli_flag() {
        for (e, code) in samples() {
            let message = e.to_string();
            assert_eq!(e.code(), code, "{message}");
            assert_eq!(e.to_dto().code, code);
            assert!(message.contains(&format!("; {}", code.remedy())), "{code}: {message}");
            assert!(!message.contains("--") && !message.contains("`rolecall "), "{code}: {message}");
        }
    }

    #[test]
    fn the_dto_serializes_the_code_as_its_wire_string() {
        let e =
            Error::from(KeychainError { kind: KeychainErrorKind::Locked, source_name: "work".into(), detail: None });
        let dto = toml::Value::try_from(e.to_dto()).unwrap();
        assert_eq!(dto["code"].as_str(), Some("keychain.locked"));
        assert!(dto["message"].as_str().unwrap().starts_with("source work: the keychain is locked"));
    }
}
