//! rolecall's keychain adapter: [`rolecall_core::keychain::SecretStore`] over the OS keychain.
//!
//! One entry per source (service [`service_name`], account `source:NAME`) holds both the access key
//! id and the secret, so using a source costs one keychain access, not two prompts. A source's MFA
//! session (GetSessionToken, with its expiry) has an entry of its own (account `mfa-session:NAME`),
//! removed with the source. An IAM Identity Center source keeps its client registration under
//! `sso:NAME` and its token under `sso-token:NAME`, each split into parts (`sso-token:NAME#2`, …)
//! when larger than Windows Credential Manager allows one item ([`parts`]), and removed with the
//! source too. The platform
//! store is chosen explicitly (Secret Service on Linux, the Keychain on macOS, Credential Manager on
//! Windows): keyring's in-memory mock, which it falls back to silently when no store is compiled in,
//! can never be used here, and other platforms fail to compile.
//!
//! Every call goes through a [`Guard`]: on a thread of its own, waited for at most a timeout, and
//! none sent while an earlier one is still waiting on an unlock prompt.
#![deny(missing_docs)]

mod guard;
pub mod parts;
mod sso;

pub use guard::{DEFAULT_TIMEOUT, Guard};

use chrono::{DateTime, Utc};
use keyring::{Entry, Error as KError};
use rolecall_core::keychain::{KeptMfaSession, KeychainError, KeychainErrorKind, SecretStore};
use rolecall_core::secret::{AccessKeyId, SessionCredentials, SourceKeys};
use rolecall_core::sso::SsoSecrets;
use rolecall_core::validate::Name;
use secrecy::ExposeSecret;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
compile_error!("rolecall needs a native keychain: Linux (Secret Service), macOS or Windows");

/// The keychain service for this build. Release and development builds use different services, so a
/// development build never reads or overwrites a release build's entries; `ROLECALL_KEYCHAIN_SERVICE`
/// (read by the caller) overrides it, e.g. for tests.
pub fn service_name(override_: Option<String>) -> String {
    override_
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| if cfg!(debug_assertions) { "rolecall-dev".to_owned() } else { "rolecall".to_owned() })
}

/// Source keys in the OS keychain.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
    guard: Guard,
}

/// The JSON stored in an entry. Zeroized by the caller's types once parsed.
#[derive(Serialize, Deserialize)]
struct StoredKeys {
    v: u32,
    access_key_id: String,
    secret_access_key: String,
}

#[derive(Serialize, Deserialize)]
struct StoredSession {
    v: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: DateTime<Utc>,
    /// The access key id of the source keys that minted it (absent in entries of version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    minted_by: Option<String>,
}

impl Drop for StoredSession {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

impl Drop for StoredKeys {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.secret_access_key.zeroize();
    }
}

impl OsKeychain {
    /// The keychain under `service`, each call waited for at most [`DEFAULT_TIMEOUT`].
    pub fn new(service: String) -> Self {
        Self::with_timeout(service, DEFAULT_TIMEOUT)
    }

    /// The keychain under `service`, each call waited for at most `timeout`.
    pub fn with_timeout(service: String, timeout: std::time::Duration) -> Self {
        Self { service, guard: Guard::new(timeout) }
    }

    /// Whether a keychain call is still waiting past its timeout (on an unlock prompt, most
    /// likely): until it ends, every call fails at once with `keychain.locked`.
    pub fn waiting(&self) -> bool {
        self.guard.waiting()
    }

    /// Runs `f` with the entry of account `user`, through the guard.
    fn with_entry<T: Send + 'static>(
        &self,
        source: &Name,
        user: String,
        f: impl FnOnce(&Entry, &Name) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        let (service, name) = (self.service.clone(), source.clone());
        self.guard.run(source.as_str(), move || {
            let entry = entry_for(&service, &user).map_err(|e| map_err(&name, e))?;
            f(&entry, &name)
        })
    }
}

/// Whether the keychain's default collection is locked, asked without unlocking it (so without
/// a prompt): the Secret Service's `Locked` property on Linux. `None` where that cannot be known
/// (no Secret Service answering within two seconds; other platforms).
pub fn default_collection_locked() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
        let conn = dbus::blocking::Connection::new_session().ok()?;
        let proxy = conn.with_proxy(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets/aliases/default",
            std::time::Duration::from_secs(2),
        );
        proxy.get::<bool>("org.freedesktop.Secret.Collection", "Locked").ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

fn source_account(source: &Name) -> String {
    format!("source:{source}")
}

fn mfa_account(source: &Name) -> String {
    format!("mfa-session:{source}")
}

fn entry_for(service: &str, user: &str) -> Result<Entry, KError> {
    #[cfg(target_os = "linux")]
    let cred = keyring::secret_service::SsCredential::new_with_target(None, service, user)?;
    #[cfg(target_os = "macos")]
    let cred = keyring::macos::MacCredential::new_with_target(None, service, user)?;
    #[cfg(target_os = "windows")]
    let cred = keyring::windows::WinCredential::new_with_target(None, service, user)?;
    Ok(Entry::new_with_credential(Box::new(cred)))
}

/// Maps a keyring error to a core error without keeping anything secret.
fn delete_entry(entry: &Entry, source: &Name) -> Result<bool, KeychainError> {
    match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(KError::NoEntry) => Ok(false),
        Err(e) => Err(map_err(source, e)),
    }
}

fn map_err(source: &Name, e: KError) -> KeychainError {
    let (kind, detail) = match &e {
        KError::NoEntry => (KeychainErrorKind::NoEntry, None),
        KError::NoStorageAccess(inner) => (KeychainErrorKind::Locked, Some(inner.to_string())),
        KError::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("locked") || text.contains("Locked") {
                return KeychainError {
                    kind: KeychainErrorKind::Locked,
                    source_name: source.to_string(),
                    detail: Some(text),
                };
            }
            let unavailable =
                ["dbus", "D-Bus", "org.freedesktop.secrets", "ServiceUnknown", "autolaunch", "No such file"]
                    .iter()
                    .any(|needle| text.contains(needle));
            (if unavailable { KeychainErrorKind::Unavailable } else { KeychainErrorKind::Other }, Some(text))
        }
        KError::BadEncoding(_) => (KeychainErrorKind::Corrupt, None),
        KError::Ambiguous(_) => (KeychainErrorKind::Corrupt, Some("several entries match".into())),
        other => (KeychainErrorKind::Other, Some(other.to_string())),
    };
    tracing::debug!(source = %source, kind = ?kind, "keychain error");
    KeychainError { kind, source_name: source.to_string(), detail }
}

impl SecretStore for OsKeychain {
    fn load(&self, source: &Name) -> Result<SourceKeys, KeychainError> {
        self.with_entry(source, source_account(source), |entry, source| {
            let bytes = zeroize::Zeroizing::new(entry.get_secret().map_err(|e| map_err(source, e))?);
            let corrupt =
                || KeychainError { kind: KeychainErrorKind::Corrupt, source_name: source.to_string(), detail: None };
            let stored: StoredKeys = serde_json::from_slice(&bytes).map_err(|_| corrupt())?;
            SourceKeys::parse(&stored.access_key_id, &stored.secret_access_key).map_err(|_| corrupt())
        })
    }

    fn store(&self, source: &Name, keys: &SourceKeys) -> Result<(), KeychainError> {
        let stored = StoredKeys {
            v: 1,
            access_key_id: keys.access_key_id.as_str().to_owned(),
            secret_access_key: keys.secret_access_key.expose_secret().to_owned(),
        };
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&stored).expect("plain strings serialize"));
        drop(stored);
        self.with_entry(source, source_account(source), move |entry, source| {
            entry.set_secret(&json).map_err(|e| map_err(source, e))
        })?;
        tracing::info!(source = %source, key = %keys.access_key_id.masked(), "stored source keys in the keychain");
        Ok(())
    }

    fn delete(&self, source: &Name) -> Result<bool, KeychainError> {
        // The source's MFA session and IAM Identity Center secrets go with its keys.
        self.delete_mfa_session(source)?;
        self.delete_sso(source)?;
        self.with_entry(source, source_account(source), delete_entry)
    }

    fn load_mfa_session(&self, source: &Name) -> Result<Option<KeptMfaSession>, KeychainError> {
        self.with_entry(source, mfa_account(source), |entry, source| {
            let bytes = match entry.get_secret() {
                Ok(b) => zeroize::Zeroizing::new(b),
                Err(KError::NoEntry) => return Ok(None),
                Err(e) => return Err(map_err(source, e)),
            };
            // An entry this build cannot read is as good as none: a new code replaces it.
            let Ok(stored) = serde_json::from_slice::<StoredSession>(&bytes) else { return Ok(None) };
            let Ok(access_key_id) = AccessKeyId::parse(&stored.access_key_id) else { return Ok(None) };
            let session = SessionCredentials {
                access_key_id,
                secret_access_key: SecretString::from(stored.secret_access_key.clone()),
                session_token: SecretString::from(stored.session_token.clone()),
                expiration: stored.expiration,
            };
            let minted_by = stored.minted_by.as_deref().and_then(|id| AccessKeyId::parse(id).ok());
            Ok(Some(KeptMfaSession { session, minted_by }))
        })
    }

    fn store_mfa_session(
        &self,
        source: &Name,
        session: &SessionCredentials,
        minted_by: &AccessKeyId,
    ) -> Result<(), KeychainError> {
        let stored = StoredSession {
            v: 2,
            minted_by: Some(minted_by.as_str().to_owned()),
            access_key_id: session.access_key_id.as_str().to_owned(),
            secret_access_key: session.secret().to_owned(),
            session_token: session.token().to_owned(),
            expiration: session.expiration,
        };
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&stored).expect("plain strings serialize"));
        drop(stored);
        self.with_entry(source, mfa_account(source), move |entry, source| {
            entry.set_secret(&json).map_err(|e| map_err(source, e))
        })?;
        tracing::info!(source = %source, expires = %session.expiration, "kept the MFA session in the keychain");
        Ok(())
    }

    fn delete_mfa_session(&self, source: &Name) -> Result<bool, KeychainError> {
        self.with_entry(source, mfa_account(source), delete_entry)
    }
    fn load_sso(&self, source: &Name) -> Result<Option<SsoSecrets>, KeychainError> {
        let (service, name) = (self.service.clone(), source.clone());
        self.guard.run(source.as_str(), move || sso::load(&service, &name))
    }

    fn store_sso(&self, source: &Name, secrets: &SsoSecrets) -> Result<(), KeychainError> {
        let (service, name, secrets_) = (self.service.clone(), source.clone(), secrets.clone());
        let (registration, token) = self.guard.run(source.as_str(), move || sso::store(&service, &name, &secrets_))?;
        tracing::info!(
            source = %source,
            registration_items = registration,
            token_items = token,
            "kept the IAM Identity Center secrets in the keychain"
        );
        Ok(())
    }

    fn delete_sso(&self, source: &Name) -> Result<bool, KeychainError> {
        let (service, name) = (self.service.clone(), source.clone());
        self.guard.run(source.as_str(), move || sso::delete(&service, &name))
    }

    fn locked_without_prompt(&self) -> Option<bool> {
        default_collection_locked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_builds_use_their_own_service() {
        assert_eq!(service_name(Some("x".into())), "x");
        assert_eq!(service_name(Some(String::new())), service_name(None));
        assert_eq!(service_name(None), if cfg!(debug_assertions) { "rolecall-dev" } else { "rolecall" });
    }

    #[test]
    fn errors_are_classified_and_carry_no_secret() {
        let n = Name::parse("work").unwrap();
        assert_eq!(map_err(&n, KError::NoEntry).code(), "keychain.no_entry");
        let locked = map_err(&n, KError::NoStorageAccess("prompt dismissed".into()));
        assert_eq!(locked.code(), "keychain.locked");
        assert!(locked.to_string().starts_with("source work: the keychain is locked"), "{locked}");
        let absent = map_err(&n, KError::PlatformFailure("D-Bus error: Unable to autolaunch a dbus-daemon".into()));
        assert_eq!(absent.code(), "keychain.unavailable");
        let locked =
            map_err(&n, KError::PlatformFailure("DBus error: Cannot create an item in a locked collection".into()));
        assert_eq!(locked.code(), "keychain.locked");
        assert_eq!(map_err(&n, KError::BadEncoding(b"secret".to_vec())).detail, None);
    }
}
