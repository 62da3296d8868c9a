//! The one error type callers at the top (CLI, app) handle: every failure has a stable code and a
//! message that starts with its subject and says what to do. None carries a secret.

use serde::Serialize;

use crate::config::ConfigError;
use crate::console::ConsoleError;
use crate::keychain::KeychainError;
use crate::profile::ProfileError;
use crate::sts::StsError;
use crate::validate::ValidationError;

/// A file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FileError {
    /// The stable code (`file.io`, `file.permission_denied`, `file.lock_timeout`, …).
    pub code: &'static str,
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
}

/// The shape an error takes at the edge (JSON for scripts, the UI): a stable code and a safe message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDto {
    /// The stable code.
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl Error {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input(e) => e.code(),
            Error::Config(e) => e.code(),
            Error::Keychain(e) => e.code(),
            Error::Sts(e) => e.code(),
            Error::Profile(e) => e.code(),
            Error::File(e) => e.code,
            Error::Console(e) => e.code(),
            Error::Cancelled(_) => "cancelled",
            Error::NeedsInput { .. } => "input.needed",
        }
    }

    /// The `{code, message}` form.
    pub fn to_dto(&self) -> ErrorDto {
        ErrorDto { code: self.code(), message: self.to_string() }
    }
}
