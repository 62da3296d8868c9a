//! IAM Identity Center in the tray app: `rolecall-tray` under Xvfb, its menu clicked over D-Bus,
//! against the loopback fake of the sign-in service and the portal ([`rolecall_e2e::sso`], role
//! credentials minted by moto), the stub browser as its `xdg-open` (it plays the user: the
//! authorize URL's redirect reaches the app's loopback redirect), the fake notification server
//! (its buttons pressed as a user would) and the AWS CLI (to check the profiles written). Sign in
//! from the menu, a click on a signed-out favourite signing in first, the silent refresh while
//! automatic renewals go on, and the portal session's end told once with a *Sign in* button
//! while the old credentials stay as they were; no secret of the portal in the app's trace log.

use std::time::{Duration, Instant};

use rolecall_e2e::sso::{FakeSso, StubBrowser};
use rolecall_e2e::{MenuItem, TrayApp, World};

use crate::sso::{START_URL, accounts, ok};

/// How long a sign-in and an assume from the menu may take to show.
const CLICK: Duration = Duration::from_secs(40);
/// How long the menu may take to follow a change.
const FOLLOW: Duration = Duration::from_secs(10);

/// A world with a desktop, the fake notification server, the fake IAM Identity Center with the
/// source `corp` and its favourite `prod` (`extra`: more `role add` flags), and a stub browser.
fn world(extra: &[&str]) -> (World, FakeSso, StubBrowser) {
    let w = World::builder().desktop().notifications().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(accounts());
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    let mut add =
        vec!["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"];
    add.extend_from_slice(extra);
    ok(&w, &sso, &add);
    (w, sso, browser)
}

/// Starts the tray app with the fake's endpoints, the stub browser first in `PATH`, and its log
/// at trace.
fn start(w: &World, sso: &FakeSso, browser: &StubBrowser) -> TrayApp {
    let mut envs = sso.envs();
    envs.push(("PATH".to_owned(), browser.path_env()));
    envs.push(("ROLECALL_LOG".to_owned(), "trace".to_owned()));
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    w.start_app_with(&envs, &[])
}

fn has(menu: &MenuItem, label: &str) -> bool {
    menu.child_labels().iter().any(|l| l == label)
}

/// The grant types of the sign-in service's token requests so far.
fn grants(sso: &FakeSso) -> Vec<String> {
    sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect()
}

/// The label `prod · Nm left`, without "signed out".
fn assumed(label: &str) -> bool {
    label.starts_with("prod · ") && label.ends_with("m left")
}

/// No secret the fake handed out (client secret, tokens, codes, minted keys) in the app's log.
fn assert_no_secret_in(app: &TrayApp, sso: &FakeSso) {
    let secrets = sso.issued_secrets();
    assert!(secrets.len() >= 4, "client secret, code, tokens, minted keys: {secrets:?}");
    let mut hygiene = rolecall_e2e::Hygiene::new();
    hygiene.secrets("an IAM Identity Center secret", &secrets);
    let log = app.log();
    assert!(log.contains("TRACE") || log.contains("DEBUG"), "the app logged at trace");
    assert!(hygiene.assert_clean(&[("rolecall-tray's log at trace", log.as_str())]) > 0);
}

#[test]
fn tray_signs_in_with_the_browser_then_a_click_writes_a_profile_the_aws_cli_accepts() {
    let (w, sso, browser) = world(&[]);
    let app = start(&w, &sso, &browser);

    // Signed out: the source's sign-in at the top, its favourite labelled, no failure shown.
    let menu = app.wait_for_menu("the sign-in entry", FOLLOW, |m| has(m, "Sign in to corp…"));
    assert_eq!(menu.child_labels()[..2], ["Sign in to corp…", "prod · signed out"], "{menu}");
    assert!(menu.children[1].enabled, "a signed-out favourite can be clicked: {menu}");
    assert!(!menu.child_labels().iter().any(|l| l.starts_with('⚠')), "signed out is no failure: {menu}");
    w.desktop().screenshot_tray_menu(&rolecall_e2e::screenshots_dir().join("tray-menu-sso-signed-out.png"));

    let clicked = Instant::now();
    app.click("Sign in to corp…");
    let menu = app.wait_for_menu("signed in", CLICK, |m| !has(m, "Sign in to corp…") && has(m, "prod"));
    eprintln!("tray sign-in (browser, PKCE) took {:?}", clicked.elapsed());
    assert!(!menu.child_labels().iter().any(|l| l.contains("Signing in")), "{menu}");
    // The browser was handed the authorize URL once, with S256; the code came back to the app.
    let opened = browser.opened();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(opened[0].starts_with(&format!("{}/authorize?", sso.endpoint())), "{opened:?}");
    let params = rolecall_e2e::sso::url_params(&opened[0]);
    assert_eq!(params.get("code_challenge_method").map(String::as_str), Some("S256"), "{params:?}");
    assert!(params.get("redirect_uri").is_some_and(|r| r.starts_with("http://127.0.0.1:")), "{params:?}");
    assert_eq!(grants(&sso), ["authorization_code"], "one code exchanged, no device code");
    assert!(w.entry("sso-token:corp").is_some(), "the sign-in is in the keychain");
    assert!(!w.sandbox.credentials_path().exists(), "a sign-in writes no profile");

    app.click("prod");
    let item = app.wait_for_label("prod assumed", CLICK, |i| assumed(&i.label));
    eprintln!("SSO favourite assumed from the tray: {:?}", item.label);
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    assert_eq!(sso.requests_to("/federation/credentials").len(), 1);
    let creds = w.sandbox.read_credentials();
    assert!(creds.contains("[prod]\n") && creds.contains("x_rolecall_favourite = prod\n"), "{creds}");
    assert_eq!(browser.opened().len(), 1, "no second browser visit");
    assert!(w.notifications().notifications().is_empty(), "{}", w.notifications().log());
    // What reading a source's sign-in state from the keychain cost (once, then remembered).
    let log = app.log();
    let reads: Vec<&str> = log.lines().filter(|l| l.contains("sign-in state read")).collect();
    assert!(!reads.is_empty() && reads.len() <= 2, "read once at the start (and once after a change): {reads:?}");
    for r in &reads {
        let ms = r.split_once("took_ms=").and_then(|(_, rest)| rest.split_whitespace().next()).unwrap_or(r);
        eprintln!("reading a source's sign-in state from the keychain took {ms} ms");
    }
    assert_no_secret_in(&app, &sso);
}

#[test]
fn tray_click_on_a_signed_out_favourite_signs_in_first_then_assumes() {
    let (w, sso, browser) = world(&[]);
    let app = start(&w, &sso, &browser);
    app.wait_for_label("prod signed out", FOLLOW, |i| i.label == "prod · signed out");

    app.click("prod · signed out");
    let menu = app.wait_for_menu("signed in and assumed", CLICK, |m| {
        !has(m, "Sign in to corp…") && m.children.iter().any(|i| assumed(&i.label))
    });
    assert!(!menu.child_labels().iter().any(|l| l.starts_with('⚠')), "{menu}");
    assert_eq!(browser.opened().len(), 1, "one sign-in for the click");
    assert_eq!(grants(&sso), ["authorization_code"]);
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
}

/// Makes `prod`'s session in the credentials file look 80 seconds long with 60 left, as if time
/// had passed (moto grants no session shorter than 15 minutes): the scheduler renews it 40
/// seconds before its end (half its length), 40 seconds after its last renewal at the soonest.
/// Returns the file's new bytes.
fn near_its_end(w: &World) -> Vec<u8> {
    let path = w.sandbox.credentials_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let now = chrono::Utc::now();
    let at = |d: i64| (now + chrono::Duration::seconds(d)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("x_security_token_expires = ") {
                format!("x_security_token_expires = {}", at(60))
            } else if l.starts_with("x_rolecall_issued = ") {
                format!("x_rolecall_issued = {}", at(-20))
            } else {
                l.to_owned()
            }
        })
        .collect();
    let edited = format!("{}\n", edited.join("\n"));
    assert_ne!(edited, text, "prod has a session with an expiry: {text}");
    std::fs::write(&path, &edited).unwrap();
    edited.into_bytes()
}

/// Waits until the credentials file differs from `before`; its new bytes.
fn renewed(app: &TrayApp, w: &World, before: &[u8], what: &str) -> Vec<u8> {
    let path = w.sandbox.credentials_path();
    let found = rolecall_e2e::poll(Duration::from_secs(90), || std::fs::read(&path).ok().filter(|now| now != before));
    found.unwrap_or_else(|| panic!("{what}: the file did not change\n{}", app.log()))
}

#[test]
fn tray_refreshes_silently_while_renewing_and_tells_once_when_the_portal_session_ends() {
    // Access tokens of a minute: each renewal refreshes the sign-in first (5 minutes ahead).
    let (w, sso, browser) = world(&["--auto-renew"]);
    sso.set_access_token_lifetime(60);
    let app = start(&w, &sso, &browser);
    app.click("prod · signed out");
    app.wait_for_label("prod assumed", CLICK, |i| assumed(&i.label));

    // Automatic renewals go on with refreshed tokens: no browser, no prompt.
    for round in 0..2 {
        let edited = near_its_end(&w);
        renewed(&app, &w, &edited, &format!("automatic renewal {round}"));
    }
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    assert_eq!(browser.opened().len(), 1, "the stub browser was visited once: {:?}", browser.opened());
    let g = grants(&sso);
    assert_eq!(g[0], "authorization_code", "{g:?}");
    assert!(g.len() >= 4 && g[1..].iter().all(|g| g == "refresh_token"), "only refreshes after it: {g:?}");
    assert!(w.notifications().notifications().is_empty(), "{}", w.notifications().log());

    // The portal session ends: the next renewal's refresh is refused.
    sso.end_sessions();
    let before = near_its_end(&w);
    let n = w
        .notifications()
        .wait_for("the sign-in notice", Duration::from_secs(90), |n| n.summary == "Sign in to corp again");
    assert!(n.has_action("sign-in"), "{n:?}");
    assert_eq!(n.actions[0].1, "Sign in", "{n:?}");
    let menu = app.wait_for_menu("corp signed out", FOLLOW, |m| has(m, "Sign in to corp…"));
    assert!(
        menu.children.iter().any(|i| i.label.starts_with("prod · ") && i.label.ends_with("· signed out")),
        "{menu}"
    );
    assert!(!menu.child_labels().iter().any(|l| l.starts_with('⚠')), "{menu}");

    // Renewals wait for a sign-in: no retry against the portal, nothing written, told once.
    let tokens = sso.requests_to("/token").len();
    std::thread::sleep(Duration::from_secs(50));
    assert_eq!(sso.requests_to("/token").len(), tokens, "no refresh retried: {:?}", grants(&sso));
    assert_eq!(std::fs::read(w.sandbox.credentials_path()).unwrap(), before, "the old credentials untouched");
    let told = w.notifications().notifications().into_iter().filter(|n| n.summary == "Sign in to corp again").count();
    assert_eq!(told, 1, "{}", w.notifications().log());
    assert!(
        !w.notifications().notifications().iter().any(|n| n.summary.starts_with("Could not renew")),
        "an ended sign-in is no failed renewal: {}",
        w.notifications().log()
    );

    // Its Sign in button signs in again in the browser; renewals resume.
    w.notifications().invoke_action(n.id, "sign-in");
    app.wait_for_menu("signed in again", CLICK, |m| {
        !has(m, "Sign in to corp…") && !m.child_labels().iter().any(|l| l.starts_with("Signing in"))
    });
    assert_eq!(browser.opened().len(), 2, "{:?}", browser.opened());
    renewed(&app, &w, &before, "the renewal after the sign-in");
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    let told = w.notifications().notifications().into_iter().filter(|n| n.summary == "Sign in to corp again").count();
    assert_eq!(told, 1, "the end was told once: {}", w.notifications().log());
    assert_no_secret_in(&app, &sso);
}

/// A stub browser whose behaviour the file `mode` beside it sets: `broken` fails (exit 3, as
/// `xdg-open` does when it finds no browser), `idle` opens a browser in which the user does
/// nothing, anything else plays the user ([`StubBrowser`]). The mode file and the `PATH`.
fn breakable_browser(w: &World, browser: &StubBrowser) -> (std::path::PathBuf, String) {
    use std::os::unix::fs::PermissionsExt;
    let dir = w.sandbox.home().join("breakable");
    std::fs::create_dir_all(&dir).unwrap();
    let mode = dir.join("mode");
    let script = format!(
        "#!/bin/sh\nmode=$(cat '{}' 2>/dev/null)\n[ \"$mode\" = broken ] && exit 3\n[ \"$mode\" = idle ] && exit 0\n\
         exec '{}' \"$@\"\n",
        mode.display(),
        browser.opener().display()
    );
    std::fs::write(dir.join("xdg-open"), script).unwrap();
    std::fs::set_permissions(dir.join("xdg-open"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(&mode, "broken").unwrap();
    (mode, format!("{}:{}", dir.display(), browser.path_env()))
}

#[test]
fn tray_signs_in_with_a_device_code_in_its_window_when_no_browser_opens() {
    use rolecall_e2e::{REGISTER_TIMEOUT, TauriDriver, tray_bin};
    const WINDOW: &str = "rolecall: sign in";
    const UI: Duration = Duration::from_secs(10);
    let (w, sso, browser) = world(&[]);
    let (mode, path) = breakable_browser(&w, &browser);
    let mut envs = w.gui_envs();
    envs.extend(sso.envs());
    envs.push(("PATH".to_owned(), path));
    envs.push(("ROLECALL_LOG".to_owned(), "trace".to_owned()));
    let driver = TauriDriver::start_with_envs(&w.sandbox, &envs);
    let wd = driver.session(&tray_bin(), &["--settings"]);
    let tray = w.desktop().wait_for_tray_item(REGISTER_TIMEOUT);
    let settings = wd.window_handle().expect("the settings window");
    tray.wait_for_label("the sign-in entry", FOLLOW, |i| i.label == "Sign in to corp…");

    // No browser opens: the sign-in falls back to a device code, shown in its window.
    tray.click("Sign in to corp…");
    w.desktop().wait_for_window(WINDOW, CLICK);
    let menu = tray.wait_for_menu("the code shown", FOLLOW, |m| has(m, "Signing in to corp… (code shown)"));
    assert!(!has(&menu, "Sign in to corp…"), "one sign-in at a time: {menu}");
    let window =
        wd.wait_until("the sign-in window's handle", UI, |wd| wd.window_handles().into_iter().find(|h| *h != settings));
    wd.switch_to_window(&window);
    assert!(wd.url().ends_with("/signin.html"), "{}", wd.url());
    let first = wd.wait_for_text_content("#signin-code", UI, |t| !t.is_empty());
    assert_eq!(wd.text_content(&wd.find("#signin-source").unwrap()), "corp");
    let uri = wd.text_content(&wd.find("#signin-uri").unwrap());
    assert!(uri.starts_with(&sso.endpoint()), "{uri}");
    assert_eq!(browser.opened().len(), 0, "the browser never opened");
    // The window paints a moment after its page has the code: the screenshot waits for that.
    std::thread::sleep(Duration::from_secs(1));
    w.desktop().screenshot_window(WINDOW, &rolecall_e2e::screenshots_dir().join("signin-window.png"));

    // Denied in the browser: the window says so; the source is still signed out.
    sso.deny_device(&first);
    let status = wd.wait_for_text_content("#signin-status", CLICK, |t| t.starts_with("The code was denied"));
    eprintln!("denied: {status}");
    assert_eq!(wd.attribute_of("#signin-open", "disabled").as_deref(), Some("true"));
    tray.wait_for_menu("signed out again", FOLLOW, |m| has(m, "Sign in to corp…"));

    // A browser that opens but where nothing happens: the menu says the sign-in waits for it and
    // offers the code instead, whose new code replaces the old in the same window.
    std::fs::write(&mode, "idle").unwrap();
    tray.click("Sign in to corp…");
    let menu = tray.wait_for_menu("waiting for the browser", CLICK, |m| has(m, "Signing in to corp… (browser)"));
    assert!(has(&menu, "Sign in with a code instead…"), "{menu}");
    assert!(!has(&menu, "Sign in to corp…"), "{menu}");
    w.desktop().screenshot_tray_menu(&rolecall_e2e::screenshots_dir().join("tray-menu-sso-signing-in.png"));
    tray.click("Sign in with a code instead…");
    let second = wd.wait_for_text_content("#signin-code", CLICK, |t| !t.is_empty() && t != first);
    tray.wait_for_menu("the code shown", FOLLOW, |m| has(m, "Signing in to corp… (code shown)"));
    let page = wd.execute("return document.documentElement.outerHTML;", &[]);
    // Open browser (working now) visits the confirmation page, which approves the code; the
    // window closes itself.
    std::fs::write(&mode, "").unwrap();
    sso.set_browser_approves(true);
    wd.click_css("#signin-open");
    w.desktop().wait_for_no_window(WINDOW, CLICK);
    wd.switch_to_window(&settings);
    tray.wait_for_menu("signed in", CLICK, |m| !has(m, "Sign in to corp…") && has(m, "prod"));
    let opened = browser.opened();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(opened[0].contains(&second), "the page with the code filled in: {opened:?}");
    assert_eq!(grants(&sso).last().map(String::as_str), Some("urn:ietf:params:oauth:grant-type:device_code"));
    assert!(grants(&sso).iter().all(|g| g.ends_with("device_code")), "{:?}", grants(&sso));

    // Signed in: a click assumes, and neither the page nor the app's log held a secret.
    tray.click("prod");
    tray.wait_for_label("prod assumed", CLICK, |i| assumed(&i.label));
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    let mut hygiene = rolecall_e2e::Hygiene::new();
    hygiene.secrets("an IAM Identity Center secret", sso.issued_secrets());
    let page = page.as_str().unwrap_or_default().to_owned();
    assert!(page.contains(&second), "the page shows the code");
    let log = driver.log();
    assert!(hygiene.assert_clean(&[("the sign-in window's page", page.as_str()), ("the app's log", log.as_str())]) > 0);
}

#[test]
fn tray_notices_a_sign_in_made_with_the_cli_within_a_minute() {
    let (w, sso, browser) = world(&[]);
    let app = start(&w, &sso, &browser);
    app.wait_for_label("prod signed out", FOLLOW, |i| i.label == "prod · signed out");

    let signed_in = Instant::now();
    crate::sso::login(&w, &sso, "corp");
    let menu = app.wait_for_menu("the CLI's sign-in in the tray", Duration::from_secs(75), |m| {
        !has(m, "Sign in to corp…") && has(m, "prod")
    });
    eprintln!("a CLI sign-in showed in the tray after {:?}", signed_in.elapsed());
    assert!(!menu.child_labels().iter().any(|l| l.contains("signed out")), "{menu}");
    app.click("prod");
    app.wait_for_label("prod assumed", CLICK, |i| assumed(&i.label));
    assert_eq!(browser.opened().len(), 0, "no sign-in of the tray's own");
}

#[test]
fn tray_reads_no_sign_in_state_from_a_locked_keychain_and_does_once_it_is_unlocked() {
    let (mut w, sso, browser) = world(&[]);
    w.keychain.lock();
    let calls = crate::renewal::SecretServiceCalls::watch(w.keychain.address(), w.sandbox.home());
    let app = start(&w, &sso, &browser);
    app.wait_for_label("prod", FOLLOW, |i| i.label == "prod");
    std::thread::sleep(Duration::from_secs(3));
    // No keychain request (and so no unlock prompt) that nobody asked for; not a failure either.
    assert_eq!(calls.calls(), Vec::<String>::new(), "keychain requests while locked");
    assert!(app.log().contains("the keychain is locked: its sign-in state is not read"), "{}", app.log());
    let menu = app.menu();
    assert!(!has(&menu, "Sign in to corp…") && !menu.child_labels().iter().any(|l| l.starts_with('⚠')), "{menu}");
    drop(calls);

    w.keychain.unlock();
    app.wait_for_menu("the sign-in state once readable", Duration::from_secs(75), |m| has(m, "Sign in to corp…"));
}
