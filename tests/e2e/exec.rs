//! `rolecall exec`: the AWS CLI (botocore) as the child, against moto in auth mode, with the
//! session in its environment and from the credentials endpoint (`--server`); exit codes and
//! signals passed on; the endpoint's refusals; nothing of the user's written.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Stdio};
use std::time::Duration;

use rolecall_e2e::http::{Request, request};
use rolecall_e2e::{World, assumed_role_arn, output_text, rolecall_bin, rust_sdk_bin, venv_tool};
use serde_json::Value;

const ROLE: &str = "arn:aws:iam::123456789012:role/Admin";

/// Source `work` (alice's keys) and favourite `prod` (role Admin, which trusts her), in eu-west-1.
fn world() -> World {
    let w = World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    let (key, secret) = w.source_keys();
    let o = w.add_source("work", &key, &secret, &[]);
    assert!(o.status.success(), "{}", output_text(&o));
    w.add_favourite("prod", ROLE, &["--region", "eu-west-1"]);
    w
}

fn aws() -> String {
    venv_tool("aws").to_string_lossy().into_owned()
}

/// `[default]` with alice's own keys, and a profile `other`: if either won over what exec hands
/// the child, the caller would be alice (or fail), not the role.
fn user_profiles(w: &World) -> String {
    let text = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = nope\n",
        w.alice().access_key_id,
        w.alice().secret_access_key
    );
    w.sandbox.write(".aws/credentials", &text);
    text
}

fn caller_arn(stdout: &[u8]) -> String {
    let v: Value = serde_json::from_slice(stdout).expect("get-caller-identity prints JSON");
    v["Arn"].as_str().expect("Arn").to_owned()
}

#[test]
fn exec_gives_the_aws_cli_the_favourites_session_in_its_environment_and_writes_nothing() {
    let w = world();
    user_profiles(&w);
    let before = w.files();
    // AWS_PROFILE naming a profile with other keys must not reach the child.
    let envs = w.envs_with(&[("AWS_PROFILE", "other"), ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/x")]);
    let aws = aws();
    let o = w.run_env(&envs, &["exec", "prod", "--", &aws, "sts", "get-caller-identity", "--output", "json"], None);
    assert!(o.status.success(), "{}", output_text(&o));
    let arn = caller_arn(&o.stdout);
    assert!(arn.starts_with(&assumed_role_arn("Admin", "")), "{arn}");
    assert_eq!(w.files(), before, "exec wrote a file");

    // What the child sees: the session, the favourite's region, no profile.
    let o = w.run_env(&envs, &["exec", "prod", "--", "sh", "-c", "env"], None);
    assert!(o.status.success(), "{}", output_text(&o));
    let env = String::from_utf8_lossy(&o.stdout).into_owned();
    let lines: Vec<&str> = env.lines().collect();
    for want in ["AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"] {
        assert!(lines.contains(&want), "{want} missing");
    }
    for var in ["AWS_ACCESS_KEY_ID=ASIA", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_CREDENTIAL_EXPIRATION="]
    {
        assert!(lines.iter().any(|l| l.starts_with(var)), "{var} missing");
    }
    let expiration = lines.iter().find_map(|l| l.strip_prefix("AWS_CREDENTIAL_EXPIRATION=")).unwrap();
    assert!(expiration.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(expiration).is_ok(), "{expiration}");
    for gone in ["AWS_PROFILE=", "AWS_CONTAINER_CREDENTIALS_FULL_URI="] {
        assert!(!lines.iter().any(|l| l.starts_with(gone)), "{gone} reached the child");
    }
    assert_eq!(w.files(), before, "exec wrote a file");
}

#[test]
fn exec_passes_on_exit_codes_and_signals_and_says_when_there_is_no_such_command() {
    let w = world();
    let o = w.run(&["exec", "prod", "--", "sh", "-c", "exit 7"]);
    assert_eq!(o.status.code(), Some(7), "{}", output_text(&o));
    let o = w.run(&["exec", "prod", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(o.status.code(), Some(128 + 15), "{}", output_text(&o));
    let o = w.run(&["exec", "prod", "--", "no-such-command-rolecall-e2e"]);
    assert_eq!(o.status.code(), Some(127), "{}", output_text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-command-rolecall-e2e: command not found"));
    // rolecall's own failure (no such favourite) is 1, before any command runs.
    let o = w.run(&["exec", "nope", "--", "sh", "-c", "touch ran"]);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    assert!(!w.sandbox.home().join("ran").exists());
}

#[test]
fn a_signal_to_rolecall_is_passed_on_to_the_command() {
    let w = world();
    let mut child = w
        .sandbox
        .command(rolecall_bin(), &w.envs())
        .args([
            "exec",
            "prod",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 42' TERM; echo \"ready $$\"; while :; do sleep 0.1; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let ready = read_line(&mut out);
    let command_pid = ready.strip_prefix("ready ").expect("the command started").to_owned();
    // Should the signal not reach the command, both are ended after a while, so the test fails
    // instead of hanging.
    let rolecall_pid = child.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(20));
        let _ = std::process::Command::new("kill").args(["-KILL", &command_pid, &rolecall_pid]).output();
    });
    kill(child.id(), "TERM");
    assert_eq!(read_line(&mut out), "got-term", "the command did not hear the signal");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(42));
}

/// A running `exec --server FAVOURITE` whose child printed the endpoint and its token file and
/// waits for a line on its stdin (then runs what it was given) or for its stdin to close (then
/// exits 3).
struct Served {
    child: Child,
    url: String,
    port: u16,
    token_file: PathBuf,
    profiles_file: String,
    out: BufReader<ChildStdout>,
}

impl Served {
    /// `exec --server prod` whose child only waits.
    fn start(w: &World) -> Served {
        Served::spawn(w, &w.envs(), "prod", ":")
    }

    /// `exec --server favourite` with `envs`, whose child runs `then` (shell) once it is sent a
    /// line ([`Served::go`]), then waits again.
    fn spawn(w: &World, envs: &[(String, String)], favourite: &str, then: &str) -> Served {
        let script = format!(
            "printf '%s\\n' \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" \"$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE\" \"$AWS_SHARED_CREDENTIALS_FILE\"; read x || exit 3; {then}; read x; exit 3"
        );
        let mut child = w
            .sandbox
            .command(rolecall_bin(), envs)
            .args(["exec", "--server", favourite, "--", "sh", "-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let url = read_line(&mut out);
        let token_file = PathBuf::from(read_line(&mut out));
        let profiles_file = read_line(&mut out);
        let Some(port) = url.strip_prefix("http://127.0.0.1:").and_then(|r| r.split('/').next()?.parse().ok()) else {
            let mut err = String::new();
            let _ = child.kill();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("exec --server {favourite} gave no endpoint: {url:?}\n{err}");
        };
        Served { child, url, port, token_file, profiles_file, out }
    }

    /// Lets the child run what it was given, and returns the first line it prints.
    fn go(&mut self) -> String {
        use std::io::Write;
        self.child.stdin.as_mut().unwrap().write_all(b"\n").unwrap();
        read_line(&mut self.out)
    }

    fn path(&self) -> String {
        self.url.split_once(&format!(":{}", self.port)).unwrap().1.to_owned()
    }

    fn token(&self) -> String {
        std::fs::read_to_string(&self.token_file).unwrap()
    }

    fn get(&self, headers: &[(&str, &str)]) -> (u16, String) {
        let mut req = Request::new("GET", &self.path());
        for (k, v) in headers {
            req = req.header_line(k, v);
        }
        let r = request(self.port, &req, Duration::from_secs(10)).unwrap();
        (r.status, r.text())
    }

    /// Closes the child's stdin and waits: its exit code.
    fn finish(mut self) -> (Option<i32>, String) {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code(), err)
    }
}

#[test]
fn exec_server_serves_the_aws_cli_past_a_default_profile_with_keys() {
    let w = world();
    let profiles = user_profiles(&w);
    let before = w.files();
    let aws = aws();
    let o = w.run(&["exec", "--server", "prod", "--", &aws, "sts", "get-caller-identity", "--output", "json"]);
    assert!(o.status.success(), "{}", output_text(&o));
    let arn = caller_arn(&o.stdout);
    assert!(arn.starts_with(&assumed_role_arn("Admin", "")), "[default]'s keys won: {arn}");
    assert_eq!(w.files(), before, "exec --server wrote a file");
    assert_eq!(std::fs::read_to_string(w.sandbox.credentials_path()).unwrap(), profiles);
}

#[test]
fn the_endpoint_answers_only_its_token_from_loopback_and_goes_with_its_command() {
    let w = world();
    let before = w.files();
    let a = Served::start(&w);
    let b = Served::start(&w);
    assert_ne!(a.port, b.port);
    assert_ne!(a.token(), b.token(), "each endpoint has a token of its own");
    for s in [&a, &b] {
        let mode = std::fs::metadata(&s.token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(s.token().len(), 64);
        assert_eq!(std::fs::read(&s.profiles_file).unwrap(), b"", "the child's profiles file is empty");
    }
    let token = a.token();
    let (status, body) = a.get(&[("Authorization", &token)]);
    assert_eq!(status, 200, "{}", body.len());
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(v["SecretAccessKey"].is_string() && v["Token"].is_string());
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'));

    let wrong = "0".repeat(64);
    assert_eq!(a.get(&[]).0, 403, "no token");
    assert_eq!(a.get(&[("Authorization", &wrong)]).0, 403, "wrong token");
    assert_eq!(a.get(&[("Authorization", &b.token())]).0, 403, "the other endpoint's token");
    assert_eq!(a.get(&[("Host", "evil.example"), ("Authorization", &token)]).0, 403, "a Host that is not loopback");
    let mut other = Request::new("GET", "/other");
    other = other.header_line("Authorization", &token);
    assert_eq!(request(a.port, &other, Duration::from_secs(10)).unwrap().status, 404);
    // A malformed request gets 400 and the endpoint goes on answering.
    {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", a.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"\x00\x01 garbage\r\n\r\n").unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    }
    assert_eq!(a.get(&[("Authorization", &token)]).0, 200);

    // Another user (uid 65534) can neither read the token nor be served, even with the token
    // and a loopback Host: the endpoint finds whose the connection is. The same request of ours
    // is served, so the refusal is the other uid's, nothing else.
    if running_as_root() {
        let token_path = a.token_file.to_string_lossy().into_owned();
        let o = as_uid(Some(65534), &["cat", &token_path], None);
        assert!(!o.status.success() && o.stdout.is_empty(), "another user read the token file");
        assert_eq!(curl_status(Some(65534), &a.url, None), "403", "another user without the token");
        assert_eq!(curl_status(Some(65534), &a.url, Some(&token)), "403", "another user with the token");
        assert_eq!(curl_status(None, &a.url, Some(&token)), "200", "the same request of this user");
    } else {
        eprintln!("not root: the other-user requests are not tried");
    }
    let (a_file, b_file) = (a.token_file.clone(), b.token_file.clone());
    let (code, err) = a.finish();
    assert_eq!(code, Some(3), "the command's exit code: {err}");
    assert!(!a_file.exists(), "the token file outlived the command");
    assert!(b_file.exists(), "the other endpoint's token file went with the first");
    assert!(!err.contains(&token), "the token was logged");
    assert!(err.contains("refused a request"), "refusals are logged: {err}");
    if running_as_root() {
        assert!(err.contains("another user's connection") && err.contains("65534"), "said whose: {err}");
    }
    let (code, _) = b.finish();
    assert_eq!(code, Some(3));
    assert!(!b_file.exists());
    assert_eq!(w.files(), before, "exec --server wrote a file");
}

/// Two `exec --server` at once, for two favourites (roles Admin and ReadOnly): each child has
/// a token of its own in a file of its own, each endpoint refuses the other's token, and both
/// children's AWS CLI get their own role's session while both endpoints run, past a
/// `[default]` profile with keys.
#[test]
fn two_exec_servers_at_once_serve_their_own_child_and_refuse_each_others_token() {
    let w = World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("ReadOnly", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("prod", ROLE, &[]);
    w.add_favourite("ro", "arn:aws:iam::123456789012:role/ReadOnly", &[]);
    user_profiles(&w);
    let before = w.files();
    // Everything it prints on one line, so a failure shows instead of a read that never ends.
    let then = format!("'{}' sts get-caller-identity --query Arn --output text 2>&1 | tr '\\n' ' '; echo", aws());
    let mut a = Served::spawn(&w, &w.envs(), "prod", &then);
    let mut b = Served::spawn(&w, &w.envs(), "ro", &then);
    assert_ne!(a.port, b.port);
    assert_ne!(a.token_file, b.token_file, "a token file each");
    let (ta, tb) = (a.token(), b.token());
    assert_ne!(ta, tb, "a token each");
    let mut keys = Vec::new();
    for (s, own, other) in [(&a, &ta, &tb), (&b, &tb, &ta)] {
        let (status, body) = s.get(&[("Authorization", own)]);
        assert_eq!(status, 200, "its own token: {}", body.len());
        let v: Value = serde_json::from_str(&body).unwrap();
        keys.push(v["AccessKeyId"].as_str().unwrap().to_owned());
        assert_eq!(s.get(&[("Authorization", other)]).0, 403, "the other endpoint's token");
    }
    assert_ne!(keys[0], keys[1], "each endpoint serves its own favourite's session");
    // Both children's AWS CLI, while both endpoints run.
    let (arn_a, arn_b) = (a.go(), b.go());
    assert!(arn_a.starts_with(&assumed_role_arn("Admin", "")), "prod's child: {arn_a}");
    assert!(arn_b.starts_with(&assumed_role_arn("ReadOnly", "")), "ro's child: {arn_b}");
    let (a_file, b_file) = (a.token_file.clone(), b.token_file.clone());
    let (code, err) = a.finish();
    assert_eq!(code, Some(3), "{err}");
    assert!(!err.contains(&ta) && !err.contains(&tb), "a token was logged: {err}");
    assert!(!a_file.exists() && b_file.exists(), "each token file goes with its own command");
    // The second still serves once the first is gone.
    assert_eq!(b.get(&[("Authorization", &tb)]).0, 200);
    let (code, err) = b.finish();
    assert_eq!(code, Some(3), "{err}");
    assert!(!b_file.exists());
    assert_eq!(w.files(), before, "exec --server wrote a file");
}

/// Renewal end to end: `exec --server` of a 15-minute favourite (moto's Expiration is exactly
/// 900 s on) renews once fewer than half of it (7.5 min) are left by its own clock, and serves
/// the new session. Waiting 7.5 minutes is too long, so the wall clock of the `rolecall` process
/// alone is moved with libfaketime (its monotonic clock, its timers' and pauses', is not); STS
/// (moto) and the AWS CLI keep the real clock, so the Expiration it compares is STS's answer,
/// as in use. (Its renewal is signed 8 minutes ahead: moto accepts that, real STS would not,
/// which is not what this test is about.) Moved 7 minutes (8 left) it still serves the first
/// session; moved 8 (7 left) it renews, once, and the AWS CLI gets the new session through it.
#[test]
fn exec_server_renews_a_session_half_used_by_its_clock_and_serves_the_new_one() {
    let lib = rolecall_e2e::libfaketime().expect("libfaketime is not installed: run ./scripts/setup --test");
    let w = world();
    w.add_favourite("short", ROLE, &["--duration", "15m"]);
    let clock = w.sandbox.home().join("endpoint-clock");
    let set_clock = |offset: &str| std::fs::write(&clock, format!("{offset}\n")).unwrap();
    set_clock("+0");
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let (lib, clock_file) = (path(&lib), path(&clock));
    let envs = w.envs_with(&[
        ("LD_PRELOAD", &lib),
        ("FAKETIME_TIMESTAMP_FILE", &clock_file),
        // Read the offset on every call (so a change counts at once); the monotonic clock real.
        ("FAKETIME_NO_CACHE", "1"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ]);
    let s = Served::spawn(&w, &envs, "short", ":");
    let token = s.token();
    let served = || {
        let (status, body) = s.get(&[("Authorization", &token)]);
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let expiration = chrono::DateTime::parse_from_rfc3339(v["Expiration"].as_str().unwrap()).unwrap().to_utc();
        (v["AccessKeyId"].as_str().unwrap().to_owned(), expiration)
    };
    let (first, first_expiration) = served();
    let left = first_expiration - chrono::Utc::now();
    assert!(left > chrono::Duration::seconds(860) && left <= chrono::Duration::seconds(900), "a 900 s session: {left}");
    assert_eq!(served().0, first, "a fresh session is not renewed on every request");
    set_clock("+7m");
    assert_eq!(served().0, first, "8 minutes left of 15: more than half, not renewed yet");
    set_clock("+8m");
    let (renewed, renewed_expiration) = served();
    assert_ne!(renewed, first, "7 minutes left of 15: renewed");
    // STS's answer, on the real clock: as late as the first or later (seconds apart, at most).
    assert!(renewed_expiration >= first_expiration, "{renewed_expiration} before {first_expiration}");
    assert_eq!(served().0, renewed, "the new session is served, not renewed again");
    // A real session from STS: the AWS CLI (with the real clock) gets it through the endpoint.
    let cli_envs = w.envs_with(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &s.url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &path(&s.token_file)),
        ("AWS_SHARED_CREDENTIALS_FILE", &s.profiles_file),
        ("AWS_CONFIG_FILE", &s.profiles_file),
    ]);
    let o = rolecall_e2e::aws_cli(&cli_envs, &["sts", "get-caller-identity", "--output", "json"]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(caller_arn(&o.stdout).starts_with(&assumed_role_arn("Admin", "")));
    assert_eq!(served().0, renewed);
    let (code, err) = s.finish();
    assert_eq!(code, Some(3), "{err}");
    assert!(!err.contains(&token), "the token was logged");
    assert!(!err.contains("could not renew"), "{err}");
}

/// The AWS SDK for JavaScript v3 (`tests/sdk-js`, installed by `scripts/setup --test`) as a
/// second reader: its default chain takes the keys from the environment, and with `--server` the
/// container endpoint, past a `[default]` profile with keys.
#[test]
fn the_js_sdk_gets_the_session_from_the_environment_and_from_the_endpoint() {
    let w = world();
    user_profiles(&w);
    let before = w.files();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-js");
    assert!(
        dir.join("node_modules/@aws-sdk/client-sts").is_dir(),
        "the AWS SDK for JavaScript is not installed in {}: run ./scripts/setup --test",
        dir.display()
    );
    let script = dir.join("identity.mjs").to_string_lossy().into_owned();
    for server in [false, true] {
        let mut args = vec!["exec"];
        if server {
            args.push("--server");
        }
        args.extend(["prod", "--", "node", &script, "chain"]);
        let o = w.run(&args);
        assert!(o.status.success(), "{args:?}: {}", output_text(&o));
        let arn = String::from_utf8_lossy(&o.stdout).trim().to_owned();
        assert!(arn.starts_with(&assumed_role_arn("Admin", "")), "{args:?}: [default]'s keys won: {arn}");
    }
    assert_eq!(w.files(), before, "exec wrote a file");
}

/// The AWS SDK for Rust (`rust-sdk-identity`), a third reader: its default chain takes the keys
/// from the environment, and with `--server` the container endpoint (its token file), past a
/// `[default]` profile with keys; both times the role's ARN.
#[test]
fn the_rust_sdk_gets_the_session_from_the_environment_and_from_the_endpoint() {
    let w = world();
    user_profiles(&w);
    let before = w.files();
    let reader = rust_sdk_bin().to_string_lossy().into_owned();
    for server in [false, true] {
        let mut args = vec!["exec"];
        if server {
            args.push("--server");
        }
        args.extend(["prod", "--", &reader]);
        let o = w.run(&args);
        assert!(o.status.success(), "{args:?}: {}", output_text(&o));
        let arn = crate::credentials::rust_arn(&o.stdout);
        assert!(arn.starts_with(&assumed_role_arn("Admin", "")), "{args:?}: [default]'s keys won: {arn}");
    }
    // Without rolecall, the same reader gets [default]'s keys: the check above can fail.
    let arn = crate::credentials::rust_identity(&w, &w.envs()).unwrap();
    assert_eq!(arn, w.alice().user_arn, "[default] is alice's");
    assert_eq!(w.files(), before, "exec wrote a file");
}

/// Runs `args` (as uid and gid `uid` with no groups, through `setpriv`, when given) with `input`
/// on stdin.
fn as_uid(uid: Option<u32>, args: &[&str], input: Option<&[u8]>) -> std::process::Output {
    let mut cmd = match uid {
        Some(uid) => {
            let mut cmd = std::process::Command::new("setpriv");
            cmd.args([format!("--reuid={uid}"), format!("--regid={uid}"), "--clear-groups".into(), "--".into()]);
            cmd.args(args);
            cmd
        }
        None => {
            let mut cmd = std::process::Command::new(args[0]);
            cmd.args(&args[1..]);
            cmd
        }
    };
    rolecall_e2e::run_with_timeout(&mut cmd, input, Duration::from_secs(20))
}

/// The HTTP status curl gets for `url` (as `uid`, if given), with `Authorization: token` when
/// given, handed over on stdin (`-H @-`) so it is in no command line.
fn curl_status(uid: Option<u32>, url: &str, token: Option<&str>) -> String {
    let header = token.map(|t| format!("Authorization: {t}\n"));
    let mut args = vec!["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url];
    if header.is_some() {
        args.extend(["-H", "@-"]);
    }
    let o = as_uid(uid, &args, header.as_deref().map(str::as_bytes));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn running_as_root() -> bool {
    let o = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim() == "0"
}

fn read_line(out: &mut impl BufRead) -> String {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

fn kill(pid: u32, signal: &str) {
    let o = std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).output().unwrap();
    assert!(o.status.success());
}
