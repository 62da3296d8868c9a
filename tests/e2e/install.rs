//! The installed package end to end: `/usr/bin/rolecall-tray` and `/usr/bin/rolecall` as the .deb
//! put them there (scripts/test builds it with scripts/package and installs it with apt first).
//!
//! Runs only with `ROLECALL_TEST_INSTALLED=1`: without it the installed binaries may be absent or
//! from another version, so the test returns early and says so (it is not a pass of anything).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rolecall_e2e::{Desktop, Keychain, Moto, ROLECALL_TIMEOUT, Sandbox, TrayApp, run_with_timeout};

use crate::tray::text;

/// Where the package installs the tray app and the CLI.
const INSTALLED_TRAY: &str = "/usr/bin/rolecall-tray";
const INSTALLED_CLI: &str = "/usr/bin/rolecall";
/// How long a favourite added before the start may take to show in the menu.
const MENU: Duration = Duration::from_secs(10);

/// Runs the INSTALLED CLI in `sandbox` against `moto` and `keychain`; panics unless it succeeds.
fn installed_cli(sandbox: &Sandbox, moto: &Moto, keychain: &Keychain, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = sandbox.command(INSTALLED_CLI, &sandbox.envs(moto, keychain));
    cmd.args(args);
    let out = run_with_timeout(&mut cmd, stdin.map(str::as_bytes), ROLECALL_TIMEOUT);
    assert!(out.status.success(), "{INSTALLED_CLI} {args:?} failed:\n{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn installed_tray_app_shows_a_favourite_added_with_the_installed_cli() {
    if std::env::var_os("ROLECALL_TEST_INSTALLED").is_none_or(|v| v != "1") {
        eprintln!(
            "SKIPPED: set ROLECALL_TEST_INSTALLED=1 to test the installed package ({INSTALLED_TRAY}, {INSTALLED_CLI}); \
             scripts/test does so after scripts/package and apt-get install"
        );
        return;
    }
    for bin in [INSTALLED_TRAY, INSTALLED_CLI] {
        assert!(Path::new(bin).is_file(), "{bin} is not installed: install the package first");
    }

    // The installed CLI is the workspace's version.
    let out = run_with_timeout(Command::new(INSTALLED_CLI).arg("--version"), None, ROLECALL_TIMEOUT);
    assert!(out.status.success(), "{INSTALLED_CLI} --version:\n{}", text(&out));
    let version = String::from_utf8_lossy(&out.stdout);
    assert_eq!(version.trim(), format!("rolecall {}", env!("CARGO_PKG_VERSION")), "{INSTALLED_CLI} --version");

    let moto = Moto::start();
    let alice = moto.create_user("alice");
    moto.create_role("Admin", &alice.user_arn, None);
    moto.enable_auth_mode();
    let keychain = Keychain::start_unlocked();
    let desktop = Desktop::start(&keychain);
    let sandbox = Sandbox::new();

    // A source (keys checked against moto, stored in the keychain) and a favourite, with the installed CLI.
    let keys = format!("{}\n{}\n", alice.access_key_id, alice.secret_access_key);
    installed_cli(&sandbox, &moto, &keychain, &["source", "add", "work"], Some(&keys));
    installed_cli(
        &sandbox,
        &moto,
        &keychain,
        &["role", "add", "installed-admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"],
        None,
    );

    // The installed tray app registers its tray item and lists the favourite.
    let mut app = TrayApp::start_bin(Path::new(INSTALLED_TRAY), &sandbox, &moto, &keychain, &desktop, &[]);
    let registered = app.wait_registered(&desktop);
    eprintln!("{INSTALLED_TRAY} registered its tray item after {registered:?}");
    let menu = app.wait_for_menu("the favourite", MENU, |m| m.child_labels().contains(&"installed-admin".to_owned()));
    assert_eq!(menu.child_labels(), ["installed-admin", "Actions", "Settings…", "Quit rolecall"], "{menu}");
    assert!(menu.children.iter().filter(|i| !i.separator).all(|i| i.enabled), "{menu}");
}
