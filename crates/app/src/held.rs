//! Sessions held in memory instead of written: what a `delivery = "process"` favourite's assume
//! leaves behind in this process (the tray app's, which serves them to `rolecall credentials`
//! through its socket), and the one way those requests are answered ([`Services::serve`]).
//!
//! A held session counts everywhere a written one does: [`Services::sessions`] (so the tray's
//! scheduler warns and renews it), the menu's lines and holders, and
//! [`Services::current_session`] (so the console, export lines and the clipboard reuse it). It
//! lives as long as the process; nothing of it reaches a file.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::assume::MfaPrompt;
use rolecall_core::config::{Config, Delivery, Favourite, SourceKind};
use rolecall_core::keychain::{KeychainError, KeychainErrorKind};
use rolecall_core::profile::Holder;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{Name, ProfileName};

use crate::{Ports, SERVE_MIN_LEFT, Services};

/// A failed renewal for a request is not tried again for this long (doubling with each failure
/// in a row, up to [`MAX_BACKOFF`]): requests meanwhile get the same failure at once, so an SDK
/// that asks in a loop never turns into STS calls in a loop.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// The longest pause after failed renewals.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A session held for a `process` favourite.
#[derive(Clone)]
pub(crate) struct Held {
    /// The profile it was assumed for (a favourite moved to another profile drops it).
    pub profile: ProfileName,
    /// The session.
    pub credentials: SessionCredentials,
    /// When STS issued it (in STS's clock), for its lifetime.
    pub issued: DateTime<Utc>,
}

/// Failed renewals in a row and the pause they impose before the next try: what keeps every
/// renewal made on a request's behalf (the tray's socket, `exec --server`'s endpoint) from
/// becoming STS calls in a loop.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
}

impl Backoff {
    /// Whether a pause after a failed renewal still runs at `now`.
    pub(crate) fn pausing(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|t| now < t)
    }

    /// Records a failed renewal at `now`: the pause before the next try ([`FIRST_BACKOFF`],
    /// doubling, at most [`MAX_BACKOFF`]).
    pub(crate) fn failed(&mut self, now: Instant) -> Duration {
        let pause = FIRST_BACKOFF.saturating_mul(1 << self.failures.min(6)).min(MAX_BACKOFF);
        self.failures += 1;
        self.retry_at = Some(now + pause);
        pause
    }

    /// Failed renewals in a row.
    #[cfg(test)]
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }
}

/// Requests for one favourite take turns through its gate, which remembers failed renewals and
/// the last one's error, given again while their pause runs.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    backoff: Backoff,
    last_error: Option<Error>,
}

impl Gate {
    /// The failure to give again while a pause after a failed renewal runs.
    fn pausing(&self, now: Instant) -> Option<Error> {
        self.last_error.clone().filter(|_| self.backoff.pausing(now))
    }

    /// Records a failed renewal at `now`; the pause before the next try.
    fn failed(&mut self, e: &Error, now: Instant) -> Duration {
        self.last_error = Some(e.clone());
        self.backoff.failed(now)
    }

    fn succeeded(&mut self) {
        *self = Gate::default();
    }
}

/// Whether a session that expires at `expires`, issued (or received) at `issued`, is fresh enough
/// at `now` for a renewal `lead` ([`SERVE_MIN_LEFT`] for the tray's socket): more than `lead` left, or half its lifetime for a shorter session
/// (a 15-minute session would otherwise be renewed on every request).
pub(crate) fn fresh_enough(
    lead: chrono::Duration,
    issued: Option<DateTime<Utc>>,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let lead = issued.map_or(lead, |i| lead.min((expires - i) / 2));
    expires - now >= lead
}

/// What [`Services::serve`] handed out.
#[derive(Debug)]
pub struct ServedSession {
    /// The session.
    pub credentials: SessionCredentials,
    /// Whether it was renewed (assumed) to answer: the tray's schedule and menu should know.
    pub renewed: bool,
}

impl<P: Ports> Services<P> {
    /// Keeps `credentials` as favourite `name`'s session.
    pub(crate) fn hold(&self, name: &Name, held: Held) {
        self.inner.held.lock().expect("held lock").insert(name.clone(), held);
    }

    /// The session held for favourite `fav` (`name`), if it is a `process` favourite with one for
    /// its profile.
    pub(crate) fn held(&self, name: &Name, fav: &Favourite) -> Option<Held> {
        if fav.delivery != Delivery::Process {
            return None;
        }
        let held = self.inner.held.lock().expect("held lock");
        held.get(name).filter(|h| h.profile == fav.profile).cloned()
    }

    /// Who holds each favourite's profile: the credentials file's view, with the sessions held
    /// for `process` favourites (whose profiles the file never holds) as rolecall's.
    pub(crate) fn holders_in(&self, config: &Config) -> Result<HashMap<ProfileName, Holder>, Error> {
        let mut holders = self.inner.files.holders(config.favourites.values().map(|f| &f.profile))?;
        for (name, fav) in &config.favourites {
            if let Some(h) = self.held(name, fav) {
                holders.insert(
                    fav.profile.clone(),
                    Holder::Rolecall {
                        favourite: name.to_string(),
                        expires: Some(h.credentials.expiration),
                        issued: Some(h.issued),
                    },
                );
            }
        }
        Ok(holders)
    }

    /// Answers `rolecall credentials NAME` for the tray app's socket: the session held (for a
    /// `process` favourite) or written (for a `file` one) while it is
    /// [fresh enough](fresh_enough), with no keychain read and no STS call; else one renewal (a
    /// `process` favourite's is held, and tracked like any; a `file` favourite's is written
    /// nowhere, as the CLI would do). Requests for one favourite take turns, so a burst of them
    /// makes one renewal; a failed renewal is given again to requests for a pause that doubles,
    /// rather than tried again. Asks only through `mfa` (which should refuse), and never reads a
    /// locked keychain.
    pub async fn serve(&self, name: &Name, mfa: &mut impl MfaPrompt) -> Result<ServedSession, Error> {
        if let Some(credentials) = self.fresh_session(name, Utc::now())? {
            return Ok(ServedSession { credentials, renewed: false });
        }
        let gate = {
            let mut gates = self.inner.serving.lock().expect("serving lock");
            gates.entry(name.clone()).or_default().clone()
        };
        let mut gate = gate.lock().await;
        // Renewed while this request waited its turn.
        if let Some(credentials) = self.fresh_session(name, Utc::now())? {
            return Ok(ServedSession { credentials, renewed: false });
        }
        if let Some(e) = gate.pausing(Instant::now()) {
            return Err(e);
        }
        let result = self.renew_to_serve(name, mfa).await;
        match &result {
            Ok(_) => gate.succeeded(),
            Err(e) => {
                let pause = gate.failed(e, Instant::now());
                tracing::info!(favourite = %name, code = %e.code(), retry_in_secs = pause.as_secs(), "could not renew a session to serve it");
            }
        }
        result.map(|credentials| ServedSession { credentials, renewed: true })
    }

    /// The favourite's session (held or written) while it is [fresh enough](fresh_enough) at
    /// `now`.
    pub(crate) fn fresh_session(&self, name: &Name, now: DateTime<Utc>) -> Result<Option<SessionCredentials>, Error> {
        let config = self.inner.config.load()?;
        let fav = config.favourite(name)?;
        if let Some(h) = self.held(name, fav) {
            return Ok(
                fresh_enough(SERVE_MIN_LEFT, Some(h.issued), h.credentials.expiration, now).then_some(h.credentials)
            );
        }
        if fav.delivery == Delivery::Process {
            return Ok(None);
        }
        let issued = match self.inner.files.holder(&fav.profile)? {
            Holder::Rolecall { favourite, issued, .. } if favourite == name.as_str() => issued,
            _ => return Ok(None),
        };
        Ok(self
            .inner
            .files
            .read_session(&fav.profile)?
            .filter(|c| fresh_enough(SERVE_MIN_LEFT, issued, c.expiration, now)))
    }

    /// A new session for [`Services::serve`] (and `rolecall credentials`'s own path): refused
    /// at once when the chain starts at keys in a locked keychain (whose unlock would prompt).
    async fn renew_to_serve(&self, name: &Name, mfa: &mut impl MfaPrompt) -> Result<SessionCredentials, Error> {
        self.refuse_locked_keychain(name)?;
        let config = self.inner.config.load()?;
        if config.favourite(name)?.delivery == Delivery::Process {
            Ok(self.renew(name, mfa).await?.assumed.credentials)
        } else {
            Ok(self.assume_unwritten(name, mfa).await?.credentials)
        }
    }

    /// Refuses, without a prompt, a favourite whose chain starts at keys in a keychain that is
    /// locked now.
    pub(crate) fn refuse_locked_keychain(&self, name: &Name) -> Result<(), Error> {
        let config = self.inner.config.load()?;
        let (root, _) = config.chain(name)?;
        if matches!(root.source.kind, SourceKind::Keychain { .. }) && self.keychain_locked() == Some(true) {
            return Err(KeychainError {
                kind: KeychainErrorKind::Locked,
                source_name: root.name.to_string(),
                detail: Some("unlock it first (rolecall does not ask for it here)".into()),
            }
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fresh_enough_is_twenty_minutes_or_half_a_shorter_session() {
        let t = |m: i64| Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap() + chrono::Duration::minutes(m);
        // An hour's session: handed out until 20 minutes are left.
        let fresh = |issued, expires, now| fresh_enough(SERVE_MIN_LEFT, issued, expires, now);
        assert!(fresh(Some(t(0)), t(60), t(40)));
        assert!(!fresh(Some(t(0)), t(60), t(41)));
        // A 15-minute session: until half of it is left, not renewed on every request.
        assert!(fresh(Some(t(0)), t(15), t(0)));
        assert!(fresh(Some(t(0)), t(15), t(7)));
        assert!(!fresh(Some(t(0)), t(15), t(8)));
        // No issue time known: the full lead.
        assert!(!fresh(None, t(15), t(0)));
    }

    #[test]
    fn a_failed_renewal_pauses_doubling_up_to_five_minutes_and_a_success_clears_it() {
        let mut gate = Gate::default();
        let e = Error::NeedsInput { subject: "favourite prod".into(), what: "throttled".into() };
        let t0 = Instant::now();
        assert!(gate.pausing(t0).is_none());
        let pauses: Vec<u64> = (0..9).map(|_| gate.failed(&e, t0).as_secs()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(gate.pausing(t0 + Duration::from_secs(299)).map(|e| e.to_string()), Some(e.to_string()));
        assert!(gate.pausing(t0 + Duration::from_secs(300)).is_none());
        gate.succeeded();
        assert!(gate.pausing(t0).is_none());
        assert_eq!(gate.failed(&e, t0).as_secs(), 5);
    }
}
