//! `OsKeychain` against a real Secret Service: gnome-keyring on a private D-Bus session bus (the
//! e2e harness's [`Keychain`]), checked from outside with `secret-tool`.
//!
//! keyring connects to the bus `DBUS_SESSION_BUS_ADDRESS` names, which a test cannot set for
//! itself (the workspace forbids `unsafe`, and `set_var` is unsafe), so each test starts the
//! keychain, then runs its keychain steps in a child process of this same test binary with the
//! bus in that child's environment (`STEP` says which step), and looks at the items between them.

use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rolecall_core::keychain::SecretStore;
use rolecall_core::secret::SourceKeys;
use rolecall_core::sso::{ClientRegistration, SsoSecrets, Token};
use rolecall_core::validate::Name;
use rolecall_e2e::{Keychain, apply_envs, run_with_timeout};
use rolecall_keychain::OsKeychain;
use rolecall_keychain::parts::MAX_ITEM_BYTES;
use secrecy::{ExposeSecret, SecretString};

/// The variable that makes this binary run one step of a test (in the child).
const STEP: &str = "ROLECALL_KEYCHAIN_TEST_STEP";
/// The keychain service the steps use.
const SERVICE: &str = "rolecall-keychain-test";
/// The source.
const SOURCE: &str = "corp";

/// `n` characters of token-like text (base64url letters), different for each `seed`.
fn token_text(seed: u64, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(ALPHABET[(x % 64) as usize])
        })
        .collect()
}

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000 + secs, 0).expect("a valid time")
}

/// The secrets a step stores: a token of `token_len` characters (with a refresh token), or none.
fn secrets(token_len: Option<usize>) -> SsoSecrets {
    SsoSecrets {
        registration: ClientRegistration {
            client_id: "client-id-corp".into(),
            client_secret: SecretString::from(token_text(1, 1500)),
            expires_at: at(90 * 86_400),
            redirect_uri: Some("http://127.0.0.1:41234/oauth/callback".into()),
        },
        token: token_len.map(|n| Token {
            access_token: SecretString::from(token_text(2, n)),
            expires_at: at(3600),
            refresh_token: Some(SecretString::from(token_text(3, 900))),
        }),
        signed_in_at: token_len.map(|_| at(0)),
    }
}

/// Whether `got` is `want`, secret by secret.
fn assert_same(got: &SsoSecrets, want: &SsoSecrets) {
    let (g, w) = (&got.registration, &want.registration);
    assert_eq!(g.client_id, w.client_id);
    assert!(g.client_secret.expose_secret() == w.client_secret.expose_secret(), "the client secret differs");
    assert_eq!((g.expires_at, &g.redirect_uri), (w.expires_at, &w.redirect_uri));
    assert_eq!(got.signed_in_at, want.signed_in_at);
    match (&got.token, &want.token) {
        (None, None) => {}
        (Some(g), Some(w)) => {
            assert!(g.access_token.expose_secret() == w.access_token.expose_secret(), "the access token differs");
            assert_eq!(g.expires_at, w.expires_at);
            let refresh = |t: &Token| t.refresh_token.as_ref().map(|r| r.expose_secret().to_owned());
            assert!(refresh(g) == refresh(w), "the refresh token differs");
        }
        (g, w) => panic!("token: got {}, want {}", g.is_some(), w.is_some()),
    }
}

/// In the child: one step, through a fresh `OsKeychain` (nothing kept in memory between steps).
fn child_step(step: &str) {
    let keychain = OsKeychain::with_timeout(SERVICE.into(), Duration::from_secs(20));
    let source = Name::parse(SOURCE).unwrap();
    let load = || keychain.load_sso(&source).expect("load_sso");
    match step {
        "store-large" => {
            let keys = SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap();
            keychain.store(&source, &keys).expect("store the source keys");
            let want = secrets(Some(6 * 1024));
            keychain.store_sso(&source, &want).expect("store_sso");
            assert_same(&load().expect("the secrets just stored"), &want);
        }
        "read-torn" => {
            let got = load().expect("the registration is intact");
            assert_same(&got, &secrets(None));
        }
        "store-small" => {
            let want = secrets(Some(1000));
            keychain.store_sso(&source, &want).expect("store_sso");
            assert_same(&load().expect("the secrets just stored"), &want);
        }
        "store-without-token" => {
            let want = secrets(None);
            keychain.store_sso(&source, &want).expect("store_sso");
            assert_same(&load().expect("the registration just stored"), &want);
        }
        "delete-source" => {
            assert!(keychain.delete(&source).expect("delete the source"), "the source had keys");
            assert!(load().is_none(), "its IAM Identity Center secrets went with it");
            assert!(!keychain.delete_sso(&source).expect("delete_sso"), "nothing was left to delete");
        }
        "delete-sso" => {
            assert!(keychain.delete_sso(&source).expect("delete_sso"), "there were secrets to delete");
            assert!(load().is_none());
        }
        other => panic!("no step {other}"),
    }
}

/// Runs `step` of `test` in a child process of this binary, on `keychain`'s bus; panics with its
/// output unless it passes.
fn run_step(keychain: &Keychain, test: &str, step: &str) {
    let exe = std::env::current_exe().expect("this test binary");
    let mut cmd = Command::new(exe);
    let mut envs = keychain.env();
    envs.push((STEP.to_owned(), step.to_owned()));
    apply_envs(&mut cmd, &envs).args([test, "--exact", "--nocapture", "--test-threads=1"]);
    let out = run_with_timeout(&mut cmd, None, Duration::from_secs(60));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "step {step} failed:\n{text}\n{}", keychain.logs());
}

/// The accounts of every item under [`SERVICE`], sorted.
fn accounts(keychain: &Keychain) -> Vec<String> {
    let out = keychain.secret_tool(&["search", "--all", "service", SERVICE], None);
    assert!(out.status.success() || out.stdout.is_empty(), "secret-tool search failed:\n{}", keychain.logs());
    // secret-tool prints each item's attributes one a line on stderr (its secrets, on stdout,
    // hold newlines here: they are looked up one by one instead).
    let mut accounts: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("attribute.username = ").map(str::to_owned))
        .collect();
    accounts.sort();
    accounts
}

/// The secret of `account`'s item.
fn secret(keychain: &Keychain, account: &str) -> String {
    keychain
        .lookup(&[("service", SERVICE), ("username", account)])
        .unwrap_or_else(|| panic!("no item {account}:\n{}", keychain.logs()))
}

#[test]
fn a_6_kb_token_is_kept_in_parts_none_too_large_and_goes_with_its_source() {
    const TEST: &str = "a_6_kb_token_is_kept_in_parts_none_too_large_and_goes_with_its_source";
    if let Ok(step) = std::env::var(STEP) {
        return child_step(&step);
    }
    let keychain = Keychain::start_unlocked();

    // Stored and read back intact (in the child), as several items, none over the limit.
    run_step(&keychain, TEST, "store-large");
    let token_parts = ["sso-token:corp", "sso-token:corp#2", "sso-token:corp#3"];
    let mut want = vec!["source:corp".to_owned(), "sso:corp".to_owned()];
    want.extend(token_parts.map(str::to_owned));
    want.sort();
    assert_eq!(accounts(&keychain), want);
    let access_token = token_text(2, 6 * 1024);
    for account in want.iter().filter(|a| a.starts_with("sso")) {
        let item = secret(&keychain, account);
        assert!(item.len() <= MAX_ITEM_BYTES, "{account} holds {} bytes", item.len());
        assert!(!item.contains(&access_token), "{account} holds the whole token");
    }
    for (i, account) in token_parts.iter().enumerate() {
        let item = secret(&keychain, account);
        assert!(item.starts_with(&format!("{{\"v\":1,\"part\":{},\"parts\":3,", i + 1)), "{account}: {item:.80}");
    }

    // A part gone (a write cut short, or a hand in the keychain app): no token, never a wrong
    // one; the registration still reads.
    assert!(
        keychain.secret_tool(&["clear", "service", SERVICE, "username", "sso-token:corp#2"], None).status.success()
    );
    run_step(&keychain, TEST, "read-torn");

    // A smaller token replaces it: one item, the leftover part removed.
    run_step(&keychain, TEST, "store-small");
    assert_eq!(accounts(&keychain), ["source:corp", "sso-token:corp", "sso:corp"]);

    // Removing the source removes its IAM Identity Center items too.
    run_step(&keychain, TEST, "store-large");
    assert_eq!(accounts(&keychain).len(), 5);
    run_step(&keychain, TEST, "delete-source");
    assert_eq!(accounts(&keychain), Vec::<String>::new(), "nothing is left under the service");
}

#[test]
fn delete_sso_removes_every_part_and_a_registration_alone_keeps_no_token() {
    const TEST: &str = "delete_sso_removes_every_part_and_a_registration_alone_keeps_no_token";
    if let Ok(step) = std::env::var(STEP) {
        return child_step(&step);
    }
    let keychain = Keychain::start_unlocked();
    run_step(&keychain, TEST, "store-large");
    run_step(&keychain, TEST, "store-without-token");
    assert_eq!(accounts(&keychain), ["source:corp", "sso:corp"], "the token's parts are gone");
    run_step(&keychain, TEST, "store-large");
    run_step(&keychain, TEST, "delete-sso");
    assert_eq!(accounts(&keychain), ["source:corp"], "the source's keys stay");
}
