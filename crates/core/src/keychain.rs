//! The keychain boundary: source keys, MFA sessions and IAM Identity Center secrets stored per
//! source name, and what can go wrong, in plain words.

use crate::code::Code;
use crate::secret::{AccessKeyId, SessionCredentials, SourceKeys};
use crate::sso::SsoSecrets;
use crate::validate::Name;

/// Where source keys are kept (the OS keychain in production, memory in unit tests).
pub trait SecretStore {
    /// The keys of `source`.
    fn load(&self, source: &Name) -> Result<SourceKeys, KeychainError>;
    /// Stores (or replaces) the keys of `source`.
    fn store(&self, source: &Name, keys: &SourceKeys) -> Result<(), KeychainError>;
    /// Deletes the keys of `source`, and its MFA session and IAM Identity Center secrets with
    /// them; `Ok(false)` if there were no keys.
    fn delete(&self, source: &Name) -> Result<bool, KeychainError>;
    /// The MFA session (GetSessionToken) kept for `source`, if any; expired ones too (the caller
    /// decides). An entry that cannot be read counts as none.
    fn load_mfa_session(&self, source: &Name) -> Result<Option<KeptMfaSession>, KeychainError>;
    /// Keeps (or replaces) the MFA session of `source`, minted with the keys `minted_by`.
    fn store_mfa_session(
        &self,
        source: &Name,
        session: &SessionCredentials,
        minted_by: &AccessKeyId,
    ) -> Result<(), KeychainError>;
    /// Forgets the MFA session of `source`; `Ok(false)` if there was none.
    fn delete_mfa_session(&self, source: &Name) -> Result<bool, KeychainError>;
    /// The IAM Identity Center registration and token kept for `source`, if any (expired ones
    /// too: the caller decides). A registration that cannot be read counts as none, a token that
    /// cannot be read, or whose parts do not agree, as no token: never a wrong one.
    fn load_sso(&self, source: &Name) -> Result<Option<SsoSecrets>, KeychainError>;
    /// Keeps (or replaces) the IAM Identity Center secrets of `source`; without a token and a
    /// sign-in time, any kept token is forgotten.
    fn store_sso(&self, source: &Name, secrets: &SsoSecrets) -> Result<(), KeychainError>;
    /// Forgets the IAM Identity Center secrets of `source`; `Ok(false)` if there were none.
    fn delete_sso(&self, source: &Name) -> Result<bool, KeychainError>;
    /// Whether the keychain is locked, asked without raising an unlock prompt; `None` where the
    /// store cannot tell.
    fn locked_without_prompt(&self) -> Option<bool> {
        None
    }
}

/// An MFA session as kept, bound to the source keys that minted it.
#[derive(Debug, Clone)]
pub struct KeptMfaSession {
    /// The session.
    pub session: SessionCredentials,
    /// The access key id of the keys GetSessionToken was called with (unknown for entries kept
    /// before rolecall recorded it).
    pub minted_by: Option<AccessKeyId>,
}

impl KeptMfaSession {
    /// Whether the keys described by `key_hint` (a source's masked key id, `****WXYZ`) minted
    /// it. An entry that does not say is not trusted; a source without a hint trusts any.
    pub fn minted_by_hint(&self, key_hint: Option<&str>) -> bool {
        self.minted_by.as_ref().is_some_and(|id| key_hint.is_none_or(|h| h == id.masked()))
    }
}

/// What kind of keychain failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeychainErrorKind {
    /// No entry for this source.
    NoEntry,
    /// No keychain service is running or reachable.
    Unavailable,
    /// The keychain is locked, or access was refused.
    Locked,
    /// The entry exists but is not one rolecall wrote.
    Corrupt,
    /// Anything else the platform reported.
    Other,
}

/// A keychain failure concerning one source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source {source_name}: {}{}", self.explain(), self.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct KeychainError {
    /// The kind.
    pub kind: KeychainErrorKind,
    /// The source concerned.
    pub source_name: String,
    /// The platform's words, when useful (never a secret).
    pub detail: Option<String>,
}

impl KeychainError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self.kind {
            KeychainErrorKind::NoEntry => Code::KeychainNoEntry,
            KeychainErrorKind::Unavailable => Code::KeychainUnavailable,
            KeychainErrorKind::Locked => Code::KeychainLocked,
            KeychainErrorKind::Corrupt => Code::KeychainCorrupt,
            KeychainErrorKind::Other => Code::KeychainError,
        }
    }

    /// What happened and what to do: the problem, then the catalogue's remedy
    /// ([`Code::remedy`]), which names no front end's flags or commands.
    pub fn explain(&self) -> String {
        format!("{}; {}", self.problem(), self.code().remedy())
    }

    /// What happened.
    pub fn problem(&self) -> &'static str {
        match self.kind {
            KeychainErrorKind::NoEntry => "no source credentials in the keychain",
            KeychainErrorKind::Unavailable => {
                "no keychain is available (on Linux: no Secret Service on the session D-Bus), and rolecall never falls back to plain files"
            }
            KeychainErrorKind::Locked => "the keychain is locked or refused access",
            KeychainErrorKind::Corrupt => "the keychain entry is not one rolecall wrote",
            KeychainErrorKind::Other => "the keychain reported an error",
        }
    }
}
