//! The credentials socket `rolecall credentials NAME` asks (see `rolecall_app::serve` for the
//! protocol and its checks): bound at start in the runtime dir, answered by
//! [`Services::serve`](rolecall_app::Services::serve) from the sessions the app holds.
//!
//! A request never asks anything (the SDK that runs the command gives it no terminal), so what
//! needs the user fails at once, and the app then asks where it can: an MFA code in the MFA
//! window (at most once a minute per favourite, however often the SDK retries), a signed-out
//! IAM Identity Center source in its *Sign in* notification (once per ended session), a locked
//! keychain in its notice (once until it answers again). The user's next call then succeeds.

use std::time::Instant;

use chrono::Utc;
use rolecall_core::Error;
use rolecall_core::keychain::KeychainErrorKind;
use rolecall_core::notice::{Event, notice};
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};
use tauri::{AppHandle, Manager, Runtime};

use crate::signin;
use crate::state::{Action, AppState};

/// Refuses to ask: the code is asked for in the MFA window instead, for the next call.
struct InTheApp;

impl rolecall_core::assume::MfaPrompt for InTheApp {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        Err(Error::NeedsInput {
            subject: format!("favourite {favourite}"),
            what: format!(
                "needs a code from MFA device {device}; the rolecall tray app asks for it now: enter it there, then try again"
            ),
        })
    }
}

/// Binds the socket and answers on it for as long as the app runs. With no runtime dir, or a
/// socket that cannot be bound, nothing is served (logged): `rolecall credentials` then does the
/// work itself.
#[cfg(unix)]
pub fn spawn<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let Some(path) = rolecall_app::serve::socket_from_env(&state.services.config_dir()) else {
        tracing::info!("no runtime directory (XDG_RUNTIME_DIR): credentials are not served by the app");
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let listener = match rolecall_app::serve::bind(&path).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(socket = %path.display(), error = %e, "cannot serve credentials");
                return;
            }
        };
        tracing::info!(socket = %path.display(), "serving credentials to rolecall credentials");
        rolecall_app::serve::serve(listener, move |name| {
            let app = app.clone();
            async move { answer(&app, &name).await }
        })
        .await;
    });
}

/// Not built on this OS yet (a named pipe on Windows): `rolecall credentials` does the work
/// itself.
#[cfg(not(unix))]
pub fn spawn<R: Runtime>(_app: &AppHandle<R>) {}

/// One request's answer, and what the app does about a failure.
async fn answer<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<SessionCredentials, Error> {
    let state = app.state::<AppState>();
    match state.services.serve(name, &mut InTheApp).await {
        Ok(served) => {
            if served.renewed {
                tracing::info!(favourite = %name, "renewed to serve it");
                state.schedule.renewed(name, Utc::now());
                state.notifications.dismiss(name);
                state.touch();
            }
            Ok(served.credentials)
        }
        Err(e) => {
            tracing::info!(favourite = %name, code = %e.code(), "could not serve credentials");
            follow_up(&state, name, &e);
            Err(e)
        }
    }
}

/// Asks the user, where the app can, for what a failed request needed.
fn follow_up(state: &AppState, name: &Name, e: &Error) {
    let now = Utc::now();
    match e {
        // (Asked at most once a minute, however often the SDK retries.)
        Error::NeedsInput { .. }
            if state.services.needs_mfa_code(name, now).unwrap_or(false)
                && state.prompted.due(name, Instant::now()) =>
        {
            tracing::info!(favourite = %name, "opening the MFA window for a served favourite");
            state.act(Action::Assume(name.clone(), None));
        }
        Error::Sso(sso) if sso.needs_sign_in() => {
            let Some(source) = state.services.config().ok().and_then(|c| signin::sso_root(&c, name)) else { return };
            if state.sign_ins.ended(&source) {
                state.notifications.show(&notice(&Event::SignInEnded { source }));
                state.touch();
            }
        }
        Error::Keychain(k) if k.kind == KeychainErrorKind::Locked => {
            let first = {
                let mut a = state.activity.lock().expect("activity lock");
                let first = a.keychain_locked.is_none();
                a.keychain_locked.get_or_insert_with(Instant::now);
                first
            };
            if first {
                state.notifications.show(&notice(&Event::KeychainLocked));
            }
        }
        _ => {}
    }
}
