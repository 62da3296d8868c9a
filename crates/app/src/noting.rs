//! The keychain, with every MFA session it hands out, keeps or forgets noted in [`Services`]'s
//! memory of their expiries (never the sessions themselves).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rolecall_core::keychain::{KeptMfaSession, KeychainError, SecretStore};
use rolecall_core::secret::{AccessKeyId, SessionCredentials, SourceKeys};
use rolecall_core::sso::SsoSecrets;
use rolecall_core::validate::Name;

use crate::{Ports, Services};

/// A [`SecretStore`] that notes what it sees of MFA sessions.
pub(crate) struct Noting<'a, K> {
    keychain: &'a K,
    kept: &'a std::sync::Mutex<HashMap<Name, Option<DateTime<Utc>>>>,
}

impl<K> Noting<'_, K> {
    fn note(&self, source: &Name, expires: Option<DateTime<Utc>>) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).insert(source.clone(), expires);
    }
}

impl<K: SecretStore> SecretStore for Noting<'_, K> {
    fn load(&self, source: &Name) -> Result<SourceKeys, KeychainError> {
        self.keychain.load(source)
    }
    fn store(&self, source: &Name, keys: &SourceKeys) -> Result<(), KeychainError> {
        self.keychain.store(source, keys)
    }
    fn delete(&self, source: &Name) -> Result<bool, KeychainError> {
        let gone = self.keychain.delete(source)?;
        self.note(source, None);
        Ok(gone)
    }
    fn load_mfa_session(&self, source: &Name) -> Result<Option<KeptMfaSession>, KeychainError> {
        let kept = self.keychain.load_mfa_session(source)?;
        self.note(source, kept.as_ref().map(|k| k.session.expiration));
        Ok(kept)
    }
    fn store_mfa_session(
        &self,
        source: &Name,
        session: &SessionCredentials,
        minted_by: &AccessKeyId,
    ) -> Result<(), KeychainError> {
        self.keychain.store_mfa_session(source, session, minted_by)?;
        self.note(source, Some(session.expiration));
        Ok(())
    }
    fn delete_mfa_session(&self, source: &Name) -> Result<bool, KeychainError> {
        let gone = self.keychain.delete_mfa_session(source)?;
        self.note(source, None);
        Ok(gone)
    }
    fn load_sso(&self, source: &Name) -> Result<Option<SsoSecrets>, KeychainError> {
        self.keychain.load_sso(source)
    }
    fn store_sso(&self, source: &Name, secrets: &SsoSecrets) -> Result<(), KeychainError> {
        self.keychain.store_sso(source, secrets)
    }
    fn delete_sso(&self, source: &Name) -> Result<bool, KeychainError> {
        self.keychain.delete_sso(source)
    }
    fn locked_without_prompt(&self) -> Option<bool> {
        self.keychain.locked_without_prompt()
    }
}

impl<P: Ports> Services<P> {
    /// The keychain, noting the MFA sessions it sees.
    pub(crate) fn noting(&self) -> Noting<'_, P::Secrets> {
        Noting { keychain: &self.inner.keychain, kept: &self.inner.kept_mfa }
    }

    /// When this process last saw `source`'s kept MFA session end: `None` if it has not looked,
    /// `Some(None)` if there was none.
    pub(crate) fn kept_mfa_expiry(&self, source: &Name) -> Option<Option<DateTime<Utc>>> {
        self.inner.kept_mfa.lock().unwrap_or_else(|e| e.into_inner()).get(source).copied()
    }
}
