//! Sessions: assuming and renewing favourites (one, or many at a bounded concurrency), reusing a
//! session while enough of it is left, and what the scheduler needs to know about each.

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::assume::{self, Assumed, MfaPrompt};
use rolecall_core::config::{Config, Delivery, ExpirySettings, SourceKind};
use rolecall_core::profile::{Holder, WriteKind};
use rolecall_core::renew::{self, Lifespan};
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{Name, ProfileName};

use crate::favourites::default_profile;
use crate::held::Held;
use crate::{Ports, REUSE_MIN_LEFT, Services};

/// A fresh session, written.
#[derive(Debug, Clone)]
pub struct AssumeOutcome {
    /// The session and where it went.
    pub assumed: Assumed,
    /// What happened to the profile's section.
    pub kind: WriteKind,
    /// The backup kept when a profile rolecall did not own was taken over.
    pub backup: Option<std::path::PathBuf>,
}

/// One favourite of a [`Services::renew_many`].
#[derive(Debug)]
pub struct Renewal {
    /// The favourite.
    pub favourite: Name,
    /// When its session expired before (if its profile held one).
    pub previous_expiration: Option<DateTime<Utc>>,
    /// What renewing it did.
    pub outcome: Result<AssumeOutcome, Error>,
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

impl<P: Ports> Services<P> {
    /// Assumes (or renews: the same parameters again) a favourite and writes its profile (and its
    /// region). A failure writes nothing: the old session stays in place.
    ///
    /// A favourite with `delivery = "process"` writes its session nowhere: its profile in the
    /// config file gets (or keeps) its `credential_process` line, a session of its profile left
    /// in the credentials file is removed, and this process holds the session in memory (see
    /// [`crate::held`]).
    pub async fn assume(&self, name: &Name, mfa: &mut impl MfaPrompt, force: bool) -> Result<AssumeOutcome, Error> {
        let inner = &self.inner;
        let assumed = self.assume_unwritten(name, mfa).await?;
        let issued = self.issued_now();
        // Written under config.toml's lock, and only while the favourite is still there as it was
        // assumed: an assume in flight while its favourite is removed leaves no orphan section.
        let report = inner.config.read_locked(|now| {
            let Some(fav) = now.favourites.get(name).filter(|f| f.profile == assumed.profile) else {
                return Err(Error::NeedsInput {
                    subject: format!("favourite {name}"),
                    what: "was removed or changed while it was being assumed; nothing was written".into(),
                });
            };
            if fav.delivery == Delivery::Process {
                self.apply_delivery(name, None, Some(fav))?;
                let held = Held { profile: fav.profile.clone(), credentials: assumed.credentials.clone(), issued };
                self.hold(name, held);
                return Ok(None);
            }
            let report = inner.files.write_session(
                &assumed.profile,
                &assumed.favourite,
                &assumed.credentials,
                issued,
                assumed.region.as_ref(),
                force,
            )?;
            // A favourite the user made the default profile keeps `[default]` in step.
            if assumed.profile != default_profile() && self.holds_default(name)? {
                inner.files.write_default_session(name, &assumed.credentials, issued, assumed.region.as_ref())?;
            }
            Ok(Some(report))
        })?;
        Ok(match report {
            Some(report) => AssumeOutcome { assumed, kind: report.kind, backup: report.backup },
            // Nothing of the session was written: the profile runs `rolecall credentials`.
            None => AssumeOutcome { assumed, kind: WriteKind::Updated, backup: None },
        })
    }

    /// Assumes a favourite and writes nothing (no profile, no file): the session for a command
    /// that hands it on itself (`exec`, the credentials endpoint). An MFA session the source keeps
    /// in the keychain is used and kept as for any assume.
    pub async fn assume_unwritten(&self, name: &Name, mfa: &mut impl MfaPrompt) -> Result<Assumed, Error> {
        let inner = &self.inner;
        let config = inner.config.load()?;
        let _shared_mfa_session =
            if config.mfa_source(name)?.is_some() { Some(inner.mfa_lock.lock().await) } else { None };
        match assume::portal_role(&config, name)? {
            // An IAM Identity Center chain: the portal hands out its first session.
            Some(first) => {
                let source = config.chain(name)?.0.name.clone();
                let session = self.portal_session(&config, &source, first).await?;
                assume::assume_from_portal(&config, name, &inner.sts, session, inner.default_region.as_ref(), mfa).await
            }
            None => {
                let region = inner.default_region.as_ref();
                assume::assume(&config, name, &inner.sts, &self.noting(), region, mfa, Utc::now()).await
            }
        }
    }

    /// The favourite's [reusable](Services::reusable_session) session at `now` (read from its
    /// profile), else a new one [assumed without writing it](Services::assume_unwritten); and
    /// the favourite's region. Nothing is written either way.
    pub async fn unwritten_session(
        &self,
        name: &Name,
        now: DateTime<Utc>,
        mfa: &mut impl MfaPrompt,
    ) -> Result<(SessionCredentials, Option<rolecall_core::validate::Region>), Error> {
        let region = self.inner.config.load()?.favourite(name)?.region.clone();
        match self.reusable_session(name, now)? {
            Some(c) => Ok((c, region)),
            None => Ok((self.assume_unwritten(name, mfa).await?.credentials, region)),
        }
    }

    /// Renews a favourite (assumes it again) once one of the [`crate::RENEW_CONCURRENCY`] renewal
    /// slots is free: what the tray's scheduler and [`Services::renew_many`] call, so that no
    /// more than that many renewals are ever in flight at once.
    pub async fn renew(&self, name: &Name, mfa: &mut impl MfaPrompt) -> Result<AssumeOutcome, Error> {
        let _slot = self.inner.renewals.acquire().await.expect("the renewal semaphore is never closed");
        self.assume(name, mfa, false).await
    }

    /// Renews several favourites (unknown names fail before anything is renewed). When one needs
    /// an MFA code, or there is only one, they are renewed one at a time with `prompt`, so prompts
    /// do not interleave (one code then serves the rest of the source's favourites) and a
    /// cancelled prompt stops the run; otherwise concurrently, each with a prompt from `quiet`.
    /// Any other failure leaves the rest to be renewed. Outcomes come in the order given.
    pub async fn renew_many<M>(
        &self,
        names: &[Name],
        prompt: &mut M,
        quiet: impl Fn() -> M,
    ) -> Result<Vec<Renewal>, Error>
    where
        M: MfaPrompt + 'static,
    {
        let config = self.inner.config.load()?;
        for n in names {
            config.favourite(n)?;
        }
        let now = Utc::now();
        let mut needs_code = false;
        for n in names {
            needs_code |= self.needs_mfa_code_in(&config, n, now)?;
        }
        let mut out = Vec::new();
        if needs_code || names.len() < 2 {
            for name in names {
                let previous_expiration = self.current_session(name, Utc::now(), None)?.map(|c| c.expiration);
                let outcome = self.assume(name, prompt, false).await;
                let cancelled = matches!(outcome, Err(Error::Cancelled(_)));
                out.push(Renewal { favourite: name.clone(), previous_expiration, outcome });
                if cancelled {
                    break;
                }
            }
            return Ok(out);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, name) in names.iter().enumerate() {
            let previous_expiration = self.current_session(name, Utc::now(), None)?.map(|c| c.expiration);
            let (this, name, mut mfa) = (self.clone(), name.clone(), quiet());
            tasks.spawn(async move {
                let outcome = this.renew(&name, &mut mfa).await;
                (i, Renewal { favourite: name, previous_expiration, outcome })
            });
        }
        let mut done: Vec<_> = tasks.join_all().await;
        done.sort_by_key(|(i, _)| *i);
        out.extend(done.into_iter().map(|(_, r)| r));
        Ok(out)
    }

    /// The favourite's session from its profile (a `process` favourite's: the one this process
    /// holds), if it has more than `min_left` left (`None`: any session, even an expired one).
    pub fn current_session(
        &self,
        name: &Name,
        now: DateTime<Utc>,
        min_left: Option<chrono::Duration>,
    ) -> Result<Option<SessionCredentials>, Error> {
        let config = self.inner.config.load()?;
        let fav = config.favourite(name)?;
        let session = match fav.delivery {
            Delivery::Process => self.held(name, fav).map(|h| h.credentials),
            Delivery::File => self.inner.files.read_session(&fav.profile)?,
        };
        Ok(session.filter(|s| min_left.is_none_or(|m| s.expiration - now > m)))
    }

    /// The favourite's session from its profile while it has [`REUSE_MIN_LEFT`] left at `now`
    /// (for the console, export lines, the clipboard), else `None`: a new one is needed.
    pub fn reusable_session(&self, name: &Name, now: DateTime<Utc>) -> Result<Option<SessionCredentials>, Error> {
        self.current_session(name, now, Some(REUSE_MIN_LEFT))
    }

    /// The favourite's [reusable](Services::reusable_session) session at `now`, else a new one,
    /// assumed and written first.
    pub async fn usable_session(
        &self,
        name: &Name,
        now: DateTime<Utc>,
        mfa: &mut impl MfaPrompt,
    ) -> Result<SessionCredentials, Error> {
        match self.reusable_session(name, now)? {
            Some(c) => Ok(c),
            None => Ok(self.assume(name, mfa, false).await?.assumed.credentials),
        }
    }

    /// Now in STS's clock, as its last answer showed it (this computer's clock if none had a
    /// `Date`): when a session just received was issued.
    pub fn issued_now(&self) -> DateTime<Utc> {
        Utc::now() - self.clock_offset().unwrap_or_default()
    }

    /// Every favourite whose profile holds a session rolecall wrote for it (or that this process
    /// holds for it, for a `process` favourite), with its expiry
    /// settings and whether renewing it at `now` needs an MFA code (no kept MFA session covers
    /// it, as far as this process knows). Never reads the keychain.
    pub fn sessions(&self, now: DateTime<Utc>) -> Result<Vec<SessionInfo>, Error> {
        let config = self.inner.config.load()?;
        let holders = self.holders_in(&config)?;
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
        self.needs_mfa_code_in(&self.inner.config.load()?, name, now)
    }

    /// From memory only (see [`Services::learn_kept_mfa_sessions`]): a source whose MFA session
    /// this process has not seen yet counts as covered, so the renewal itself (which reads the
    /// keychain anyway) finds out, and the scheduler never asks the keychain on its own.
    fn needs_mfa_code_in(&self, config: &Config, name: &Name, now: DateTime<Utc>) -> Result<bool, Error> {
        let Some((source, _)) = config.mfa_source(name)? else { return Ok(false) };
        let kept = if config.uses_mfa_session(name)? {
            self.kept_mfa_expiry(source).unwrap_or(Some(DateTime::<Utc>::MAX_UTC))
        } else {
            None
        };
        assume::needs_mfa_code(config, name, kept, now)
    }
}
