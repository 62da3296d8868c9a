//! IAM Identity Center sign-ins from the tray: at most one per source at a time (a second ask
//! joins the one under way), in the default browser (PKCE and a loopback redirect) or with a
//! device code shown in the sign-in window, which a browser sign-in falls back to when no browser
//! could be opened or the loopback redirect could not be bound; the sign-in window's commands.
//! What is known of the sign-ins (`SignIns`, in the app state) is in `signin_state.rs`.

use chrono::{SecondsFormat, Utc};
use rolecall_app::{BrowserStep, SsoStatus};
use rolecall_core::config::{Config, SourceKind};
use rolecall_core::validate::Name;
use rolecall_core::{Code, ErrorDto};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tokio::sync::{oneshot, watch};

pub use crate::signin_state::{DeviceSignIn, DeviceSignInState, Flow, Waiting};
use crate::signin_state::{InFlight, Shown};
use crate::state::AppState;
use crate::windows;

/// Event: what the sign-in window shows changed (payload: [`DeviceSignIn`]).
pub const SIGNIN_EVENT: &str = "rolecall://signin";

/// The IAM Identity Center source at the root of favourite `favourite`'s chain, if it has one.
pub fn sso_root(config: &Config, favourite: &Name) -> Option<Name> {
    let (root, _) = config.chain(favourite).ok()?;
    matches!(root.source.kind, SourceKind::Sso { .. }).then(|| root.name.clone())
}

/// Every IAM Identity Center source of `config`, in name order.
pub fn sso_sources(config: &Config) -> Vec<Name> {
    config.sources.iter().filter(|(_, s)| matches!(s.kind, SourceKind::Sso { .. })).map(|(n, _)| n.clone()).collect()
}

/// Signs in to `source` with `flow`, or joins the sign-in of `source` under way (a device-code
/// ask replaces a browser sign-in still waiting: its loopback redirect is left to time out).
/// Resolves when the sign-in ends.
pub async fn sign_in<R: Runtime>(app: &AppHandle<R>, source: &Name, flow: Flow) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    let mut reopen = false;
    let mut rx = {
        let mut inner = state.sign_ins.lock();
        inner.next += 1;
        let id = inner.next;
        match inner.in_flight.get_mut(source) {
            Some(f) if flow == Flow::Browser || f.flow == Flow::DeviceCode => {
                // "Signing in to corp… (code shown)": its window again.
                reopen = flow == Flow::DeviceCode && f.waiting == Waiting::Code;
                f.done.subscribe()
            }
            Some(f) => {
                tracing::info!(source = %source, "signing in with a code instead of the browser");
                if let Some(task) = f.task.take() {
                    task.abort();
                }
                f.id = id;
                f.flow = flow;
                f.waiting = Waiting::Starting;
                f.task = Some(spawn(app, source, flow, id));
                f.done.subscribe()
            }
            None => {
                let (done, rx) = watch::channel(None);
                let task = Some(spawn(app, source, flow, id));
                inner.in_flight.insert(source.clone(), InFlight { id, flow, waiting: Waiting::Starting, done, task });
                rx
            }
        }
    };
    // Not under the lock: the window's events take it on the main thread.
    if reopen && let Err(e) = windows::open_signin(app) {
        tracing::warn!(error = %e, "cannot open the sign-in window");
    }
    state.touch();
    let outcome = rx.wait_for(Option::is_some).await.map(|o| o.clone());
    match outcome {
        Ok(Some(outcome)) => outcome,
        _ => Err(ErrorDto { code: Code::Cancelled, message: format!("source {source}: the sign-in stopped") }),
    }
}

fn spawn<R: Runtime>(app: &AppHandle<R>, source: &Name, flow: Flow, id: u64) -> tauri::async_runtime::JoinHandle<()> {
    let (app, source) = (app.clone(), source.clone());
    tauri::async_runtime::spawn(async move {
        let result = match flow {
            Flow::Browser => browser(&app, &source, id).await,
            Flow::DeviceCode => device(&app, &source, id).await,
        };
        finish(&app, &source, id, result);
    })
}

/// The browser sign-in, falling back to the device code when no browser could be opened or the
/// loopback redirect could not be bound (an `sso.error` before the browser was handed the page).
async fn browser<R: Runtime>(app: &AppHandle<R>, source: &Name, id: u64) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    let (by_hand_tx, by_hand_rx) = oneshot::channel::<String>();
    let stepped = std::sync::atomic::AtomicBool::new(false);
    let signing = state.services.sso_sign_in_browser(source, |step| {
        stepped.store(true, std::sync::atomic::Ordering::Relaxed);
        match step {
            BrowserStep::Opened => state.sign_ins.set_waiting(source, id, Waiting::Browser),
            BrowserStep::OpenByHand { why, .. } => {
                let _ = by_hand_tx.send(why.to_string());
            }
        }
        state.touch();
    });
    tokio::select! {
        result = signing => match result {
            Err(e) if !stepped.load(std::sync::atomic::Ordering::Relaxed) && e.code() == Code::SsoError => {
                tracing::info!(source = %source, error = %e, "no browser sign-in here: signing in with a code");
                device(app, source, id).await
            }
            result => result.map_err(|e| e.to_dto()),
        },
        Ok(why) = by_hand_rx => {
            tracing::info!(source = %source, why, "no browser could be opened: signing in with a code");
            device(app, source, id).await
        }
    }
}

/// The device-code sign-in.
async fn device<R: Runtime>(app: &AppHandle<R>, source: &Name, id: u64) -> Result<(), ErrorDto> {
    let state = app.state::<AppState>();
    let result = state
        .services
        .sso_sign_in_device(source, |auth| {
            state.sign_ins.set_waiting(source, id, Waiting::Code);
            let view = DeviceSignIn {
                request_id: request_id(id),
                source: source.to_string(),
                user_code: auth.user_code.clone(),
                verification_uri: auth.verification_uri.clone(),
                expires_at: auth.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                state: DeviceSignInState::Waiting,
                message: None,
            };
            let open_url = auth.verification_uri_complete.clone().unwrap_or_else(|| auth.verification_uri.clone());
            state.sign_ins.lock().device = Some(Shown { view: view.clone(), open_url });
            if let Err(e) = windows::open_signin(app) {
                tracing::warn!(error = %e, "cannot open the sign-in window");
            }
            let _ = app.emit(SIGNIN_EVENT, view);
            state.touch();
        })
        .await;
    result.map_err(|e| e.to_dto())
}

fn request_id(id: u64) -> String {
    format!("signin-{id}")
}

/// The device sign-in the window shows ended: the window says how (and closes on success).
fn end_shown<R: Runtime>(app: &AppHandle<R>, id: u64, result: &Result<(), ErrorDto>) {
    let state = app.state::<AppState>();
    let view = {
        let mut inner = state.sign_ins.lock();
        let Some(shown) = inner.device.as_mut().filter(|d| d.view.request_id == request_id(id)) else { return };
        shown.view.state = match result {
            Ok(()) => DeviceSignInState::Done,
            Err(e) if e.code == Code::SsoCancelled && e.message.contains("denied") => DeviceSignInState::Denied,
            Err(e) if e.code == Code::SsoCancelled || e.code == Code::Cancelled => DeviceSignInState::Cancelled,
            Err(e) if e.code == Code::SsoExpired => DeviceSignInState::Expired,
            Err(_) => DeviceSignInState::Failed,
        };
        shown.view.message = result.as_ref().err().map(|e| e.message.clone());
        shown.view.clone()
    };
    let _ = app.emit(SIGNIN_EVENT, view);
    if result.is_ok() {
        windows::close_signin(app);
    }
}

fn stale() -> ErrorDto {
    ErrorDto {
        code: Code::Cancelled,
        message: "sign-in: this code no longer waits; sign in again from the tray".into(),
    }
}

/// The device-code sign-in the window shows, if any (`signin_pending`).
#[tauri::command]
pub fn signin_pending(state: State<'_, AppState>) -> Option<DeviceSignIn> {
    state.sign_ins.lock().device.as_ref().map(|d| d.view.clone())
}

/// Opens the page that confirms the code shown in the default browser (`signin_open_browser`).
#[tauri::command]
pub async fn signin_open_browser(state: State<'_, AppState>, request_id: String) -> Result<(), ErrorDto> {
    let (url, source) = {
        let inner = state.sign_ins.lock();
        let shown = inner.device.as_ref().filter(|d| d.view.request_id == request_id).ok_or_else(stale)?;
        (shown.open_url.clone(), shown.view.source.clone())
    };
    let services = state.services.clone();
    let subject = format!("source {source}: sign in in the browser");
    match tauri::async_runtime::spawn_blocking(move || services.open_url(&url, &subject)).await {
        Ok(opened) => opened.map_err(|e| e.to_dto()),
        Err(e) => Err(ErrorDto { code: Code::ConsoleNoBrowser, message: format!("source {source}: {e}") }),
    }
}

/// Copies the code shown to the clipboard (`signin_copy_code`): it is no secret.
#[tauri::command]
pub fn signin_copy_code<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request_id: String,
) -> Result<(), ErrorDto> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let code = {
        let inner = state.sign_ins.lock();
        inner.device.as_ref().filter(|d| d.view.request_id == request_id).ok_or_else(stale)?.view.user_code.clone()
    };
    // Absent under the test runtime, which registers no plugins.
    if app.try_state::<tauri_plugin_clipboard_manager::Clipboard<R>>().is_none() {
        return Err(ErrorDto { code: Code::ClipboardError, message: "sign-in: no clipboard; type the code".into() });
    }
    app.clipboard().write_text(code).map_err(|e| ErrorDto {
        code: Code::ClipboardError,
        message: format!("sign-in: cannot copy the code: {e}; type it instead"),
    })
}

/// Cancels the device-code sign-in shown (`signin_cancel`; also when its window closes).
#[tauri::command]
pub fn signin_cancel<R: Runtime>(app: AppHandle<R>, request_id: String) -> Result<(), ErrorDto> {
    cancel(&app, Some(&request_id));
    Ok(())
}

/// Cancels the device-code sign-in shown (`request_id`, or whichever it is), if it still waits.
pub fn cancel<R: Runtime>(app: &AppHandle<R>, request_id: Option<&str>) {
    let state = app.state::<AppState>();
    let found = {
        let mut inner = state.sign_ins.lock();
        let Some(view) = inner.device.as_ref().map(|d| d.view.clone()) else { return };
        if request_id.is_some_and(|r| r != view.request_id) || view.state != DeviceSignInState::Waiting {
            return;
        }
        let source = Name::parse(&view.source).ok();
        source.and_then(|s| {
            let f = inner.in_flight.get_mut(&s).filter(|f| self::request_id(f.id) == view.request_id)?;
            if let Some(task) = f.task.take() {
                task.abort();
            }
            Some((s, f.id))
        })
    };
    if let Some((source, id)) = found {
        tracing::info!(source = %source, "sign-in cancelled from its window");
        let message = format!("source {source}: sign in: the sign-in was cancelled");
        finish(app, &source, id, Err(ErrorDto { code: Code::Cancelled, message }));
    }
}

/// Ends sign-in `id` of `source`: the joiners get `result`; on success the source's state is read
/// anew, its notification closed and the scheduler woken (automatic renewals resume).
fn finish<R: Runtime>(app: &AppHandle<R>, source: &Name, id: u64, result: Result<(), ErrorDto>) {
    let state = app.state::<AppState>();
    let flight = {
        let mut inner = state.sign_ins.lock();
        if inner.in_flight.get(source).is_some_and(|f| f.id == id) { inner.in_flight.remove(source) } else { None }
    };
    let Some(flight) = flight else { return };
    match &result {
        Ok(()) => {
            tracing::info!(source = %source, flow = ?flight.flow, "signed in");
            state.sign_ins.signed_in(source);
            // Signed in just now, for the source's session length: known without asking the
            // keychain again (while the assume that may have asked for this sign-in reads it).
            let length = state
                .services
                .config()
                .ok()
                .and_then(|c| c.source(source).ok().and_then(|s| s.kind.sso_session_length()));
            let now = Utc::now();
            state.sign_ins.remember(source, SsoStatus::SignedIn { since: Some(now), ends_at: length.map(|l| now + l) });
            state.notifications.dismiss_source(source);
        }
        Err(e) => {
            tracing::warn!(source = %source, flow = ?flight.flow, code = %e.code, "sign-in failed: {}", e.message)
        }
    }
    end_shown(app, id, &result);
    let _ = flight.done.send(Some(result));
    state.touch();
}
