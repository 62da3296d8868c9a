//! The scheduler: the app's one task that warns before sessions expire, renews the ones that
//! renew themselves, and reports the ones that expired. It asks the core's pure policy
//! ([`rolecall_core::renew::plan`]) what is due and when to look again, runs what is due, and
//! sleeps until then, or until something changes (a click, a file written by the CLI, a renewal
//! finished, the machine waking up).
//!
//! Sleep and wall-clock jumps: tokio's timers run on the monotonic clock, which stops while the
//! machine sleeps, so the scheduler never sleeps more than a minute, and on Linux logind's
//! `PrepareForSleep(false)` wakes it the moment the machine resumes. The plan depends only on
//! the wall clock at that moment, so a session that expired during sleep is renewed (or
//! reported) at once.

use std::time::Duration;

use chrono::Utc;
use rolecall_core::notice::{Event, notice};
use rolecall_core::renew::{self, Step};
use tauri::{AppHandle, Manager, Runtime};

use crate::actions::{self, Origin};
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
    (plan.wake_at - Utc::now()).to_std().unwrap_or_default()
}
