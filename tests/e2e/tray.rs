//! The tray app end to end: `rolecall-tray` under Xvfb with a real tray host, its menu read and
//! clicked over D-Bus (dbusmenu) as a desktop shell does, against moto in auth mode, a real
//! keychain, the files, the `rolecall` CLI (to set things up and change them while the app runs)
//! and the AWS CLI (to check what the app wrote). Each test has its own moto, keychain bus,
//! display, tray host and home.

use std::process::Command;
use std::time::{Duration, Instant};

use rolecall_e2e::{
    MenuItem, TrayApp, World, apply_envs, assumed_role_arn, aws_cli, run_with_timeout, screenshots_dir, tray_bin,
};

/// How long a click may take to show in the menu (an STS round trip, a file write, a rebuild).
const CLICK: Duration = Duration::from_secs(30);
/// How long a change made with the CLI may take to reach the menu (file events: well under 1 s).
const FOLLOW: Duration = Duration::from_secs(5);
/// The title of the settings window.
const SETTINGS_TITLE: &str = "rolecall settings";

pub(crate) use rolecall_e2e::output_text as text;

/// Whether `label` is `NAME · Nm left` with N in `minutes`.
pub(crate) fn left(label: &str, name: &str, minutes: std::ops::RangeInclusive<u32>) -> bool {
    label
        .strip_prefix(&format!("{name} · "))
        .and_then(|rest| rest.strip_suffix("m left"))
        .and_then(|m| m.parse::<u32>().ok())
        .is_some_and(|m| minutes.contains(&m))
}

/// The top-level entries that show a failure (`⚠ …`).
fn warnings(menu: &MenuItem) -> Vec<&MenuItem> {
    menu.children.iter().filter(|i| i.label.starts_with('⚠')).collect()
}

#[test]
fn tray_lists_favourites_and_a_click_assumes_one() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Dev", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &["--duration", "45m"]);
    w.add_favourite("dev", "arn:aws:iam::123456789012:role/Dev", &[]);
    let app = w.start_app(&[]);

    // Every favourite with its plain label (never assumed), then the fixed entries.
    let menu = app.wait_for_menu("both favourites", FOLLOW, |m| m.child_labels().contains(&"dev".to_owned()));
    assert_eq!(menu.child_labels(), ["admin", "dev", "Actions", "Settings…", "Quit rolecall"], "{menu}");
    assert!(menu.children.iter().filter(|i| !i.separator).all(|i| i.enabled), "{menu}");
    let actions = menu.children.iter().find(|i| i.label == "Actions").expect("Actions");
    assert_eq!(actions.child_labels(), ["admin", "dev"], "{menu}");
    let admin_actions = &actions.children[0];
    let entries = admin_actions.child_labels();
    assert_eq!(entries[0], "Assume", "{menu}");
    assert!(entries.iter().any(|l| l.starts_with("Open console")), "{menu}");
    assert!(entries.ends_with(&["Copy export lines".into(), "Make this the default profile".into()]), "{menu}");
    assert!(!w.sandbox.credentials_path().exists(), "nothing is written before a click");

    let clicked = Instant::now();
    app.click("admin");
    let item = app.wait_for_label("admin · 44m left", CLICK, |i| left(&i.label, "admin", 43..=45));
    eprintln!("click → {:?} in {:?}", item.label, clicked.elapsed());
    let menu = app.menu();
    assert!(menu.child_labels().contains(&"dev".to_owned()), "dev stays unassumed: {menu}");
    assert!(warnings(&menu).is_empty(), "{menu}");
    let actions = menu.children.iter().find(|i| i.label == "Actions").expect("Actions");
    assert_eq!(actions.children[0].child_labels()[0], "Renew", "an active session is renewed: {menu}");

    // The profile is written and an independent client accepts it.
    let creds = w.sandbox.read_credentials();
    assert!(creds.contains("[admin]\n") && creds.contains("x_rolecall_favourite = admin\n"), "{creds}");
    assert!(creds.contains("aws_session_token = "), "{creds}");
    assert!(!creds.contains("[dev]"), "{creds}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    // The CLI sees the same session.
    let status = w.ok(&["status"]);
    assert!(status.lines().any(|l| l.starts_with("admin") && l.contains("active")), "{status}");

    w.desktop().screenshot_tray_menu(&screenshots_dir().join("tray-menu.png"));

    // Idle, the app sleeps until the next label change: no polling, no loop on its own reads.
    let before = app.cpu_time();
    std::thread::sleep(Duration::from_secs(2));
    let used = app.cpu_time() - before;
    assert!(used < Duration::from_millis(300), "the idle app used {used:?} of CPU in 2 s");
}

#[test]
fn tray_follows_favourites_added_and_removed_with_the_cli() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Ops", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    let app = w.start_app(&[]);
    let menu = app.menu();
    assert_eq!(menu.child_labels(), ["No favourites yet: add one in Settings", "Settings…", "Quit rolecall"], "{menu}");
    assert!(!menu.children[0].enabled, "{menu}");

    let added = Instant::now();
    w.add_favourite("ops", "arn:aws:iam::123456789012:role/Ops", &[]);
    let menu = app.wait_for_menu("ops to appear", FOLLOW, |m| m.child_labels().first().is_some_and(|l| l == "ops"));
    eprintln!("a favourite added with the CLI showed in the menu after {:?}", added.elapsed());
    assert_eq!(menu.child_labels(), ["ops", "Actions", "Settings…", "Quit rolecall"], "{menu}");

    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
    app.wait_for_menu("admin to appear", FOLLOW, |m| m.child_labels().starts_with(&["admin".into(), "ops".into()]));

    // A session assumed with the CLI shows too (the credentials file is watched).
    w.ok(&["assume", "ops"]);
    app.wait_for_label("ops · 59m left", FOLLOW, |i| left(&i.label, "ops", 58..=60));

    let removed = Instant::now();
    w.ok(&["role", "remove", "ops"]);
    let menu = app.wait_for_menu("ops to disappear", FOLLOW, |m| {
        m.flatten().iter().all(|i| i.label != "ops" && !i.label.starts_with("ops ·"))
    });
    eprintln!("a favourite removed with the CLI left the menu after {:?}", removed.elapsed());
    assert_eq!(menu.child_labels(), ["admin", "Actions", "Settings…", "Quit rolecall"], "{menu}");
    assert!(!w.sandbox.read_credentials().contains("[ops]"), "role remove also removes its profile");

    w.ok(&["role", "remove", "admin"]);
    app.wait_for_menu("the empty menu", FOLLOW, |m| {
        m.child_labels() == ["No favourites yet: add one in Settings", "Settings…", "Quit rolecall"]
    });
}

#[test]
fn tray_shows_access_denied_writes_nothing_and_the_next_success_clears_it() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Locked", "arn:aws:iam::123456789012:user/someone-else", None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &["--region", "eu-west-1"]);
    w.add_favourite("locked", "arn:aws:iam::123456789012:role/Locked", &["--region", "eu-west-1"]);
    let app = w.start_app(&[]);
    app.wait_for_label("locked", FOLLOW, |i| i.label == "locked");

    app.click("locked");
    let warning = app.wait_for_label("a ⚠ entry", CLICK, |i| i.label.starts_with("⚠ "));
    eprintln!("failure shown as {:?}", warning.label);
    assert!(warning.label.contains("access denied"), "{}", warning.label);
    assert!(warning.label.contains("locked"), "the message names the favourite: {}", warning.label);
    assert!(!warning.enabled, "the ⚠ entry is informational");
    // Cut to fit a menu: with an ellipsis, never mid-space.
    assert!(warning.label.chars().count() <= 92, "{}", warning.label);
    assert!(warning.label.ends_with('…') && !warning.label.ends_with(" …"), "{}", warning.label);
    let menu = app.menu();
    assert_eq!(menu.children[0].label, warning.label, "the ⚠ entry comes first: {menu}");
    assert!(menu.children[1].separator, "{menu}");
    assert!(menu.child_labels().contains(&"locked".to_owned()), "locked keeps its plain label: {menu}");
    // Nothing written: no credentials file, no region in the AWS config.
    assert!(!w.sandbox.credentials_path().exists(), "{}", w.sandbox.read_credentials());
    assert!(!w.sandbox.config_path().exists(), "{}", w.sandbox.read_config());
    w.desktop().screenshot_tray_menu(&screenshots_dir().join("tray-menu-error.png"));

    app.click("admin");
    let menu = app.wait_for_menu("admin assumed and the ⚠ gone", CLICK, |m| {
        m.children.iter().any(|i| left(&i.label, "admin", 58..=60)) && warnings(m).is_empty()
    });
    assert_eq!(menu.child_labels()[1], "locked", "{menu}");
    assert!(!w.sandbox.read_credentials().contains("[locked]"));
    assert_eq!(w.sandbox.read_config(), "[profile admin]\nregion = eu-west-1\n");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
}

#[test]
fn tray_settings_opens_the_window_and_quit_exits_with_status_0() {
    let w = World::builder().desktop().build_with(|_, _| {});
    let mut app = w.start_app(&[]);
    assert!(!w.desktop().has_window(SETTINGS_TITLE), "no window at start:\n{}", w.desktop().window_tree());

    app.click("Settings…");
    let opened = Instant::now();
    w.desktop().wait_for_window(SETTINGS_TITLE, Duration::from_secs(20));
    eprintln!("the settings window showed {:?} after the click", opened.elapsed());
    // Let the page render before the picture.
    std::thread::sleep(Duration::from_millis(1500));
    w.desktop().screenshot_window(SETTINGS_TITLE, &screenshots_dir().join("tray-settings-window.png"));
    w.desktop().screenshot(&screenshots_dir().join("tray-settings-screen.png"));
    assert!(app.exited().is_none(), "the app still runs");

    app.click("Quit rolecall");
    let status = app.wait_exit(Duration::from_secs(15));
    assert_eq!(status.code(), Some(0), "{status}\n{}", app.log());
    assert!(!w.desktop().has_window(SETTINGS_TITLE), "the window went with the app");
}

#[test]
fn tray_second_launch_shows_settings_in_the_running_instance() {
    let w = World::builder().desktop().build_with(|_, _| {});
    let mut first = w.start_app(&[]);
    assert!(!w.desktop().has_window(SETTINGS_TITLE));

    let mut second = Command::new(tray_bin());
    apply_envs(&mut second, first.envs()).current_dir(w.sandbox.home());
    let started = Instant::now();
    let out = run_with_timeout(&mut second, None, Duration::from_secs(30));
    eprintln!("the second launch exited after {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    w.desktop().wait_for_window(SETTINGS_TITLE, Duration::from_secs(20));
    assert!(first.exited().is_none(), "the first instance still runs:\n{}", first.log());
    // Still one tray item, a while later too.
    std::thread::sleep(Duration::from_secs(1));
    let items = w.desktop().tray_items();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].0, first.item().name, "{items:?}");
    assert_eq!(w.desktop().visible_windows(SETTINGS_TITLE).len(), 1, "{}", w.desktop().window_tree());
}

/// The clipboard's text on the desktop (`xclip`), once it satisfies `predicate`.
fn clipboard(w: &World, predicate: impl Fn(&str) -> bool) -> String {
    rolecall_e2e::wait_for("the clipboard to hold the export lines", CLICK, || {
        let mut cmd = Command::new("xclip");
        apply_envs(&mut cmd, &w.desktop().env()).args(["-selection", "clipboard", "-o"]);
        let out = run_with_timeout(&mut cmd, None, Duration::from_secs(10));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success() && predicate(&text)).then_some(text)
    })
}

#[test]
fn tray_copies_export_lines_and_makes_the_default_profile_only_when_asked() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &["--region", "eu-west-1"]);
    let app = w.start_app(&[]);
    app.wait_for_label("admin", FOLLOW, |i| i.label == "admin");

    // Copy export lines: no session yet, so the app assumes first, then copies.
    app.click("Copy export lines");
    app.wait_for_label("admin · 59m left", CLICK, |i| left(&i.label, "admin", 58..=60));
    let lines = clipboard(&w, |t| t.contains("export AWS_SESSION_TOKEN="));
    let creds = w.sandbox.read_credentials();
    let key = creds.lines().find_map(|l| l.strip_prefix("aws_access_key_id = ")).expect("written key");
    assert!(lines.contains(&format!("export AWS_ACCESS_KEY_ID='{key}'\n")), "{lines}");
    assert!(lines.contains("export AWS_REGION='eu-west-1'\n"), "{lines}");
    // The AWS CLI accepts the copied credentials from the environment alone.
    let mut envs = w.sandbox.envs(w.moto(), &w.keychain);
    for line in lines.lines().filter_map(|l| l.strip_prefix("export ")) {
        let (k, v) = line.split_once('=').expect("NAME=value");
        envs.push((k.to_owned(), v.trim_matches('\'').to_owned()));
    }
    let out = aws_cli(&envs, &["sts", "get-caller-identity", "--output", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&assumed_role_arn("Admin", "alice")));
    assert!(!creds.contains("[default]"), "nothing becomes the default unless asked: {creds}");

    // Make this the default profile: [default] now holds the session; plain `aws` uses it.
    app.click("Make this the default profile");
    rolecall_e2e::wait_until("[default] to be written", CLICK, || w.sandbox.read_credentials().contains("[default]"));
    let creds = w.sandbox.read_credentials();
    let default = creds.split("[default]").nth(1).expect("a default section");
    assert!(default.contains("x_rolecall_favourite = admin"), "{creds}");
    assert!(default.contains(&format!("aws_access_key_id = {key}")), "the same session: {creds}");
    let out = aws_cli(&w.sandbox.envs(w.moto(), &w.keychain), &["sts", "get-caller-identity", "--output", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&assumed_role_arn("Admin", "alice")));
    assert!(w.sandbox.read_config().contains("[default]\nregion = eu-west-1\n"), "{}", w.sandbox.read_config());

    // A later assume (with the CLI) keeps [default] in step.
    w.ok(&["assume", "admin"]);
    let creds = w.sandbox.read_credentials();
    let key2 = creds
        .split("[admin]")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("aws_access_key_id = ")))
        .unwrap();
    let default_key = creds
        .split("[default]")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("aws_access_key_id = ")))
        .unwrap();
    assert_ne!(key, key2, "a new session");
    assert_eq!(key2, default_key, "[default] follows the favourite it was made from");
}

#[test]
fn tray_never_overwrites_a_default_profile_the_user_wrote() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    let own = "[default]\naws_access_key_id = AKIAUSEROWNKEY000001\naws_secret_access_key = mine\n";
    w.sandbox.write(".aws/credentials", own);
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
    let app = w.start_app(&[]);
    app.wait_for_label("admin", FOLLOW, |i| i.label == "admin");
    app.click("Make this the default profile");
    let warning = app.wait_for_label("a warning", CLICK, |i| i.label.starts_with('⚠'));
    assert!(
        warning.label.contains("profile default: exists in the credentials file and was not written by rolecall"),
        "{}",
        warning.label
    );
    let creds = w.sandbox.read_credentials();
    assert!(creds.starts_with(own), "the user's [default] is untouched: {creds}");
    assert_eq!(creds.matches("[default]").count(), 1, "{creds}");
}

/// Clicks `entry` in favourite `favourite`'s Actions submenu.
fn click_action(app: &TrayApp, favourite: &str, entry: &str) {
    let menu = app.menu();
    let actions = menu.children.iter().find(|i| i.label == "Actions").expect("Actions");
    let sub = actions.children.iter().find(|i| i.label == favourite).unwrap_or_else(|| panic!("{favourite}: {menu}"));
    let item = sub.children.iter().find(|i| i.label == entry).unwrap_or_else(|| panic!("{entry}: {menu}"));
    app.item().click_id(item.id).unwrap();
}

#[test]
fn the_default_profile_moves_between_favourites_and_goes_with_the_one_that_holds_it() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Dev", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
    w.add_favourite("dev", "arn:aws:iam::123456789012:role/Dev", &[]);
    let app = w.start_app(&[]);
    app.wait_for_label("dev", FOLLOW, |i| i.label == "dev");
    let holder = |w: &World| {
        let creds = w.sandbox.read_credentials();
        creds.split("[default]").nth(1).and_then(|s| {
            s.split("\n[").next()?.lines().find_map(|l| l.strip_prefix("x_rolecall_favourite = ")).map(str::to_owned)
        })
    };

    click_action(&app, "admin", "Make this the default profile");
    rolecall_e2e::wait_for("[default] from admin", CLICK, || (holder(&w).as_deref() == Some("admin")).then_some(()));
    // Another favourite takes it over (it used to fail: [default] belonged to admin).
    click_action(&app, "dev", "Make this the default profile");
    rolecall_e2e::wait_for("[default] from dev", CLICK, || (holder(&w).as_deref() == Some("dev")).then_some(()));
    assert!(warnings(&app.menu()).is_empty(), "{}", app.menu());
    let out = aws_cli(&w.sandbox.envs(w.moto(), &w.keychain), &["sts", "get-caller-identity", "--output", "json"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&assumed_role_arn("Dev", "alice")), "{}", text(&out));
    let creds = w.sandbox.read_credentials();
    assert_eq!(creds.matches("[default]").count(), 1, "{creds}");
    assert!(!w.sandbox.home().join(".local/share/rolecall/backups").exists(), "a session passed on needs no backup");

    // Removing admin leaves dev's [default]; removing dev takes [default] with it.
    w.ok(&["role", "remove", "admin"]);
    assert_eq!(holder(&w).as_deref(), Some("dev"));
    w.ok(&["role", "remove", "dev"]);
    let creds = w.sandbox.read_credentials();
    assert!(!creds.contains("[default]") && !creds.contains("[dev]"), "no stale [default] left: {creds}");
}
