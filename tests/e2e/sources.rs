//! Sources and their keychain entries: nothing lost, nothing left behind (#12, defect 3).
//!
//! The AWS secret key is shown once, when it is created: removing a source must never delete it
//! from the keychain unless `config.toml` is updated too, and adding one must not leave keys the
//! config does not describe, nor reuse an MFA session minted with other keys.

use std::os::unix::fs::symlink;
use std::process::Output;

use rolecall_e2e::{KEYCHAIN_SERVICE, World, output_text as text};

/// moto (auth mode on) with user alice, an unlocked keychain, an empty sandbox.
fn world() -> World {
    World::new(|_, _| {})
}

/// `rolecall source add work` with alice's keys and an MFA serial.
fn add_work(w: &World) -> Output {
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    w.run_with(&["source", "add", "work", "--mfa-serial", "arn:aws:iam::123456789012:mfa/alice"], Some(&keys))
}

/// Makes the next update of `config.toml` fail: its lock file becomes a symbolic link, which
/// rolecall refuses to open (file.lock_not_regular). Reads still work.
fn break_config_updates(w: &World) {
    let dir = w.sandbox.rolecall_config_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join(".config.toml.rolecall.lock");
    let _ = std::fs::remove_file(&lock);
    symlink(w.sandbox.home().join("elsewhere"), &lock).unwrap();
}

#[test]
fn a_source_whose_removal_cannot_update_the_config_keeps_its_keys() {
    let w = world();
    let out = add_work(&w);
    assert!(out.status.success(), "{}", text(&out));
    assert!(w.entry("source:work").is_some_and(|s| s.contains(&w.alice().secret_access_key)));

    break_config_updates(&w);
    let out = w.run(&["source", "remove", "work"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("file.lock_not_regular"), "{}", text(&out));
    assert!(w.config_toml().contains("[sources.work]"), "the source is still described: {}", w.config_toml());
    let kept = w.entry("source:work");
    assert!(kept.is_some_and(|s| s.contains(&w.alice().secret_access_key)), "its secret key is still in the keychain");
}

#[test]
fn a_source_removed_while_the_keychain_refuses_is_removed_and_says_its_keys_stay() {
    let mut w = world();
    assert!(add_work(&w).status.success());
    w.keychain.lock();
    let out = w.run(&["source", "remove", "work"]);
    assert!(out.status.success(), "the source is removed: {}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Removed source work"), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        said.contains("warning: source work: removed, but its keys stay in the keychain (accounts source:work and mfa-session:work): the keychain is locked"),
        "{said}"
    );
    assert!(!w.config_toml().contains("[sources.work]"), "{}", w.config_toml());
    w.keychain.unlock();
    assert!(w.entry("source:work").is_some(), "the keys are where the warning says");
}

#[test]
fn adding_a_source_leaves_no_keys_the_config_does_not_describe_and_no_old_mfa_session() {
    let w = world();
    // An MFA session left under the name by an earlier source of other keys.
    let leftover = r#"{"v":1,"access_key_id":"ASIAOLDSESSION000001","secret_access_key":"oldSessionSecret","session_token":"oldSessionToken","expiration":"2099-01-01T00:00:00Z"}"#;
    assert!(w.keychain.store(
        "leftover",
        &[("service", KEYCHAIN_SERVICE), ("username", "mfa-session:work"), ("target", "default")],
        leftover
    ));
    assert!(w.entry("mfa-session:work").is_some());

    // The config cannot be written: the keys do not stay in the keychain.
    break_config_updates(&w);
    let out = add_work(&w);
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(w.entry("source:work"), None, "keys config.toml does not describe");

    // Once it can: the source is added, and the old MFA session is gone with it.
    std::fs::remove_file(w.sandbox.rolecall_config_dir().join(".config.toml.rolecall.lock")).unwrap();
    let out = add_work(&w);
    assert!(out.status.success(), "{}", text(&out));
    assert!(w.entry("source:work").is_some());
    assert_eq!(w.entry("mfa-session:work"), None, "never reused for the new keys");
}
