//! rolecall's use cases, wired to the real adapters. The CLI and the tray app are thin front ends
//! over [`Services`]: each operation here is what one command or one click does, so both behave
//! the same way and are tested once.
#![deny(missing_docs)]

pub mod logging;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rolecall_core::assume::{self, Assumed, MfaPrompt};
use rolecall_core::config::{Config, ExpirySettings, Favourite, Source, SourceKind};
use rolecall_core::console::{
    self, ALLOW_ALL_SESSION_POLICY, ConsoleService, ConsoleTarget, FederationEndpoint, LoginUrl, SessionOrigin,
    SigninTokenRequest,
};
use rolecall_core::import::{self, Candidate};
use rolecall_core::keychain::{KeptMfaSession, KeychainError, SecretStore};
use rolecall_core::profile::{Holder, WriteKind};
use rolecall_core::renew::{self, Lifespan};
use rolecall_core::secret::{AccessKeyId, SessionCredentials, SourceKeys};
use rolecall_core::sts::{Caller, FederationTokenRequest, Sts, StsError};
use rolecall_core::validate::{MfaSerial, Name, Partition, ProfileName, Region, SessionDuration};
use rolecall_core::view::{self, FavouriteLine};
use rolecall_core::{Error, FileError};
use rolecall_files::{AwsFiles, ConfigStore, Paths};
use rolecall_keychain::OsKeychain;
use rolecall_signin::HttpSignin;
use rolecall_sts::SdkSts;

/// Where a new source's credentials come from.
#[derive(Debug, Clone)]
pub enum NewSource {
    /// Keys, to be stored in the keychain.
    Keys(SourceKeys),
    /// A profile of the user's AWS config.
    AwsProfile(ProfileName),
}

/// A fresh session, written.
#[derive(Debug, Clone)]
pub struct AssumeOutcome {
    /// The session and where it went.
    pub assumed: Assumed,
    /// What happened to the profile's section.
    pub kind: WriteKind,
    /// The backup kept when a profile rolecall did not own was taken over.
    pub backup: Option<PathBuf>,
}

/// The adapters, built from the environment once.
#[derive(Debug, Clone)]
pub struct Services {
    /// `config.toml`.
    pub config: ConfigStore,
    /// `~/.aws/credentials` and `~/.aws/config`.
    pub files: AwsFiles,
    /// The OS keychain.
    pub keychain: OsKeychain,
    /// STS.
    pub sts: SdkSts,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), when set.
    pub default_region: Option<Region>,
    /// The AWS federation endpoint (console sign-in).
    pub signin: HttpSignin,
    /// `ROLECALL_FEDERATION_ENDPOINT`, when set: replaces the partition's federation endpoint.
    pub federation_endpoint: Option<FederationEndpoint>,
    /// Held while an MFA favourite is assumed, so that favourites of one source assumed at once
    /// share one MFA session (one code) instead of asking for one each.
    mfa_lock: Arc<tokio::sync::Mutex<()>>,
    /// When each source's kept MFA session ends (`None`: it has none), as last seen in the
    /// keychain by this process: what the scheduler needs to know, without asking the keychain
    /// (and raising its unlock prompt) on every pass. Never the session itself.
    kept_mfa: Arc<std::sync::Mutex<HashMap<Name, Option<DateTime<Utc>>>>>,
}

/// `[default]`.
fn default_profile() -> ProfileName {
    ProfileName::parse("default").expect("a valid profile name")
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

/// The keychain, with every MFA session it hands out, keeps or forgets noted in
/// [`Services`]'s memory of their expiries.
struct Noting<'a> {
    keychain: &'a OsKeychain,
    kept: &'a std::sync::Mutex<HashMap<Name, Option<DateTime<Utc>>>>,
}

impl Noting<'_> {
    fn note(&self, source: &Name, expires: Option<DateTime<Utc>>) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).insert(source.clone(), expires);
    }
}

impl SecretStore for Noting<'_> {
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
}

/// A favourite's session as rolecall wrote it, with what decides when it warns and renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// The favourite.
    pub favourite: Name,
    /// Its session's expiry, as recorded in its profile, and how long STS granted it for.
    pub span: Lifespan,
    /// Its expiry settings.
    pub settings: ExpirySettings,
    /// Whether renewing it now would ask for an MFA code.
    pub needs_mfa: bool,
    /// Whether renewing it reads the keychain (its chain starts at keys kept there).
    pub uses_keychain: bool,
    /// The account of its role.
    pub account: String,
    /// Its profile.
    pub profile: ProfileName,
}

impl Services {
    /// Reads the environment: paths (`HOME`, `ROLECALL_CONFIG_DIR`, `AWS_SHARED_CREDENTIALS_FILE`,
    /// `AWS_CONFIG_FILE`…), `AWS_REGION`, `ROLECALL_KEYCHAIN_SERVICE`,
    /// `ROLECALL_FEDERATION_ENDPOINT`, `ROLECALL_KEYCHAIN_TIMEOUT` (seconds one keychain call
    /// may take, 1–3600, default 60).
    pub fn from_env() -> Result<Services, Error> {
        let paths = Paths::from_env().ok_or_else(|| FileError {
            code: "file.no_home",
            path: "HOME".into(),
            message: "is not set; rolecall cannot find ~/.aws or its config".into(),
        })?;
        let default_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .map(|v| Region::parse(&v))
            .transpose()?;
        let service = rolecall_keychain::service_name(std::env::var("ROLECALL_KEYCHAIN_SERVICE").ok());
        let timeout = match std::env::var("ROLECALL_KEYCHAIN_TIMEOUT").ok().filter(|v| !v.is_empty()) {
            None => rolecall_keychain::DEFAULT_TIMEOUT,
            Some(v) => match v.parse::<u64>() {
                Ok(secs @ 1..=3600) => std::time::Duration::from_secs(secs),
                _ => {
                    return Err(rolecall_core::ValidationError::new(
                        "ROLECALL_KEYCHAIN_TIMEOUT",
                        format!("must be 1 to 3600 seconds, got {v:?}"),
                    )
                    .into());
                }
            },
        };
        let federation_endpoint = rolecall_signin::endpoint_from_env()?;
        let keychain = OsKeychain::with_timeout(service, timeout);
        Ok(Services { federation_endpoint, ..Services::new(paths, keychain, default_region) })
    }

    /// Services over explicit paths and keychain.
    pub fn new(paths: Paths, keychain: OsKeychain, default_region: Option<Region>) -> Services {
        Services {
            config: ConfigStore::new(paths.clone()),
            files: AwsFiles::new(paths),
            keychain,
            sts: SdkSts::new(),
            default_region,
            signin: HttpSignin::new(),
            federation_endpoint: None,
            mfa_lock: Arc::default(),
            kept_mfa: Arc::default(),
        }
    }

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
            .or_else(|| self.default_region.clone())
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
            self.keychain.store(name, keys)?;
        }
        let source = Source { kind, mfa_serial, identity };
        if let Err(e) = self.config.update(|c| Ok(c.add_source(name.clone(), source.clone())?)) {
            // config.toml does not describe them: the keys do not stay in the keychain either.
            if keys.is_some()
                && let Err(k) = self.noting().delete(name)
            {
                tracing::warn!(source = %name, code = k.code(), "cannot take back the keys just stored");
            }
            return Err(e);
        }
        Ok(source)
    }

    /// Refuses a name already taken by a source or a favourite, before any secret is asked for.
    pub fn check_source_name_free(&self, name: &Name) -> Result<(), Error> {
        let mut probe = self.config.load()?;
        probe.add_source(
            name.clone(),
            Source { kind: SourceKind::Keychain { key_hint: None }, mfa_serial: None, identity: None },
        )?;
        Ok(())
    }

    /// Removes a source nothing uses from `config.toml`, then its keychain entries (in that
    /// order: a failed update leaves the keys, which AWS shows only once, where they were). The
    /// source is gone either way; `Some` says the keychain still holds its entries, and why.
    pub fn remove_source(&self, name: &Name) -> Result<Option<KeychainError>, Error> {
        let (_, kind) = self.config.update(|c| {
            let kind = c.source(name)?.kind.clone();
            c.remove(name, false)?;
            Ok(kind)
        })?;
        if !matches!(kind, SourceKind::Keychain { .. }) {
            return Ok(None);
        }
        match self.noting().delete(name) {
            Ok(_) => Ok(None),
            Err(e) => {
                tracing::warn!(source = %name, code = e.code(), "source removed; its keychain entries stay");
                Ok(Some(e))
            }
        }
    }

    /// Adds a favourite, or replaces `replacing` (which may have another name) in one atomic update.
    pub fn save_favourite(&self, name: &Name, fav: Favourite, replacing: Option<&Name>) -> Result<Config, Error> {
        let (config, ()) = self.config.update(|c| {
            match replacing {
                Some(old) if old != name => {
                    c.favourite(old)?;
                    let mut next = c.clone();
                    // Favourites chained from the old name follow the rename.
                    for f in next.favourites.values_mut() {
                        if &f.source == old {
                            f.source = name.clone();
                        }
                    }
                    next.favourites.remove(old);
                    next.put_favourite(name.clone(), fav.clone(), false)?;
                    *c = next;
                }
                Some(_) => c.put_favourite(name.clone(), fav.clone(), true)?,
                None => c.put_favourite(name.clone(), fav.clone(), false)?,
            }
            Ok(())
        })?;
        Ok(config)
    }

    /// Removes a favourite and the profile rolecall wrote for it, and `[default]` when it holds
    /// this favourite's session (never anything else). Returns the profile if it was removed.
    pub fn remove_favourite(&self, name: &Name) -> Result<Option<ProfileName>, Error> {
        let (_, profile) = self.config.update(|c| {
            let profile = c.favourite(name)?.profile.clone();
            c.remove(name, true)?;
            Ok(profile)
        })?;
        // `[default]` goes with the favourite that wrote it there.
        if profile != default_profile() && self.holds_default(name)? {
            self.files.remove_session(&default_profile())?;
        }
        Ok(self.files.remove_session(&profile)?.then_some(profile))
    }

    /// Assumes (or renews: the same parameters again) a favourite and writes its profile (and its
    /// region). A failure writes nothing: the old session stays in place.
    pub async fn assume(&self, name: &Name, mfa: &mut impl MfaPrompt, force: bool) -> Result<AssumeOutcome, Error> {
        let config = self.config.load()?;
        let _shared_mfa_session =
            if config.mfa_source(name)?.is_some() { Some(self.mfa_lock.lock().await) } else { None };
        let assumed =
            assume::assume(&config, name, &self.sts, &self.noting(), self.default_region.as_ref(), mfa, Utc::now())
                .await?;
        let issued = self.issued_now();
        // Written under config.toml's lock, and only while the favourite is still there as it was
        // assumed: an assume in flight while its favourite is removed leaves no orphan section.
        let report = self.config.read_locked(|now| {
            if now.favourites.get(name).is_none_or(|f| f.profile != assumed.profile) {
                return Err(Error::NeedsInput {
                    subject: format!("favourite {name}"),
                    what: "was removed or changed while it was being assumed; nothing was written".into(),
                });
            }
            let report = self.files.write_session(
                &assumed.profile,
                &assumed.favourite,
                &assumed.credentials,
                issued,
                assumed.region.as_ref(),
                force,
            )?;
            // A favourite the user made the default profile keeps `[default]` in step.
            if assumed.profile != default_profile() && self.holds_default(name)? {
                self.files.write_default_session(name, &assumed.credentials, issued, assumed.region.as_ref())?;
            }
            Ok(report)
        })?;
        Ok(AssumeOutcome { assumed, kind: report.kind, backup: report.backup })
    }

    /// Whether `[default]` holds a session rolecall wrote for favourite `name`.
    fn holds_default(&self, name: &Name) -> Result<bool, Error> {
        Ok(
            matches!(self.files.holder(&default_profile())?, Holder::Rolecall { favourite, .. } if favourite == name.as_str()),
        )
    }

    /// Makes favourite `name`'s session `credentials` (from its profile or a fresh assume) the
    /// default profile too: `[default]`, taken over from another favourite if one had it, never
    /// from credentials rolecall did not write. Later assumes keep it in step; removing the
    /// favourite removes it.
    pub fn make_default(&self, name: &Name, credentials: &SessionCredentials) -> Result<(), Error> {
        self.config.read_locked(|c| {
            let fav = c.favourite(name)?;
            let issued = match self.files.holder(&fav.profile)? {
                Holder::Rolecall { issued: Some(issued), .. } => issued,
                _ => self.issued_now(),
            };
            self.files.write_default_session(name, credentials, issued, fav.region.as_ref())?;
            Ok(())
        })
    }

    /// Now in STS's clock, as its last answer showed it (this computer's clock if none had a
    /// `Date`): when a session just received was issued.
    pub fn issued_now(&self) -> DateTime<Utc> {
        Utc::now() - self.sts.last_clock_reading().map(|r| r.offset()).unwrap_or_default()
    }

    /// Every favourite whose profile holds a session rolecall wrote for it, with its expiry
    /// settings and whether renewing it at `now` needs an MFA code (no kept MFA session covers
    /// it, as far as this process knows). Never reads the keychain.
    pub fn sessions(&self, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, Error> {
        let config = self.config.load()?;
        let holders = self.files.holders(config.favourites.values().map(|f| &f.profile))?;
        let mut out = Vec::new();
        for (name, fav) in &config.favourites {
            let Some(Holder::Rolecall { favourite, expires: Some(expires), issued }) = holders.get(&fav.profile) else {
                continue;
            };
            if favourite != name.as_str() {
                continue;
            }
            let needs_mfa = self.needs_mfa_code_in(&config, name, now)?;
            let uses_keychain = matches!(config.chain(name)?.0.source.kind, SourceKind::Keychain { .. });
            out.push(SessionInfo {
                favourite: name.clone(),
                span: Lifespan {
                    expires: *expires,
                    lifetime: renew::granted_lifetime(
                        *issued,
                        *expires,
                        chrono::Duration::seconds(i64::from(fav.duration.as_secs())),
                    ),
                },
                settings: config.expiry_settings(name)?,
                needs_mfa,
                uses_keychain,
                account: fav.arn.account().to_owned(),
                profile: fav.profile.clone(),
            });
        }
        Ok(out)
    }

    /// Whether assuming favourite `name` at `now` would ask for an MFA code (a link needs MFA and
    /// no kept MFA session covers it).
    pub fn needs_mfa_code(&self, name: &Name, now: DateTime<Utc>) -> Result<bool, Error> {
        self.needs_mfa_code_in(&self.config.load()?, name, now)
    }

    /// From memory only (see [`Services::learn_kept_mfa_sessions`]): a source whose MFA session
    /// this process has not seen yet counts as covered, so the renewal itself (which reads the
    /// keychain anyway) finds out, and the scheduler never asks the keychain on its own.
    fn needs_mfa_code_in(&self, config: &Config, name: &Name, now: DateTime<Utc>) -> Result<bool, Error> {
        let Some((source, _)) = config.mfa_source(name)? else { return Ok(false) };
        let kept = if assume::uses_mfa_session(config, name)? {
            match self.kept_mfa.lock().unwrap_or_else(|e| e.into_inner()).get(source) {
                Some(expires) => *expires,
                None => Some(DateTime::<Utc>::MAX_UTC),
            }
        } else {
            None
        };
        assume::needs_mfa_code(config, name, kept, now)
    }

    /// Reads from the keychain when the kept MFA sessions of the sources that use one end (for a
    /// one-off view such as `rolecall status`; the tray learns them from its assumes instead). A
    /// keychain that cannot be read leaves them unknown.
    pub fn learn_kept_mfa_sessions(&self) -> Result<(), Error> {
        let config = self.config.load()?;
        let noting = self.noting();
        for (name, source) in &config.sources {
            if source.mfa_serial.is_some()
                && matches!(source.kind, SourceKind::Keychain { .. })
                && let Err(e) = noting.load_mfa_session(name)
            {
                tracing::debug!(source = %name, code = e.code(), "kept MFA session unknown");
            }
        }
        Ok(())
    }

    /// Forgets the MFA session kept for `source` (the next MFA favourite asks for a code).
    pub fn forget_mfa_session(&self, source: &Name) -> Result<bool, Error> {
        self.config.load()?.source(source)?;
        Ok(self.noting().delete_mfa_session(source)?)
    }

    /// The keychain, noting the MFA sessions it sees.
    fn noting(&self) -> Noting<'_> {
        Noting { keychain: &self.keychain, kept: &self.kept_mfa }
    }

    /// The favourite's current session from its profile, if it has at least `min_left` seconds.
    pub fn current_session(
        &self,
        name: &Name,
        now: DateTime<Utc>,
        min_left: i64,
    ) -> Result<Option<SessionCredentials>, Error> {
        let config = self.config.load()?;
        let fav = config.favourite(name)?;
        Ok(self.files.read_session(&fav.profile)?.filter(|s| (s.expiration - now).num_seconds() > min_left))
    }

    /// A console sign-in link for a favourite: its current session when that has five minutes
    /// left (the config tells whether it was chained), else a new one (assumed and written first).
    /// `region` (default: the favourite's, else `AWS_REGION` in its partition, else the
    /// partition's default) and `service` choose the landing page. The link is a bearer secret.
    pub async fn console_url(
        &self,
        name: &Name,
        service: Option<ConsoleService>,
        region: Option<Region>,
        mfa: &mut impl MfaPrompt,
        now: DateTime<Utc>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let credentials = match self.current_session(name, now, 300)? {
            Some(c) => c,
            None => self.assume(name, mfa, false).await?.assumed.credentials,
        };
        self.console_url_for_session(name, &credentials, service, region, sign_out_first).await
    }

    /// A console sign-in link for a favourite's session `credentials` (from its profile or a new
    /// assume): asks the federation endpoint for a sign-in token, with `SessionDuration` (the
    /// favourite's duration) only for a role assumed with long-term keys.
    pub async fn console_url_for_session(
        &self,
        name: &Name,
        credentials: &SessionCredentials,
        service: Option<ConsoleService>,
        region: Option<Region>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let config = self.config.load()?;
        let fav = config.favourite(name)?;
        let origin = console::session_origin(&config, name)?;
        let region = region.unwrap_or_else(|| assume::sts_region(fav, self.default_region.as_ref()));
        let target = ConsoleTarget::new(fav.arn.partition(), Some(region), service)?;
        let request = SigninTokenRequest::new(credentials, origin, fav.duration, target.method());
        self.sign_in(&request, &target, &format!("favourite {name}: console sign-in"), sign_out_first).await
    }

    /// A console sign-in link for a source's own identity (an IAM user's keys, no role): a
    /// GetFederationToken session (one hour) whose session policy allows everything, so the
    /// console may do what the user's own policies allow. Its partition comes from the source's
    /// verified identity, else from the region.
    pub async fn console_url_for_source(
        &self,
        source: &Name,
        service: Option<ConsoleService>,
        region: Option<Region>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let config = self.config.load()?;
        let src = config.source(source)?;
        let caller = match &src.kind {
            SourceKind::Keychain { .. } => Caller::Keys(self.keychain.load(source)?),
            SourceKind::AwsProfile { aws_profile } => Caller::AwsProfile(aws_profile.clone()),
        };
        let partition = src
            .identity
            .as_deref()
            .and_then(|arn| arn.split(':').nth(1))
            .and_then(Partition::parse)
            .or_else(|| region.as_ref().or(self.default_region.as_ref()).map(Partition::of_region))
            .unwrap_or(Partition::Aws);
        let region = region
            .or_else(|| self.default_region.clone().filter(|r| partition.contains(r)))
            .unwrap_or_else(|| partition.default_region());
        let target = ConsoleTarget::new(partition, Some(region.clone()), service)?;
        let req = FederationTokenRequest {
            name: console::federated_user_name(src.identity.as_deref()),
            duration: SessionDuration::DEFAULT,
            policy: ALLOW_ALL_SESSION_POLICY.to_owned(),
            region,
        };
        let user = self
            .sts
            .federation_token(&caller, &req)
            .await
            .map_err(|e| StsError { subject: format!("source {source}: {}", e.subject), ..e })?;
        let request =
            SigninTokenRequest::new(&user.credentials, SessionOrigin::FederatedUser, req.duration, target.method());
        self.sign_in(&request, &target, &format!("source {source}: console sign-in"), sign_out_first).await
    }

    /// Gets a sign-in token and builds the login URL; with `sign_out_first`, on a sign-in host
    /// whose sign-out honours a redirect, wrapped so the browser leaves its current console
    /// session first.
    async fn sign_in(
        &self,
        request: &SigninTokenRequest,
        target: &ConsoleTarget,
        subject: &str,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let endpoint = self.federation_endpoint.clone().unwrap_or_else(|| {
            if sign_out_first { console::sign_out_endpoint(target.partition) } else { target.endpoint() }
        });
        let url = console::sign_in(&self.signin, &endpoint, request, target, subject).await?;
        tracing::info!(destination = %target.destination(), sign_out_first, "console sign-in link ready");
        Ok(if sign_out_first { console::sign_out_first(&url, &endpoint) } else { url })
    }

    /// Every favourite's line (state and label) at `now`, read from the credentials file.
    pub fn lines(&self, now: DateTime<Utc>) -> Result<(Config, Vec<FavouriteLine>), Error> {
        let config = self.config.load()?;
        let holders = self.files.holders(config.favourites.values().map(|f| &f.profile))?;
        let lines = view::lines(
            &config,
            |n| holders.get(&config.favourites[n].profile).cloned().unwrap_or(Holder::Nobody),
            now,
        );
        Ok((config, lines))
    }

    /// The role profiles of the AWS config file that could become favourites.
    pub fn import_candidates(&self) -> Result<Vec<Candidate>, Error> {
        Ok(import::candidates(&self.files.read_config()?, &self.config.load()?))
    }

    /// Imports these AWS profiles as favourites (all or nothing); returns the favourites created.
    pub fn import(&self, profiles: &[String]) -> Result<Vec<Name>, Error> {
        let doc = self.files.read_config()?;
        let (_, names) = self.config.update(|c| Ok(import::import(c, &doc, profiles)?))?;
        Ok(names)
    }
}
