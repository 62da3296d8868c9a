//! The two background tasks: the action runner (every click and command that does work) and the
//! refresher (the tray's menu, icon and tooltip, and the windows' change events). The refresher
//! sleeps until the next moment a label changes, or until it is told something changed: no polling.

use std::time::Duration;

use chrono::Utc;
use rolecall_core::env::{Shell, export_lines};
use rolecall_core::keychain::KeychainErrorKind;
use rolecall_core::notice::{Event, clock_skew_matters, notice};
use rolecall_core::secret::SessionCredentials;
use rolecall_core::sts::StsErrorKind;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};
use rolecall_core::view::{next_change, tray_state};
use rolecall_core::{Error, ErrorDto};
use tauri::tray::TrayIcon;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::mpsc;

use crate::mfa::MfaRequest;
use crate::state::{Action, AppState};
use crate::{tray, windows};

/// Event: something the windows show changed; they refetch.
pub const CHANGED_EVENT: &str = "rolecall://changed";
/// Event: an MFA code is needed (payload: [`MfaRequest`]).
pub const MFA_EVENT: &str = "rolecall://mfa-request";

/// Runs actions as they come, each in its own task.
pub fn spawn_runner<R: Runtime>(app: AppHandle<R>, mut rx: mpsc::UnboundedReceiver<Action>) {
    tauri::async_runtime::spawn(async move {
        while let Some(action) = rx.recv().await {
            tracing::debug!(?action, "action");
            let app = app.clone();
            match action {
                Action::Assume(name, reply) => {
                    tauri::async_runtime::spawn(async move {
                        let outcome = assume(&app, &name).await;
                        if let Some(reply) = reply {
                            let _ = reply.send(outcome);
                        }
                    });
                }
                Action::Renew(name) => {
                    tauri::async_runtime::spawn(async move {
                        let _ = run(&app, &name, Origin::Notification).await;
                    });
                }
                Action::CopyEnv(name) => {
                    tauri::async_runtime::spawn(async move {
                        let result = fresh_session(&app, &name).await.and_then(|creds| copy_env(&app, &name, &creds));
                        report(&app, result);
                    });
                }
                Action::MakeDefault(name) => {
                    tauri::async_runtime::spawn(async move {
                        let result =
                            fresh_session(&app, &name).await.and_then(|creds| make_default(&app, &name, &creds));
                        report(&app, result);
                    });
                }
                Action::Console(name) => {
                    tauri::async_runtime::spawn(async move {
                        let result = open_console(&app, &name).await;
                        report(&app, result);
                    });
                }
                Action::OpenSettings => {
                    if let Err(e) = windows::open_settings(&app) {
                        tracing::warn!(error = %e, "cannot open the settings window");
                    }
                }
                Action::SetStartAtLogin(on) => set_start_at_login(&app, on),
                Action::Quit => app.exit(0),
            }
        }
    });
}

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

/// Assumes a favourite (at most one at a time per favourite) for a click.
async fn assume<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<(), ErrorDto> {
    run(app, name, Origin::Click).await
}

/// Assumes a favourite for `origin`, unless it is already being assumed.
pub async fn run<R: Runtime>(app: &AppHandle<R>, name: &Name, origin: Origin) -> Result<(), ErrorDto> {
    if !begin(&app.state::<AppState>(), name) {
        return Err(ErrorDto { code: "busy", message: format!("favourite {name}: already being assumed") });
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
    let result = loop {
        let result = match origin {
            Origin::Auto => state.services.assume(name, &mut NoPrompt, false).await,
            Origin::Click | Origin::Notification => state.services.assume(name, &mut prompt, false).await,
        };
        match &result {
            Err(Error::Sts(e)) if e.kind == StsErrorKind::MfaInvalid && prompt.asked && refused < 5 => {
                refused += 1;
                state.mfa.verdict(&prompt.request_id, Err(Error::Sts(e.clone()).to_dto()));
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
        activity.last_error = outcome.clone().err().filter(|e| e.code != "cancelled");
    }
    state.touch();
    match &outcome {
        Ok(()) => tracing::info!(favourite = %name, ?origin, "assumed"),
        Err(e) => tracing::warn!(favourite = %name, ?origin, code = e.code, "assume failed: {}", e.message),
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
    match result {
        Ok(_) => {
            state.schedule.lock().expect("schedule lock").entry(name.clone()).or_default().renewed(now);
            state.notifications.dismiss(name);
        }
        Err(Error::Cancelled(_)) => {}
        // A locked keychain: one notice for the app, not one per favourite and retry; the
        // scheduler stops reading the keychain until it is unlocked.
        Err(_) if keychain_locked && origin == Origin::Auto => {
            state.schedule.lock().expect("schedule lock").entry(name.clone()).or_default().renewal_failed(now);
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
                Origin::Auto => {
                    state.schedule.lock().expect("schedule lock").entry(name.clone()).or_default().renewal_failed(now)
                }
            };
            if tell {
                let expires = state.services.current_session(name, now, i64::MIN).ok().flatten().map(|c| c.expiration);
                let account = state
                    .services
                    .config
                    .load()
                    .ok()
                    .and_then(|c| c.favourite(name).ok().map(|f| f.arn.account().to_owned()))
                    .unwrap_or_default();
                if let Some(expires) = expires {
                    // This notice is also the warning for this session.
                    state.schedule.lock().expect("schedule lock").entry(name.clone()).or_default().warned_for =
                        Some(expires);
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

/// Warns once when this computer's clock differs from STS's by more than a minute (and again if
/// the offset changes by more than a minute).
fn check_clock(state: &AppState) {
    let Some(reading) = state.services.sts.last_clock_reading() else { return };
    let offset = reading.offset().num_seconds();
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

/// The favourite's session, assuming it first when it has less than five minutes left.
async fn fresh_session<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<SessionCredentials, ErrorDto> {
    let state = app.state::<AppState>();
    let current = |state: &AppState| state.services.current_session(name, Utc::now(), 300).map_err(|e| e.to_dto());
    if let Some(c) = current(&state)? {
        return Ok(c);
    }
    assume(app, name).await?;
    current(&state)?.ok_or_else(|| ErrorDto {
        code: "session.missing",
        message: format!("favourite {name}: no session after assuming"),
    })
}

/// Opens the AWS console as a favourite: its session (assumed first when it has less than five
/// minutes left) signed in at the federation endpoint, the link handed to the default browser and
/// shown nowhere else.
async fn open_console<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<(), ErrorDto> {
    let creds = fresh_session(app, name).await?;
    let state = app.state::<AppState>();
    let sign_out = state.services.config.load().map_err(|e| e.to_dto())?.preferences.console_sign_out_first;
    let url =
        state.services.console_url_for_session(name, &creds, None, None, sign_out).await.map_err(|e| e.to_dto())?;
    let subject = format!("favourite {name}: console");
    let opened = tauri::async_runtime::spawn_blocking(move || rolecall_signin::open_in_browser(&url, &subject)).await;
    match opened {
        Ok(result) => result.map_err(|e| Error::from(e).to_dto()),
        Err(e) => Err(ErrorDto { code: "console.no_browser", message: format!("favourite {name}: console: {e}") }),
    }
}

/// Copies the session's export lines, kept out of clipboard history and cleared after a while.
fn copy_env<R: Runtime>(app: &AppHandle<R>, name: &Name, creds: &SessionCredentials) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    let region =
        state.services.config.load().map_err(|e| e.to_dto())?.favourite(name).ok().and_then(|f| f.region.clone());
    let lines = zeroize::Zeroizing::new(export_lines(Shell::Bash, creds, region.as_ref()));
    crate::clipboard::copy_secret(app, lines.as_str()).map_err(|e| ErrorDto {
        code: "clipboard.error",
        message: format!("favourite {name}: cannot copy to the clipboard: {e}"),
    })
}

fn make_default<R: Runtime>(app: &AppHandle<R>, name: &Name, creds: &SessionCredentials) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    state.services.make_default(name, creds).map_err(|e| e.to_dto())?;
    state.touch();
    Ok(())
}

fn set_start_at_login<R: Runtime>(app: &AppHandle<R>, on: bool) {
    use tauri_plugin_autostart::AutoLaunchManager;
    // Absent under the test runtime, which registers no plugins.
    let Some(manager) = app.try_state::<AutoLaunchManager>() else { return };
    let result = if on { manager.enable() } else { manager.disable() };
    if let Err(e) = result {
        let e = ErrorDto { code: "autostart.error", message: format!("start at login: cannot change it: {e}") };
        report(app, Err(e));
    }
}

fn report<R: Runtime>(app: &AppHandle<R>, result: Result<(), ErrorDto>) {
    let state = app.state::<AppState>();
    state.activity.lock().expect("activity lock").last_error = result.err();
    state.touch();
}

/// Keeps the tray in step with the files and the work in flight.
pub fn spawn_refresher<R: Runtime>(app: AppHandle<R>, tray_icon: TrayIcon<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let changed = state.changed.clone();
        let mut shown = None;
        let mut notified = true;
        loop {
            // Watch an AWS directory that appeared meanwhile, before reading what is in it.
            if let Some(watch) = app.try_state::<crate::watch::FileWatch>() {
                watch.rewatch();
            }
            let (lines, lead, load_error) = match state.services.lines(Utc::now()) {
                Ok((config, lines)) => (lines, i64::from(config.preferences.notify_before_minutes) * 60, None),
                Err(e) => (Vec::new(), 600, Some(e.to_dto())),
            };
            let (busy, last_error) = {
                let a = state.activity.lock().expect("activity lock");
                let locked = a.keychain_locked.map(|_| ErrorDto {
                    code: "keychain.locked",
                    message: rolecall_core::notice::KEYCHAIN_LOCKED.to_owned(),
                });
                (!a.in_flight.is_empty(), locked.or_else(|| a.last_error.clone()))
            };
            let error = last_error.or(load_error);
            let tray_state = tray_state(&lines, lead, busy, error.is_some());
            match tray::apply(&tray_icon, &app, &mut shown, tray_state, &lines, error.as_ref()) {
                Ok(tray::Update::Unchanged) => {}
                Ok(update) => {
                    tracing::trace!(?update, "tray updated");
                    notified = true;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot update the tray");
                    shown = None;
                }
            }
            if notified {
                let _ = app.emit(CHANGED_EVENT, ());
            }
            // Wake for the next label change, and at least once a minute to catch files changed
            // by the CLI and a wall clock that jumped (suspend).
            let wait = next_change(&lines, lead).unwrap_or(60).clamp(1, 60);
            notified = tokio::select! {
                _ = changed.notified() => true,
                _ = tokio::time::sleep(Duration::from_secs(wait as u64)) => false,
            };
        }
    });
}
