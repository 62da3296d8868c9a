//! What the tray app believes on D-Bus: notification clicks and logind's wake-up count only when
//! they come from the connection that owns `org.freedesktop.Notifications` or
//! `org.freedesktop.login1` (any program on the session bus can emit the same signals, broadcast
//! or sent to one of the app's connections directly), and notification bodies are escaped for
//! servers that read markup in them. Real D-Bus: the fake notification server and a fake logind
//! own their names on the keychain's private bus, and spoofs are sent with `gdbus`.

use std::process::Command;
use std::time::Duration;

use rolecall_e2e::{
    FakeLogind, FakeNotifications, NOTIFICATION_CAPABILITIES, Reply, World, apply_envs, run_with_timeout, wait_until,
};

use crate::tray::text;

/// How long STS's sessions last in the notification tests: a lead never exceeds half of a
/// session, so the warning comes after half a minute.
const SESSION_SECS: i64 = 60;
/// How long the app may take to warn about such a session: half of it, and a margin.
const NOTIFY: Duration = Duration::from_secs(50);
/// A renewal (or a failed one) after a click, on a busy machine.
const RENEW: Duration = Duration::from_secs(30);
/// How long to wait for something that must not happen, once the app has shown it read what came
/// just before (a genuine signal reaches the app within milliseconds).
const QUIET: Duration = Duration::from_secs(2);

/// A scripted STS (sessions of `session_secs`), an unlocked keychain whose bus is also the
/// desktop's, and a sandbox with source `work` and favourite `admin` (`role add` with `extra`);
/// the tray app starts on demand.
pub(crate) fn desktop_world(session_secs: i64, extra: &[&str]) -> World {
    let w = World::builder().sts(vec![Reply::SuccessFor(session_secs)]).desktop().build();
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", extra);
    w
}

/// A `gdbus` command on the session bus of `w`.
fn gdbus(w: &World) -> Command {
    let mut cmd = Command::new("gdbus");
    apply_envs(&mut cmd, &w.keychain.env());
    cmd
}

/// Every unique connection name on the bus (`:1.N`), the app's among them.
fn connections(w: &World) -> Vec<String> {
    let mut cmd = gdbus(w);
    cmd.args([
        "call",
        "--session",
        "--dest",
        "org.freedesktop.DBus",
        "--object-path",
        "/org/freedesktop/DBus",
        "--method",
        "org.freedesktop.DBus.ListNames",
    ]);
    let out = run_with_timeout(&mut cmd, None, Duration::from_secs(10));
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).split('\'').filter(|name| name.starts_with(':')).map(str::to_owned).collect()
}

/// Emits `signal` (`INTERFACE.MEMBER`) at `path` with `args` (GVariant text) as any program
/// on the bus can: from a connection of its own, once broadcast, then once to each
/// connection on the bus directly (a signal with a destination reaches it whatever its match
/// rules say), except `owner`'s.
fn spoof(w: &World, path: &str, signal: &str, args: &[&str], owner: Option<&str>) {
    let mut targets: Vec<Option<String>> = vec![None];
    targets.extend(connections(w).into_iter().filter(|c| Some(c.as_str()) != owner).map(Some));
    for dest in targets {
        let mut cmd = gdbus(w);
        cmd.args(["emit", "--session", "--object-path", path, "--signal", signal]);
        if let Some(dest) = &dest {
            cmd.args(["--dest", dest]);
        }
        cmd.args(args);
        let out = run_with_timeout(&mut cmd, None, Duration::from_secs(10));
        assert!(out.status.success(), "gdbus emit {signal} to {dest:?}: {}", text(&out));
    }
}

#[test]
fn spoofed_notification_clicks_and_wake_ups_are_ignored_and_the_real_ones_act() {
    let w = desktop_world(SESSION_SECS, &["--duration", "15m", "--notify-before", "14m55s"]);
    let notifications = FakeNotifications::start(w.keychain.address());
    // logind's signal from the session bus; no logind there yet.
    let app = w.start_app_with(&[("ROLECALL_LOGIND_BUS", "session")], &[]);
    w.ok_with(&["assume", "admin"], None);
    let credentials = w.sandbox.read_credentials();
    let n = notifications.wait_for("admin's warning", NOTIFY, |n| n.summary.starts_with("admin expires in"));
    let assumes = w.sts().count("AssumeRole");

    // Another program on the bus plays the user clicking Renew, the notification closing, and
    // the machine waking up.
    let id = format!("uint32 {}", n.id);
    let server = Some(notifications.unique_name());
    let actions = "org.freedesktop.Notifications";
    spoof(&w, "/org/freedesktop/Notifications", &format!("{actions}.ActionInvoked"), &[&id, "'renew'"], server);
    spoof(&w, "/org/freedesktop/Notifications", &format!("{actions}.NotificationClosed"), &[&id, "uint32 2"], server);
    spoof(&w, "/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", &["false"], None);
    // The ones sent to the app's listeners directly reach them, and are refused.
    let refused = |log: &str| {
        log.contains("ignored a signal not sent by org.freedesktop.Notifications")
            && log.contains("ignored a signal not sent by org.freedesktop.login1")
    };
    let acted = |log: &str| log.contains("notification button") || log.contains("resumed from sleep");
    wait_until("the app to refuse the spoofed signals", NOTIFY, || {
        let log = app.log();
        refused(&log) || acted(&log)
    });
    std::thread::sleep(QUIET);
    let log = app.log();
    assert!(!log.contains("notification button"), "a spoofed click acted:\n{log}");
    assert!(!log.contains("resumed from sleep"), "a spoofed wake-up acted:\n{log}");
    assert!(refused(&log), "{log}");
    assert_eq!(w.sts().count("AssumeRole"), assumes, "no renewal from a spoofed click:\n{log}");
    assert_eq!(w.sandbox.read_credentials(), credentials);

    // logind appears only now (as after a restart of it): its wake-up counts, its going to
    // sleep does nothing.
    let logind = FakeLogind::start(w.keychain.address());
    logind.prepare_for_sleep(true);
    logind.prepare_for_sleep(false);
    wait_until("the app to see the wake-up", Duration::from_secs(10), || app.log().contains("resumed from sleep"));
    assert_eq!(app.log().matches("resumed from sleep").count(), 1, "{}", app.log());

    // The server's own click renews: the spoofed close did not make the app forget it either.
    notifications.invoke_action(n.id, "renew");
    wait_until("the renewal", RENEW, || w.sandbox.read_credentials() != credentials);
    assert_eq!(w.sts().count("AssumeRole"), assumes + 1);
    assert!(app.log().contains("notification button"), "{}", app.log());
}

#[test]
fn notification_bodies_are_escaped_for_servers_that_read_markup_and_only_for_them() {
    let w = desktop_world(SESSION_SECS, &["--duration", "15m", "--notify-before", "14m55s"]);
    let plain = FakeNotifications::start(w.keychain.address());
    let _app = w.start_app(&[]);
    w.ok_with(&["assume", "admin"], None);
    let warning = plain.wait_for("admin's warning", NOTIFY, |n| n.summary.starts_with("admin expires in"));

    // STS refuses the renewal with a message holding markup characters (escaped in its XML, as
    // STS does); the reason goes into the failure's body.
    w.sts().set_script(vec![Reply::Error {
        status: 400,
        code: "ValidationError",
        message: "value &lt;b&gt;x&lt;/b&gt; &amp; y is not valid",
    }]);
    plain.invoke_action(warning.id, "renew");
    let failed = plain.wait_for("the failure", RENEW, |n| n.summary == "Could not renew admin");
    assert!(
        failed.body.contains("(AWS said: value <b>x</b> & y is not valid)"),
        "as plain text to a server without body-markup: {}",
        failed.body
    );

    // A server that reads markup takes the name over; its Try again fails the same way.
    drop(plain);
    let caps: Vec<&str> = NOTIFICATION_CAPABILITIES.iter().copied().chain(["body-markup"]).collect();
    let markup = FakeNotifications::start_with_capabilities(w.keychain.address(), &caps);
    markup.invoke_action(failed.id, "renew");
    let again = markup.wait_for("the second failure", RENEW, |n| n.summary == "Could not renew admin");
    assert!(
        again.body.contains("(AWS said: value &lt;b&gt;x&lt;/b&gt; &amp; y is not valid)"),
        "escaped for a server with body-markup: {}",
        again.body
    );
    assert!(!again.body.contains('<') && !again.body.contains("& "), "nothing left to read as markup: {}", again.body);
    let reason = |body: &str| body.lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        reason(&again.body).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"),
        reason(&failed.body),
        "the same words"
    );
}
