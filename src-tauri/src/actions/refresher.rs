//! The refresher: the tray's menu, icon and tooltip, and the windows' change events. It sleeps
//! until the next moment a label changes, or until it is told something changed: no polling.

use std::time::Duration;

use chrono::Utc;
use rolecall_core::view::{next_change, tray_state};
use rolecall_core::{Code, ErrorDto};
use tauri::tray::TrayIcon;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::CHANGED_EVENT;
use crate::state::AppState;
use crate::tray;

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
                    code: Code::KeychainLocked,
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
