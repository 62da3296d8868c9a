//! Reliability end to end, with the real `rolecall` binary, a real keychain and real files:
//!
//! - every CLI flag given malformed values: a clear error, a non-zero exit, and no change to any
//!   file or keychain entry;
//! - STS faults (unreachable, hanging, throttled, 5xx, garbage, expired or unknown keys, a skewed
//!   clock) from a scripted fake STS: a clear error with its own code, the right number of
//!   retries, and the old credentials untouched;
//! - the keychain locked in the middle of a session, a full disk and a read-only `~/.aws`;
//! - Python's `configparser`, as botocore configures it, reads every file rolecall reads the same
//!   way, and still reads it after rolecall's edit;
//! - every run logs at `ROLECALL_LOG=trace` (with the AWS SDK's switches for logging bodies on),
//!   and no secret (source secret, session secret, session token), raw or encoded, appears in any
//!   output, log or config file (`hygiene.rs` adds MFA codes, external ids and sign-in tokens).
//!
//! Each test prints one `reliability:` line with its figures, which `scripts/reliability`
//! collects. `ROLECALL_DIFF_FILES` sizes the configparser comparison (default 1000).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::time::Duration;

use rolecall_e2e::{Hygiene, Reply, World, free_port, venv_tool};

/// The source's keys (the fake STS checks no signature).
const KEY_ID: &str = "AKIARELIABILITY00001";
const SECRET: &str = "sourceSecretThatMustNeverShow0123456789";
const ARN: &str = "arn:aws:iam::123456789012:role/Admin";
/// A user's own file around rolecall's profile.
const USER_CREDENTIALS: &str =
    "# mine\r\n[default]\r\naws_access_key_id = AKIAUSEROWNKEY000001\r\naws_secret_access_key = userSecretKeep\r\n";

use rolecall_e2e::output_text as text;

/// A sandbox, a keychain and a fake STS (the [`World`]), rolecall at trace level with the AWS
/// SDK's own switches that print request and response bodies; every run's output is kept for
/// the secret check.
struct Rig {
    world: World,
    transcript: Mutex<String>,
    /// What rolecall itself printed: stdout and its error lines (not the logs).
    shown: Mutex<String>,
}

/// The world's parts and helpers, for the tests.
impl std::ops::Deref for Rig {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

impl std::ops::DerefMut for Rig {
    fn deref_mut(&mut self) -> &mut World {
        &mut self.world
    }
}

impl Rig {
    fn new() -> Rig {
        let world = World::builder()
            .sts(vec![Reply::Success])
            .env("ROLECALL_LOG", "trace")
            .env("LOG_SENSITIVE_BODIES", "true")
            .env("LOG_SIGNABLE_BODY", "true")
            .timeout(Duration::from_secs(90))
            .build();
        Rig { world, transcript: Mutex::new(String::new()), shown: Mutex::new(String::new()) }
    }

    /// Runs rolecall against `endpoint` (the fake STS unless given), with `extra` variables last.
    fn run_at(&self, endpoint: Option<&str>, extra: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> Output {
        let mut envs = self.world.envs_with(extra);
        if let Some(endpoint) = endpoint {
            for (k, v) in &mut envs {
                if k == "AWS_ENDPOINT_URL" {
                    *v = endpoint.to_owned();
                }
            }
        }
        let o = self.world.run_env(&envs, args, stdin);
        self.transcript.lock().unwrap().push_str(&text(&o));
        let mut shown = self.shown.lock().unwrap();
        shown.push_str(&String::from_utf8_lossy(&o.stdout));
        for line in String::from_utf8_lossy(&o.stderr).lines().filter(|l| l.starts_with("rolecall: ")) {
            shown.push_str(line);
        }
        drop(shown);
        o
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_at(None, &[], args, None)
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "rolecall {args:?} failed:\n{}", tail(&text(&o)));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// A keys source `work` (unverified: no STS), a favourite `admin`, and its profile written.
    fn with_admin(self) -> Rig {
        self.sandbox.write(".aws/credentials", USER_CREDENTIALS);
        let o =
            self.run_at(None, &[], &["source", "add", "work", "--no-verify"], Some(&format!("{KEY_ID}\n{SECRET}\n")));
        assert!(o.status.success(), "{}", tail(&text(&o)));
        self.ok(&["role", "add", "admin", "--arn", ARN, "--source", "work", "--region", "eu-west-1"]);
        self.ok(&["assume", "admin"]);
        self
    }

    /// The credentials file, the AWS config file, config.toml, and the keychain's entries.
    fn snapshot(&self) -> (Vec<Option<Vec<u8>>>, String) {
        let (credentials, config, config_toml) = self.files();
        (vec![credentials, config, config_toml], self.keychain_entries())
    }

    /// Every secret known to this test: the source's, and every session the fake handed out.
    fn secrets(&self) -> Vec<String> {
        let mut all = vec![SECRET.to_owned()];
        all.extend(self.sts().issued_secrets());
        all
    }

    /// No secret, raw or encoded ([`Hygiene`]), in any output or log of any run, nor in
    /// config.toml or the AWS config file.
    fn assert_no_secret_leaked(&self, extra: &[&str]) {
        let transcript = self.transcript.lock().unwrap().clone();
        let config = self.config_toml();
        let aws_config = self.sandbox.read_config();
        let mut hygiene = Hygiene::new();
        hygiene.secrets("a secret", self.secrets().iter().map(String::as_str).chain(extra.iter().copied()));
        hygiene.assert_clean(&[
            ("rolecall's output and logs", &transcript),
            ("config.toml", &config),
            ("the AWS config file", &aws_config),
        ]);
        // Key ids are not secret (the AWS SDK's own trace logs show them); rolecall's output and
        // errors show them masked.
        let shown = self.shown.lock().unwrap();
        assert!(!shown.contains(KEY_ID), "the source's key id is shown unmasked: {}", tail(&shown));
    }
}

/// The last part of a long text, for failure messages.
fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(3000);
    let start = (start..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(s.len());
    &s[start..]
}

#[test]
fn every_flag_refuses_malformed_values_and_changes_nothing() {
    let rig = Rig::new().with_admin();
    let long = |n: usize| "a".repeat(n);
    let arn_long = format!("arn:aws:iam::123456789012:role/{}", long(65));
    let profile_long = long(129);
    let session_long = long(65);
    let xid_long = long(1225);
    let tag_key_long = format!("{}=v", long(129));
    let tag_value_long = format!("k={}", long(257));
    let tags_51: Vec<String> = (0..51).map(|i| format!("--tag=k{i}=v")).collect();
    let policies_11: Vec<String> =
        (0..11).map(|i| format!("--policy-arn=arn:aws:iam::123456789012:policy/p{i}")).collect();
    let role = |extra: &[&str]| -> Vec<String> {
        ["role", "add", "x", "--arn", ARN, "--source", "work"].iter().chain(extra).map(|s| s.to_string()).collect()
    };
    // (arguments, stdin, a phrase the error must contain)
    let mut table: Vec<(Vec<String>, Option<&str>, &str)> = Vec::new();
    let mut add = |args: Vec<String>, stdin: Option<&'static str>, want: &'static str| table.push((args, stdin, want));
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Global.
    add(v(&["--frobnicate", "status"]), None, "unexpected argument");
    add(v(&["nonsense-command"]), None, "unrecognized subcommand");
    // source add / list / remove.
    add(v(&["source", "add", "bad name", "--no-verify"]), Some("x"), "not allowed");
    add(v(&["source", "add", "a]\n[default", "--no-verify"]), Some("x"), "not allowed");
    add(v(&["source", "add", ".hidden", "--no-verify"]), Some("x"), "must start with");
    add(v(&["source", "add", &long(65), "--no-verify"]), Some("x"), "1 to 64");
    add(v(&["source", "add", "work", "--no-verify"]), Some("x"), "already exists");
    add(v(&["source", "add", "admin", "--no-verify"]), Some("x"), "already exists");
    add(v(&["source", "add", "x", "--aws-profile", "a]\n[default"]), None, "--aws-profile");
    add(v(&["source", "add", "x", "--aws-profile", "DEFAULT"]), None, "reserved");
    add(v(&["source", "add", "x", "--aws-profile", "profile x"]), None, "not allowed");
    add(v(&["source", "add", "x", "--mfa-serial", "arn:aws:iam::123456789012:role/x"]), None, "not an MFA device");
    add(v(&["source", "add", "x", "--mfa-serial", "arn:aws:s3:::bucket/mfa/x"]), None, "not iam");
    add(v(&["source", "add", "x", "--mfa-serial", "arn:aws-xx:iam::123456789012:mfa/x"]), None, "unknown partition");
    add(v(&["source", "add", "x", "--mfa-serial", "short"]), None, "mfa serial");
    add(v(&["source", "add", "x", "--region", "mars-1"]), None, "region");
    add(v(&["source", "add", "x", "--region", "US-EAST-1"]), None, "region");
    add(
        v(&["source", "add", "x", "--no-verify"]),
        Some("akiaLOWERCASE0000001\nsecretsecretsecretsecret\n"),
        "access key id",
    );
    add(v(&["source", "add", "x", "--no-verify"]), Some("AKIAGOODKEYID0000001\nshort\n"), "secret access key");
    add(
        v(&["source", "add", "x", "--no-verify"]),
        Some("AKIAGOODKEYID0000001\nhas spaces in the secret key\n"),
        "secret access key",
    );
    add(v(&["source", "add", "x", "--no-verify"]), Some(""), "");
    add(v(&["source", "list", "--bogus"]), None, "unexpected argument");
    add(v(&["source", "remove", "bad name"]), None, "not allowed");
    add(v(&["source", "remove", "nobody"]), None, "not found");
    add(v(&["source", "remove", "work"]), None, "still used by admin");
    // role add: every flag.
    add(v(&["role", "add", "bad name", "--arn", ARN, "--source", "work"]), None, "not allowed");
    add(v(&["role", "add", "admin", "--arn", ARN, "--source", "work"]), None, "already exists");
    add(v(&["role", "add", "x", "--source", "work"]), None, "--arn");
    for (arn, want) in [
        ("arn:aws:s3:::bucket/some-key-000", "not iam"),
        ("arn:aws:sts::123456789012:assumed-role/Admin/s", "not iam"),
        ("arn:aws:iam::123456789012:user/alice", "not a role"),
        ("arn:aws-foo:iam::123456789012:role/A", "unknown partition"),
        ("arn:aws:iam::12345678901:role/Admin1234", "12 digits"),
        ("arn:aws:iam:us-east-1:123456789012:role/A", "no region"),
        ("arn:aws:iam::123456789012:role/has space", "whitespace"),
        ("arn:aws:iam::123456789012:role/A\n[default]", "whitespace"),
        ("arn:aws:iam::123456789012:role/", "the name must be"),
        (arn_long.as_str(), "the name must be"),
        ("", "must be 20"),
    ] {
        add(v(&["role", "add", "x", "--arn", arn, "--source", "work"]), None, want);
    }
    add(v(&["role", "add", "x", "--arn", ARN, "--source", "bad name"]), None, "not allowed");
    add(v(&["role", "add", "x", "--arn", ARN, "--source", "nowhere"]), None, "not found");
    add(v(&["role", "add", "x", "--arn", ARN, "--source", "x"]), None, "");
    for (p, want) in [
        ("a]\n[default", "not allowed"),
        ("a]", "not allowed"),
        (" padded", "whitespace"),
        ("a=b", "not allowed"),
        ("a;b", "not allowed"),
        ("DEFAULT", "reserved"),
        ("profile x", "not allowed"),
        ("sso-session", "reserved"),
        (profile_long.as_str(), "1 to 128"),
        ("admin", "already written by favourite admin"),
    ] {
        add(role(&["--profile", p]), None, want);
    }
    for (d, want) in [
        ("899", "between 15m"),
        ("43201", "between 15m"),
        ("13h", "between 15m"),
        ("0", "between 15m"),
        ("=-1", "not a duration"),
        ("soon", "not a duration"),
        ("1h1x", "not a duration"),
        ("99999999999h", "not a duration"),
        ("", "not a duration"),
    ] {
        match d.strip_prefix('=') {
            Some(raw) => add(role(&[&format!("--duration={raw}")]), None, want),
            None => add(role(&["--duration", d]), None, want),
        }
    }
    for (s, want) in
        [("has space", "not allowed"), ("a", "2 to 64"), (session_long.as_str(), "2 to 64"), ("a/b", "not allowed")]
    {
        add(role(&["--session-name", s]), None, want);
    }
    for (x, want) in [("a", "2 to 1224"), (xid_long.as_str(), "2 to 1224"), ("has space", "not allowed")] {
        add(role(&["--external-id", x]), None, want);
    }
    add(role(&["--mfa"]), None, "needs an MFA device");
    for (r, want) in
        [("mars-1", "region"), ("US-EAST-1", "region"), ("cn-north-1", "partition"), ("us-gov-west-1", "partition")]
    {
        add(role(&["--region", r]), None, want);
    }
    for (t, want) in [
        ("novalue", "key=value"),
        ("aws:x=1", "reserved"),
        (tag_key_long.as_str(), "tag key"),
        (tag_value_long.as_str(), "tag value"),
        ("k=v\n[x]", "not allowed"),
        ("=v", "tag key"),
    ] {
        add(role(&["--tag", t]), None, want);
    }
    add(role(&tags_51.iter().map(String::as_str).collect::<Vec<_>>()), None, "at most 50");
    add(role(&["--tag", "k=1", "--tag", "K=2"]), None, "given twice");
    add(role(&["--transitive-tag", "aws:x"]), None, "reserved");
    add(role(&["--transitive-tag", ""]), None, "tag key");
    add(role(&["--transitive-tag", "team"]), None, "");
    add(role(&["--source-identity", "has space"]), None, "not allowed");
    add(role(&["--source-identity", &session_long]), None, "2 to 64");
    add(role(&["--policy-arn", ARN]), None, "not a policy");
    add(role(&["--policy-arn", "arn:aws:s3:::bucket/policy/x"]), None, "not iam");
    add(role(&policies_11.iter().map(String::as_str).collect::<Vec<_>>()), None, "");
    add(role(&["--replace", "--source", "nowhere"]), None, "");
    // role list / show / remove.
    add(v(&["role", "list", "--bogus"]), None, "unexpected argument");
    add(v(&["role", "show", "bad name"]), None, "not allowed");
    add(v(&["role", "show", "nobody"]), None, "not found");
    add(v(&["role", "remove", "bad name"]), None, "not allowed");
    add(v(&["role", "remove", "nobody"]), None, "not found");
    // assume.
    add(v(&["assume", "bad name"]), None, "not allowed");
    add(v(&["assume", "nobody"]), None, "not found");
    for code in ["12345", "1234567", "12345a", "", "１２３４５６"] {
        add(v(&["assume", "admin", "--token-code", code]), None, "6 digits");
    }
    add(v(&["assume", "admin", "--json", "--token-code", "1"]), None, "6 digits");
    // status, env, import, console.
    add(v(&["status", "--bogus"]), None, "unexpected argument");
    add(v(&["env", "admin", "--shell", "tcsh"]), None, "invalid value");
    add(v(&["env", "admin", "--token-code", "12"]), None, "6 digits");
    add(v(&["env", "bad name"]), None, "not allowed");
    add(v(&["env", "nobody"]), None, "not found");
    add(v(&["import", "a]\n[default"]), None, "");
    add(v(&["import", "--all", "prod"]), None, "cannot be used with");
    add(v(&["import", "nothing-here"]), None, "");
    add(v(&["console", "admin", "--region", "mars"]), None, "region");
    add(v(&["console", "admin", "--service", "a b"]), None, "");
    add(v(&["console", "admin", "--token-code", "12"]), None, "6 digits");
    add(v(&["console", "--source", "nobody"]), None, "not found");
    add(v(&["console", "bad name"]), None, "not allowed");
    add(v(&["console"]), None, "required");

    let before = rig.snapshot();
    let mut tried = 0;
    for (args, stdin, want) in &table {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = rig.run_at(None, &[], &refs, *stdin);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{refs:?} was accepted:\n{}", tail(&text(&o)));
        assert!(
            err.contains("rolecall: ") || err.starts_with("error: "),
            "{refs:?}: no clear error:\n{}",
            tail(&text(&o))
        );
        assert!(err.contains(want), "{refs:?}: expected {want:?} in:\n{}", tail(&text(&o)));
        assert_eq!(rig.snapshot(), before, "{refs:?} changed a file or a keychain entry");
        tried += 1;
    }
    rig.assert_no_secret_leaked(&[]);
    println!("reliability: bad_inputs tried={tried} changed=0");
}

/// One STS fault: its script, the code rolecall must report, and how many requests it may make.
struct Fault {
    name: &'static str,
    script: Vec<Reply>,
    code: &'static str,
    requests: std::ops::RangeInclusive<usize>,
}

fn err(status: u16, code: &'static str, message: &'static str) -> Reply {
    Reply::Error { status, code, message }
}

#[test]
fn sts_faults_fail_clearly_and_keep_the_old_credentials() {
    let rig = Rig::new().with_admin();
    // A garbled answer that does carry credentials: they must not reach a log either.
    let leaky = "leakySecretInAGarbledAnswer0123456789";
    let faults = vec![
        Fault {
            name: "throttled on every attempt (standard retry mode: 3 attempts)",
            script: vec![err(400, "Throttling", "Rate exceeded")],
            code: "sts.throttled",
            requests: 3..=3,
        },
        Fault {
            name: "HTTP 500 with a proxy's HTML page",
            script: vec![Reply::Raw { status: 500, body: "<html><body>Internal error</body></html>".into() }],
            code: "sts.server_error",
            requests: 3..=3,
        },
        Fault {
            name: "503 ServiceUnavailable",
            script: vec![err(503, "ServiceUnavailable", "Service is unavailable")],
            code: "sts.server_error",
            requests: 3..=3,
        },
        Fault {
            name: "500 InternalFailure",
            script: vec![err(500, "InternalFailure", "internal failure")],
            code: "sts.server_error",
            requests: 3..=3,
        },
        Fault {
            name: "200 with garbage",
            script: vec![Reply::Raw { status: 200, body: "\u{0}\u{1}not xml at all".into() }],
            code: "sts.malformed_response",
            requests: 1..=1,
        },
        Fault {
            name: "200 with credentials but no expiration",
            script: vec![Reply::Raw {
                status: 200,
                body: format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIAGARBLED000000001</AccessKeyId><SecretAccessKey>{leaky}</SecretAccessKey><SessionToken>{leaky}</SessionToken><Expiration>soon</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
                ),
            }],
            code: "sts.malformed_response",
            requests: 1..=1,
        },
        Fault {
            name: "the connection is dropped",
            script: vec![Reply::Close],
            code: "sts.unreachable",
            requests: 3..=3,
        },
        Fault {
            name: "expired source credentials (ExpiredToken)",
            script: vec![err(400, "ExpiredToken", "The security token included in the request is expired")],
            code: "sts.expired_token",
            requests: 1..=1,
        },
        Fault {
            name: "deactivated or deleted source keys (InvalidClientTokenId)",
            script: vec![err(403, "InvalidClientTokenId", "The security token included in the request is invalid.")],
            code: "sts.unknown_key",
            requests: 1..=1,
        },
        Fault {
            name: "this computer's clock is 20 minutes slow",
            script: vec![err(
                403,
                "SignatureDoesNotMatch",
                "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T002000Z - 15 min.)",
            )],
            code: "sts.clock_skew",
            requests: 1..=3,
        },
        Fault {
            name: "access denied",
            script: vec![err(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized")],
            code: "sts.access_denied",
            requests: 1..=1,
        },
        Fault {
            name: "the endpoint accepts and never answers (ROLECALL_STS_TIMEOUT=3)",
            script: vec![Reply::Delay(Duration::from_secs(20), Box::new(Reply::Success))],
            code: "sts.timeout",
            requests: 1..=3,
        },
    ];
    let before = rig.snapshot();
    let mut tried = 0;
    for f in &faults {
        rig.sts().set_script(f.script.clone());
        rig.sts().clear_requests();
        let started = std::time::Instant::now();
        let o = rig.run_at(None, &[("ROLECALL_STS_TIMEOUT", "3")], &["assume", "admin"], None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{}: accepted:\n{}", f.name, tail(&text(&o)));
        let line = err.lines().find(|l| l.starts_with("rolecall: ")).unwrap_or_default().to_owned();
        assert!(
            line.starts_with(&format!("rolecall: {}: favourite admin: assume {ARN}: ", f.code)),
            "{}: expected {}:\n{}",
            f.name,
            f.code,
            tail(&text(&o))
        );
        let n = rig.sts().count("AssumeRole");
        assert!(f.requests.contains(&n), "{}: {n} requests, expected {:?}", f.name, f.requests);
        assert_eq!(rig.snapshot(), before, "{}: a file or keychain entry changed", f.name);
        println!("fault {:?}: {} after {n} request(s) in {:.1}s", f.name, f.code, started.elapsed().as_secs_f64());
        tried += 1;
    }
    // Unreachable: nothing listens on the port.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let o = rig.run_at(Some(&closed), &[], &["assume", "admin"], None);
    assert!(String::from_utf8_lossy(&o.stderr).contains("rolecall: sts.unreachable: favourite admin"), "{}", text(&o));
    assert_eq!(rig.snapshot(), before);
    tried += 1;
    // Transient faults that clear up within the retries succeed, and slow answers are waited for.
    for (name, script, requests) in [
        ("throttled once", vec![err(400, "Throttling", "Rate exceeded"), Reply::Success], 2),
        ("a 503, then fine", vec![err(503, "ServiceUnavailable", "try again"), Reply::Success], 2),
        ("slow (1.5 s)", vec![Reply::Delay(Duration::from_millis(1500), Box::new(Reply::Success))], 1),
    ] {
        rig.sts().set_script(script);
        rig.sts().clear_requests();
        let o = rig.run_at(None, &[("ROLECALL_STS_TIMEOUT", "10")], &["assume", "admin"], None);
        assert!(o.status.success(), "{name}: {}", tail(&text(&o)));
        assert_eq!(rig.sts().count("AssumeRole"), requests, "{name}");
        tried += 1;
    }
    let creds = rig.sandbox.read_credentials();
    assert!(creds.starts_with(USER_CREDENTIALS), "the user's profile survived every fault");
    // ROLECALL_LOG=trace reached the SDK: its debug lines (each attempt) are there.
    assert!(rig.transcript.lock().unwrap().contains("beginning attempt #1"), "the runs logged the SDK's calls");
    rig.assert_no_secret_leaked(&[leaky]);
    println!("reliability: sts_faults tried={tried} lost=0");
}

#[test]
fn the_keychain_locked_mid_run_gives_a_clear_error_and_changes_nothing() {
    let mut rig = Rig::new().with_admin();
    let before = rig.snapshot();
    rig.keychain.lock();
    let o = rig.run(&["assume", "admin"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rolecall: keychain.locked: source work: the keychain is locked"),
        "{}",
        text(&o)
    );
    let o = rig.run_at(None, &[], &["source", "add", "other", "--no-verify"], Some(&format!("{KEY_ID}\n{SECRET}\n")));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rolecall: keychain.locked: source other"), "{}", text(&o));
    rig.keychain.unlock();
    assert_eq!(rig.snapshot().0, before.0, "no file changed while the keychain was locked");
    rig.ok(&["assume", "admin"]);
    assert!(rig.sandbox.read_credentials().contains("ASIAFAKE000000000002"), "assumed again once unlocked");
    rig.assert_no_secret_leaked(&[]);
    println!("reliability: keychain_locked tried=2 lost=0");
}

#[test]
fn a_development_build_never_touches_a_release_builds_keychain_entries() {
    let rig = Rig::new();
    // What a release build stored for source `work`.
    let release = [("service", "rolecall"), ("username", "source:work")];
    assert!(rig.keychain.store("rolecall release entry", &release, "release-build-secret"));
    // This debug build, with no override, uses its own service.
    let dev = [("ROLECALL_KEYCHAIN_SERVICE", "")];
    let o = rig.run_at(None, &dev, &["source", "add", "work", "--no-verify"], Some(&format!("{KEY_ID}\n{SECRET}\n")));
    assert!(o.status.success(), "{}", text(&o));
    let stored = rig.keychain.lookup(&[("service", "rolecall-dev"), ("username", "source:work")]);
    assert!(stored.is_some_and(|s| s.contains(SECRET)), "stored under rolecall-dev");
    assert_eq!(rig.keychain.lookup(&release).as_deref(), Some("release-build-secret"), "release entry untouched");
    let o = rig.run_at(None, &dev, &["source", "remove", "work"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(rig.keychain.lookup(&[("service", "rolecall-dev"), ("username", "source:work")]).is_none());
    assert_eq!(rig.keychain.lookup(&release).as_deref(), Some("release-build-secret"), "release entry untouched");
    rig.assert_no_secret_leaked(&["release-build-secret"]);
    println!("reliability: keychain_namespace release_entries_touched=0");
}

/// A tmpfs mounted on a directory for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` on `dir`; `None` if this machine does not allow it (not root).
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let o = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        o.status.success().then(|| Tmpfs(dir.to_owned()))
    }

    fn remount_read_only(&self) -> bool {
        std::process::Command::new("mount").args(["-o", "remount,ro"]).arg(&self.0).status().is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_or_a_read_only_aws_dir_keeps_the_old_credentials() {
    let rig = Rig::new();
    let aws = rig.sandbox.aws_dir();
    let tmpfs = Tmpfs::mount(&aws, "64k");
    let rig = rig.with_admin();
    let before = rig.snapshot();
    let mut tried = 0;
    match &tmpfs {
        Some(t) => {
            // Fill the file system to the last byte.
            let mut filler = fs::File::create(aws.join("filler")).unwrap();
            let chunk = vec![b'x'; 1024];
            while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
            while std::io::Write::write_all(&mut filler, b"x").is_ok() {}
            let _ = filler.sync_all();
            drop(filler);
            let o = rig.run(&["assume", "admin"]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains("rolecall: file.disk_full: "), "{}", tail(&text(&o)));
            assert!(err.contains("No space left on device"), "{}", tail(&text(&o)));
            assert_eq!(rig.snapshot(), before, "the old credentials are untouched");
            let litter: Vec<_> = fs::read_dir(&aws)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            assert!(litter.is_empty(), "a failed write left {litter:?}");
            tried += 1;
            fs::remove_file(aws.join("filler")).unwrap();
            assert!(t.remount_read_only(), "remount read-only");
            let o = rig.run(&["assume", "admin"]);
            assert!(String::from_utf8_lossy(&o.stderr).contains("rolecall: file.read_only: "), "{}", tail(&text(&o)));
            assert_eq!(rig.snapshot(), before);
            tried += 1;
            println!("reliability: disk_faults tried={tried} lost=0 mode=tmpfs");
        }
        None => {
            // Not root: no tmpfs. A directory without write permission stands in for a
            // read-only one (root would ignore the mode bits, hence the tmpfs above).
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&aws, fs::Permissions::from_mode(0o500)).unwrap();
            let o = rig.run(&["assume", "admin"]);
            fs::set_permissions(&aws, fs::Permissions::from_mode(0o700)).unwrap();
            assert!(String::from_utf8_lossy(&o.stderr).contains("rolecall: file.permission_denied: "), "{}", text(&o));
            assert_eq!(rig.snapshot(), before);
            tried += 1;
            println!("reliability: disk_faults tried={tried} lost=0 mode=read-only-dir (no tmpfs: not root)");
        }
    }
    rig.assert_no_secret_leaked(&[]);
    // Unmount before the sandbox is removed.
    drop(tmpfs);
    drop(rig);
}

/// Lines the differential test builds files from: what the INI corpus of the unit tests has,
/// plus the whitespace and continuation cases where parsers disagree.
const DIFF_LINES: &[&str] = &[
    "[default]",
    "[prod]",
    "[profile prod]",
    "[other]",
    "  [indented]",
    "\t[tabbed]",
    "[ spaced ]",
    "[DEFAULT]",
    "[a]]",
    "[x] ; note",
    "aws_access_key_id = AKIAUSER0000000001",
    "aws_secret_access_key=userSecret",
    "region: eu-west-1",
    "K = upper",
    "k = v",
    "k = v ; not a comment",
    "s3 =",
    "  max_concurrent_requests = 20",
    "    deeper = 1",
    "\tcont",
    "\u{a0}nbsp = indented",
    "\u{3000}ideo = indented",
    "\u{1c}fs = indented",
    "key\u{2003}=\u{2003}value\u{a0}",
    "\u{a0}# comment after nbsp",
    "# comment",
    "; comment",
    "  # indented comment",
    "",
    "   ",
    "\t",
    "x_rolecall_favourite = prod",
    "ключ = значение",
    "a = b = c",
];

/// Lines neither parser accepts, or that they read differently (a lone `\r`): one in ten lines.
const DIFF_JUNK: &[&str] = &["= no key", "no delimiter", "[]", "k = v\rstray", "[x]\r[prod]"];

#[test]
fn configparser_reads_every_file_as_rolecall_does_and_after_its_edits() {
    use rolecall_core::profile::{self, AwsFile};
    use rolecall_core::secret::{AccessKeyId, SessionCredentials};
    use rolecall_core::validate::{Name, ProfileName};
    use serde_json::Value;

    let count: usize = std::env::var("ROLECALL_DIFF_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let creds = SessionCredentials {
        access_key_id: AccessKeyId::parse("ASIADIFFERENTIAL0001").unwrap(),
        secret_access_key: "diffSecret/+=".to_owned().into(),
        session_token: "diffToken".to_owned().into(),
        expiration: chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap(),
    };
    let (prod, favourite) = (ProfileName::parse("prod").unwrap(), Name::parse("prod").unwrap());
    // rolecall's reading of each file: sections → entries, or "refused"; and its edit, if any.
    let mut ours = Vec::new();
    for i in 0..count {
        let n = next(14);
        // Most files start with a header, as real ones do (else configparser refuses them all).
        let mut text = if next(8) > 0 { format!("[first{}]\n", next(3)) } else { String::new() };
        for j in 0..n {
            let line =
                if next(10) == 0 { DIFF_JUNK[next(DIFF_JUNK.len())] } else { DIFF_LINES[next(DIFF_LINES.len())] };
            text.push_str(line);
            if j + 1 < n || next(4) > 0 {
                text.push_str(if next(3) == 0 { "\r\n" } else { "\n" });
            }
        }
        let path = dir.path().join(format!("f{i}"));
        fs::write(&path, &text).unwrap();
        let parsed = profile::parse(AwsFile::Credentials, text.clone().into_bytes()).ok();
        let read = parsed.as_ref().map(|d| {
            d.section_names()
                .into_iter()
                .map(|s| {
                    let entries = d.section(&s).ok().flatten();
                    (s, entries)
                })
                .collect::<Vec<_>>()
        });
        let edited = parsed.and_then(|mut d| {
            profile::write_session(&mut d, &prod, &favourite, &creds, creds.expiration, true).ok()?;
            Some(d.into_bytes())
        });
        if let Some(bytes) = &edited {
            fs::write(dir.path().join(format!("f{i}.edited")), bytes).unwrap();
        }
        ours.push((text, read, edited.is_some()));
    }
    let script = r#"
import configparser, json, sys, os
def read(path):
    cp = configparser.RawConfigParser()  # exactly as botocore.configloader.raw_config_parse
    try:
        cp.read([path])
    except (configparser.Error, UnicodeDecodeError) as e:
        return {"error": type(e).__name__}
    # Each section's own keys (cp.items would mix in [DEFAULT]'s).
    return {"sections": [[s, [[k, v] for k, v in cp._sections[s].items()]] for s in cp.sections()],
            "defaults": list(cp.defaults().keys())}
out = []
for i in range(int(sys.argv[2])):
    p = os.path.join(sys.argv[1], "f%d" % i)
    e = p + ".edited"
    out.append({"before": read(p), "after": read(e) if os.path.exists(e) else None})
print(json.dumps(out))
"#;
    let o = std::process::Command::new(venv_tool("python"))
        .args(["-c", script])
        .arg(dir.path())
        .arg(count.to_string())
        .output()
        .expect("python runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    let (mut agree, mut python_refuses, mut rolecall_refuses, mut edits_checked) = (0, 0, 0, 0);
    for (i, ((text, read, edited), py)) in ours.iter().zip(&theirs).enumerate() {
        let before = &py["before"];
        let Some(sections) = before["sections"].as_array() else {
            // Python cannot read it (duplicates, a missing header…): rolecall may keep it as it is.
            python_refuses += 1;
            continue;
        };
        let Some(read) = read else {
            rolecall_refuses += 1;
            continue;
        };
        // Same sections in the same order (configparser hides [DEFAULT]), same keys and values
        // (configparser's value is the first line plus its continuation lines).
        let names: Vec<&str> = sections.iter().map(|s| s[0].as_str().unwrap()).collect();
        let ours_names: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).filter(|n| *n != "DEFAULT").collect();
        assert_eq!(names, ours_names, "file {i} {text:?}");
        for (s, (_, entries)) in sections.iter().zip(read.iter().filter(|(n, _)| n != "DEFAULT")) {
            let theirs: Vec<(String, String)> = s[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| {
                    let v = kv[1].as_str().unwrap_or("");
                    (kv[0].as_str().unwrap().to_owned(), v.split('\n').next().unwrap_or("").to_owned())
                })
                .collect();
            let ours = entries.clone().expect("no duplicate keys when Python reads it");
            assert_eq!(theirs, ours, "file {i} section {:?}: {text:?}", s[0]);
        }
        agree += 1;
        // After rolecall's edit Python still reads it, sees our profile, and the rest unchanged.
        if *edited {
            let after = &py["after"];
            let after_sections = after["sections"]
                .as_array()
                .unwrap_or_else(|| panic!("file {i}: Python cannot read rolecall's edit ({after}) of {text:?}"));
            let get = |list: &Vec<Value>, name: &str| list.iter().find(|s| s[0] == name).map(|s| s[1].clone());
            let written = get(after_sections, "prod").expect("the profile is there");
            let value = |k: &str| {
                written.as_array().unwrap().iter().find(|kv| kv[0] == k).map(|kv| kv[1].as_str().unwrap().to_owned())
            };
            assert_eq!(value("aws_secret_access_key").as_deref(), Some("diffSecret/+="), "file {i}: {text:?}");
            assert_eq!(value("aws_session_token").as_deref(), Some("diffToken"), "file {i}: {text:?}");
            assert_eq!(value("x_rolecall_favourite").as_deref(), Some("prod"), "file {i}");
            for s in sections {
                let name = s[0].as_str().unwrap();
                if name != "prod" {
                    assert_eq!(
                        get(after_sections, name),
                        Some(s[1].clone()),
                        "file {i}: section {name} changed: {text:?}"
                    );
                }
            }
            edits_checked += 1;
        }
    }
    assert!(agree > count / 10, "too few files both parsers read: {agree}");
    println!(
        "reliability: configparser files={count} agree={agree} edits_checked={edits_checked} python_refuses={python_refuses} rolecall_refuses={rolecall_refuses} mismatches=0"
    );
}
