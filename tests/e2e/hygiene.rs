//! Secret hygiene end to end: every sensitive value a run handles (the source's secret key, the
//! MFA session's and each role session's secret and token, the MFA codes typed, external ids,
//! console sign-in tokens and links) is looked for, raw and encoded ([`Hygiene`]), in everything
//! rolecall shows: stdout, stderr with `ROLECALL_LOG=trace` (the AWS SDK's own lines included,
//! with its `LOG_SENSITIVE_BODIES` and `LOG_SIGNABLE_BODY` switches on) or `-vv`, errors,
//! `--json` output; for the tray app, its log at trace, the
//! notifications the desktop received, and the settings and MFA windows' pages (what IPC gave
//! them). Each test first checks that the values really were used (sent to STS or the federation
//! endpoint, shown where they belong), so a clean result means something.

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use rolecall_e2e::{
    ENTER, Hygiene, REGISTER_TIMEOUT, Reply, TauriDriver, WebDriver, World, assumed_role_arn, output_text as text,
    tray_bin, wait_for,
};
use serde_json::Value;

/// The MFA codes the tests type. A code counts as leaked only where it stands alone (see
/// [`Hygiene::code`]): a timestamp's microseconds can hold these digits by chance.
const CODE: &str = "246813";
const REFUSED_CODE: &str = "975318";
/// An external id with every character class STS allows that an encoding would change.
const XID: &str = "Hygiene/External+Id=7f3e@partner:x,1";
const SECURE: &str = "arn:aws:iam::123456789012:role/Secure";
const HOP: &str = "arn:aws:iam::123456789012:role/Hop";

/// One run's output, kept under a name for the check, and the values its stdout shows on
/// purpose (by description, see [`Hygiene::except`]).
struct Run {
    name: String,
    stdout: String,
    stderr: String,
    shows: &'static [&'static str],
}

/// moto (auth mode off: MFA sessions) behind a recording proxy (`FakeSts` forwarding), a real
/// keychain, a fake federation endpoint, a fake `xdg-open` (the [`World`]), and every run's
/// output.
struct Recorded {
    world: World,
    runs: Vec<Run>,
    /// Session secrets and tokens seen in the keychain and the credentials file after each run.
    sessions: BTreeSet<(String, String)>,
}

/// The world's parts and helpers, for the tests.
impl std::ops::Deref for Recorded {
    type Target = World;

    fn deref(&self) -> &World {
        &self.world
    }
}

impl Recorded {
    fn new() -> Recorded {
        let world = World::builder().without_auth_mode().mfa_device().proxy().federation().build_with(|m, a| {
            m.create_role("Secure", &a.user_arn, Some(XID));
            m.create_role("Hop", &assumed_role_arn("Secure", "alice"), None);
        });
        let w = Recorded { world, runs: Vec::new(), sessions: BTreeSet::new() };
        // A stand-in for xdg-open that takes the page and says nothing.
        let bin = w.sandbox.home().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("xdg-open"), "#!/bin/sh\nexit 0\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("xdg-open"), std::fs::Permissions::from_mode(0o700)).unwrap();
        w
    }

    /// The sandbox's environment through the recording proxy, with `ROLECALL_LOG=log` (and the
    /// AWS SDK's switches for logging bodies) unless `log` is `None`.
    fn envs(&self, log: Option<&str>) -> Vec<(String, String)> {
        let mut envs = self.world.envs();
        let bin = self.sandbox.home().join("bin");
        envs.push(("PATH".into(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())));
        if let Some(log) = log {
            envs.push(("ROLECALL_LOG".into(), log.into()));
            // The SDK's own switches that print request and response bodies in its trace lines.
            envs.push(("LOG_SENSITIVE_BODIES".into(), "true".into()));
            envs.push(("LOG_SIGNABLE_BODY".into(), "true".into()));
        }
        envs
    }

    /// Runs rolecall; keeps its output and the sessions it left.
    fn run_logged(&mut self, log: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_showing(&[], log, args, stdin)
    }

    /// As [`run_logged`](Self::run_logged), for a command whose stdout shows `shows` on purpose.
    fn run_showing(
        &mut self,
        shows: &'static [&'static str],
        log: Option<&str>,
        args: &[&str],
        stdin: Option<&str>,
    ) -> Output {
        let o = self.world.run_env(&self.envs(log), args, stdin);
        self.runs.push(Run {
            name: format!("rolecall {}", args.join(" ")),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            shows,
        });
        self.collect_sessions();
        o
    }

    fn run(&mut self, args: &[&str]) -> Output {
        self.run_logged(Some("trace"), args, None)
    }

    fn ok(&mut self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "rolecall {args:?} failed:\n{}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs a command that must fail with `code`.
    fn fails(&mut self, args: &[&str], code: &str) -> String {
        let o = self.run(args);
        assert!(!o.status.success(), "rolecall {args:?} should fail:\n{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            err.contains(&format!("rolecall: {code}: ")) || out.contains(&format!("\"{code}\"")),
            "rolecall {args:?}: expected {code}:\n{}",
            text(&o)
        );
        format!("{out}{err}")
    }

    /// Every session secret and token now in the keychain (the MFA session) or the credentials
    /// file, added to those seen before.
    fn collect_sessions(&mut self) {
        let mfa = self.world.entry("mfa-session:work");
        if let Some(v) = mfa.and_then(|m| serde_json::from_str::<Value>(m.as_str()).ok()) {
            for k in ["secret_access_key", "session_token"] {
                if let Some(s) = v[k].as_str() {
                    self.sessions.insert((format!("MFA session {k}"), s.to_owned()));
                }
            }
        }
        let creds = std::fs::read_to_string(self.sandbox.credentials_path()).unwrap_or_default();
        for line in creds.lines() {
            for k in ["aws_secret_access_key", "aws_session_token"] {
                if let Some(v) = line.strip_prefix(&format!("{k} = ")) {
                    self.sessions.insert((format!("role session {k}"), v.trim().to_owned()));
                }
            }
        }
    }

    /// The values no output may show: the source's secret, every session's, the codes, the
    /// external id, and the sign-in tokens the federation endpoint issued.
    fn hygiene(&self) -> Hygiene {
        let mut h = Hygiene::new();
        h.secret("the source's secret key", &self.alice().secret_access_key);
        for (what, v) in &self.sessions {
            h.secret(what, v);
        }
        h.code("the MFA code", CODE).code("the refused MFA code", REFUSED_CODE);
        h.secret("the external id", XID);
        h.secrets("a console sign-in token", self.federation().issued_tokens());
        h
    }
}

#[test]
fn trace_logs_errors_and_json_never_show_codes_external_ids_sessions_or_sign_in_tokens() {
    let mut w = Recorded::new();
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    let serial = w.mfa_serial().to_owned();
    let o = w.run_logged(Some("trace"), &["source", "add", "work", "--mfa-serial", &serial], Some(&keys));
    assert!(o.status.success(), "{}", text(&o));
    w.ok(&["role", "add", "secure", "--arn", SECURE, "--source", "work", "--mfa", "--external-id", XID]);
    w.ok(&["role", "add", "hop", "--arn", HOP, "--source", "secure"]);

    // The MFA session (GetSessionToken with the code), then the role with its external id,
    // signed with the MFA session (its token in x-amz-security-token), then the chained role.
    let out = w.ok(&["assume", "secure", "--token-code", CODE, "--json"]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["assumed_role_arn"], assumed_role_arn("Secure", "alice"));
    w.ok(&["assume", "hop", "--json"]);
    w.ok(&["renew", "--all", "--json"]);
    w.ok(&["status", "--json"]);
    w.ok(&["role", "list"]);
    // The favourite's own configuration shows its external id, as config.toml holds it.
    let o = w.run_showing(&["the external id"], Some("trace"), &["role", "show", "secure", "--json"], None);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).expect("JSON")["external_id"], XID);
    let o = w.run_showing(&["the external id"], Some("trace"), &["role", "list", "--json"], None);
    assert!(o.status.success(), "{}", text(&o));
    // `env` prints the session's export lines: that is what it is for.
    let env = w.run_showing(&["role session"], Some("trace"), &["env", "hop"], None);
    assert!(env.status.success(), "{}", text(&env));
    // The default logs a user turns on, too.
    let o = w.run_logged(None, &["assume", "secure", "-vv"], None);
    assert!(o.status.success(), "{}", text(&o));

    // Console sign-ins: printed on purpose once, opened in the (fake) browser once.
    let o = w.run_showing(&["a console sign-in token"], Some("trace"), &["console", "hop", "--print"], None);
    assert!(o.status.success(), "{}", text(&o));
    let link = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    w.ok(&["console", "secure", "--service", "s3"]);
    let tokens = w.federation().issued_tokens();
    assert_eq!(tokens.len(), 2, "two sign-in tokens issued");
    let query = link.split_once('?').map(|(_, q)| q).unwrap_or_default();
    assert_eq!(rolecall_e2e::form_params(query).get("SigninToken"), Some(&tokens[0]), "the printed link: {link}");

    // Refusals: a wrong code (STS's MFA message), then the role refusing the external id.
    w.sts().set_script(vec![Reply::Error {
        status: 403,
        code: "AccessDenied",
        message: "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
    }]);
    w.ok(&["source", "forget-mfa", "work"]);
    w.fails(&["assume", "secure", "--token-code", REFUSED_CODE], "sts.mfa_invalid");
    w.fails(&["assume", "secure", "--token-code", REFUSED_CODE, "--json"], "sts.mfa_invalid");
    w.sts().set_script(vec![Reply::Forward(w.moto().port())]);
    w.ok(&["assume", "secure", "--token-code", CODE]);
    w.sts().set_script(vec![Reply::Error {
        status: 403,
        code: "AccessDenied",
        message: "User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: sts:AssumeRole",
    }]);
    w.fails(&["assume", "secure"], "sts.access_denied");
    w.fails(&["renew", "secure", "--json"], "sts.access_denied");
    // The console still signs in with the fresh session it has (no STS call), at -vv.
    let o = w.run_showing(&["a console sign-in token"], None, &["console", "secure", "--print", "-vv"], None);
    assert!(o.status.success(), "{}", text(&o));

    // The values were really used: the codes and the external id reached STS, sessions were
    // issued, and trace logging was on.
    let sent = w.sts().requests();
    let with = |action: &str, k: &str, v: &str| {
        sent.iter().any(|r| r.action == action && r.params.get(k).map(String::as_str) == Some(v))
    };
    assert!(with("GetSessionToken", "TokenCode", CODE), "the code went to STS: {sent:?}");
    assert!(with("GetSessionToken", "TokenCode", REFUSED_CODE), "the refused code went to STS");
    assert!(with("GetSessionToken", "SerialNumber", &serial));
    assert!(with("AssumeRole", "ExternalId", XID), "the external id went to STS");
    assert!(
        sent.iter()
            .any(|r| r.action == "AssumeRole" && r.signed_with.as_deref().is_some_and(|k| k.starts_with("ASIA"))),
        "roles were assumed with session credentials (a session token header)"
    );
    // ROLECALL_LOG=trace reached the SDK: its debug lines (each attempt) are there.
    assert!(w.runs.iter().any(|r| r.stderr.contains("beginning attempt #1")), "the SDK's logs were on");
    let mut h = w.hygiene();
    assert!(h.len() >= 12, "the source's secret, 2+ MFA sessions, 3+ role sessions, 2 codes, the id, 2 tokens");
    // The printed link is a value too: nothing but that one stdout may show it.
    h.secret("the printed sign-in link", &link);
    let mut leaks = Vec::new();
    for r in &w.runs {
        leaks.extend(h.leaks(&[(&format!("stderr of {}", r.name), &r.stderr)]));
        let mut shows = r.shows.to_vec();
        if !shows.is_empty() && r.name.contains("--print") {
            shows.push("the printed sign-in link");
        }
        leaks.extend(h.except(&shows).leaks(&[(&format!("stdout of {}", r.name), &r.stdout)]));
    }
    assert!(leaks.is_empty(), "{} leak(s) of sensitive values:\n{}", leaks.len(), leaks.join("\n"));
    println!("reliability: hygiene_cli values={} runs={} leaks=0", h.len(), w.runs.len());
}

/// How long the page may take to react to a click or keys.
const UI: Duration = Duration::from_secs(10);
/// How long an action that goes to STS may take to show.
const STS: Duration = Duration::from_secs(30);
/// The MFA window's title.
const MFA_TITLE: &str = "rolecall: MFA code";

fn tid(id: &str) -> String {
    WebDriver::testid(id)
}

/// Clicks the tab `name` of the settings window and waits until its panel shows.
fn tab(wd: &WebDriver, name: &str) {
    wd.click_css(&format!("#tab-{name}"));
    wd.wait_for(&format!("#panel-{name}"), UI);
}

/// Waits until the button `css` is enabled, then clicks it.
fn click_when_enabled(wd: &WebDriver, css: &str) {
    wd.wait_until(&format!("{css} enabled"), UI, |wd| {
        wd.find(css).and_then(|b| wd.try_is_enabled(&b)).ok().filter(|on| *on)
    });
    wd.click_css(css);
}

#[test]
fn the_tray_at_trace_never_logs_notifies_or_shows_a_secret_code_external_id_or_sign_in_token() {
    let w =
        World::builder().without_auth_mode().mfa_device().proxy().federation().desktop().notifications().build_with(
            |m, a| {
                m.create_role("Secure", &a.user_arn, Some(XID));
            },
        );
    let (moto, alice, serial, sts, federation) = (w.moto(), w.alice(), w.mfa_serial(), w.sts(), w.federation());
    let (keychain, sandbox, desktop, notifications) = (&w.keychain, &w.sandbox, w.desktop(), w.notifications());
    // A stand-in for xdg-open that keeps the page it is handed (to check the sign-in was real).
    let bin = sandbox.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let page = sandbox.home().join("opened-page");
    std::fs::write(bin.join("xdg-open"), format!("#!/bin/sh\ncat \"${{1#file://}}\" > '{}'\n", page.display()))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("xdg-open"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut envs = sandbox.envs_for(Some(&sts.endpoint()), Some(keychain));
    envs.extend(desktop.env());
    envs.extend([
        ("ROLECALL_LOG".to_owned(), "trace".to_owned()),
        ("LOG_SENSITIVE_BODIES".to_owned(), "true".to_owned()),
        ("LOG_SIGNABLE_BODY".to_owned(), "true".to_owned()),
        ("ROLECALL_FEDERATION_ENDPOINT".to_owned(), federation.endpoint()),
        ("PATH".to_owned(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())),
    ]);
    let driver = TauriDriver::start_with_envs(sandbox, &envs);
    let wd = driver.session(&tray_bin(), &["--settings"]);
    let log_tail = || {
        let log = driver.log();
        let start = (log.len().saturating_sub(6000)..log.len()).find(|&i| log.is_char_boundary(i)).unwrap_or(0);
        log[start..].to_owned()
    };
    wd.wait_for("#tab-favourites", UI);
    let tray = desktop.wait_for_tray_item(REGISTER_TIMEOUT);
    let mut pages = Vec::new();

    // The source through the settings form: its secret goes over IPC once.
    tab(&wd, "sources");
    wd.click_css("#src-add");
    wd.fill("#src-form [name=name]", "work");
    wd.fill("#src-form [name=accessKeyId]", &alice.access_key_id);
    wd.fill("#src-form [name=secretAccessKey]", &alice.secret_access_key);
    wd.fill("#src-form [name=mfaSerial]", serial);
    click_when_enabled(&wd, "#src-save");
    wd.wait_for(&tid("src-row-work"), STS);
    // The favourite with its external id, MFA and auto-renew, through the form (IPC too).
    tab(&wd, "favourites");
    wd.click_css("#fav-add");
    wd.fill("#fav-form [name=name]", "secure");
    wd.fill("#fav-form [name=arn]", SECURE);
    wd.click_css("#fav-form [name=source] option[value=\"work\"]");
    wd.click_css("#fav-form [name=mfa]");
    wd.fill("#fav-form [name=duration]", "15m");
    wd.fill("#fav-form [name=externalId]", XID);
    wd.click_css("#fav-form [name=autoRenew] option[value=\"on\"]");
    wd.fill("#fav-form [name=notifyBefore]", "14m55s");
    wd.fill("#fav-form [name=renewBefore]", "14m50s");
    click_when_enabled(&wd, "#fav-save");
    wd.wait_for(&tid("fav-row-secure"), UI);
    let config = std::fs::read_to_string(sandbox.rolecall_config_dir().join("config.toml")).unwrap();
    assert!(config.contains(&format!("external_id = \"{XID}\"")) && config.contains("mfa = true"), "{config}");
    pages.push(("the settings window's page".to_owned(), wd.page_source()));

    // Assume from the table: the MFA window takes the code (IPC: submit_mfa).
    let settings = wd.window_handle().expect("settings handle");
    wd.click_css(&tid("fav-assume-secure"));
    desktop.wait_for_window(MFA_TITLE, Duration::from_secs(20));
    let mfa = wd.wait_until("the MFA window's handle", Duration::from_secs(20), |wd| {
        wd.window_handles().into_iter().find(|h| *h != settings)
    });
    wd.switch_to_window(&mfa);
    let code = wd.wait_for("#mfa-code", UI);
    wd.wait_until("the MFA form", UI, |wd| wd.is_enabled(&code).then_some(()));
    wd.send_keys(&code, &format!("{CODE}{ENTER}"));
    desktop.wait_for_no_window(MFA_TITLE, STS);
    wd.switch_to_window(&settings);
    rolecall_e2e::wait_until("the session to be active", STS, || {
        wd.attribute_of(&tid("fav-session-secure"), "data-state").as_deref() == Some("active")
    });
    pages.push(("the settings window's page after the assume".to_owned(), wd.page_source()));

    // The console from the tray menu: a sign-in token, handed to the (fake) browser.
    let console = tray.menu().flatten().into_iter().find(|i| i.label == "Open console").cloned().expect("Open console");
    tray.click_id(console.id).unwrap();
    let handed = |page: &str| federation.issued_tokens().first().is_some_and(|token| page.contains(token.as_str()));
    rolecall_e2e::poll(STS, || std::fs::read_to_string(&page).ok().filter(|p| handed(p))).unwrap_or_else(|| {
        let log = driver.log();
        let ours: Vec<&str> = log.lines().filter(|l| !l.contains("rpc.service")).collect();
        panic!("the browser got no page; menu {}; the app said:\n{}", tray.menu(), ours.join("\n"))
    });
    let tokens = federation.issued_tokens();

    // From now on one-minute role sessions: Renew gets one, renewed automatically 30 s later
    // with the kept MFA session; then a renewal is refused, and notified.
    sts.set_script(vec![Reply::ForwardFor(moto.port(), 60)]);
    let assumed = || sts.requests().iter().filter(|r| r.action == "AssumeRole").count();
    let before = assumed();
    tray.click("Renew");
    wait_for("an automatic renewal", Duration::from_secs(90), || (assumed() >= before + 2).then_some(()));
    sts.set_script(vec![Reply::Error {
        status: 403,
        code: "AccessDenied",
        message: "User: arn:aws:sts::123456789012:assumed-role/x/y is not authorized to perform: sts:AssumeRole",
    }]);
    let failed = notifications
        .wait_for("the failed renewal", Duration::from_secs(100), |n| n.summary == "Could not renew secure");
    assert!(failed.body.contains("access denied"), "{}", failed.body);

    // The values were used: the code and the external id went to STS, trace logging was on.
    let sent = sts.requests();
    let with = |action: &str, k: &str, v: &str| {
        sent.iter().any(|r| r.action == action && r.params.get(k).map(String::as_str) == Some(v))
    };
    assert!(with("GetSessionToken", "TokenCode", CODE), "the code went to STS: {sent:?}");
    assert!(with("AssumeRole", "ExternalId", XID), "the external id went to STS");
    let log = driver.log();
    assert!(log.contains("beginning attempt #1") && log.contains("renewing automatically"), "{}", log_tail());

    let mut h = Hygiene::new();
    h.secret("the source's secret key", &alice.secret_access_key);
    h.secrets("a session secret or token", sts.issued_secrets());
    h.code("the MFA code", CODE).secret("the external id", XID);
    h.secrets("a console sign-in token", &tokens);
    assert!(h.len() >= 8, "the source's secret, the MFA session, 2+ role sessions, the code, the id, a token");
    let recorded: String = notifications
        .notifications()
        .iter()
        .map(|n| format!("{} | {} | {:?} | {:?}\n", n.summary, n.body, n.actions, n.hints))
        .collect();
    let events = notifications.log();
    let mut outputs = vec![
        ("the tray app's log (via tauri-driver)", log.as_str()),
        ("the notifications", recorded.as_str()),
        ("the notification server's log", events.as_str()),
    ];
    outputs.extend(pages.iter().map(|(n, p)| (n.as_str(), p.as_str())));
    h.assert_clean(&outputs);
    println!(
        "reliability: hygiene_tray values={} notifications={} leaks=0",
        h.len(),
        notifications.notifications().len()
    );
}
