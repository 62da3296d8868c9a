//! The action runner: every click and command that does work, each in a task of its own. An
//! assume goes through [`super::run`] as a click; copying export lines, making a session the
//! default and opening the console assume first when the session has less than five minutes left.

use chrono::Utc;
use rolecall_core::env::{Shell, export_lines};
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::Name;
use rolecall_core::{Code, ErrorDto};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::mpsc;

use super::{Origin, run};
use crate::state::{Action, AppState};
use crate::windows;

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
                Action::SignIn(source) => {
                    tauri::async_runtime::spawn(async move {
                        let _ = crate::signin::sign_in(&app, &source, crate::signin::Flow::Browser).await;
                    });
                }
                Action::SignInWithCode(source) => {
                    tauri::async_runtime::spawn(async move {
                        let _ = crate::signin::sign_in(&app, &source, crate::signin::Flow::DeviceCode).await;
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

/// Assumes a favourite (at most one at a time per favourite) for a click.
async fn assume<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<(), ErrorDto> {
    run(app, name, Origin::Click).await
}

/// The favourite's session, assuming it first when it has less than
/// [`rolecall_app::REUSE_MIN_LEFT`] left.
async fn fresh_session<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<SessionCredentials, ErrorDto> {
    let state = app.state::<AppState>();
    let current = |state: &AppState| state.services.reusable_session(name, Utc::now()).map_err(|e| e.to_dto());
    if let Some(c) = current(&state)? {
        return Ok(c);
    }
    assume(app, name).await?;
    current(&state)?.ok_or_else(|| ErrorDto {
        code: Code::SessionMissing,
        message: format!("favourite {name}: no session after assuming"),
    })
}

/// Opens the AWS console as a favourite: its session (assumed first when it has less than five
/// minutes left) signed in at the federation endpoint, the link handed to the default browser and
/// shown nowhere else.
async fn open_console<R: Runtime>(app: &AppHandle<R>, name: &Name) -> Result<(), ErrorDto> {
    let creds = fresh_session(app, name).await?;
    let state = app.state::<AppState>();
    let sign_out = state.services.config().map_err(|e| e.to_dto())?.preferences.console_sign_out_first;
    let url =
        state.services.console_url_for_session(name, &creds, None, None, sign_out).await.map_err(|e| e.to_dto())?;
    let subject = format!("favourite {name}: console");
    let services = state.services.clone();
    let opened = tauri::async_runtime::spawn_blocking(move || services.open_in_browser(&url, &subject)).await;
    match opened {
        Ok(result) => result.map_err(|e| e.to_dto()),
        Err(e) => Err(ErrorDto { code: Code::ConsoleNoBrowser, message: format!("favourite {name}: console: {e}") }),
    }
}

/// Copies the session's export lines, kept out of clipboard history and cleared after a while.
fn copy_env<R: Runtime>(app: &AppHandle<R>, name: &Name, creds: &SessionCredentials) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    let region = state.services.config().map_err(|e| e.to_dto())?.favourite(name).ok().and_then(|f| f.region.clone());
    let lines = zeroize::Zeroizing::new(export_lines(Shell::Bash, creds, region.as_ref()));
    crate::clipboard::copy_secret(app, lines.as_str()).map_err(|e| ErrorDto {
        code: Code::ClipboardError,
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
        let e = ErrorDto { code: Code::AutostartError, message: format!("start at login: cannot change it: {e}") };
        report(app, Err(e));
    }
}

fn report<R: Runtime>(app: &AppHandle<R>, result: Result<(), ErrorDto>) {
    let state = app.state::<AppState>();
    state.activity.lock().expect("activity lock").last_error = result.err();
    state.touch();
}
