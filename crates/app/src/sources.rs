//! Sources: adding (verified, keys into the keychain), removing, and their MFA sessions.

use rolecall_core::Error;
use rolecall_core::config::{Source, SourceKind};
use rolecall_core::keychain::{KeychainError, SecretStore};
use rolecall_core::secret::SourceKeys;
use rolecall_core::sts::{Caller, Sts, StsError};
use rolecall_core::validate::{MfaSerial, Name, ProfileName, Region};

use crate::{Ports, Services};

/// Where a new source's credentials come from.
#[derive(Debug, Clone)]
pub enum NewSource {
    /// Keys, to be stored in the keychain.
    Keys(SourceKeys),
    /// A profile of the user's AWS config.
    AwsProfile(ProfileName),
}

/// What to tell the user when a source was removed but its keychain entries could not be.
pub fn keys_left_behind(source: &Name, e: &KeychainError) -> String {
    format!(
        "source {source}: removed, but its keys stay in the keychain (accounts source:{source} and \
         mfa-session:{source}): {}{}; delete them with your keychain app",
        e.explain(),
        e.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )
}

/// A removed source's keychain entries that could not be deleted, and why.
#[derive(Debug, Clone)]
pub enum LeftBehind {
    /// A keys source's keys and MFA session.
    Keys(KeychainError),
    /// An IAM Identity Center source's sign-in.
    SignIn(KeychainError),
}

impl LeftBehind {
    /// Why they could not be deleted.
    pub fn error(&self) -> &KeychainError {
        match self {
            LeftBehind::Keys(e) | LeftBehind::SignIn(e) => e,
        }
    }

    /// What to tell the user.
    pub fn message(&self, source: &Name) -> String {
        match self {
            LeftBehind::Keys(e) => keys_left_behind(source, e),
            LeftBehind::SignIn(e) => format!(
                "source {source}: removed, but its IAM Identity Center sign-in stays in the keychain (accounts \
                 sso:{source} and sso-token:{source}): {}{}; delete them with your keychain app",
                e.explain(),
                e.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
            ),
        }
    }
}

impl<P: Ports> Services<P> {
    /// Adds a source: refuses a taken name first, verifies the credentials with GetCallerIdentity
    /// (unless `verify` is false), stores keys in the keychain, then records the source.
    pub async fn add_source(
        &self,
        name: &Name,
        new: NewSource,
        mfa_serial: Option<MfaSerial>,
        verify: bool,
        region: Option<Region>,
    ) -> Result<Source, Error> {
        self.check_source_name_free(name)?;
        let region = region
            .or_else(|| self.inner.default_region.clone())
            .unwrap_or_else(|| rolecall_core::validate::Partition::Aws.default_region());
        let (kind, caller, keys) = match new {
            NewSource::AwsProfile(p) => {
                (SourceKind::AwsProfile { aws_profile: p.clone() }, Caller::AwsProfile(p), None)
            }
            NewSource::Keys(keys) => (
                SourceKind::Keychain { key_hint: Some(keys.access_key_id.masked()) },
                Caller::Keys(keys.clone()),
                Some(keys),
            ),
        };
        let identity = if verify {
            let arn = self
                .inner
                .sts
                .caller_identity(&caller, &region)
                .await
                .map_err(|e| StsError { subject: format!("source {name}: verify"), ..e })?;
            Some(arn)
        } else {
            None
        };
        if let Some(keys) = &keys {
            // An MFA session left behind under this name was minted with other keys: never reuse it.
            self.noting().delete_mfa_session(name)?;
            self.inner.keychain.store(name, keys)?;
        }
        let source = Source { kind, mfa_serial, identity };
        if let Err(e) = self.inner.config.update(|c| Ok(c.add_source(name.clone(), source.clone())?)) {
            // config.toml does not describe them: the keys do not stay in the keychain either.
            if keys.is_some()
                && let Err(k) = self.noting().delete(name)
            {
                tracing::warn!(source = %name, code = %k.code(), "cannot take back the keys just stored");
            }
            return Err(e);
        }
        Ok(source)
    }

    /// Refuses a name already taken by a source or a favourite, before any secret is asked for.
    pub fn check_source_name_free(&self, name: &Name) -> Result<(), Error> {
        let mut probe = self.inner.config.load()?;
        probe.add_source(
            name.clone(),
            Source { kind: SourceKind::Keychain { key_hint: None }, mfa_serial: None, identity: None },
        )?;
        Ok(())
    }

    /// Removes a source nothing uses from `config.toml`, then its keychain entries (in that
    /// order: a failed update leaves the keys, which AWS shows only once, where they were). The
    /// source is gone either way; `Some` says the keychain still holds its entries, and why. An
    /// IAM Identity Center source's sign-in goes with it.
    pub fn remove_source(&self, name: &Name) -> Result<Option<LeftBehind>, Error> {
        let (_, kind) = self.inner.config.update(|c| {
            let kind = c.source(name)?.kind.clone();
            c.remove(name, false)?;
            Ok(kind)
        })?;
        let left = match kind {
            SourceKind::Keychain { .. } => self.noting().delete(name).err().map(LeftBehind::Keys),
            SourceKind::Sso { .. } => {
                self.forget_shared_sign_in(name, &kind);
                self.forget_discovery(name);
                self.noting().delete_sso(name).err().map(LeftBehind::SignIn)
            }
            SourceKind::AwsProfile { .. } => None,
        };
        if let Some(left) = &left {
            tracing::warn!(source = %name, code = %left.error().code(), "source removed; its keychain entries stay");
        }
        Ok(left)
    }

    /// Reads from the keychain when the kept MFA sessions of the sources that use one end (for a
    /// one-off view such as `rolecall status`; the tray learns them from its assumes instead). A
    /// keychain that cannot be read leaves them unknown.
    pub fn learn_kept_mfa_sessions(&self) -> Result<(), Error> {
        let config = self.inner.config.load()?;
        let noting = self.noting();
        for (name, source) in &config.sources {
            if source.mfa_serial.is_some()
                && matches!(source.kind, SourceKind::Keychain { .. })
                && let Err(e) = noting.load_mfa_session(name)
            {
                tracing::debug!(source = %name, code = %e.code(), "kept MFA session unknown");
            }
        }
        Ok(())
    }

    /// Forgets the MFA session kept for `source` (the next MFA favourite asks for a code).
    pub fn forget_mfa_session(&self, source: &Name) -> Result<bool, Error> {
        self.inner.config.load()?.source(source)?;
        Ok(self.noting().delete_mfa_session(source)?)
    }
}
