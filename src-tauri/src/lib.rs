//! rolecall's tray app: favourite AWS roles one click away. The only crate that knows Tauri.
//!
//! [`run`] starts the real app; [`build_app`] wires state, commands and background tasks onto any
//! Tauri runtime, so command tests can drive it with the mock runtime. The app starts with no
//! window (a tray icon only), keeps running when its windows close, and is single-instance.
#![deny(missing_docs)]

pub mod actions;
pub mod clipboard;
pub mod commands;
pub mod dto;
pub mod mfa;
pub mod notifications;
pub mod scheduler;
pub mod serve;
pub mod signin;
pub mod signin_state;
pub mod state;
pub mod tray;
pub mod watch;
pub mod windows;

use std::sync::{Arc, Mutex};

use rolecall_app::Services;
use rolecall_core::view::TrayState;
use tauri::tray::TrayIconBuilder;
use tauri::{Builder, Manager, RunEvent, Runtime};
use tokio::sync::{Notify, mpsc};

use crate::state::{Action, Activity, AppState, Schedule};
use crate::tray::MenuId;

/// Registers state, commands and (with `with_tray`) the tray icon and its refresher.
pub fn build_app<R: Runtime>(builder: Builder<R>, services: Services, with_tray: bool) -> Builder<R> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (signals, signals_rx) = mpsc::unbounded_channel();
    let state = AppState {
        notifications: notifications::Notifications::new(Box::new(notifications::Desktop::new(signals.clone()))),
        schedule: Schedule::default(),
        schedule_changed: Arc::new(Notify::new()),
        skew_warned: Mutex::default(),
        services,
        mfa: Default::default(),
        sign_ins: Default::default(),
        prompted: Default::default(),
        activity: Mutex::new(Activity::default()),
        changed: Arc::new(Notify::new()),
        actions: tx,
    };
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::list_sources,
            commands::add_source,
            commands::remove_source,
            commands::list_favourites,
            commands::save_favourite,
            commands::remove_favourite,
            commands::validate_field,
            commands::get_preferences,
            commands::set_preferences,
            commands::file_favourites,
            commands::convert_favourites,
            commands::assume,
            commands::mfa_pending,
            commands::submit_mfa,
            commands::cancel_mfa,
            signin::signin_pending,
            signin::signin_open_browser,
            signin::signin_copy_code,
            signin::signin_cancel,
            commands::import_candidates,
            commands::import_profiles,
            commands::add_sso_source,
            commands::sso_sessions,
            commands::sso_sign_in,
            commands::portal_roles,
            commands::discover_portal_roles,
            commands::preview_portal_names,
            commands::add_portal_favourites,
        ])
        .on_window_event(|window, event| {
            // Closing the MFA window cancels the click waiting for a code.
            if window.label() == windows::MFA && matches!(event, tauri::WindowEvent::Destroyed) {
                window.state::<AppState>().mfa.cancel(None);
            }
            // Closing the sign-in window cancels the device-code sign-in it shows.
            if window.label() == windows::SIGNIN && matches!(event, tauri::WindowEvent::Destroyed) {
                signin::cancel(window.app_handle(), None);
            }
        })
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            actions::spawn_runner(app.handle().clone(), rx);
            if with_tray {
                let tray = TrayIconBuilder::with_id(tray::TRAY_ID)
                    .icon(tray::icon(TrayState::Idle))
                    .tooltip("rolecall")
                    .menu(&tray::menu(app.handle(), &[], None)?)
                    .show_menu_on_left_click(true)
                    .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
                    .build(app)?;
                let state = app.state::<AppState>();
                match watch::watch(
                    state.services.watched_files(),
                    vec![state.changed.clone(), state.schedule_changed.clone()],
                ) {
                    Ok(w) => {
                        app.manage(w);
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot watch the files; the tray refreshes every minute"),
                }
                actions::spawn_refresher(app.handle().clone(), tray);
                listen(app.handle(), signals, signals_rx);
                scheduler::spawn_scheduler(app.handle().clone());
                serve::spawn(app.handle());
            }
            Ok(())
        })
}

/// Notification clicks and wake-ups (from D-Bus on Linux, from notify-rust's handles elsewhere),
/// handled on the async runtime.
fn listen<R: Runtime>(
    app: &tauri::AppHandle<R>,
    signals: mpsc::UnboundedSender<notifications::Signal>,
    mut rx: mpsc::UnboundedReceiver<notifications::Signal>,
) {
    use notifications::Signal;
    #[cfg(target_os = "linux")]
    {
        use notifications::linux;
        if let Err(e) = linux::listen_notifications(signals.clone()) {
            tracing::warn!(error = %e, "cannot listen to notification buttons; Renew stays in the tray menu");
        }
        if let Err(e) = linux::listen_resume(signals) {
            tracing::info!(error = %e, "cannot listen to logind; after sleep the schedule catches up within a minute");
        }
    }
    #[cfg(not(target_os = "linux"))]
    drop(signals);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(signal) = rx.recv().await {
            let state = app.state::<AppState>();
            match signal {
                Signal::Action(id, key) => {
                    if let Some(button) = state.notifications.on_action(id, &key) {
                        tracing::info!(id, key, "notification button");
                        state.act(Action::from(button));
                    }
                }
                Signal::Closed(id) => state.notifications.on_closed(id),
                Signal::Resumed => {
                    tracing::info!("resumed from sleep: checking sessions now");
                    state.touch();
                }
            }
        }
    });
}

fn on_menu<R: Runtime>(app: &tauri::AppHandle<R>, id: &str) {
    if let Some(action) = MenuId::parse(id).and_then(Action::from_menu) {
        app.state::<AppState>().act(action);
    }
}

fn init_logging() {
    rolecall_app::logging::init(
        "rolecall_tray=info,rolecall_app=info,rolecall_core=warn,rolecall_sts=warn,rolecall_keychain=warn,rolecall_files=warn,error",
    );
}

/// Runs the tray app. `--settings` opens the settings window at start (a second launch always
/// does, in the running instance).
pub fn run() {
    init_logging();
    let services = match Services::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rolecall: {}: {e}", e.code());
            std::process::exit(1);
        }
    };
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            app.state::<AppState>().act(Action::OpenSettings);
        }))
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, None))
        .plugin(tauri_plugin_clipboard_manager::init());
    let app = build_app(builder, services, true).build(tauri::generate_context!()).unwrap_or_else(|e| {
        eprintln!("rolecall: app.start: cannot start the tray app: {e}");
        std::process::exit(1);
    });
    if std::env::args().skip(1).any(|a| a == "--settings") {
        app.state::<AppState>().act(Action::OpenSettings);
    }
    app.run(|_app, event| {
        // Closing the last window must not quit a tray app; only "Quit rolecall" (exit code set) does.
        if let RunEvent::ExitRequested { api, code: None, .. } = event {
            api.prevent_exit();
        }
    });
}
