//! The tray's *Copy export lines* on a real X clipboard (Xvfb, read with `xclip` as any other
//! program would): the lines carry the hint clipboard managers honour to keep them out of their
//! history, and they are cleared after `ROLECALL_CLIPBOARD_CLEAR_SECS` unless the user has copied
//! something else meanwhile.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rolecall_e2e::{TrayApp, apply_envs, run_with_timeout, wait_for, wait_until};

use rolecall_e2e::World;

use crate::dbus::desktop_world;
use crate::tray::text;

/// The delay the tests give the app before it clears the clipboard.
const CLEAR_SECS: u64 = 4;
/// How long a click may take to reach the clipboard (an STS round trip, a file write).
const CLICK: Duration = Duration::from_secs(30);
/// The hint (a clipboard target) KDE's Klipper and other clipboard managers honour.
const HINT: &str = "x-kde-passwordManagerHint";

/// `xclip -selection clipboard -o` with `args` on the world's display.
fn xclip_out(w: &World, args: &[&str]) -> Output {
    let mut cmd = Command::new("xclip");
    apply_envs(&mut cmd, &w.desktop().env()).args(["-selection", "clipboard", "-o"]).args(args);
    run_with_timeout(&mut cmd, None, Duration::from_secs(10))
}

/// The clipboard's text, or `None` when nobody holds the clipboard (or it holds no text).
fn clipboard(w: &World) -> Option<String> {
    let out = xclip_out(w, &[]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Starts the app (clearing after [`CLEAR_SECS`]), clicks *Copy export lines* and waits for them
/// on the clipboard; returns the app, the lines and when they were first seen there.
fn copy(w: &World) -> (TrayApp, String, Instant) {
    let app = w.start_app_with(&[("ROLECALL_CLIPBOARD_CLEAR_SECS", &CLEAR_SECS.to_string())], &[]);
    app.wait_for_label("admin", CLICK, |i| i.label == "admin");
    app.click("Copy export lines");
    let lines = wait_for("the export lines on the clipboard", CLICK, || {
        clipboard(w).filter(|t| t.contains("export AWS_SESSION_TOKEN="))
    });
    (app, lines, Instant::now())
}

#[test]
fn copied_export_lines_are_kept_out_of_clipboard_history_and_cleared_after_a_while() {
    let w = desktop_world(900, &[]);
    let (app, lines, seen) = copy(&w);
    // The session's secret key and token, as STS issued them.
    let secrets = w.sts().issued_secrets();
    assert!(!secrets.is_empty() && secrets.iter().all(|s| lines.contains(&format!("='{s}'\n"))), "{lines}");

    // The clipboard offers the history-exclusion hint beside the text.
    let targets = xclip_out(&w, &["-t", "TARGETS"]);
    let targets = String::from_utf8_lossy(&targets.stdout).into_owned();
    assert!(targets.lines().any(|t| t == HINT), "targets: {targets}");
    let hint = xclip_out(&w, &["-t", HINT]);
    assert_eq!(String::from_utf8_lossy(&hint.stdout), "secret", "{}", text(&hint));

    // Cleared once the delay is over, not before.
    wait_until("the clipboard to be cleared", Duration::from_secs(CLEAR_SECS + 20), || clipboard(&w).is_none());
    let cleared_after = seen.elapsed();
    eprintln!("cleared {cleared_after:?} after the lines were first seen");
    assert!(cleared_after >= Duration::from_secs(CLEAR_SECS - 2), "cleared too early: {cleared_after:?}");
    assert!(app.log().contains("cleared the clipboard"), "{}", app.log());
    assert!(secrets.iter().all(|s| !app.log().contains(s.as_str())), "{}", app.log());
}

#[test]
fn the_clipboard_is_left_alone_once_the_user_has_copied_something_else() {
    let w = desktop_world(900, &[]);
    let (app, _lines, _) = copy(&w);

    // The user copies their own text (xclip holds the clipboard until it is dropped).
    let mut cmd = Command::new("xclip");
    apply_envs(&mut cmd, &w.desktop().env())
        .args(["-selection", "clipboard", "-quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut own = cmd.spawn().expect("start xclip");
    let mut stdin = own.stdin.take().expect("xclip's stdin");
    stdin.write_all(b"my own notes").expect("write to xclip");
    drop(stdin);
    wait_until("the user's copy", Duration::from_secs(10), || clipboard(&w).as_deref() == Some("my own notes"));

    // The app's timer runs and leaves it.
    wait_until("the app's clipboard check", Duration::from_secs(CLEAR_SECS + 20), || {
        app.log().contains("the clipboard changed since the copy")
    });
    let now = clipboard(&w);
    let _ = own.kill();
    let _ = own.wait();
    assert_eq!(now.as_deref(), Some("my own notes"), "{}", app.log());
    assert!(!app.log().contains("cleared the clipboard"), "{}", app.log());
}
