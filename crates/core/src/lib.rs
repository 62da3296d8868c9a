//! The rolecall domain: validated input, sources and favourite roles, the lossless AWS INI editor,
//! what goes into the credentials and config files, session time arithmetic, and the assume flow.
//!
//! Invariant: this crate does no IO, reads no clock, no environment and no home directory. Time,
//! paths and secrets come in as arguments; STS and the keychain are reached through the [`sts::Sts`]
//! and [`keychain::SecretStore`] ports, implemented by adapter crates.
#![deny(missing_docs)]

pub mod assume;
pub mod code;
pub mod config;
pub mod console;
pub mod env;
pub mod error;
pub mod import;
pub mod ini;
pub mod keychain;
pub mod notice;
pub mod pace;
pub mod portal_names;
pub mod profile;
pub mod renew;
pub mod secret;
pub mod sso;
pub mod sts;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod validate;
pub mod view;

pub use code::Code;
pub use error::{Error, ErrorDto, FileError};
pub use validate::ValidationError;

/// Shared by the unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    /// How many cases each property test runs: `ROLECALL_PROPTEST_CASES` (the long runs of
    /// `scripts/reliability`), else `default`. Test configuration only: the domain itself never
    /// reads the environment (`clippy.toml` refuses it everywhere else).
    #[allow(clippy::disallowed_methods)]
    pub fn proptest_cases(default: u32) -> u32 {
        std::env::var("ROLECALL_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    }
}
