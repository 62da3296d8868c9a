//! Self-test of the harness: moto's auth mode behaves as the suite relies on, the AWS CLI reads
//! profiles from a sandbox, and the three kinds of keychain behave as documented.

use std::time::{Duration, Instant};

use rolecall_e2e::{
    Keychain, KeychainKind, Moto, Sandbox, assumed_role_arn, aws_cli, free_port, run_with_timeout, wait_until,
};
use serde_json::Value;

/// Moto in auth mode with one user "alice" (keys in profile `src` of the sandbox's credentials
/// file) and returns it with the user's keys.
fn moto_with_user() -> (Moto, rolecall_e2e::UserKeys) {
    let started = Instant::now();
    let moto = Moto::start();
    eprintln!("moto started in {:?}", started.elapsed());
    let user = moto.create_user("alice");
    assert_eq!(user.user_arn, "arn:aws:iam::123456789012:user/alice");
    assert!(user.access_key_id.starts_with("AKIA"), "{user:?}");
    (moto, user)
}

fn credentials(profile: &str, key: &str, secret: &str) -> String {
    format!("[{profile}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
}

/// Runs `aws ARGS --output json` and returns the parsed JSON, panicking with stderr on failure.
fn aws_ok(envs: &[(String, String)], args: &[&str]) -> Value {
    let out = aws_cli(envs, &[args, &["--output", "json"]].concat());
    assert!(out.status.success(), "aws {args:?} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("aws printed JSON")
}

/// Runs `aws ARGS`, expects it to fail, and returns its stderr.
fn aws_err(envs: &[(String, String)], args: &[&str]) -> String {
    let out = aws_cli(envs, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "aws {args:?} should have failed; stdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

#[test]
fn aws_cli_assumes_a_role_through_a_profile_in_auth_mode() {
    let (moto, user) = moto_with_user();
    let role_arn = moto.create_role("deployer", &user.user_arn, None);
    assert_eq!(role_arn, "arn:aws:iam::123456789012:role/deployer");
    moto.enable_auth_mode();
    assert!(moto.is_auth_mode());

    let keychain = Keychain::absent();
    let sandbox = Sandbox::new();
    sandbox.write(".aws/credentials", &credentials("src", &user.access_key_id, &user.secret_access_key));
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile deploy]\nrole_arn = {role_arn}\nsource_profile = src\nrole_session_name = harness-session\n"
        ),
    );
    let envs = sandbox.envs(&moto, &keychain);

    let me = aws_ok(&envs, &["sts", "get-caller-identity", "--profile", "src"]);
    assert_eq!(me["Arn"], user.user_arn.as_str());

    let assumed = aws_ok(&envs, &["sts", "get-caller-identity", "--profile", "deploy"]);
    assert_eq!(assumed["Arn"], "arn:aws:sts::123456789012:assumed-role/deployer/harness-session");
    assert_eq!(assumed["Arn"], assumed_role_arn("deployer", "harness-session").as_str());
    assert_eq!(assumed["Account"], "123456789012");
}

#[test]
fn moto_auth_mode_refuses_bad_keys_untrusted_roles_and_wrong_external_ids() {
    let (moto, user) = moto_with_user();
    let nopolicy = moto.create_user_with_actions("bob", &[]);
    let trusted = moto.create_role("trusted", &user.user_arn, None);
    let untrusted = moto.create_role("untrusted", "arn:aws:iam::123456789012:user/someone-else", None);
    let external = moto.create_role("external", &user.user_arn, Some("ext-123"));
    let serial = moto.create_mfa_device("alice");
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/alice");
    moto.enable_auth_mode();

    let keychain = Keychain::absent();
    let sandbox = Sandbox::new();
    let wrong_secret = "x".repeat(40);
    sandbox.write(
        ".aws/credentials",
        &[
            credentials("src", &user.access_key_id, &user.secret_access_key),
            credentials("wrong", &user.access_key_id, &wrong_secret),
            credentials("unknown", "AKIAUNKNOWNUNKNOWN00", &wrong_secret),
            credentials("bob", &nopolicy.access_key_id, &nopolicy.secret_access_key),
        ]
        .join("\n"),
    );
    let envs = sandbox.envs(&moto, &keychain);
    let assume = |profile: &str, role: &str, extra: &[&str]| {
        let args =
            [&["sts", "assume-role", "--profile", profile, "--role-arn", role, "--role-session-name", "s1"], extra]
                .concat();
        aws_cli(&envs, &args)
    };

    let err = aws_err(&envs, &["sts", "get-caller-identity", "--profile", "wrong"]);
    assert!(err.contains("(SignatureDoesNotMatch)"), "{err}");
    let err = aws_err(&envs, &["sts", "get-caller-identity", "--profile", "unknown"]);
    assert!(err.contains("(InvalidClientTokenId)"), "{err}");

    let out = assume("src", &untrusted, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("(AccessDenied)"), "{err}");

    let out = assume("bob", &trusted, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("(AccessDenied)"), "no sts:AssumeRole policy: {err}");

    let out = assume("src", &external, &["--external-id", "wrong"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("(AccessDenied)"), "{err}");
    let out = assume("src", &external, &["--external-id", "ext-123"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Credentials from assume-role work for get-caller-identity.
    let out = assume("src", &trusted, &["--output", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let creds: Value = serde_json::from_slice(&out.stdout).expect("json");
    let c = &creds["Credentials"];
    sandbox.write(
        ".aws/credentials",
        &format!(
            "{}\n[temp]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            credentials("src", &user.access_key_id, &user.secret_access_key),
            c["AccessKeyId"].as_str().expect("AccessKeyId"),
            c["SecretAccessKey"].as_str().expect("SecretAccessKey"),
            c["SessionToken"].as_str().expect("SessionToken"),
        ),
    );
    let me = aws_ok(&envs, &["sts", "get-caller-identity", "--profile", "temp"]);
    assert_eq!(me["Arn"], assumed_role_arn("trusted", "s1").as_str());

    // Trust can be taken away (and given back) while auth mode is on.
    moto.remove_trust("trusted");
    let out = assume("src", &trusted, &[]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("(AccessDenied)"));
    moto.set_trust("trusted", &user.user_arn);
    let out = assume("src", &trusted, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn aws_cli_chains_roles_when_the_second_trusts_the_first_session() {
    let (moto, user) = moto_with_user();
    let first = moto.create_role("first", &user.user_arn, None);
    let second = moto.create_role("second", &assumed_role_arn("first", "one"), None);
    moto.enable_auth_mode();

    let keychain = Keychain::absent();
    let sandbox = Sandbox::new();
    sandbox.write(".aws/credentials", &credentials("src", &user.access_key_id, &user.secret_access_key));
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile first]\nrole_arn = {first}\nsource_profile = src\nrole_session_name = one\n\n\
             [profile second]\nrole_arn = {second}\nsource_profile = first\nrole_session_name = two\n"
        ),
    );
    let envs = sandbox.envs(&moto, &keychain);
    let me = aws_ok(&envs, &["sts", "get-caller-identity", "--profile", "second"]);
    assert_eq!(me["Arn"], assumed_role_arn("second", "two").as_str());
}

const ATTRS: &[(&str, &str)] = &[("service", "rolecall-test"), ("username", "harness")];

#[test]
fn unlocked_keychain_stores_and_looks_up() {
    let started = Instant::now();
    let keychain = Keychain::start_unlocked();
    eprintln!("unlocked keychain started in {:?}", started.elapsed());
    assert_eq!(keychain.kind(), KeychainKind::Unlocked);
    assert!(keychain.store("rolecall harness", ATTRS, "s3cret"), "{}", keychain.logs());
    assert_eq!(keychain.lookup(ATTRS).as_deref(), Some("s3cret"));

    // Another keychain is a different store.
    let other = Keychain::start_unlocked();
    assert_eq!(other.lookup(ATTRS), None);
}

#[test]
fn locked_keychain_refuses_to_store_and_to_look_up() {
    let started = Instant::now();
    let keychain = Keychain::start_locked();
    eprintln!("locked keychain started in {:?}", started.elapsed());
    assert_eq!(keychain.kind(), KeychainKind::Locked);
    let out = keychain.secret_tool(&["store", "--label=x", "service", "rolecall-test", "username", "a"], Some(b"v"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("locked"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn keychain_locks_and_unlocks_keeping_its_secrets() {
    let mut keychain = Keychain::start_unlocked();
    assert!(keychain.store("rolecall harness", ATTRS, "kept"));
    keychain.lock();
    assert_eq!(keychain.kind(), KeychainKind::Locked);
    assert_eq!(keychain.lookup(ATTRS), None, "a locked item must not be readable");
    assert!(!keychain.store("rolecall harness", ATTRS, "new"));
    keychain.unlock();
    assert_eq!(keychain.kind(), KeychainKind::Unlocked);
    assert_eq!(keychain.lookup(ATTRS).as_deref(), Some("kept"));
}

#[test]
fn keychain_without_collection_refuses_to_store() {
    let keychain = Keychain::start_without_collection();
    assert!(!keychain.store("rolecall harness", ATTRS, "v"));
    assert_eq!(keychain.lookup(ATTRS), None);
}

#[test]
fn absent_keychain_fails_to_connect() {
    let keychain = Keychain::absent();
    assert_eq!(keychain.kind(), KeychainKind::Absent);
    let out = keychain.secret_tool(&["store", "--label=x", "service", "rolecall-test", "username", "a"], Some(b"v"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("connect") || err.contains("No such file"), "{err}");
    assert_eq!(keychain.lookup(ATTRS), None);
}

#[test]
fn sandbox_env_replaces_inherited_aws_settings() {
    let keychain = Keychain::absent();
    let sandbox = Sandbox::new();
    let envs = sandbox.envs_for(Some("http://127.0.0.1:9"), Some(&keychain));
    let mut cmd = sandbox.command("env", &envs);
    cmd.env("AWS_PROFILE_SHOULD_STAY", "set on the command itself");
    let out = run_with_timeout(&mut cmd, None, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&out.stdout);
    let aws: Vec<&str> =
        text.lines().filter(|l| l.starts_with("AWS_")).map(|l| l.split('=').next().unwrap_or(l)).collect();
    let mut expected = vec![
        "AWS_CONFIG_FILE",
        "AWS_DEFAULT_REGION",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE_SHOULD_STAY",
        "AWS_REGION",
        "AWS_SHARED_CREDENTIALS_FILE",
    ];
    let mut aws = aws;
    aws.sort_unstable();
    expected.sort_unstable();
    assert_eq!(aws, expected, "{text}");
    let home = sandbox.home().to_string_lossy().into_owned();
    assert!(text.lines().any(|l| l == format!("HOME={home}")), "{text}");
    assert!(text.lines().any(|l| l == "ROLECALL_KEYCHAIN_SERVICE=rolecall-test"), "{text}");
    assert!(text.lines().any(|l| l == format!("DBUS_SESSION_BUS_ADDRESS={}", keychain.address())), "{text}");
    assert_eq!(sandbox.credentials_path(), sandbox.home().join(".aws/credentials"));
    assert_eq!(sandbox.rolecall_config_dir(), sandbox.home().join(".config/rolecall"));
}

#[test]
fn free_ports_are_distinct() {
    let ports: std::collections::HashSet<u16> = (0..50).map(|_| free_port()).collect();
    assert_eq!(ports.len(), 50);
}

#[test]
#[should_panic(expected = "timed out after 0.1s waiting for the impossible")]
fn wait_until_panics_with_what_it_waited_for() {
    wait_until("the impossible", Duration::from_millis(100), || false);
}
