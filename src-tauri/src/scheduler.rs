//! The scheduler: the app's one task that warns before sessions expire, renews the ones that
//! renew themselves, and reports the ones that expired. It asks the core's pure policy
//! ([`rolecall_core::renew::plan`]) what is due and when to look again, runs what is due, and
//! sleeps until then, or until something changes (a click, a file written by the CLI, a renewal
//! finished, the machine waking up).
//!
//! IAM Identity Center sources: favourites of a source whose portal session ended do not renew
//! until a sign-in; each portal session is warned about once before it ends (the notify-before
//! lead of sessions, clamped the same way) and its end told once ([`plan_sign_ins`]), from the
//! sign-in states the tray remembered.
//!
//! Sleep and wall-clock jumps: tokio's timers run on the monotonic clock, which stops while the
//! machine sleeps, so the scheduler never sleeps more than a minute, and on Linux logind's
//! `PrepareForSleep(false)` wakes it the moment the machine resumes. The plan depends only on
//! the wall clock at that moment, so a session that expired during sleep is renewed (or
//! reported) at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rolecall_app::SsoStatus;
use rolecall_core::notice::{Event, notice};
use rolecall_core::renew::{self, Step};
use rolecall_core::validate::Name;
use tauri::{AppHandle, Manager, Runtime};

use crate::actions::{self, Origin};
use crate::signin;
use crate::state::AppState;

/// The longest the scheduler sleeps: the wall clock is looked at again at least this often.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Starts the scheduler.
pub fn spawn_scheduler<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let wake = state.schedule_changed.clone();
        loop {
            let next = run_once(&app);
            let sleep = next.clamp(Duration::from_millis(200), MAX_SLEEP);
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
    });
}

/// How long, where the keychain cannot say whether it is locked (macOS, Windows), automatic
/// renewals wait after finding it locked before one tries again.
const LOCKED_RETRY: Duration = Duration::from_secs(600);

/// While the keychain is locked (since `since`): asks, on a blocking thread and without a
/// prompt, whether it still is; once it is not (or, where it cannot be asked, after
/// [`LOCKED_RETRY`]), automatic renewals resume.
fn probe_keychain<R: Runtime>(app: &AppHandle<R>, since: std::time::Instant) {
    let app = app.clone();
    let services = app.state::<AppState>().services.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let locked = services.keychain_locked();
        let resume = match locked {
            Some(locked) => !locked,
            None => since.elapsed() >= LOCKED_RETRY,
        };
        if resume {
            let state = app.state::<AppState>();
            let mut a = state.activity.lock().expect("activity lock");
            if a.keychain_locked == Some(since) {
                a.keychain_locked = None;
                drop(a);
                tracing::info!(?locked, "the keychain is unlocked: automatic renewals resume");
                state.touch();
            }
        }
    });
}

/// Plans once, runs what is due, and returns how long to sleep.
fn run_once<R: Runtime>(app: &AppHandle<R>) -> Duration {
    let state = app.state::<AppState>();
    let now = Utc::now();
    let sessions = match state.services.sessions(now) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(code = %e.code(), "scheduler: cannot read the sessions: {e}");
            return MAX_SLEEP;
        }
    };
    let (in_flight, locked) = {
        let a = state.activity.lock().expect("activity lock");
        (a.in_flight.clone(), a.keychain_locked)
    };
    if let Some(since) = locked {
        probe_keychain(app, since);
    }
    let config = state.services.config().ok();
    let root = |favourite: &Name| config.as_ref().and_then(|c| signin::sso_root(c, favourite));
    // Forgets favourites that no longer have a session rolecall wrote.
    let memory = state.schedule.recall(sessions.iter().map(|s| &s.favourite));
    let tracked: Vec<_> = sessions
        .iter()
        .zip(&memory)
        .filter(|(s, _)| !in_flight.contains(&s.favourite))
        .map(|(s, m)| {
            // While the keychain is locked, favourites whose renewal reads it are warned about
            // instead of renewed: nothing automatic asks the keychain (and raises its prompt).
            let mut settings = s.settings;
            if locked.is_some() && s.uses_keychain {
                settings.auto_renew = false;
            }
            // Favourites of an IAM Identity Center source whose portal session ended wait for a
            // sign-in: no retries against the portal (warned about as they near their end).
            if root(&s.favourite).is_some_and(|source| state.sign_ins.paused(&source, now)) {
                settings.auto_renew = false;
            }
            renew::track(s.favourite.clone(), s.span, settings, s.needs_mfa, m)
        })
        .collect();
    let plan = renew::plan(now, &tracked, chrono::Duration::from_std(MAX_SLEEP).expect("a minute"));
    for step in plan.steps {
        match step {
            Step::Renew(name) => {
                if actions::begin(&state, &name) {
                    tracing::info!(favourite = %name, "renewing automatically");
                    let app = app.clone();
                    // At most RENEW_CONCURRENCY run at once: an automatic renewal waits for a
                    // slot inside `Services::renew`.
                    tauri::async_runtime::spawn(async move {
                        let _ = actions::run_begun(&app, &name, Origin::Auto).await;
                    });
                }
            }
            Step::Warn { favourite, seconds_left } => {
                let Some(s) = sessions.iter().find(|s| s.favourite == favourite) else { continue };
                state.notifications.show(&notice(&Event::Expiring {
                    favourite: favourite.clone(),
                    account: s.account.clone(),
                    seconds_left,
                    needs_mfa: s.needs_mfa,
                }));
                state.schedule.warned(&favourite, s.span.expires);
            }
            Step::NoteExpired(favourite) => {
                let Some(s) = sessions.iter().find(|s| s.favourite == favourite) else { continue };
                state.notifications.show(&notice(&Event::Expired {
                    favourite: favourite.clone(),
                    account: s.account.clone(),
                    profile: s.profile.clone(),
                }));
                state.schedule.expired_noted(&favourite, s.span.expires);
            }
        }
    }
    let portal = config.as_ref().map(|c| portal_sessions(&state, c)).unwrap_or_default();
    let lead = config.as_ref().map_or(chrono::Duration::minutes(10), |c| {
        chrono::Duration::minutes(i64::from(c.preferences.notify_before_minutes))
    });
    let sign_in_plan = plan_sign_ins(now, &portal, lead);
    for step in sign_in_plan.steps {
        match step {
            SignInStep::Warn { source, ends_at, seconds_left } => {
                state.notifications.show(&notice(&Event::SignInEnding { source: source.clone(), seconds_left }));
                state.sign_ins.warned(&source, ends_at);
            }
            SignInStep::Ended(source) => {
                if state.sign_ins.ended(&source) {
                    tracing::info!(source = %source, "the IAM Identity Center session is over: renewals wait for a sign-in");
                    state.notifications.show(&notice(&Event::SignInEnded { source }));
                    state.touch();
                }
            }
        }
    }
    let wake_at = sign_in_plan.wake_at.map_or(plan.wake_at, |w| w.min(plan.wake_at));
    (wake_at - Utc::now()).to_std().unwrap_or_default()
}

/// The portal sessions the scheduler knows of (from the sign-in states the tray remembered: it
/// never reads the keychain), with what was told of each.
fn portal_sessions(state: &AppState, config: &rolecall_core::config::Config) -> Vec<PortalSession> {
    signin::sso_sources(config)
        .into_iter()
        .filter_map(|source| {
            // The state as remembered: an end already past is what the plan looks for.
            let SsoStatus::SignedIn { ends_at: Some(ends_at), since } = state.sign_ins.remembered(&source)? else {
                return None;
            };
            let lifetime = since.map_or_else(
                || config.source(&source).ok().and_then(|s| s.kind.sso_session_length()).unwrap_or_default(),
                |since| ends_at - since,
            );
            Some(PortalSession {
                warned_for: state.sign_ins.warned_for(&source),
                ended_told: state.sign_ins.ended_told(&source),
                source,
                ends_at,
                lifetime,
            })
        })
        .collect()
}

/// An IAM Identity Center source's portal session as the sign-in plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    /// The source.
    pub source: Name,
    /// When the portal session should end: the sign-in time plus the source's session length.
    pub ends_at: DateTime<Utc>,
    /// How long it lasts in all (the warning's lead is clamped to half of it, as for sessions).
    pub lifetime: chrono::Duration,
    /// Which end the user was warned about.
    pub warned_for: Option<DateTime<Utc>>,
    /// Whether its end was told already.
    pub ended_told: bool,
}

/// Something due about a portal session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInStep {
    /// Warn that it ends in `seconds_left` (at `ends_at`).
    Warn {
        /// The source.
        source: Name,
        /// The end warned about.
        ends_at: DateTime<Utc>,
        /// Seconds left.
        seconds_left: i64,
    },
    /// It has ended: tell the user and pause the source's renewals.
    Ended(Name),
}

/// The sign-in steps due at `now` and when the next falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInPlan {
    /// Due now.
    pub steps: Vec<SignInStep>,
    /// The next moment a step falls due, if any.
    pub wake_at: Option<DateTime<Utc>>,
}

/// What is due about `sessions` at `now`, pure: with the lead time of sessions (`lead`, the
/// preferences' notify-before, clamped to half the portal session's length like a session's), a
/// warning once per end from `ends_at - lead`, and at `ends_at` the end itself, told once.
pub fn plan_sign_ins(now: DateTime<Utc>, sessions: &[PortalSession], lead: chrono::Duration) -> SignInPlan {
    let mut steps = Vec::new();
    let mut wake_at: Option<DateTime<Utc>> = None;
    let mut later = |t: DateTime<Utc>| {
        if t > now && wake_at.is_none_or(|w| t < w) {
            wake_at = Some(t);
        }
    };
    for s in sessions {
        let lead = renew::effective_lead(lead, s.lifetime);
        let warn_from = s.ends_at - lead;
        if now >= s.ends_at {
            if !s.ended_told {
                steps.push(SignInStep::Ended(s.source.clone()));
            }
            continue;
        }
        if now >= warn_from && lead > chrono::Duration::zero() && s.warned_for != Some(s.ends_at) {
            steps.push(SignInStep::Warn {
                source: s.source.clone(),
                ends_at: s.ends_at,
                seconds_left: (s.ends_at - now).num_seconds(),
            });
        } else if now < warn_from {
            later(warn_from);
        }
        later(s.ends_at);
    }
    SignInPlan { steps, wake_at }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(mins: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap() + Duration::minutes(mins)
    }

    fn corp(ends_at: DateTime<Utc>) -> PortalSession {
        PortalSession {
            source: Name::parse("corp").unwrap(),
            ends_at,
            lifetime: Duration::hours(8),
            warned_for: None,
            ended_told: false,
        }
    }

    #[test]
    fn a_portal_session_is_warned_about_once_at_the_lead_time_then_its_end_told_once() {
        let lead = Duration::minutes(10);
        let s = corp(at(480));
        let before = plan_sign_ins(at(0), std::slice::from_ref(&s), lead);
        assert!(before.steps.is_empty());
        assert_eq!(before.wake_at, Some(at(470)), "wakes for the warning, not sooner: no polling");

        let due = plan_sign_ins(at(470), std::slice::from_ref(&s), lead);
        let warn = SignInStep::Warn { source: s.source.clone(), ends_at: at(480), seconds_left: 600 };
        assert_eq!(due.steps, vec![warn]);
        assert_eq!(due.wake_at, Some(at(480)), "then for the end");

        let warned = PortalSession { warned_for: Some(at(480)), ..s.clone() };
        let again = plan_sign_ins(at(475), std::slice::from_ref(&warned), lead);
        assert!(again.steps.is_empty(), "warned once per end: {again:?}");
        assert_eq!(again.wake_at, Some(at(480)));

        let over = plan_sign_ins(at(481), std::slice::from_ref(&warned), lead);
        assert_eq!(over.steps, vec![SignInStep::Ended(s.source.clone())]);
        assert_eq!(over.wake_at, None, "nothing more to wake for");
        let told = PortalSession { ended_told: true, ..warned };
        assert!(plan_sign_ins(at(500), &[told], lead).steps.is_empty(), "the end is told once");

        // A new sign-in (a new end) is warned about again.
        let renewed = PortalSession { ends_at: at(960), warned_for: Some(at(480)), ..s };
        assert!(matches!(
            &plan_sign_ins(at(950), &[renewed], lead).steps[..],
            [SignInStep::Warn { seconds_left: 600, .. }]
        ));
    }

    #[test]
    fn the_lead_is_clamped_to_half_a_short_portal_session_like_a_sessions() {
        // A 15-minute portal session with a 10-minute lead: warned 7.5 minutes before its end.
        let s = PortalSession { lifetime: Duration::minutes(15), ..corp(at(15)) };
        let plan = plan_sign_ins(at(0), std::slice::from_ref(&s), Duration::minutes(10));
        assert_eq!(plan.wake_at, Some(at(15) - Duration::seconds(450)));
        let due = plan_sign_ins(at(8), &[s], Duration::minutes(10));
        assert!(matches!(&due.steps[..], [SignInStep::Warn { seconds_left: 420, .. }]), "{due:?}");
    }

    #[test]
    fn a_sign_in_found_already_past_its_warning_is_warned_at_once_and_each_source_on_its_own() {
        let lead = Duration::minutes(10);
        let late = corp(at(5));
        let other = PortalSession { source: Name::parse("other").unwrap(), ..corp(at(120)) };
        let plan = plan_sign_ins(at(0), &[late, other], lead);
        assert!(
            matches!(&plan.steps[..], [SignInStep::Warn { source, seconds_left: 300, .. }] if source.as_str() == "corp")
        );
        assert_eq!(plan.wake_at, Some(at(5)), "the soonest of corp's end and other's warning at 110");
    }
}
