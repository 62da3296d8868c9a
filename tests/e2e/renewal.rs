//! Expiry end to end: notifications before a session expires (with Renew), automatic renewal,
//! failing renewals, MFA sessions and the clock check, over real D-Bus (a fake notification
//! server on the private session bus records each notification and clicks its buttons), moto,
//! the real keychain, the files and the AWS CLI reading what was written.
//!
//! Moto's auth mode rejects credentials from GetSessionToken, so the MFA tests run moto without
//! it, behind a recording proxy that shows which key signed each call.

use std::time::{Duration, Instant};

use rolecall_e2e::{
    ACCOUNT_ID, FakeLogind, FakeNotifications, FakeSts, Reply, Sandbox, TrayApp, World, WorldBuilder, assumed_role_arn,
    aws_cli, rolecall_bin, tray_bin, wait_for,
};
use serde_json::Value;

use crate::tray::text;

/// How long the app may take to notify a session already inside its lead time (the scheduler
/// plans at start and after every change).
const NOTIFY: Duration = Duration::from_secs(20);
/// A renewal: an STS round trip and a file write, on a busy machine.
const RENEW: Duration = Duration::from_secs(30);
/// The longest a renewal can wait on the scheduler: it plans at least once a minute, even if it
/// missed the write that made the session (a busy machine).
const MAX_PLAN_GAP: Duration = Duration::from_secs(60);

/// The expiry rolecall recorded for `profile` in `credentials`.
fn expiry(credentials: &str, profile: &str) -> Option<String> {
    let section = credentials.split(&format!("[{profile}]\n")).nth(1)?;
    let section = section.split("\n[").next()?;
    section.lines().find_map(|l| l.strip_prefix("x_security_token_expires = ")).map(str::to_owned)
}

/// Waits until `profile`'s recorded expiry differs from `before`; returns it.
fn wait_for_new_expiry(sandbox: &Sandbox, profile: &str, before: &str, timeout: Duration) -> String {
    wait_for(&format!("a new expiry for {profile} (was {before})"), timeout, || {
        expiry(&sandbox.read_credentials(), profile).filter(|e| e != before)
    })
}

/// A world whose app sees a fake notification server; `trusting` roles trust alice.
fn world_with_notifications(roles: &[&str]) -> (World, FakeNotifications) {
    let w = World::builder().desktop().build_with(|m, a| {
        for r in roles {
            m.create_role(r, &a.user_arn, None);
        }
    });
    let notifications = FakeNotifications::start(w.keychain.address());
    (w, notifications)
}

/// Starts the app with logind's signals taken from the session bus (so a test can send one),
/// and STS calls going through `sts` (a proxy in front of moto) if given.
fn start_app_through(w: &World, sts: Option<&FakeSts>) -> TrayApp {
    let mut envs = through(w.gui_envs(), sts);
    envs.push(("ROLECALL_LOGIND_BUS".to_owned(), "session".to_owned()));
    let mut app = TrayApp::start_with_envs(&tray_bin(), &w.sandbox, envs, &[]);
    app.wait_registered(w.desktop());
    app
}

/// `envs` with STS at `sts` instead of moto, if given.
fn through(mut envs: Vec<(String, String)>, sts: Option<&FakeSts>) -> Vec<(String, String)> {
    if let Some(sts) = sts {
        for (k, v) in &mut envs {
            if k == "AWS_ENDPOINT_URL" {
                *v = sts.endpoint();
            }
        }
    }
    envs
}

/// A proxy in front of `w`'s moto whose role sessions last `secs` (real STS grants at least 15
/// minutes; a short grant lets a test see lead times clamped to half of it in seconds).
fn granting(w: &World, secs: i64) -> FakeSts {
    FakeSts::start(vec![Reply::ForwardFor(w.moto().port(), secs)])
}

/// Runs the CLI in `w` with STS at `sts`; panics with its output unless it succeeds.
fn cli_through(w: &World, sts: &FakeSts, args: &[&str]) -> std::process::Output {
    let out = w.run_env(&through(w.envs(), Some(sts)), args, None);
    assert!(out.status.success(), "rolecall {args:?}:\n{}", text(&out));
    out
}

/// The seconds in a warning's summary (`admin expires in 29s`).
fn seconds_in(summary: &str) -> Option<i64> {
    summary.rsplit(' ').next()?.strip_suffix('s')?.parse().ok()
}

#[test]
fn a_session_inside_its_lead_time_is_notified_and_renew_rewrites_the_profile() {
    let (w, notifications) = world_with_notifications(&["Admin"]);
    // STS grants one-minute sessions: the 14m55s lead applies as 30 s (half the session).
    let sts = granting(&w, 60);
    w.add_source_work(&[]);
    w.add_favourite(
        "admin",
        "arn:aws:iam::123456789012:role/Admin",
        &["--duration", "15m", "--notify-before", "14m55s", "--region", "eu-west-1"],
    );
    let app = start_app_through(&w, Some(&sts));
    cli_through(&w, &sts, &["assume", "admin"]);
    let assumed = Instant::now();
    let before = expiry(&w.sandbox.read_credentials(), "admin").expect("an expiry");
    let status = String::from_utf8_lossy(&cli_through(&w, &sts, &["status"]).stdout).into_owned();
    assert!(
        status.contains("note: favourite admin: notify before 14m55s applies as 30s (half of its 1m session)"),
        "status says the lead is clamped:\n{status}"
    );

    let n = notifications.wait_for("admin's expiry warning", NOTIFY + Duration::from_secs(30), |n| {
        n.summary.starts_with("admin expires in")
    });
    eprintln!("warned {:?} after the assume: {:?} / {:?}", assumed.elapsed(), n.summary, n.body);
    assert!(assumed.elapsed() >= Duration::from_secs(25), "not before half the session: {:?}", assumed.elapsed());
    assert_eq!(n.app, "rolecall");
    assert!(seconds_in(&n.summary).is_some_and(|s| (1..=31).contains(&s)), "{}", n.summary);
    assert!(n.body.contains(&format!("account {ACCOUNT_ID}")), "names the account: {}", n.body);
    assert!(n.has_action("renew") && n.has_action("open"), "{:?}", n.actions);
    assert_eq!(n.actions[0], ("renew".to_owned(), "Renew".to_owned()));
    assert_eq!(
        notifications.notifications().iter().filter(|n| n.summary.starts_with("admin expires")).count(),
        1,
        "one warning per session"
    );

    // The user clicks Renew in the notification.
    std::thread::sleep(Duration::from_secs(1));
    notifications.invoke_action(n.id, "renew");
    let after = wait_for_new_expiry(&w.sandbox, "admin", &before, RENEW);
    let renewed = Instant::now();
    assert!(after > before, "later expiry: {before} -> {after}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"), "the AWS CLI accepts it");
    assert_eq!(w.sandbox.read_config(), "[profile admin]\nregion = eu-west-1\n");
    app.wait_for_label("admin's fresh time left", RENEW, |i| {
        i.label.starts_with("admin · ") && i.label.ends_with(" left")
    });

    // The renewed session is warned about again (its own lead time), as a new warning, again
    // not before half of it has passed.
    notifications.wait_for("the renewed session's warning", NOTIFY + Duration::from_secs(30), |m| {
        m.summary.starts_with("admin expires in") && m.id != n.id
    });
    assert!(renewed.elapsed() >= Duration::from_secs(20), "{:?}", renewed.elapsed());

    // Waking from sleep makes the scheduler look at once (logind's PrepareForSleep(false), from
    // the owner of org.freedesktop.login1: the app ignores anyone else's).
    FakeLogind::start(w.keychain.address()).prepare_for_sleep(false);
    wait_for("the app to see the wake-up", Duration::from_secs(10), || {
        app.log().contains("resumed from sleep").then_some(())
    });
}

#[test]
fn auto_renew_renews_in_the_background_without_asking() {
    let (w, notifications) = world_with_notifications(&["Admin"]);
    // One-minute sessions: the 14m50s lead applies as 30 s, so it renews 30 s after each renewal.
    let sts = granting(&w, 60);
    w.add_source_work(&[]);
    w.add_favourite(
        "admin",
        "arn:aws:iam::123456789012:role/Admin",
        &["--duration", "15m", "--auto-renew", "--renew-before", "14m50s", "--notify-before", "2m"],
    );
    let app = start_app_through(&w, Some(&sts));
    cli_through(&w, &sts, &["assume", "admin"]);
    let first = expiry(&w.sandbox.read_credentials(), "admin").expect("an expiry");
    let second = wait_for_new_expiry(&w.sandbox, "admin", &first, RENEW + MAX_PLAN_GAP);
    let third = wait_for_new_expiry(&w.sandbox, "admin", &second, RENEW + MAX_PLAN_GAP);
    assert!(first < second && second < third, "{first} < {second} < {third}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert!(
        notifications.notifications().is_empty(),
        "a session that renews itself is not notified: {:?}",
        notifications.notifications()
    );
    let status: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    assert!(status[0]["renew_at"].is_string(), "status shows the next renewal: {status}");
    assert!(status[0]["notify_at"].is_null(), "{status}");
    assert_eq!(status[0]["clamped"][1]["lead"], "renew before", "{status}");
    assert_eq!(status[0]["clamped"][1]["applies_secs"], 30, "{status}");
    assert!(app.log().matches("renewing automatically").count() >= 2, "{}", app.log());
    // Never sooner than half the session: STS saw one AssumeRole a session.
    let assumes = sts.count("AssumeRole");
    assert!(assumes <= 4, "{assumes} AssumeRole calls: {:?}", sts.requests());
}

#[test]
fn a_failing_renewal_is_notified_once_keeps_the_old_credentials_and_is_retried_later() {
    let (w, notifications) = world_with_notifications(&["Admin"]);
    // Two-minute sessions: the first renewal is due a minute after the assume.
    let sts = granting(&w, 120);
    w.add_source_work(&[]);
    w.add_favourite(
        "admin",
        "arn:aws:iam::123456789012:role/Admin",
        &["--duration", "15m", "--auto-renew", "--renew-before", "14m50s"],
    );
    cli_through(&w, &sts, &["assume", "admin"]);
    let credentials = w.sandbox.read_credentials();
    // The role stops trusting alice before the first renewal is due.
    w.moto().remove_trust("Admin");
    let app = start_app_through(&w, Some(&sts));

    let n = notifications.wait_for("the failure", Duration::from_secs(100), |n| n.summary == "Could not renew admin");
    eprintln!("failure notified: {:?}", n.body);
    assert!(n.body.contains("access denied"), "the reason in plain words: {}", n.body);
    assert!(n.body.contains("stays in place"), "{}", n.body);
    assert!(n.has_action("renew"), "{:?}", n.actions);
    assert_eq!(w.sandbox.read_credentials(), credentials, "the old credentials are untouched");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"), "and still work");

    // Retried after 30 s, silently.
    wait_for("a second attempt", Duration::from_secs(60), || {
        (app.log().matches("renewing automatically").count() >= 2).then_some(())
    });
    // Trust restored: a later retry (backoff: 1 min) succeeds on its own.
    w.moto().set_trust("Admin", &w.alice().user_arn);
    let before = expiry(&credentials, "admin").unwrap();
    wait_for_new_expiry(&w.sandbox, "admin", &before, Duration::from_secs(120));
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    let failures = notifications.notifications().into_iter().filter(|n| n.summary == "Could not renew admin").count();
    assert_eq!(failures, 1, "failures in a row are notified once: {}", notifications.log());
    assert!(
        notifications.closed().contains(&n.id),
        "the failure notification is closed once the session is renewed: {}",
        notifications.log()
    );
    let attempts = app.log().matches("renewing automatically").count();
    eprintln!("reliability: renewal_denied attempts={attempts} notified={failures} lost=0 recovered=yes");
}

/// Moto without auth mode (which rejects GetSessionToken's credentials) behind a recording proxy:
/// user alice with an MFA device, roles `roles` trusting her; the rest as `builder` says.
fn mfa_world(builder: WorldBuilder, roles: &[&str]) -> World {
    builder.without_auth_mode().mfa_device().proxy().build_with(|m, a| {
        for r in roles {
            m.create_role(r, &a.user_arn, None);
        }
    })
}

/// Source `work` (alice's keys and MFA device) and the MFA favourites `(name, role, extra)`.
fn mfa_setup(w: &World, favourites: &[(&str, &str, &[&str])]) {
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    let out = w.run_with(&["source", "add", "work", "--mfa-serial", w.mfa_serial()], Some(&keys));
    assert!(out.status.success(), "{}", text(&out));
    for (name, role, extra) in favourites {
        let arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}");
        w.ok(&[&["role", "add", name, "--arn", &arn, "--source", "work", "--mfa"], *extra].concat());
    }
}

/// The access keys that signed each call of `action` the proxy saw.
fn signers(w: &World, action: &str) -> Vec<String> {
    w.sts().requests().into_iter().filter(|r| r.action == action).filter_map(|r| r.signed_with).collect()
}

#[test]
fn one_mfa_code_serves_two_favourites_and_their_renewals_until_forgotten() {
    let w = mfa_world(World::builder(), &["Admin", "Audit"]);
    mfa_setup(&w, &[("admin", "Admin", &[]), ("audit", "Audit", &[])]);
    let _ = w.moto();

    w.ok(&["assume", "admin", "--token-code", "123456"]);
    // No code and no terminal from here on: any prompt would fail the command.
    w.ok(&["assume", "audit"]);
    for _ in 0..3 {
        w.ok(&["renew", "admin", "audit"]);
    }
    assert_eq!(
        signers(&w, "GetSessionToken"),
        vec![w.alice().access_key_id.clone()],
        "one MFA session, from alice's keys"
    );
    let session_token_call = w.sts().requests().into_iter().find(|r| r.action == "GetSessionToken").unwrap();
    assert_eq!(session_token_call.params.get("SerialNumber"), Some(&w.mfa_serial().to_owned()));
    assert_eq!(session_token_call.params.get("TokenCode").map(String::as_str), Some("123456"));
    assert_eq!(session_token_call.params.get("DurationSeconds").map(String::as_str), Some("43200"));
    let assume_signers = signers(&w, "AssumeRole");
    assert_eq!(assume_signers.len(), 8, "{assume_signers:?}");
    assert!(
        assume_signers.iter().all(|k| k != &w.alice().access_key_id && k == &assume_signers[0]),
        "every AssumeRole is signed with the one MFA session, never alice's own keys: {assume_signers:?}"
    );
    assert!(
        w.sts().requests().iter().filter(|r| r.action == "AssumeRole").all(|r| !r.params.contains_key("TokenCode")),
        "no code is sent again"
    );
    // Both profiles work for an independent client.
    for profile in ["admin", "audit"] {
        let out = aws_cli(&w.envs(), &["sts", "get-caller-identity", "--profile", profile, "--output", "json"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    // The MFA session lives in the keychain (and nowhere in the files), and it is the key that
    // signed the AssumeRole calls.
    let kept = w.keychain.lookup(&[("service", rolecall_e2e::KEYCHAIN_SERVICE), ("username", "mfa-session:work")]);
    let kept: Value = serde_json::from_str(&kept.expect("an MFA session entry")).unwrap();
    assert_eq!(kept["access_key_id"], assume_signers[0].as_str());
    let config = std::fs::read_to_string(w.sandbox.rolecall_config_dir().join("config.toml")).unwrap();
    assert!(!config.contains(kept["session_token"].as_str().unwrap()), "{config}");

    let status: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    assert_eq!(status[0]["needs_mfa"], false, "{status}");

    // Forgotten: the next renewal needs a code again.
    assert!(w.ok(&["source", "forget-mfa", "work"]).contains("Forgot the MFA session of source work"));
    let out = w.run(&["renew", "admin"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("needs a code from MFA device"), "{}", text(&out));
    let status: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    assert_eq!(status[0]["needs_mfa"], true, "{status}");
    assert!(status[0]["notify_at"].is_string(), "{status}");
}

#[test]
fn the_tray_renews_mfa_favourites_in_the_background_with_the_kept_session() {
    let w = mfa_world(World::builder().desktop().notifications(), &["Admin", "Audit"]);
    // One-minute role sessions (the MFA session keeps its 12 h): renewals every 30 s.
    w.sts().set_script(vec![Reply::ForwardFor(w.moto().port(), 60)]);
    let lead: &[&str] = &["--duration", "15m", "--auto-renew", "--renew-before", "14m50s", "--notify-before", "14m55s"];
    mfa_setup(&w, &[("admin", "Admin", lead), ("audit", "Audit", lead)]);
    w.ok(&["assume", "admin", "--token-code", "123456"]);
    w.ok(&["assume", "audit"]);
    let (desktop, notifications) = (w.desktop(), w.notifications());
    let _app = w.start_app(&[]);

    for profile in ["admin", "audit"] {
        let first = expiry(&w.sandbox.read_credentials(), profile).unwrap();
        let second = wait_for_new_expiry(&w.sandbox, profile, &first, RENEW + MAX_PLAN_GAP);
        wait_for_new_expiry(&w.sandbox, profile, &second, RENEW + MAX_PLAN_GAP);
    }
    assert_eq!(signers(&w, "GetSessionToken").len(), 1, "still the one code given to the CLI");
    assert!(notifications.notifications().is_empty(), "nothing to ask: {}", notifications.log());
    assert!(!desktop.has_window("rolecall: MFA code"), "no MFA window");
    assert!(signers(&w, "AssumeRole").len() >= 6);

    // Without the kept session a renewal would need a code: the app warns instead of failing
    // silently, and its Renew opens the MFA window.
    w.ok(&["source", "forget-mfa", "work"]);
    // (Due halfway through the session last renewed.)
    let n = notifications.wait_for("a warning that a code is needed", NOTIFY + MAX_PLAN_GAP, |n| {
        n.body.contains("it needs an MFA code") && n.summary.starts_with("admin expires")
    });
    assert!(n.has_action("renew"));
    notifications.invoke_action(n.id, "renew");
    desktop.wait_for_window("rolecall: MFA code", Duration::from_secs(20));
}

#[test]
fn a_skewed_clock_is_reported_after_the_call() {
    let w = mfa_world(World::builder(), &[]);
    // STS's clock two hours ahead of this computer's.
    w.sts().set_script(vec![Reply::Dated(7200, Box::new(Reply::Success))]);
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    let out = w.run_with(&["source", "add", "work"], Some(&keys));
    assert!(out.status.success(), "{}", text(&out));
    w.ok(&["role", "add", "admin", "--arn", &format!("arn:aws:iam::{ACCOUNT_ID}:role/Admin"), "--source", "work"]);
    let out = w.run(&["assume", "admin"]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: This computer's clock is 2h slow"), "{stderr}");
    // A clock within a minute says nothing.
    w.sts().set_script(vec![Reply::Dated(30, Box::new(Reply::Success))]);
    let out = w.run(&["assume", "admin"]);
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("clock"), "{}", text(&out));
}

/// A scripted STS (for faults moto cannot produce), a keychain and a sandbox with source `work`
/// and favourite `admin` (`role add` with `extra`); the rest as `builder` says.
fn scripted_world(builder: WorldBuilder, script: Vec<Reply>, extra: &[&str]) -> World {
    let w = builder.sts(script).build();
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", extra);
    w
}

#[test]
fn a_renewal_through_sts_faults_keeps_the_old_session_and_succeeds_on_a_later_try() {
    // Scripted STS: the set-up calls succeed; then every attempt of the first renewal (the SDK
    // tries three times) gets a 503; the next renewal, after the backoff, succeeds.
    let w = scripted_world(
        World::builder().desktop().notifications(),
        vec![Reply::SuccessFor(60)],
        &["--auto-renew", "--renew-before", "14m50s", "--duration", "15m"],
    );
    let (sts, sandbox) = (w.sts(), &w.sandbox);
    w.ok_with(&["assume", "admin"], None);
    let credentials = sandbox.read_credentials();
    let unavailable = Reply::Error { status: 503, code: "ServiceUnavailable", message: "Service unavailable" };
    sts.set_script(vec![unavailable.clone(), unavailable.clone(), unavailable, Reply::SuccessFor(60)]);
    sts.clear_requests();
    let (notifications, app) = (w.notifications(), w.start_app(&[]));

    // The session was granted for a minute: its 14m50s lead applies as 30 s.
    let n = notifications.wait_for("the failure", Duration::from_secs(120), |n| n.summary == "Could not renew admin");
    eprintln!("failure notified: {:?}", n.body);
    assert!(n.body.contains("STS failed on its side"), "the reason in plain words: {}", n.body);
    assert_eq!(sts.count("AssumeRole"), 3, "one renewal, retried by the SDK: {:?}", sts.requests());
    assert_eq!(sandbox.read_credentials(), credentials, "the old session is untouched");

    // 30 s later the next try succeeds and rewrites the profile.
    let before = expiry(&credentials, "admin").unwrap();
    wait_for("a successful renewal", Duration::from_secs(90), || {
        (sts.count("AssumeRole") == 4 && sandbox.read_credentials() != credentials).then_some(())
    });
    let after = expiry(&sandbox.read_credentials(), "admin").unwrap();
    assert!(after > before, "{before} -> {after}");
    assert_eq!(
        notifications.notifications().iter().filter(|n| n.summary == "Could not renew admin").count(),
        1,
        "{}",
        notifications.log()
    );
    assert!(app.log().contains("renewing automatically"), "{}", app.log());
    eprintln!("reliability: renewal_503 sts_attempts={} notified=1 lost=0 recovered=yes", sts.count("AssumeRole"));
}

#[test]
fn renew_several_at_once_renews_each_and_reports_the_one_that_fails() {
    let w = World::new(|m, a| {
        for r in ["A", "B", "C", "D"] {
            m.create_role(r, &a.user_arn, None);
        }
    });
    w.add_source_work(&[]);
    for r in ["A", "B", "C", "D"] {
        w.add_favourite(&r.to_lowercase(), &format!("arn:aws:iam::123456789012:role/{r}"), &[]);
        w.ok(&["assume", &r.to_lowercase()]);
    }
    let before = w.sandbox.read_credentials();
    std::thread::sleep(Duration::from_millis(1100));
    let out: Value = serde_json::from_str(&w.ok(&["renew", "--all", "--json"])).unwrap();
    let names: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["favourite"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "b", "c", "d"], "in order: {out}");
    for r in out.as_array().unwrap() {
        assert!(r["expiration"].as_str() > r["previous_expiration"].as_str(), "{r}");
    }
    let after = w.sandbox.read_credentials();
    for p in ["a", "b", "c", "d"] {
        assert_ne!(expiry(&before, p), expiry(&after, p), "{p} renewed");
        assert_eq!(w.aws_identity(p).unwrap(), assumed_role_arn(&p.to_uppercase(), "alice"));
    }

    // One role stops trusting: the others are renewed, the command fails naming it, and its
    // old session stays.
    w.moto().remove_trust("C");
    std::thread::sleep(Duration::from_millis(1100));
    let out = w.run(&["renew", "a", "b", "c", "d"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("rolecall: sts.access_denied: favourite c: assume"), "{}", text(&out));
    let last = w.sandbox.read_credentials();
    assert_eq!(expiry(&last, "c"), expiry(&after, "c"), "c keeps its session");
    for p in ["a", "b", "d"] {
        assert_ne!(expiry(&last, p), expiry(&after, p), "{p} renewed anyway; rolecall said:\n{}", text(&out));
    }
}

#[test]
fn the_tray_reports_an_expired_session_and_a_skewed_clock() {
    // Scripted STS whose clock is two hours behind this computer's, handing out 20-second
    // sessions (real STS gives at least 15 minutes; the expiry is what matters here).
    let w = scripted_world(
        World::builder().desktop().notifications(),
        vec![Reply::Dated(-7200, Box::new(Reply::SuccessFor(20)))],
        &[],
    );
    let (notifications, app) = (w.notifications(), w.start_app(&[]));

    app.click("admin");
    let skew = notifications.wait_for("the clock warning", NOTIFY, |n| n.summary.contains("clock"));
    assert_eq!(skew.summary, "This computer's clock is 2h fast");
    assert!(skew.body.contains("NTP"), "{}", skew.body);
    // Inside the default 10-minute lead at once, then expired 20 s later.
    notifications.wait_for("the warning", NOTIFY, |n| n.summary.starts_with("admin expires in"));
    let expired = notifications.wait_for("the expiry", Duration::from_secs(60), |n| n.summary == "admin has expired");
    assert!(expired.body.contains("Profile admin now holds expired credentials"), "{}", expired.body);
    assert!(expired.has_action("renew"), "{:?}", expired.actions);
    assert_eq!(
        notifications.notifications().iter().filter(|n| n.summary.contains("clock")).count(),
        1,
        "the clock is reported once: {}",
        notifications.log()
    );
    app.wait_for_label("admin expired in the menu", NOTIFY, |i| i.label == "admin · expired");
}

#[test]
fn a_renew_before_preference_longer_than_the_session_does_not_renew_back_to_back() {
    // The security review's case: the preference "renew before" at 20 minutes, auto-renew on,
    // and a favourite with a 15-minute session. Every fresh session used to be due again at once.
    let (w, notifications) = world_with_notifications(&["Admin"]);
    let proxy = FakeSts::start(vec![Reply::Forward(w.moto().port())]);
    w.add_source_work(&[]);
    let toml = w.config_toml();
    let prefs = "[preferences]\nauto_renew = true\nrenew_before_minutes = 20\n";
    let toml = if toml.contains("[preferences]") {
        toml.replace("[preferences]\n", prefs)
            .replace("auto_renew = false\n", "")
            .replace("renew_before_minutes = 5\n", "")
    } else {
        format!("{toml}\n{prefs}")
    };
    std::fs::write(w.sandbox.rolecall_config_dir().join("config.toml"), toml).unwrap();
    let out = cli_through(
        &w,
        &proxy,
        &[
            "role",
            "add",
            "admin",
            "--arn",
            "arn:aws:iam::123456789012:role/Admin",
            "--source",
            "work",
            "--duration",
            "15m",
        ],
    );
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains("note: renew before 20m applies as 7m30s (half of its 15m session)"),
        "role add says the preference is clamped: {said}"
    );
    let app = start_app_through(&w, Some(&proxy));
    cli_through(&w, &proxy, &["assume", "admin"]);
    proxy.clear_requests();

    // The scheduler plans at once after the assume (the file changed): the loop showed within
    // a second. Give it time for several passes.
    std::thread::sleep(Duration::from_secs(20));
    assert_eq!(proxy.count("AssumeRole"), 0, "no automatic renewal of a fresh session: {:?}", proxy.requests());
    assert!(!app.log().contains("renewing automatically"), "{}", app.log());
    assert!(notifications.notifications().is_empty(), "{}", notifications.log());
    let status: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    let renew_at = chrono::DateTime::parse_from_rfc3339(status[0]["renew_at"].as_str().unwrap()).unwrap();
    let in_secs = (renew_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
    assert!((400..=451).contains(&in_secs), "renews halfway through the session, in {in_secs} s: {status}");
}

/// Counts the keychain requests (Secret Service method calls other than property reads) on
/// `address` from now until dropped (also used by `sso_tray.rs`).
pub(crate) struct SecretServiceCalls {
    child: std::process::Child,
    out: std::path::PathBuf,
}

impl SecretServiceCalls {
    pub(crate) fn watch(address: &str, dir: &std::path::Path) -> SecretServiceCalls {
        let out = dir.join("secret-service-calls.log");
        let file = std::fs::File::create(&out).unwrap();
        let child = std::process::Command::new("dbus-monitor")
            .args(["--address", address, "type='method_call',destination='org.freedesktop.secrets'"])
            .stdout(file)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dbus-monitor (package dbus)");
        // dbus-monitor needs a moment to become a monitor.
        std::thread::sleep(Duration::from_millis(500));
        SecretServiceCalls { child, out }
    }

    /// The calls seen so far, as `interface.member`, property reads left out.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.all().into_iter().filter(|c| c != "org.freedesktop.DBus.Properties.Get").collect()
    }

    /// Every call seen so far, as `interface.member`.
    fn all(&self) -> Vec<String> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("method call"))
            .filter_map(|l| {
                let field =
                    |k: &str| l.split(&format!("{k}=")).nth(1).map(|v| v.split(';').next().unwrap_or("").to_owned());
                Some(format!("{}.{}", field("interface")?, field("member")?))
            })
            .collect()
    }
}

impl Drop for SecretServiceCalls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_locked_keychain_pauses_automatic_renewals_with_one_notice_and_they_resume_once_unlocked() {
    let (mut w, notifications) = world_with_notifications(&["Admin", "Dev"]);
    // One-minute sessions: each renews 30 s after it was written.
    let sts = granting(&w, 60);
    w.add_source_work(&[]);
    for (name, role) in [("admin", "Admin"), ("dev", "Dev")] {
        let arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}");
        w.add_favourite(name, &arn, &["--duration", "15m", "--auto-renew"]);
    }
    let mut envs = through(w.gui_envs(), Some(&sts));
    envs.push(("ROLECALL_KEYCHAIN_TIMEOUT".to_owned(), "5".to_owned()));
    let mut app = TrayApp::start_with_envs(&tray_bin(), &w.sandbox, envs, &[]);
    app.wait_registered(w.desktop());
    cli_through(&w, &sts, &["assume", "admin"]);
    cli_through(&w, &sts, &["assume", "dev"]);
    let written = w.sandbox.read_credentials();

    // The login keyring locks (as at login before it is unlocked).
    w.keychain.lock();
    let n = notifications
        .wait_for("the keychain notice", Duration::from_secs(70), |n| n.summary == "Keychain locked: unlock to renew");
    assert!(n.body.contains("renewals resume by themselves"), "{}", n.body);
    app.wait_for_menu("the locked state in the menu", NOTIFY, |m| {
        m.child_labels().iter().any(|l| l == "⚠ Keychain locked: unlock to renew")
    });
    let attempts = app.log().matches("renewing automatically").count();
    assert!(attempts >= 1, "{}", app.log());

    // Locked: nothing automatic asks the keychain, though the scheduler plans, warns and
    // reports the expiry meanwhile (before, every renewal was retried, each with its own prompt).
    let calls = SecretServiceCalls::watch(w.keychain.address(), w.sandbox.home());
    std::thread::sleep(Duration::from_secs(45));
    assert_eq!(calls.calls(), Vec::<String>::new(), "keychain requests while locked");
    assert!(
        calls.all().iter().any(|c| c == "org.freedesktop.DBus.Properties.Get"),
        "the monitor saw the app ask whether the keychain is locked: {:?}",
        calls.all()
    );
    assert_eq!(app.log().matches("renewing automatically").count(), attempts, "{}", app.log());
    let shown = notifications.notifications();
    assert_eq!(shown.iter().filter(|n| n.summary.starts_with("Keychain locked")).count(), 1, "{}", notifications.log());
    assert!(
        !shown.iter().any(|n| n.summary.starts_with("Could not renew")),
        "one notice, not one per favourite: {}",
        notifications.log()
    );
    assert_eq!(w.sandbox.read_credentials(), written, "the sessions written stay");
    drop(calls);

    // Unlocked: the app sees it (without a prompt) and renews on its own.
    w.keychain.unlock();
    let before = expiry(&written, "admin").unwrap();
    wait_for_new_expiry(&w.sandbox, "admin", &before, Duration::from_secs(90));
    app.wait_for_menu("the locked state gone", RENEW, |m| {
        !m.child_labels().iter().any(|l| l.starts_with("⚠ Keychain locked"))
    });
    assert!(app.log().contains("the keychain is unlocked: automatic renewals resume"), "{}", app.log());
    eprintln!("reliability: keychain_locked attempts={attempts} prompts_while_locked=0 lost=0 recovered=yes");
}

#[test]
fn an_assume_in_flight_while_its_favourite_is_removed_writes_nothing() {
    // STS takes four seconds to answer: the favourite is removed meanwhile.
    let w = scripted_world(World::builder(), vec![Reply::SuccessFor(900)], &[]);
    w.sts().set_script(vec![Reply::Delay(Duration::from_secs(4), Box::new(Reply::SuccessFor(900)))]);
    w.sts().clear_requests();
    let mut cmd = w.sandbox.command(rolecall_bin(), &w.envs());
    cmd.args(["assume", "admin"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for("the AssumeRole request", Duration::from_secs(20), || (w.sts().count("AssumeRole") >= 1).then_some(()));
    w.ok_with(&["role", "remove", "admin"], None);
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("favourite admin: was removed or changed while it was being assumed; nothing was written"),
        "{}",
        text(&out)
    );
    let creds = std::fs::read_to_string(w.sandbox.credentials_path()).unwrap_or_default();
    assert!(!creds.contains("[admin]"), "no orphan section: {creds}");
}
