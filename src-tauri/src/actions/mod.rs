//! The two background tasks, the action runner ([`spawn_runner`]: every click and command that
//! does work) and the refresher ([`spawn_refresher`]: the tray's menu, icon and tooltip, and the
//! windows' change events), and the assume every origin shares ([`run`]: at most one per
//! favourite; its [`Origin`] decides what may be asked and who hears of a failure).

mod refresher;
mod runner;

pub use refresher::spawn_refresher;
pub use runner::spawn_runner;

use chrono::Utc;
use rolecall_core::keychain::KeychainErrorKind;
use rolecall_core::notice::{Event, clock_skew_matters, notice};
use rolecall_core::sts::StsErrorKind;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};
use rolecall_core::{Code, Error, ErrorDto};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::mfa::MfaRequest;
use crate::signin;
use crate::state::AppState;
use crate::windows;

/// Event: something the windows show changed; they refetch.
pub const CHANGED_EVENT: &str = "rolecall://changed";
/// Event: an MFA code is needed (payload: [`MfaRequest`]).
pub const MFA_EVENT: &str = "rolecall://mfa-request";

/// Asks the MFA window for codes.
struct WindowMfa<R: Runtime> {
    app: AppHandle<R>,
    request_id: String,
    asked: bool,
}

impl<R: Runtime> rolecall_core::assume::MfaPrompt for WindowMfa<R> {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        self.asked = true;
        let state = self.app.state::<AppState>();
        let request = MfaRequest {
            request_id: self.request_id.clone(),
            favourite: favourite.to_string(),
            device: device.to_string(),
        };
        let rx = state.mfa.ask(request.clone());
        if let Err(e) = windows::open_mfa(&self.app) {
            tracing::warn!(error = %e, "cannot open the MFA window");
        }
        let _ = self.app.emit(MFA_EVENT, request);
        rx.await.unwrap_or_else(|_| Err(Error::Cancelled(format!("favourite {favourite}"))))
    }
}

/// Why an assume runs: what may be asked of the user, and who hears about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A click in the tray menu or the settings window: the MFA window may open; a failure shows
    /// in the menu.
    Click,
    /// The *Renew* button of a notification: as a click, and a failure is notified.
    Notification,
    /// The scheduler's automatic renewal: never asks anything; the first failure in a row is
    /// notified, later ones are retried with backoff.
    Auto,
}

/// Never asks: an automatic renewal that turns out to need an MFA code stops, and the scheduler
/// notifies the user (whose *Renew* opens the MFA window).
struct NoPrompt;

impl rolecall_core::assume::MfaPrompt for NoPrompt {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        Err(Error::NeedsInput {
            subject: format!("favourite {favourite}"),
            what: format!("needs a code from MFA device {device} to renew; use Renew in its notification or the tray"),
        })
    }
}

/// Marks a favourite as being assumed; `false` if it already is (at most one in flight each).
pub fn begin(state: &AppState, name: &Name) -> bool {
    state.activity.lock().expect("activity lock").in_flight.insert(name.clone())
}

/// Assumes a favourite for `origin`, unless it is already being assumed.
pub async fn run<R: Runtime>(app: &AppHandle<R>, name: &Name, origin: Origin) -> Result<(), ErrorDto> {
    if !begin(&app.state::<AppState>(), name) {
        return Err(ErrorDto { code: Code::Busy, message: format!("favourite {name}: already being assumed") });
    }
    run_begun(app, name, origin).await
}

/// Assumes a favourite marked with [`begin`], retrying MFA codes STS refused, then tells the
/// scheduler, the notifications and the tray how it went.
pub async fn run_begun<R: Runtime>(app: &AppHandle<R>, name: &Name, origin: Origin) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    state.touch();
    let mut prompt = WindowMfa { app: app.clone(), request_id: state.mfa.new_id(), asked: false };
    let mut refused = 0;
    let mut signed_in = false;
    let result = loop {
        let result = match origin {
            Origin::Auto => state.services.renew(name, &mut NoPrompt).await,
            Origin::Click | Origin::Notification => state.services.assume(name, &mut prompt, false).await,
        };
        match &result {
            Err(Error::Sts(e)) if e.kind == StsErrorKind::MfaInvalid && prompt.asked && refused < 5 => {
                refused += 1;
                state.mfa.verdict(&prompt.request_id, Err(Error::Sts(e.clone()).to_dto()));
            }
            // A click on a favourite of a signed-out IAM Identity Center source signs in first (in
            // the browser, joining a sign-in of that source under way), then assumes once more.
            Err(e) if origin != Origin::Auto && !signed_in && needs_sign_in(e) => {
                let Some(source) = state.services.config().ok().and_then(|c| signin::sso_root(&c, name)) else {
                    break result;
                };
                signed_in = true;
                tracing::info!(favourite = %name, source = %source, "signed out: signing in first");
                if let Err(e) = signin::sign_in(app, &source, signin::Flow::Browser).await {
                    tracing::info!(favourite = %name, code = %e.code, "no sign-in: the favourite stays as it is");
                    break result;
                }
            }
            _ => break result,
        }
    };
    let outcome = result.as_ref().map(|_| ()).map_err(Error::to_dto);
    if prompt.asked {
        state.mfa.verdict(&prompt.request_id, outcome.clone());
        state.mfa.finish(&prompt.request_id);
        windows::close_mfa(app);
    }
    after(&state, name, origin, &result);
    {
        let mut activity = state.activity.lock().expect("activity lock");
        activity.in_flight.remove(name);
        // Signed out is not a failure to show: the menu shows the source signed out instead.
        activity.last_error =
            outcome.clone().err().filter(|e| e.code != Code::Cancelled && e.code != Code::SsoSignedOut);
    }
    state.touch();
    match &outcome {
        Ok(()) => tracing::info!(favourite = %name, ?origin, "assumed"),
        Err(e) => tracing::warn!(favourite = %name, ?origin, code = %e.code, "assume failed: {}", e.message),
    }
    outcome
}

/// The scheduler's memory, the notifications and the clock check after an assume.
fn after(state: &AppState, name: &Name, origin: Origin, result: &Result<rolecall_app::AssumeOutcome, Error>) {
    let now = Utc::now();
    check_clock(state);
    let keychain_locked = matches!(result, Err(Error::Keychain(e)) if e.kind == KeychainErrorKind::Locked);
    let was_locked = {
        let mut a = state.activity.lock().expect("activity lock");
        let was = a.keychain_locked.is_some();
        if result.is_ok() {
            // The keychain answered.
            a.keychain_locked = None;
        } else if keychain_locked && !was {
            a.keychain_locked = Some(std::time::Instant::now());
        }
        was
    };
    if result.is_ok() && was_locked {
        tracing::info!("the keychain answered again: automatic renewals resume");
    }
    let sso_root = state.services.config().ok().and_then(|c| signin::sso_root(&c, name));
    match result {
        Ok(_) => {
            state.schedule.renewed(name, now);
            state.notifications.dismiss(name);
            if let Some(source) = &sso_root {
                // Signed in after all (also when signed in elsewhere, with the CLI).
                if state.sign_ins.paused(source, now) {
                    state.sign_ins.signed_in(source);
                    state.notifications.dismiss_source(source);
                }
            }
        }
        // The portal session ended: told once per ended session (a *Sign in* button), and the
        // source's favourites wait for a sign-in instead of retrying against the portal.
        Err(e) if needs_sign_in(e) && sso_root.is_some() => {
            let source = sso_root.as_ref().expect("checked");
            if state.sign_ins.ended(source) {
                tracing::info!(source = %source, "the IAM Identity Center session ended: renewals wait for a sign-in");
                state.notifications.show(&notice(&Event::SignInEnded { source: source.clone() }));
            }
            state.touch();
        }
        Err(Error::Cancelled(_)) => {}
        // A locked keychain: one notice for the app, not one per favourite and retry; the
        // scheduler stops reading the keychain until it is unlocked.
        Err(_) if keychain_locked && origin == Origin::Auto => {
            state.schedule.renewal_failed(name, now);
            if !was_locked {
                state.notifications.show(&notice(&Event::KeychainLocked));
            }
        }
        // An automatic renewal that needs a code: the scheduler now sees it needs MFA and warns.
        Err(Error::NeedsInput { .. }) if origin == Origin::Auto => {}
        Err(e) => {
            let tell = match origin {
                Origin::Click => false,
                Origin::Notification => true,
                Origin::Auto => state.schedule.renewal_failed(name, now),
            };
            if tell {
                let expires = state.services.current_session(name, now, None).ok().flatten().map(|c| c.expiration);
                let account = state
                    .services
                    .config()
                    .ok()
                    .and_then(|c| c.favourite(name).ok().map(|f| f.arn.account().to_owned()))
                    .unwrap_or_default();
                if let Some(expires) = expires {
                    // This notice is also the warning for this session.
                    state.schedule.warned(name, expires);
                }
                state.notifications.show(&notice(&Event::RenewFailed {
                    favourite: name.clone(),
                    account,
                    reason: e.to_string(),
                    seconds_left: expires.map_or(-1, |x| (x - now).num_seconds()),
                }));
            }
        }
    }
}

/// Whether `e` says the IAM Identity Center portal session ended (or there is no sign-in).
fn needs_sign_in(e: &Error) -> bool {
    matches!(e, Error::Sso(e) if e.needs_sign_in())
}

/// Warns once when this computer's clock differs from STS's by more than a minute (and again if
/// the offset changes by more than a minute).
fn check_clock(state: &AppState) {
    let Some(offset) = state.services.clock_offset() else { return };
    let offset = offset.num_seconds();
    let mut warned = state.skew_warned.lock().expect("skew lock");
    if clock_skew_matters(offset) {
        if warned.is_none_or(|w| (w - offset).abs() > 60) {
            tracing::warn!(offset_secs = offset, "this computer's clock differs from STS's");
            state.notifications.show(&notice(&Event::ClockSkew { offset_secs: offset }));
            *warned = Some(offset);
        }
    } else {
        *warned = None;
    }
}
