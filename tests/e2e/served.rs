//! `rolecall credentials` served by the running tray app over its socket: answered from memory
//! (no AssumeRole at the recording STS proxy, no keychain request on the session bus), also after
//! sleep and wake; tracked in the menu; a fallback to the CLI's own path when the app is gone or
//! its socket cannot be trusted, never a hang; other users and malformed requests refused; a
//! favourite that needs an MFA code fails at once and the app asks for the code.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rolecall_e2e::{FakeLogind, Reply, TrayApp, World, assumed_role_arn, output_text as text, rolecall_bin, tray_bin};
use serde_json::Value;

use crate::renewal::SecretServiceCalls;

const ADMIN_ARN: &str = "arn:aws:iam::123456789012:role/Admin";
const DEV_ARN: &str = "arn:aws:iam::123456789012:role/Dev";
/// Long enough for anything the app does on its own to be done.
const SETTLE: Duration = Duration::from_secs(20);

/// Roles Admin and Dev trusting alice, STS behind the recording proxy, a desktop; source `work`
/// and the process favourites `admin` and `dev`.
fn world() -> World {
    let w = World::builder().desktop().proxy().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Dev", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", ADMIN_ARN, &["--delivery", "process"]);
    w.add_favourite("dev", DEV_ARN, &["--delivery", "process"]);
    w
}

/// The app, with logind's signals taken from the session bus (so a test can send one), once its
/// credentials socket is there.
fn start_app(w: &World) -> TrayApp {
    let mut envs = w.gui_envs();
    envs.push(("ROLECALL_LOGIND_BUS".to_owned(), "session".to_owned()));
    let mut app = TrayApp::start_with_envs(&tray_bin(), &w.sandbox, envs, &[]);
    app.wait_registered(w.desktop());
    rolecall_e2e::wait_until("the credentials socket", SETTLE, || socket(w).is_some());
    app
}

/// The app's socket in the sandbox's runtime dir, if there is one.
fn socket(w: &World) -> Option<PathBuf> {
    let dir = w.sandbox.home().join(".run/rolecall");
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("tray-") && n.ends_with(".sock"))
    })
}

/// `rolecall credentials NAME` with `envs`: the document's access key id, or the failure.
fn key_id(w: &World, envs: &[(String, String)], name: &str) -> Result<String, String> {
    let out = w.run_env(envs, &["credentials", name], Some(""));
    if !out.status.success() {
        return Err(text(&out));
    }
    let doc: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("{e}: {}", text(&out)))?;
    Ok(doc["AccessKeyId"].as_str().expect("AccessKeyId").to_owned())
}

fn assumes(w: &World) -> usize {
    w.sts().count("AssumeRole")
}

#[test]
fn the_tray_answers_credential_process_from_memory_also_after_sleep_and_the_cli_falls_back_without_it() {
    let w = world();
    let mut app = start_app(&w);
    let envs = w.envs();

    // The first request: the app assumes once, holds the session, and shows it in the menu.
    let first = key_id(&w, &envs, "admin").unwrap();
    assert_eq!(assumes(&w), 1, "{:?}", w.sts().requests());
    assert!(app.log().contains("renewed to serve it"), "{}", app.log());
    app.wait_for_label("admin's time left in the menu", SETTLE, |m| {
        m.label.starts_with("admin · ") && m.label.ends_with(" left")
    });

    // The hot path: the CLI, the AWS CLI and the JavaScript SDK through credential_process, all
    // answered from memory: no AssumeRole, no keychain request, nothing written.
    let files = w.files();
    let keychain = SecretServiceCalls::watch(w.keychain.address(), w.sandbox.home());
    for _ in 0..3 {
        assert_eq!(key_id(&w, &envs, "admin").unwrap(), first);
    }
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    let sdk_envs = w.sandbox.envs(w.moto(), &w.keychain);
    assert_eq!(
        crate::credentials::js_identity(&w, &sdk_envs, &["ini", "admin"]).unwrap(),
        assumed_role_arn("Admin", "alice")
    );
    assert_eq!(assumes(&w), 1, "served from memory: {:?}", w.sts().requests());
    assert_eq!(keychain.calls(), Vec::<String>::new(), "no keychain request on the hot path");
    assert_eq!(w.files(), files, "nothing written");
    // No part of the served session anywhere under HOME (the AWS files, the config, data and
    // cache dirs, the runtime dir with the socket) nor in the app's log.
    let out = w.run_env(&envs, &["credentials", "admin"], Some(""));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let log = app.log();
    let scanned = walk(w.sandbox.home());
    assert!(scanned.iter().any(|p| p.ends_with(".aws/config")), "the scan sees the files: {scanned:?}");
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        let secret = doc[field].as_str().unwrap();
        for path in &scanned {
            let bytes = std::fs::read(path).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "the session's {field} is in {}",
                path.display()
            );
        }
        assert!(!log.contains(secret), "the session's {field} is in the app's log");
    }

    // Asleep and awake again: still from memory.
    let logind = FakeLogind::start(w.keychain.address());
    logind.prepare_for_sleep(true);
    logind.prepare_for_sleep(false);
    rolecall_e2e::wait_until("the app to see the wake-up", SETTLE, || app.log().contains("resumed from sleep"));
    assert_eq!(key_id(&w, &envs, "admin").unwrap(), first);
    assert_eq!(assumes(&w), 1, "{:?}", w.sts().requests());
    assert_eq!(keychain.calls(), Vec::<String>::new());

    // Killed in the middle of a request (its renewal held up at STS): the CLI falls back to its
    // own assume, straight to moto, well before its 60 s answer timeout.
    w.sts().set_script(vec![Reply::Delay(Duration::from_secs(40), Box::new(Reply::Forward(w.moto().port())))]);
    let direct = w.sandbox.envs(w.moto(), &w.keychain);
    let mut cmd = w.sandbox.command(rolecall_bin(), &direct);
    cmd.args(["credentials", "dev"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().unwrap();
    rolecall_e2e::wait_until("the app's renewal to reach STS", SETTLE, || assumes(&w) == 2);
    kill(app.pid());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{doc}");
    app.wait_exit(SETTLE);

    // The app gone (its socket left behind): the CLI does the work itself, as `assume` would.
    assert!(socket(&w).is_some(), "the stale socket is still there");
    let own = key_id(&w, &direct, "admin").unwrap();
    assert_ne!(own, first, "a session of its own");
    assert_eq!(w.files(), files, "and writes nothing");
}

#[test]
fn a_socket_that_is_not_only_this_users_is_not_used_and_nobody_else_nor_garbage_gets_an_answer() {
    let w = world();
    let app = start_app(&w);
    let envs = w.envs();
    let served = key_id(&w, &envs, "admin").unwrap();
    let sock = socket(&w).unwrap();
    let mode = |p: &PathBuf, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();

    // Opened to others, or owned by someone else: the CLI does not trust it and falls back.
    mode(&sock, 0o666);
    let out = w.run_env(&envs, &["credentials", "admin"], Some(""));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("not using the credentials socket"), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(doc["AccessKeyId"].as_str().unwrap(), served, "not the app's session");
    mode(&sock, 0o600);
    std::os::unix::fs::chown(&sock, Some(65534), Some(65534)).unwrap();
    let own = key_id(&w, &envs, "admin").unwrap();
    assert_ne!(own, served);
    std::os::unix::fs::chown(&sock, Some(0), Some(0)).unwrap();
    assert_eq!(key_id(&w, &envs, "admin").unwrap(), served, "trusted again");

    // Another user who can reach the socket (through a link in a directory open to all, the
    // socket's mode opened for the test) gets no answer.
    if running_as_root() {
        let open = tempfile::tempdir().unwrap();
        mode(&open.path().to_path_buf(), 0o755);
        let link = open.path().join("tray.sock");
        std::fs::hard_link(&sock, &link)
            .expect("a link to the socket (the sandbox and the temp dir share a filesystem)");
        mode(&sock, 0o666);
        let script = format!(
            "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({:?})\ntry:\n\
             \x20   s.sendall(b'{{\"v\":1,\"credentials\":\"admin\"}}\\n')\n\
             \x20   print(repr(s.recv(65536)))\nexcept (ConnectionResetError, BrokenPipeError):\n    print(repr(b''))\n",
            link.display().to_string()
        );
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", &script])
            .output()
            .expect("setpriv (util-linux)");
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "b''", "closed unanswered: {}", text(&out));
        assert!(app.log().contains("refused another user's connection"), "{}", app.log());
        mode(&sock, 0o600);
    }

    // Malformed requests get `input.invalid`, and the app goes on answering.
    for bad in ["not json\n", "{\"v\":2,\"credentials\":\"admin\"}\n", "{\"v\":1,\"credentials\":\"no such name!\"}\n"]
    {
        let reply = raw(&sock, bad.as_bytes());
        assert!(reply.contains("\"input.invalid\""), "{bad:?} → {reply}");
        assert!(!reply.contains(&served), "{reply}");
    }
    let reply = raw(&sock, b"{\"v\":1,\"credentials\":\"admin\"}\n");
    assert!(reply.contains(&served), "a good request still works");
    // An unknown favourite: the app's refusal, relayed with its code.
    let out = w.run_env(&envs, &["credentials", "nope"], Some(""));
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("rolecall: config.not_found: ") && stderr.lines().count() == 1, "{stderr}");
    assert_eq!(assumes(&w), 3, "the app's one and the two fallbacks': {:?}", w.sts().requests());
}

/// Every file under `dir` (sockets and the like read as empty).
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            out.extend(walk(&p))
        } else if p.is_file() {
            out.push(p)
        }
    }
    out
}

/// One request line on the socket: the answer line.
fn raw(sock: &PathBuf, request: &[u8]) -> String {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(SETTLE)).unwrap();
    s.write_all(request).unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    line
}

fn kill(pid: u32) {
    let o = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).output().unwrap();
    assert!(o.status.success());
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

#[test]
fn a_served_favourite_that_needs_a_code_fails_at_once_and_the_tray_asks_for_it() {
    let w = World::builder().desktop().without_auth_mode().mfa_device().proxy().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    let out = w.run_with(&["source", "add", "work", "--mfa-serial", w.mfa_serial()], Some(&keys));
    assert!(out.status.success(), "{}", text(&out));
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "work", "--mfa", "--delivery", "process"]);
    let _app = start_app(&w);

    let started = Instant::now();
    let out = w.run_with(&["credentials", "admin"], Some(""));
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10), "fails at once: {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("rolecall: input.needed: favourite admin: needs a code"), "{stderr}");
    assert!(stderr.contains("the rolecall tray app asks for it now"), "{stderr}");
    let window = w.desktop().wait_for_window("rolecall: MFA code", SETTLE);
    // SDKs retry: the window is not opened again for each try.
    let again = w.run_with(&["credentials", "admin"], Some(""));
    assert!(!again.status.success());
    assert_eq!(w.desktop().wait_for_window("rolecall: MFA code", SETTLE), window, "the same window");
    assert_eq!(w.sts().count("GetSessionToken") + assumes(&w), 0, "nothing asked of STS yet");

    // The user types the code into the window (a real X keyboard, through xdotool): the app
    // assumes and holds the session, and the next call is served from it.
    let display = w.desktop().display().to_owned();
    let xdotool = |args: &[&str]| {
        let o = std::process::Command::new("xdotool").args(args).env("DISPLAY", &display).output().unwrap();
        assert!(o.status.success(), "xdotool {args:?}: {}", text(&o));
    };
    let id = window.to_string();
    rolecall_e2e::wait_until("the code field to take keys", SETTLE, || {
        xdotool(&["windowfocus", "--sync", &id]);
        xdotool(&["type", "--window", &id, "123456"]);
        xdotool(&["key", "--window", &id, "Return"]);
        rolecall_e2e::poll(Duration::from_secs(3), || (assumes(&w) == 1).then_some(())).is_some()
    });
    w.desktop().wait_for_no_window("rolecall: MFA code", SETTLE);
    assert_eq!(w.sts().count("GetSessionToken"), 1, "{:?}", w.sts().requests());
    let served = key_id(&w, &w.envs(), "admin").unwrap();
    assert_eq!(key_id(&w, &w.envs(), "admin").unwrap(), served);
    assert_eq!(assumes(&w), 1, "served from what the app holds: {:?}", w.sts().requests());
}

#[test]
fn never_writing_secrets_makes_new_favourites_process_ones_and_converts_the_written_ones() {
    let w = World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Dev", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    let mine = "[mine]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = keep\n";
    w.sandbox.write(".aws/credentials", mine);
    w.add_favourite("admin", ADMIN_ARN, &[]);
    w.add_favourite("dev", DEV_ARN, &[]);
    w.ok(&["assume", "admin"]);
    w.ok(&["assume", "dev"]);
    let written = w.sandbox.read_credentials();
    assert!(written.contains("[admin]") && written.contains("[dev]"), "{written}");

    // On: the preference says which favourites still write their secrets.
    let out = w.run(&["preferences", "--never-write-secrets", "on"]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 favourite(s) still write their secrets") && stderr.contains("admin, dev"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("never write secrets to disk  on"), "{}", text(&out));
    let prefs: Value = serde_json::from_str(&w.ok(&["preferences", "--json"])).unwrap();
    assert_eq!(prefs["never_write_secrets"], true, "{prefs}");
    assert_eq!(w.sandbox.read_credentials(), written, "turning it on converts nothing by itself");

    // A new favourite is a process one (unless it says otherwise), and writes no secret.
    w.add_favourite("ops", ADMIN_ARN, &["--profile", "ops"]);
    assert!(w.ok(&["role", "show", "ops"]).lines().any(|l| l.starts_with("delivery") && l.ends_with("process")));
    w.add_favourite("legacy", DEV_ARN, &["--delivery", "file"]);
    assert!(w.ok(&["role", "show", "legacy"]).lines().any(|l| l.starts_with("delivery") && l.ends_with("file")));
    assert_eq!(w.aws_identity("ops").unwrap(), assumed_role_arn("Admin", "alice"));
    assert_eq!(w.sandbox.read_credentials(), written);

    // Converting: the sessions leave the credentials file (the user's section as it was), and
    // the AWS CLI still gets the role through credential_process.
    let out = w.run(&["role", "convert", "--all"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in ["admin", "dev", "legacy"] {
        assert!(stdout.contains(&format!("Converted favourite {name}:")), "{stdout}");
    }
    let left = w.sandbox.read_credentials();
    assert!(left.starts_with(mine) && left[mine.len()..].trim().is_empty(), "only the user's section is left:\n{left}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert_eq!(w.aws_identity("dev").unwrap(), assumed_role_arn("Dev", "alice"));
    let config = w.sandbox.read_config();
    let line = format!("credential_process = {} credentials dev", rolecall_bin().display());
    assert!(config.contains(&line), "{config}");
    let again = w.ok(&["role", "convert", "--all"]);
    assert!(again.contains("No favourite writes its secrets"), "{again}");
    let out = w.run(&["role", "convert", "nope"]);
    assert!(!out.status.success() && text(&out).contains("config.not_found"), "{}", text(&out));
}

#[test]
fn served_sessions_are_renewed_in_the_background_and_warned_about_like_written_ones() {
    let w = World::builder().desktop().notifications().proxy().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Dev", &a.user_arn, None);
    });
    // One-minute sessions: the leads below apply as 30 s (half a session).
    w.sts().set_script(vec![Reply::ForwardFor(w.moto().port(), 60)]);
    w.add_source_work(&[]);
    let lead: &[&str] = &["--delivery", "process", "--duration", "15m"];
    w.add_favourite(
        "auto",
        ADMIN_ARN,
        &[lead, &["--auto-renew", "--renew-before", "14m50s", "--notify-before", "1m"]].concat(),
    );
    w.add_favourite("warned", DEV_ARN, &[lead, &["--notify-before", "14m55s"]].concat());
    let app = start_app(&w);
    let envs = w.envs();
    let first_auto = key_id(&w, &envs, "auto").unwrap();
    let first_warned = key_id(&w, &envs, "warned").unwrap();
    assert_eq!(assumes(&w), 2);

    // Nobody asks, yet the app renews `auto` before its session ends; the next request gets the
    // renewed session from memory.
    // (Asked right after a renewal is done: both the scheduler and a request renew with half of
    // a one-minute session left, so a request near that moment may rightly renew too.)
    let renewed_in_background = |log: &str| {
        log.lines().filter(|l| l.contains("assumed") && l.contains("favourite=auto") && l.contains("Auto")).count()
    };
    rolecall_e2e::wait_until("two background renewals of auto", Duration::from_secs(150), || {
        renewed_in_background(&app.log()) >= 2
    });
    // (The scheduler goes on renewing meanwhile: what must not happen is a renewal for the
    // request itself.)
    let for_requests = app.log().matches("renewed to serve it").count();
    let now_auto = key_id(&w, &envs, "auto").unwrap();
    assert_ne!(now_auto, first_auto, "the renewed session");
    assert_eq!(app.log().matches("renewed to serve it").count(), for_requests, "served from memory:\n{}", app.log());

    // `warned` is warned about before it expires, and Renew renews what the app holds.
    let notifications = w.notifications();
    let n = notifications
        .wait_for("warned's expiry warning", Duration::from_secs(60), |n| n.summary.starts_with("warned expires in"));
    assert!(n.has_action("renew"), "{:?}", n.actions);
    notifications.invoke_action(n.id, "renew");
    let renewed_by_notice =
        |log: &str| log.lines().any(|l| l.contains("assumed") && l.contains("warned") && l.contains("Notification"));
    rolecall_e2e::wait_until("the renewal from the notice", Duration::from_secs(30), || renewed_by_notice(&app.log()));
    let now_warned = key_id(&w, &envs, "warned").unwrap();
    assert_ne!(now_warned, first_warned);
    assert!(
        !notifications.notifications().iter().any(|n| n.summary.starts_with("auto expires")),
        "a session that renews itself is not warned about: {}",
        notifications.log()
    );
    assert_eq!(w.sandbox.read_credentials(), "", "nothing written");
}

#[test]
fn a_served_favourite_of_a_signed_out_identity_center_source_fails_at_once_and_the_tray_says_to_sign_in() {
    use rolecall_e2e::sso::FakeSso;
    let w = World::builder().desktop().notifications().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(crate::sso::accounts());
    crate::credentials::add_signed_out_process_favourite(&w, &sso);
    let sso_envs = sso.envs();
    let extra: Vec<(&str, &str)> = sso_envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let _app = w.start_app_with(&extra, &[]);
    rolecall_e2e::wait_until("the credentials socket", SETTLE, || socket(&w).is_some());

    let envs = crate::sso::envs(&w, &sso);
    for _ in 0..3 {
        let started = Instant::now();
        let out = w.run_env(&envs, &["credentials", "prod"], Some(""));
        assert!(!out.status.success() && out.stdout.is_empty(), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("rolecall: sso.signed_out: source corp") && stderr.lines().count() == 1, "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(10), "at once: {:?}", started.elapsed());
    }
    let n = w.notifications().wait_for("the sign-in notice", SETTLE, |n| n.summary == "Sign in to corp again");
    assert!(n.has_action("sign-in"), "{:?}", n.actions);
    std::thread::sleep(Duration::from_secs(2));
    let shown = w.notifications().notifications();
    assert_eq!(
        shown.iter().filter(|n| n.summary.starts_with("Sign in to corp")).count(),
        1,
        "told once: {}",
        w.notifications().log()
    );
    assert!(sso.requests_to("/device_authorization").is_empty(), "no sign-in started by itself: {:?}", sso.requests());
}
