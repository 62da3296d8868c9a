//! Opening the login URL in the default web browser: `xdg-open` (Linux, BSD), `open` (macOS),
//! `rundll32 url.dll,FileProtocolHandler` (Windows: unlike `cmd /C start`, no shell parses the
//! URL's `&`s).
//!
//! The URL is a bearer secret and the opener takes it as an argument, as every browser launcher
//! does; nothing else of it is shown. The opener's own output is discarded (some print the URL).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rolecall_core::console::{ConsoleError, ConsoleErrorKind, LoginUrl};

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

/// Opens `url` in the default browser. Blocks for up to 5 s: an opener that fails at once is an
/// error; one still running then (a browser in the foreground) is left to finish on its own.
pub fn open_in_browser(url: &LoginUrl, subject: &str) -> Result<(), ConsoleError> {
    let (program, args) = opener();
    let fail = |detail: String| ConsoleError {
        kind: ConsoleErrorKind::NoBrowser,
        subject: subject.to_owned(),
        detail: Some(detail),
    };
    let mut child = Command::new(program)
        .args(args)
        .arg(url.expose())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => fail(format!("{program} is not installed")),
            _ => fail(format!("cannot run {program}: {e}")),
        })?;
    tracing::debug!(program, "opening the console in the browser");
    let deadline = Instant::now() + OPENER_WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(fail(format!("{program} failed ({status})"))),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                // Reap it whenever it ends.
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Err(e) => return Err(fail(format!("cannot wait for {program}: {e}"))),
        }
    }
}
