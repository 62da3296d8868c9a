//! Self-test of the harness: moto's auth mode behaves as the suite relies on, the AWS CLI reads
//! profiles from a sandbox, the three kinds of keychain behave as documented, and the fake
//! notification server records notifications and emits the signals of a click.

use std::time::{Duration, Instant};

use rolecall_e2e::{
    FakeNotifications, Keychain, KeychainKind, Moto, Sandbox, assumed_role_arn, aws_cli, free_port, output_text,
    run_with_timeout, wait_until,
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

/// A background process killed (and reaped) when dropped, also when the test panics.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `gdbus ARGS` on the bus at `address`, with a 15 s limit.
fn gdbus(address: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new("gdbus");
    cmd.args(args).env("DBUS_SESSION_BUS_ADDRESS", address).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    run_with_timeout(&mut cmd, None, Duration::from_secs(15))
}

#[test]
fn fake_notifications_records_notify_and_emits_action_invoked() {
    let keychain = Keychain::start_unlocked();
    let bus = keychain.address();
    let server = FakeNotifications::start(bus);
    let call = |method: &str, args: &[&str]| {
        let method = format!("org.freedesktop.Notifications.{method}");
        let mut all = vec!["call", "--session", "--dest", "org.freedesktop.Notifications"];
        all.extend(["--object-path", "/org/freedesktop/Notifications", "--method", &method]);
        // `--`: what follows are the method's arguments, not options (even `-1`).
        all.push("--");
        all.extend(args);
        let out = gdbus(bus, &all);
        assert!(out.status.success(), "gdbus call {method} failed: {}\n{}", output_text(&out), server.log());
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };

    let caps = call("GetCapabilities", &[]);
    assert!(caps.contains("'actions'") && caps.contains("'body'"), "{caps}");
    let notify = |replaces: &str, summary: &str| {
        let args = [
            "rolecall",
            replaces,
            "",
            summary,
            "Role admin expires in 5 minutes",
            "['renew', 'Renew now', 'dismiss', 'Dismiss']",
            "{'urgency': <byte 2>, 'category': <'presence'>}",
            "-1",
        ];
        call("Notify", &args)
    };
    // gdbus prints the reply as a tuple: `(uint32 1,)`.
    assert_eq!(notify("0", "Credentials expiring"), "(uint32 1,)");
    let recorded =
        server.wait_for("the expiry notification", Duration::from_secs(5), |n| n.summary == "Credentials expiring");
    assert_eq!(recorded.id, 1);
    assert_eq!(recorded.app, "rolecall");
    assert_eq!(recorded.replaces, 0);
    assert_eq!(recorded.body, "Role admin expires in 5 minutes");
    let pair = |k: &str, l: &str| (k.to_owned(), l.to_owned());
    assert_eq!(recorded.actions, vec![pair("renew", "Renew now"), pair("dismiss", "Dismiss")]);
    assert!(recorded.has_action("renew") && !recorded.has_action("Renew now"), "{recorded:?}");
    assert_eq!(recorded.hints.get("urgency"), Some(&Value::from(2)), "{recorded:?}");
    assert_eq!(recorded.hints.get("category"), Some(&Value::from("presence")), "{recorded:?}");
    assert_eq!(recorded.timeout, -1);

    // A second notification gets the next id; one that replaces keeps the id it replaces.
    assert_eq!(notify("0", "Second"), "(uint32 2,)");
    assert_eq!(notify("1", "Replacement"), "(uint32 1,)");
    let all = server.notifications();
    let ids: Vec<(u32, u32, &str)> = all.iter().map(|n| (n.id, n.replaces, n.summary.as_str())).collect();
    assert_eq!(ids, vec![(1, 0, "Credentials expiring"), (2, 0, "Second"), (1, 1, "Replacement")]);

    let dir = tempfile::tempdir().expect("temp dir");
    let monitor_log = dir.path().join("monitor.log");
    let out = std::fs::File::create(&monitor_log).expect("create monitor log");
    let mut cmd = std::process::Command::new("gdbus");
    cmd.args(["monitor", "--session", "--dest", "org.freedesktop.Notifications"])
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .stdin(std::process::Stdio::null())
        .stdout(out.try_clone().expect("clone log handle"))
        .stderr(out);
    let _monitor = KillOnDrop(cmd.spawn().expect("start gdbus monitor"));
    let monitored = || std::fs::read_to_string(&monitor_log).unwrap_or_default();
    // The signals the monitor printed (`NAME (ARGS)`), but the probes.
    let probe = "NotificationClosed (uint32 0, uint32 4)";
    let signals = || {
        monitored()
            .lines()
            .filter_map(|l| l.split_once("org.freedesktop.Notifications.").map(|(_, signal)| signal.to_owned()))
            .filter(|signal| signal != probe)
            .collect::<Vec<_>>()
    };
    // gdbus monitor prints "The name … is owned by …" and only then adds its match rule: it
    // listens once it has printed a probe signal (id 0 is never a notification's).
    wait_until("gdbus monitor to print a probe signal", Duration::from_secs(10), || {
        server.close(0, 4);
        monitored().contains(probe)
    });

    server.close(2, 1);
    server.invoke_action(recorded.id, "renew");
    call("CloseNotification", &["2"]);
    assert_eq!(server.closed(), vec![2]);
    let id = recorded.id;
    let expected = [
        "NotificationClosed (uint32 2, uint32 1)".to_owned(),
        format!("ActionInvoked (uint32 {id}, 'renew')"),
        format!("NotificationClosed (uint32 {id}, uint32 2)"),
        "NotificationClosed (uint32 2, uint32 3)".to_owned(),
    ];
    // Signals reach the monitor asynchronously: wait for as many as expected.
    let seen = rolecall_e2e::poll(Duration::from_secs(10), || {
        let seen = signals();
        (seen.len() >= expected.len()).then_some(seen)
    })
    .unwrap_or_else(signals);
    assert_eq!(seen, expected, "gdbus monitor saw:\n{}\n{}", monitored(), server.log());
}

#[test]
fn fake_notifications_refuses_a_bus_where_the_name_is_taken() {
    let keychain = Keychain::start_unlocked();
    let _first = FakeNotifications::start(keychain.address());
    let second = std::panic::catch_unwind(|| FakeNotifications::start(keychain.address()));
    let message = second.err().and_then(|e| e.downcast::<String>().ok()).expect("the second server should not start");
    assert!(message.contains("cannot own org.freedesktop.Notifications"), "{message}");
}
