//! The windows, created on demand: the app starts with none and keeps running when they close.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The settings window's label.
pub const SETTINGS: &str = "settings";
/// The MFA window's label.
pub const MFA: &str = "mfa";
/// The sign-in window's label (an IAM Identity Center device code).
pub const SIGNIN: &str = "signin";

/// Shows (creating if needed) and focuses the settings window.
pub fn open_settings<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(SETTINGS) {
        w.unminimize()?;
        w.show()?;
        return w.set_focus();
    }
    WebviewWindowBuilder::new(app, SETTINGS, WebviewUrl::App("settings.html".into()))
        .title("rolecall settings")
        .inner_size(760.0, 600.0)
        .min_inner_size(620.0, 420.0)
        .center()
        .focused(true)
        .build()?;
    Ok(())
}

/// Shows (creating if needed) the MFA window on top, focused.
pub fn open_mfa<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(MFA) {
        w.show()?;
        return w.set_focus();
    }
    WebviewWindowBuilder::new(app, MFA, WebviewUrl::App("mfa.html".into()))
        .title("rolecall: MFA code")
        .inner_size(380.0, 220.0)
        .resizable(false)
        .minimizable(false)
        .maximizable(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .center()
        .focused(true)
        .build()?;
    Ok(())
}

/// Closes the MFA window, if open.
pub fn close_mfa<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MFA) {
        let _ = w.close();
    }
}

/// Shows (creating if needed) the sign-in window on top, focused.
pub fn open_signin<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(w) = app.get_webview_window(SIGNIN) {
        w.show()?;
        return w.set_focus();
    }
    WebviewWindowBuilder::new(app, SIGNIN, WebviewUrl::App("signin.html".into()))
        .title("rolecall: sign in")
        .inner_size(420.0, 300.0)
        .resizable(false)
        .minimizable(false)
        .maximizable(false)
        .always_on_top(true)
        .center()
        .focused(true)
        .build()?;
    Ok(())
}

/// Closes the sign-in window, if open.
pub fn close_signin<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(SIGNIN) {
        let _ = w.close();
    }
}
