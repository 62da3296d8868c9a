//! IAM Identity Center sign-ins from the tray: at most one per source at a time (a second ask
//! joins the one under way), in the default browser (PKCE and a loopback redirect) or with a
//! device code shown in the sign-in window, which a browser sign-in falls back to when no browser
//! could be opened or the loopback redirect could not be bound. [`SignIns`] also remembers what
//! the menu and the scheduler need of each source without reading the keychain on every look: its
//! sign-in state, whether its ended session was told, and which session end was warned about.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use rolecall_app::{BrowserStep, SsoStatus};
use rolecall_core::config::{Config, SourceKind};
use rolecall_core::validate::Name;
use rolecall_core::{Code, ErrorDto};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tokio::sync::{oneshot, watch};

use crate::state::AppState;
use crate::windows;

/// Event: what the sign-in window shows changed (payload: [`DeviceSignIn`]).
pub const SIGNIN_EVENT: &str = "rolecall://signin";

/// Where a device-code sign-in shown in the sign-in window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeviceSignInState {
    /// Waiting for the user to confirm the code in a browser.
    Waiting,
    /// Signed in (the window closes).
    Done,
    /// The code was denied in the browser.
    Denied,
    /// The code expired before it was confirmed.
    Expired,
    /// Cancelled from the window.
    Cancelled,
    /// Anything else went wrong (see the message).
    Failed,
}

/// What the sign-in window shows (`signin_pending`, the `rolecall://signin` event): the code the
/// user confirms and where. The device code, the tokens and the client secret never leave Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DeviceSignIn {
    /// Identifies this sign-in for the window's buttons.
    pub request_id: String,
    /// The IAM Identity Center source.
    pub source: String,
    /// The code to confirm (meant to be shown).
    pub user_code: String,
    /// The page where it is confirmed.
    pub verification_uri: String,
    /// When the code stops working (RFC 3339).
    pub expires_at: String,
    /// Where the sign-in is.
    pub state: DeviceSignInState,
    /// What went wrong, for a sign-in that ended without signing in.
    pub message: Option<String>,
}

/// A device-code sign-in as shown, and the page that confirms its code at once.
struct Shown {
    view: DeviceSignIn,
    open_url: String,
}

/// How often the tray looks at the keychain again for a source remembered as signed out (on the
/// refresher's wake-ups, at least once a minute; nothing else reads it).
pub const RECHECK_SIGNED_OUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How a sign-in asks the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The default browser, back to a loopback redirect.
    Browser,
    /// A device code the user confirms in any browser.
    DeviceCode,
}

/// What a sign-in under way waits for (the menu says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Registering with the sign-in service, handing the browser its page.
    Starting,
    /// The browser was handed the sign-in page.
    Browser,
    /// The sign-in window shows the device code.
    Code,
}

/// The menu's view of a sign-in under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Underway {
    /// The source.
    pub source: Name,
    /// What it waits for.
    pub waiting: Waiting,
}

type Outcome = Option<Result<(), ErrorDto>>;

struct InFlight {
    id: u64,
    flow: Flow,
    waiting: Waiting,
    done: watch::Sender<Outcome>,
    task: Option<tauri::async_runtime::JoinHandle<()>>,
}

#[derive(Default)]
struct Inner {
    in_flight: HashMap<Name, InFlight>,
    status: HashMap<Name, SsoStatus>,
    checked: HashMap<Name, std::time::Instant>,
    ended_told: HashSet<Name>,
    warned_for: HashMap<Name, DateTime<Utc>>,
    device: Option<Shown>,
    next: u64,
}

/// The sign-ins under way and what is known of each IAM Identity Center source's sign-in.
#[derive(Default)]
pub struct SignIns {
    inner: Mutex<Inner>,
}

impl SignIns {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("sign-ins lock")
    }

    /// The sign-ins under way, by source name.
    pub fn underway(&self) -> Vec<Underway> {
        let inner = self.lock();
        let mut v: Vec<Underway> =
            inner.in_flight.iter().map(|(s, f)| Underway { source: s.clone(), waiting: f.waiting }).collect();
        v.sort_by(|a, b| a.source.cmp(&b.source));
        v
    }

    /// Whether a sign-in of `source` is under way.
    pub fn is_underway(&self, source: &Name) -> bool {
        self.lock().in_flight.contains_key(source)
    }

    /// The remembered sign-in state of `source` at `now` (`None`: not looked at yet). A sign-in
    /// whose portal session should have ended by `now` reads as signed out.
    pub fn known(&self, source: &Name, now: DateTime<Utc>) -> Option<SsoStatus> {
        self.lock().status.get(source).map(|s| match *s {
            SsoStatus::SignedIn { ends_at: Some(end), .. } if end <= now => SsoStatus::SignedOut,
            s => s,
        })
    }

    /// The sign-in state of `source` as remembered, whatever the time.
    pub fn remembered(&self, source: &Name) -> Option<SsoStatus> {
        self.lock().status.get(source).copied()
    }

    /// Whether the end of `source`'s portal session was told (until the next sign-in).
    pub fn ended_told(&self, source: &Name) -> bool {
        self.lock().ended_told.contains(source)
    }

    /// Remembers `source`'s sign-in state (read from the keychain by the caller).
    pub fn remember(&self, source: &Name, status: SsoStatus) {
        let mut inner = self.lock();
        inner.status.insert(source.clone(), status);
        inner.checked.insert(source.clone(), std::time::Instant::now());
    }

    /// Whether `source`, remembered as signed out, is due for another look at the keychain (once
    /// per [`RECHECK_SIGNED_OUT`]: a sign-in made elsewhere, with the CLI, shows in the tray).
    pub fn recheck_due(&self, source: &Name) -> bool {
        let inner = self.lock();
        inner.status.get(source) == Some(&SsoStatus::SignedOut)
            && inner.checked.get(source).is_none_or(|at| at.elapsed() >= RECHECK_SIGNED_OUT)
    }

    /// Forgets `source`'s remembered state: the next look reads the keychain again.
    pub fn invalidate(&self, source: &Name) {
        self.lock().status.remove(source);
    }

    /// `source`'s portal session ended: remembered as signed out. Returns whether this is the
    /// first time this session's end is noted (the one the user is told of).
    pub fn ended(&self, source: &Name) -> bool {
        let mut inner = self.lock();
        inner.status.insert(source.clone(), SsoStatus::SignedOut);
        inner.checked.insert(source.clone(), std::time::Instant::now());
        inner.ended_told.insert(source.clone())
    }

    /// Whether automatic renewals of `source`'s favourites wait for a sign-in (its session
    /// ended, or it is known to be signed out).
    pub fn paused(&self, source: &Name, now: DateTime<Utc>) -> bool {
        self.lock().ended_told.contains(source) || self.known(source, now) == Some(SsoStatus::SignedOut)
    }

    /// Which portal session end of `source` the user was warned about.
    pub fn warned_for(&self, source: &Name) -> Option<DateTime<Utc>> {
        self.lock().warned_for.get(source).copied()
    }

    /// The user was warned that `source`'s portal session ends at `ends_at`.
    pub fn warned(&self, source: &Name, ends_at: DateTime<Utc>) {
        self.lock().warned_for.insert(source.clone(), ends_at);
    }

    /// `source` is signed in (a sign-in succeeded, or an assume through it did): its state is
    /// read anew, its next end told again.
    pub fn signed_in(&self, source: &Name) {
        let mut inner = self.lock();
        inner.status.remove(source);
        inner.ended_told.remove(source);
    }

    fn set_waiting(&self, source: &Name, id: u64, waiting: Waiting) {
        if let Some(f) = self.lock().in_flight.get_mut(source).filter(|f| f.id == id) {
            f.waiting = waiting;
        }
    }
}

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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn corp() -> Name {
        Name::parse("corp").unwrap()
    }

    fn at(mins: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap() + chrono::Duration::minutes(mins)
    }

    #[test]
    fn a_remembered_sign_in_reads_as_signed_out_once_its_portal_session_should_have_ended() {
        let s = SignIns::default();
        assert_eq!(s.known(&corp(), at(0)), None, "not looked at yet");
        assert!(!s.paused(&corp(), at(0)), "unknown is not paused: the first renewal finds out");
        s.remember(&corp(), SsoStatus::SignedIn { since: Some(at(0)), ends_at: Some(at(480)) });
        assert!(matches!(s.known(&corp(), at(479)), Some(SsoStatus::SignedIn { .. })));
        assert_eq!(s.known(&corp(), at(480)), Some(SsoStatus::SignedOut));
        assert!(s.paused(&corp(), at(480)), "past its end: renewals wait");
        assert!(matches!(s.remembered(&corp()), Some(SsoStatus::SignedIn { .. })), "the plan sees the end itself");
        assert!(!s.recheck_due(&corp()), "only a remembered sign-out is looked at again");
    }

    #[test]
    fn an_ended_session_is_told_once_and_a_sign_in_resumes() {
        let s = SignIns::default();
        s.remember(&corp(), SsoStatus::SignedIn { since: None, ends_at: None });
        assert!(s.ended(&corp()), "the first end is told");
        assert!(!s.ended(&corp()), "the same end is not told again");
        assert!(s.paused(&corp(), at(0)) && s.ended_told(&corp()));
        assert_eq!(s.known(&corp(), at(0)), Some(SsoStatus::SignedOut));
        assert!(!s.recheck_due(&corp()), "just looked at");
        s.signed_in(&corp());
        assert!(!s.paused(&corp(), at(0)), "signed in: renewals resume");
        assert_eq!(s.known(&corp(), at(0)), None, "read anew");
        assert!(s.ended(&corp()), "the next end is told again");
        let other = Name::parse("other").unwrap();
        assert!(!s.paused(&other, at(0)), "one source's end pauses only its own favourites");
    }

    #[test]
    fn warnings_are_remembered_per_end() {
        let s = SignIns::default();
        assert_eq!(s.warned_for(&corp()), None);
        s.warned(&corp(), at(480));
        assert_eq!(s.warned_for(&corp()), Some(at(480)));
        assert!(s.underway().is_empty() && !s.is_underway(&corp()));
    }
}
