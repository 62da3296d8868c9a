//! Opening the login URL in the default web browser: `xdg-open` (Linux, BSD), `open` (macOS),
//! `rundll32 url.dll,FileProtocolHandler` (Windows: unlike `cmd /C start`, no shell parses the
//! URL's `&`s).
//!
//! The URL is a bearer secret, and an opener takes what it opens as an argument, which every
//! local user can read: so the opener is given a private page that redirects to the URL
//! ([`crate::page`]), never the URL itself. The opener's own output is discarded.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rolecall_core::console::{ConsoleError, ConsoleErrorKind, LoginUrl};

use crate::page::{self, PAGE_LIFETIME};

/// How long the opener may take to hand the URL over before rolecall stops waiting for its verdict.
const OPENER_WAIT: Duration = Duration::from_secs(5);

/// The opener program and its arguments before the URL.
fn opener() -> (&'static str, &'static [&'static str]) {
    if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else {
        ("xdg-open", &[])
    }
}

/// Opens `url` in the default browser through a private page that redirects to it (see
/// [`crate::page`]: the page is written 0600 in a 0700 directory and removed a minute after the
/// hand-over). Blocks for up to 5 s: an opener that fails at once is an error; one still running
/// then (a browser in the foreground) is left to finish on its own.
pub fn open_in_browser(url: &LoginUrl, subject: &str) -> Result<(), ConsoleError> {
    open_url_in_browser(url.expose(), subject)
}

/// Opens any `url` that must stay out of command lines (an IAM Identity Center authorize URL,
/// whose `state` guards the sign-in) the way [`open_in_browser`] opens a login URL: through a
/// private page that redirects to it. Errors are [`ConsoleErrorKind::NoBrowser`] with `subject`.
pub fn open_url_in_browser(url: &str, subject: &str) -> Result<(), ConsoleError> {
    let fail = |detail: String| ConsoleError {
        kind: ConsoleErrorKind::NoBrowser,
        subject: subject.to_owned(),
        detail: Some(detail),
    };
    let dir = page::page_dir_from(|k| std::env::var(k).ok())
        .ok_or_else(|| fail("no directory for the sign-in page: neither XDG_RUNTIME_DIR nor HOME is set".into()))?;
    let page = page::write(&dir, url, PAGE_LIFETIME).map_err(fail)?;
    match hand_over(&page.url()) {
        Ok(()) => {
            page::remove_later(page, PAGE_LIFETIME);
            Ok(())
        }
        Err(detail) => {
            let _ = std::fs::remove_file(&page.path);
            Err(fail(detail))
        }
    }
}

/// Runs the opener on `target` (the page's `file://` URL) and waits up to 5 s for its verdict.
fn hand_over(target: &str) -> Result<(), String> {
    let (program, args) = opener();
    let mut child = Command::new(program)
        .args(args)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{program} is not installed"),
            _ => format!("cannot run {program}: {e}"),
        })?;
    tracing::debug!(program, "opening the browser through a private page");
    let deadline = Instant::now() + OPENER_WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{program} failed ({status})")),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                // Reap it whenever it ends.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(format!("cannot wait for {program}: {e}")),
        }
    }
}
