//! The refresher: the tray's menu, icon and tooltip, and the windows' change events. It sleeps
//! until the next moment a label changes, or until it is told something changed: no polling.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rolecall_app::SsoStatus;
use rolecall_core::config::Config;
use rolecall_core::view::{next_change, tray_state};
use rolecall_core::{Code, ErrorDto};
use tauri::tray::TrayIcon;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use super::CHANGED_EVENT;
use crate::signin;
use crate::state::AppState;
use crate::tray::{self, SignInLine};

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
            let now = Utc::now();
            let (mut lines, lead, load_error, sign_ins) = match state.services.lines(now) {
                Ok((config, lines)) => {
                    let sign_ins = sign_in_lines(&state, &config, now).await;
                    (lines, i64::from(config.preferences.notify_before_minutes) * 60, None, Some((config, sign_ins)))
                }
                Err(e) => (Vec::new(), 600, Some(e.to_dto()), None),
            };
            let sign_in_lines = match &sign_ins {
                Some((config, sign_ins)) => {
                    for line in &mut lines {
                        if signin::sso_root(config, &line.name)
                            .is_some_and(|s| state.sign_ins.known(&s, now) == Some(SsoStatus::SignedOut))
                        {
                            line.label = tray::signed_out_label(&line.label);
                        }
                    }
                    sign_ins.clone()
                }
                None => Vec::new(),
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
            match tray::apply(&tray_icon, &app, &mut shown, tray_state, &lines, &sign_in_lines, error.as_ref()) {
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

/// The sign-in lines of the menu: each IAM Identity Center source with a sign-in under way, or
/// signed out. A source's state is read from the keychain once (off the async runtime) and then
/// remembered until a sign-in, an assume through it or its end changes it (a signed-out one is
/// looked at again once a minute); while the keychain is locked (the app's state, or asked
/// without a prompt) nothing is read.
async fn sign_in_lines(state: &AppState, config: &Config, now: DateTime<Utc>) -> Vec<SignInLine> {
    let locked = state.activity.lock().expect("activity lock").keychain_locked.is_some();
    let mut read = false;
    let mut out = Vec::new();
    let underway = state.sign_ins.underway();
    for source in signin::sso_sources(config) {
        if let Some(u) = underway.iter().find(|u| u.source == source) {
            out.push(SignInLine::Underway(source, u.waiting));
            continue;
        }
        let recheck = !locked && state.sign_ins.recheck_due(&source);
        let known = match state.sign_ins.known(&source, now) {
            Some(known) if !recheck => Some(known),
            None if locked => None,
            before => {
                let (services, name) = (state.services.clone(), source.clone());
                let started = std::time::Instant::now();
                // Never a keychain prompt for a look nobody asked for: a locked keychain is not
                // read (asked first, without a prompt).
                let status = tauri::async_runtime::spawn_blocking(move || match services.keychain_locked() {
                    Some(true) => Ok(None),
                    _ => services.sso_status(&name, now).map(Some),
                })
                .await;
                match status {
                    Ok(Ok(None)) => {
                        tracing::debug!(source = %source, "the keychain is locked: its sign-in state is not read");
                        before
                    }
                    Ok(Ok(Some(status))) => {
                        tracing::debug!(source = %source, ?status, took_ms = started.elapsed().as_millis() as u64, "sign-in state read");
                        if before == Some(SsoStatus::SignedOut) && status != SsoStatus::SignedOut {
                            // Signed in elsewhere (the CLI): renewals resume, the notice goes.
                            tracing::info!(source = %source, "signed in elsewhere");
                            state.sign_ins.signed_in(&source);
                            state.notifications.dismiss_source(&source);
                        }
                        state.sign_ins.remember(&source, status);
                        read = true;
                        Some(status)
                    }
                    Ok(Err(e)) => {
                        tracing::info!(source = %source, code = %e.code(), "cannot read the sign-in state: {e}");
                        before
                    }
                    Err(_) => before,
                }
            }
        };
        if known == Some(SsoStatus::SignedOut) {
            out.push(SignInLine::SignedOut(source));
        }
    }
    if read {
        // The scheduler plans the portal sessions' warnings from these.
        state.schedule_changed.notify_one();
    }
    out
}
