//! IAM Identity Center sources through the CLI, against the loopback fake of the sign-in service
//! and the portal ([`rolecall_e2e::sso`]), whose role credentials moto (auth mode) minted: add
//! the source, sign in in the browser (the stub browser as `xdg-open`) or with a device code, list
//! the portal's roles, add favourites by account and role name, assume them (and a chain from one)
//! into profiles the AWS CLI accepts, refresh the sign-in silently, and say so when the portal
//! session ends, changing nothing.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use rolecall_e2e::sso::{FakeSso, SsoAccount, StubBrowser};
use rolecall_e2e::{World, assumed_role_arn, output_text, rolecall_bin};

pub(crate) const START_URL: &str = "https://d-1234567890.awsapps.com/start";

pub(crate) fn accounts() -> Vec<SsoAccount> {
    vec![
        SsoAccount {
            account_id: "111111111111".into(),
            account_name: "Production".into(),
            email_address: "prod@example.com".into(),
            roles: vec!["AdministratorAccess".into(), "ReadOnly".into()],
        },
        SsoAccount {
            account_id: "222222222222".into(),
            account_name: "Sandbox".into(),
            email_address: "sandbox@example.com".into(),
            roles: vec!["Developer".into()],
        },
    ]
}

/// A world with moto, the fake IAM Identity Center, and its variables for every rolecall run.
pub(crate) fn sso_world() -> (World, FakeSso) {
    let w = World::builder().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(accounts());
    (w, sso)
}

pub(crate) fn envs(w: &World, sso: &FakeSso) -> Vec<(String, String)> {
    let mut envs = w.envs();
    envs.extend(sso.envs());
    envs
}

fn run(w: &World, sso: &FakeSso, args: &[&str]) -> std::process::Output {
    w.run_env(&envs(w, sso), args, None)
}

pub(crate) fn ok(w: &World, sso: &FakeSso, args: &[&str]) -> String {
    let out = run(w, sso, args);
    assert!(out.status.success(), "rolecall {args:?}:\n{}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rolecall source login NAME --device-code`, the user confirming the code it shows (as they
/// would in a browser, anywhere) once it appears; its stderr.
pub(crate) fn login(w: &World, sso: &FakeSso, name: &str) -> String {
    let mut cmd = w.sandbox.command(rolecall_bin(), &envs(w, sso));
    cmd.args(["source", "login", name, "--device-code"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("rolecall starts");
    // A sign-in that never ends fails the test within a minute instead of hanging it.
    let pid = child.id().to_string();
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watchdog.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = std::process::Command::new("kill").arg(&pid).status();
        }
    });
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(code) = line.trim().strip_prefix("and confirm the code ") {
            sso.approve_device(code);
        }
    }
    let status = child.wait().unwrap();
    let _ = done.send(());
    assert!(status.success(), "rolecall source login {name}:\n{seen}");
    seen
}

#[test]
fn an_sso_source_signs_in_lists_its_roles_and_its_favourites_assume_into_profiles_the_aws_cli_accepts() {
    let (w, sso) = sso_world();
    let added = ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    assert!(added.contains("Added source corp: IAM Identity Center"), "{added}");
    assert!(w.config_toml().contains("type = \"sso\""), "{}", w.config_toml());

    // Not signed in yet: a clear error that says how, and the portal is not asked for roles.
    let out = run(&w, &sso, &["sso", "roles", "corp"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("rolecall: sso.signed_out: source corp"), "{err}");
    assert!(err.contains("rolecall source login"), "{err}");

    let listed = ok(&w, &sso, &["source", "list"]);
    assert!(listed.lines().any(|l| l.starts_with("corp ") && l.ends_with("signed out")), "{listed}");
    let shown = login(&w, &sso, "corp");
    assert!(shown.contains("confirm the code"), "{shown}");
    // Signed in for the portal session's length, AWS's 8 hours unless the source says otherwise.
    let listed = ok(&w, &sso, &["source", "list"]);
    let line = listed.lines().find(|l| l.starts_with("corp ")).unwrap_or_default();
    let until = line.rsplit("signed in until ").next().unwrap_or_default();
    let until = chrono::DateTime::parse_from_rfc3339(until.trim()).unwrap_or_else(|e| panic!("{e}: {listed}"));
    let left = until.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(left > chrono::Duration::hours(7) && left <= chrono::Duration::hours(8), "{listed}");
    let grants: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert!(grants.iter().all(|g| g.ends_with("device_code")), "{grants:?}");
    // The sign-in lives in the keychain only.
    assert!(w.entry("sso-token:corp").is_some(), "{}", w.keychain_entries());
    assert!(!w.config_toml().contains("token"), "{}", w.config_toml());

    let listed = ok(&w, &sso, &["sso", "roles", "corp", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!((&listed["source"], &listed["cached"]), (&serde_json::json!("corp"), &serde_json::json!(false)));
    let listed = &listed["accounts"];
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["account_name"], "Production");
    assert_eq!(listed[0]["roles"], serde_json::json!(["AdministratorAccess", "ReadOnly"]));

    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    let assumed = ok(&w, &sso, &["assume", "prod", "--json"]);
    let assumed: serde_json::Value = serde_json::from_str(&assumed).unwrap();
    assert_eq!(assumed["profile"], "prod");
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    assert_eq!(sso.requests_to("/federation/credentials").len(), 1);

    // A chain from an SSO role: AssumeRole signed with the portal's session. moto checks that
    // session's role's permissions, so this one is a role moto knows, in moto's account.
    // The fake mints with the harness's admin user; the chained role trusts the Hub session.
    let admin = format!("arn:aws:iam::{}:user/rolecall-harness-admin", rolecall_e2e::ACCOUNT_ID);
    w.moto().create_role("Hub", &admin, None);
    let mut with_hub = accounts();
    with_hub.push(SsoAccount {
        account_id: rolecall_e2e::ACCOUNT_ID.into(),
        account_name: "Tooling".into(),
        email_address: "tooling@example.com".into(),
        roles: vec!["Hub".into()],
    });
    sso.set_accounts(with_hub);
    ok(
        &w,
        &sso,
        &["role", "add", "hub", "--source", "corp", "--account", rolecall_e2e::ACCOUNT_ID, "--role-name", "Hub"],
    );
    let role = w.moto().create_role("Chained", &assumed_role_arn("Hub", rolecall_e2e::sso::SESSION_NAME), None);
    ok(&w, &sso, &["role", "add", "deep", "--source", "hub", "--arn", &role, "--duration", "1h"]);
    ok(&w, &sso, &["assume", "deep"]);
    let deep = w.aws_identity("deep").unwrap();
    assert!(deep.starts_with(&assumed_role_arn("Chained", "")), "{deep}");
}

#[test]
fn the_sign_in_refreshes_silently_and_an_ended_portal_session_is_said_with_nothing_changed() {
    let (w, sso) = sso_world();
    sso.set_access_token_lifetime(120);
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");
    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    sso.clear_requests();
    // The token has less than five minutes left: the next assume refreshes it first, silently.
    ok(&w, &sso, &["assume", "prod"]);
    let grants: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert_eq!(grants, vec!["refresh_token".to_owned()], "one refresh, no new sign-in");
    assert!(sso.requests_to("/device_authorization").is_empty());

    let credentials = w.sandbox.home().join(".aws/credentials");
    let before = std::fs::read(&credentials).unwrap();
    sso.end_sessions();
    let out = run(&w, &sso, &["assume", "prod"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("rolecall: sso.signed_out: source corp"), "{err}");
    assert_eq!(std::fs::read(&credentials).unwrap(), before, "the old credentials stay as they were");
    // The ended sign-in is forgotten, so the state says so without asking the portal again.
    let asked = sso.requests().len();
    let listed = ok(&w, &sso, &["source", "list"]);
    assert!(listed.lines().any(|l| l.starts_with("corp ") && l.ends_with("signed out")), "{listed}");
    assert_eq!(sso.requests().len(), asked, "source list asks nothing of the portal");
    assert!(w.entry("sso-token:corp").is_none(), "{}", w.keychain_entries());
    assert!(w.entry("sso:corp").is_some(), "the registration stays for the next sign-in");
}

#[test]
fn a_role_the_portal_does_not_give_is_refused_clearly() {
    let (w, sso) = sso_world();
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");
    ok(&w, &sso, &["role", "add", "nope", "--source", "corp", "--account", "111111111111", "--role-name", "Developer"]);
    let out = run(&w, &sso, &["assume", "nope"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("rolecall: sso.no_access: favourite nope"), "{err}");
    let credentials = std::fs::read_to_string(w.sandbox.credentials_path()).unwrap_or_default();
    assert!(!credentials.contains("[nope]"), "{credentials}");
}

#[test]
fn no_sign_in_secret_shows_in_any_output_at_trace_or_in_config_toml() {
    let (w, sso) = sso_world();
    let trace = [("ROLECALL_LOG", "trace"), ("AWS_SMITHY_LOG_SENSITIVE_BODIES", "1")];
    let mut envs = envs(&w, &sso);
    envs.extend(trace.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let runs: Vec<(String, std::process::Output)> = [
        vec!["-vv", "source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"],
        vec!["-vv", "role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"],
    ]
    .iter()
    .map(|args| (args.join(" "), w.run_env(&envs, args, None)))
    .collect();
    // The sign-in itself at trace, the user confirming its code; its token so short that the
    // next runs refresh it.
    sso.set_access_token_lifetime(120);
    let mut cmd = w.sandbox.command(rolecall_bin(), &envs);
    cmd.args(["source", "login", "corp", "--device-code"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut login = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if let Some(code) = line.trim().strip_prefix("and confirm the code ") {
            sso.approve_device(code);
        }
        login.push_str(&line);
        login.push('\n');
    }
    assert!(child.wait().unwrap().success(), "{login}");
    let later: Vec<(String, std::process::Output)> =
        [vec!["-vv", "sso", "roles", "corp", "--json"], vec!["-vv", "assume", "prod", "--json"], vec!["-vv", "status"]]
            .iter()
            .map(|args| (args.join(" "), w.run_env(&envs, args, None)))
            .collect();
    // And once more, refreshing again.
    let assumed = w.run_env(&envs, &["-vv", "assume", "prod"], None);
    assert!(assumed.status.success(), "{}", output_text(&assumed));

    let secrets = sso.issued_secrets();
    assert!(secrets.len() >= 4, "client secret, device code, tokens, minted keys: {secrets:?}");
    let refreshed = sso.requests_to("/token").iter().any(|r| r.grant_type.as_deref() == Some("refresh_token"));
    assert!(refreshed, "a refresh ran at trace too");
    let mut hygiene = rolecall_e2e::Hygiene::new();
    hygiene.secrets("an IAM Identity Center secret", &secrets);
    let mut outputs: Vec<(String, String)> = Vec::new();
    for (name, out) in runs.iter().chain(later.iter()).chain([("assume (refresh)".to_owned(), assumed)].iter()) {
        assert!(out.status.success(), "rolecall {name}:\n{}", output_text(out));
        outputs.push((format!("{name}: stdout"), String::from_utf8_lossy(&out.stdout).into_owned()));
        outputs.push((format!("{name}: stderr"), String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    outputs.push(("source login: stderr".into(), login));
    outputs.push(("config.toml".into(), w.config_toml()));
    // At trace, the SDK's lines show up to debug (the log cap): they are there.
    let logged = outputs.iter().filter(|(n, t)| n.ends_with("stderr") && t.contains("DEBUG")).count();
    assert!(logged >= 4, "the runs logged what they did");
    assert!(
        outputs.iter().any(|(_, t)| t.contains("SSO OIDC.CreateToken")),
        "the SDK's own lines of the sign-in service"
    );
    let view: Vec<(&str, &str)> = outputs.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let checked = hygiene.assert_clean(&view);
    assert!(checked > 0);
}

/// The variables for a rolecall whose `xdg-open` is the stub browser in `browser`'s directory.
fn browser_envs(w: &World, sso: &FakeSso, browser: &StubBrowser) -> Vec<(String, String)> {
    let mut envs = envs(w, sso);
    envs.push(("PATH".to_owned(), browser.path_env()));
    envs
}

fn add_corp(w: &World, sso: &FakeSso) {
    ok(w, sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
}

#[test]
fn the_default_sign_in_is_the_browser_with_pkce_and_its_favourites_assume() {
    let (w, sso) = sso_world();
    add_corp(&w, &sso);
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    let out = w.run_env(&browser_envs(&w, &sso, &browser), &["source", "login", "corp"], None);
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Opened the sign-in page in the browser; waiting…"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Signed in to source corp"), "{text}");

    // The browser was handed the authorize URL (through rolecall's private page), with S256.
    let opened = browser.opened();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert!(opened[0].starts_with(&format!("{}/authorize?", sso.endpoint())), "{opened:?}");
    let params = rolecall_e2e::sso::url_params(&opened[0]);
    assert_eq!(params.get("code_challenge_method").map(String::as_str), Some("S256"), "{params:?}");
    let redirect = params.get("redirect_uri").cloned().unwrap_or_default();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"), "{redirect}");
    assert_eq!(params.get("state").map(String::len), Some(43), "{params:?}");

    // One code grant, its verifier accepted (the fake checks it against the challenge); no device code.
    let tokens = sso.requests_to("/token");
    let grants: Vec<_> = tokens.iter().map(|r| (r.grant_type.clone().unwrap_or_default(), r.status)).collect();
    assert_eq!(grants, vec![("authorization_code".to_owned(), 200)], "{tokens:?}");
    assert!(sso.requests_to("/device_authorization").is_empty(), "{:?}", sso.requests());
    let authorize = sso.requests_to("/authorize");
    assert_eq!(authorize.len(), 1, "{authorize:?}");
    assert_eq!(authorize[0].status, 302);
    assert!(w.entry("sso-token:corp").is_some(), "{}", w.keychain_entries());

    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    ok(&w, &sso, &["assume", "prod"]);
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
}

/// `rolecall ARGS` on a terminal of its own (util-linux `script` gives it a pseudo-terminal, as
/// a person's shell would), with `envs`; its exit status and everything it showed.
fn on_a_terminal(w: &World, envs: &[(String, String)], args: &[&str]) -> (bool, String) {
    let line = std::iter::once(rolecall_bin().display().to_string())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = w
        .sandbox
        .command(std::path::Path::new("script"), envs)
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .stdin(Stdio::piped())
        .output()
        .expect("script runs");
    (out.status.success(), output_text(&out).replace('\r', ""))
}

#[test]
fn an_assume_that_needs_a_sign_in_signs_in_first_at_a_terminal_and_never_in_a_script() {
    let (w, sso) = sso_world();
    add_corp(&w, &sso);
    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    let envs = browser_envs(&w, &sso, &browser);

    // A script (no terminal): the clear error, no browser.
    let out = w.run_env(&envs, &["assume", "prod"], None);
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("rolecall: sso.signed_out: "), "{}", output_text(&out));
    assert!(browser.opened().is_empty());

    // A person at a terminal: the browser sign-in, then the assume, in one go.
    let (ok_, shown) = on_a_terminal(&w, &envs, &["assume", "prod"]);
    assert!(ok_, "{shown}");
    assert!(shown.contains("Signing in to source corp first"), "{shown}");
    assert!(shown.contains("Signed in to source corp"), "{shown}");
    assert_eq!(browser.opened().len(), 1, "one browser visit");
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));

    // Signed in: the next one asks nothing of the browser.
    let (ok_, shown) = on_a_terminal(&w, &envs, &["env", "prod"]);
    assert!(ok_ && shown.contains("AWS_SESSION_TOKEN"), "{shown}");
    assert_eq!(browser.opened().len(), 1);
}

#[test]
fn a_sign_in_denied_in_the_browser_is_cancelled_and_keeps_nothing() {
    let (w, sso) = sso_world();
    add_corp(&w, &sso);
    sso.set_authorize_denied(true);
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    let out = w.run_env(&browser_envs(&w, &sso, &browser), &["source", "login", "corp"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(
        err.contains("rolecall: sso.cancelled: source corp: sign in: the sign-in was denied in the browser"),
        "{err}"
    );
    assert_eq!(browser.opened().len(), 1);
    assert!(sso.requests_to("/token").is_empty(), "no token asked for: {:?}", sso.requests());
    assert!(w.entry("sso:corp").is_none() && w.entry("sso-token:corp").is_none(), "{}", w.keychain_entries());
    let out = run(&w, &sso, &["sso", "roles", "corp"]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("rolecall: sso.signed_out: source corp"));
}

#[test]
fn a_start_url_that_is_no_access_portal_is_refused_clearly_and_keeps_nothing() {
    let (w, sso) = sso_world();
    sso.set_start_url(Some(START_URL));
    let other = "https://d-0000000000.awsapps.com/start";
    ok(&w, &sso, &["source", "add", "other", "--sso-start-url", other, "--sso-region", "eu-west-1"]);
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    for flow in [&["source", "login", "other", "--device-code"][..], &["source", "login", "other"][..]] {
        let out = w.run_env(&browser_envs(&w, &sso, &browser), flow, None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}", output_text(&out));
        assert!(
            err.starts_with("rolecall: sso.not_a_portal: source other: ")
                && err.contains("the start URL is not an AWS access portal"),
            "{flow:?}: {err}"
        );
    }
    assert!(browser.opened().is_empty(), "no browser for a portal that is not there");
    assert!(w.entry("sso:other").is_none() && w.entry("sso-token:other").is_none(), "{}", w.keychain_entries());
}

#[test]
fn the_device_code_still_signs_in_after_a_browser_sign_in_with_a_registration_of_its_own() {
    let (w, sso) = sso_world();
    add_corp(&w, &sso);
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    let out = w.run_env(&browser_envs(&w, &sso, &browser), &["source", "login", "corp"], None);
    assert!(out.status.success(), "{}", output_text(&out));
    sso.clear_requests();

    // The browser's registration has no device grant: --device-code registers anew.
    let shown = login(&w, &sso, "corp");
    assert!(shown.contains("confirm the code"), "{shown}");
    assert_eq!(sso.requests_to("/client/register").len(), 1, "{:?}", sso.requests());
    assert_eq!(sso.requests_to("/device_authorization").len(), 1);
    let tokens = sso.requests_to("/token");
    assert!(tokens.iter().all(|r| r.grant_type.as_deref() == Some(rolecall_e2e::sso::DEVICE_GRANT)), "{tokens:?}");
    assert_eq!(tokens.last().map(|r| r.status), Some(200), "{tokens:?}");
    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    ok(&w, &sso, &["assume", "prod"]);

    // And back: the browser flow does not reuse the device registration either.
    sso.clear_requests();
    let out = w.run_env(&browser_envs(&w, &sso, &browser), &["source", "login", "corp"], None);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(sso.requests_to("/client/register").len(), 1, "{:?}", sso.requests());
    let grants: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert_eq!(grants, vec!["authorization_code".to_owned()]);
}

#[test]
fn without_a_browser_the_sign_in_link_is_shown_and_opening_it_by_hand_signs_in() {
    let (w, sso) = sso_world();
    add_corp(&w, &sso);
    // An xdg-open that fails, first in PATH.
    let bin = w.sandbox.home().join("nobrowser");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(&opener, "#!/bin/sh\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut envs = envs(&w, &sso);
    envs.push(("PATH".to_owned(), format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())));

    let mut cmd = w.sandbox.command(rolecall_bin(), &envs);
    cmd.args(["source", "login", "corp"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("rolecall starts");
    let pid = child.id().to_string();
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if watchdog.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = std::process::Command::new("kill").arg(&pid).status();
        }
    });
    let prefix = format!("{}/authorize?", sso.endpoint());
    let mut seen = String::new();
    let mut hops = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with(&prefix) {
            hops = rolecall_e2e::sso::browse(line.trim()).unwrap();
        }
    }
    let status = child.wait().unwrap();
    let _ = done.send(());
    assert!(status.success(), "{seen}");
    assert!(seen.contains("rolecall: cannot open a browser"), "{seen}");
    assert!(seen.contains("xdg-open failed"), "{seen}");
    assert_eq!(hops.first().map(|h| h.status), Some(302), "{hops:?}");
    assert_eq!(hops.last().map(|h| h.status), Some(200), "the loopback redirect answered: {hops:?}");
    let grants: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert_eq!(grants, vec!["authorization_code".to_owned()]);
    assert!(w.entry("sso-token:corp").is_some(), "{}", w.keychain_entries());
}

/// The AWS CLI's environment beside a world: the sandbox's files, the fake for its SSO clients
/// (AWS_ENDPOINT_URL_SSO, _SSO_OIDC) and moto for STS alone (no global AWS_ENDPOINT_URL, or its
/// SSO calls would go to moto).
fn aws_cli_envs(w: &World, sso: &FakeSso) -> Vec<(String, String)> {
    let mut envs = w.sandbox.envs_for(None, None);
    envs.extend(sso.envs());
    envs.push(("AWS_ENDPOINT_URL_STS".to_owned(), w.moto().endpoint()));
    envs
}

/// The token cache file the AWS CLI reads for `key`: `~/.aws/sso/cache/<sha1 of key>.json`
/// (the digest from the system's sha1sum, not rolecall's).
fn token_cache_path(w: &World, key: &str) -> std::path::PathBuf {
    let mut sha1 = std::process::Command::new("sha1sum");
    let digest = rolecall_e2e::run_with_timeout(&mut sha1, Some(key.as_bytes()), Duration::from_secs(10));
    let hex = String::from_utf8_lossy(&digest.stdout).split_whitespace().next().expect("a digest").to_owned();
    w.sandbox.home().join(format!(".aws/sso/cache/{hex}.json"))
}

/// The sign-in requests (registration, device code, token grants but refreshes) in the log.
fn sign_ins(sso: &FakeSso) -> Vec<String> {
    sso.requests()
        .into_iter()
        .filter(|r| {
            r.path == "/client/register"
                || r.path == "/device_authorization"
                || (r.path == "/token" && r.grant_type.as_deref() != Some("refresh_token"))
        })
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.grant_type))
        .collect()
}

/// `~/.aws/config` with the AWS CLI's `[profile corp-ro]` of `[sso-session corp]` (the fake's
/// start URL, eu-west-1), the Production account's ReadOnly role.
fn write_corp_ro_profile(w: &World) {
    w.sandbox.write(
        ".aws/config",
        &format!(
            "[profile corp-ro]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n\
             region = us-east-1\n\n[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n\
             sso_registration_scopes = sso:account:access\n"
        ),
    );
}

/// Source `corp` signed in (device code) to a fake that rotates refresh tokens, as Identity
/// Center may (a new one with each refresh, the old one retired: two refreshes with the same
/// token would end the sign-in), with access tokens of two minutes, always due for a refresh.
fn rotating_sign_in() -> (World, FakeSso) {
    let (w, sso) = sso_world();
    sso.set_rotate_refresh_tokens(true);
    sso.set_access_token_lifetime(120);
    add_corp(&w, &sso);
    login(&w, &sso, "corp");
    (w, sso)
}

#[test]
fn a_shared_sign_in_serves_the_aws_clis_sso_session_profile_without_a_second_login() {
    use std::os::unix::fs::PermissionsExt;
    let (w, sso) = sso_world();
    write_corp_ro_profile(&w);
    let added = ok(&w, &sso, &["source", "add", "corp", "--sso-session", "corp", "--share-with-aws-cli"]);
    assert!(added.contains("shared with the AWS CLI"), "{added}");
    assert!(w.config_toml().contains("share_with_aws_cli = true"), "{}", w.config_toml());
    let cache = token_cache_path(&w, "corp");
    assert!(!cache.exists(), "nothing before the sign-in");

    // A short token, so that rolecall's refresh shows below.
    sso.set_access_token_lifetime(120);
    login(&w, &sso, "corp");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o600, "{}", cache.display());
    assert_eq!(mode(cache.parent().unwrap()), 0o700);
    let read = || -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap() };
    let first = read();
    assert_eq!(first["startUrl"], START_URL);
    assert_eq!(first["region"], "eu-west-1");
    for key in ["accessToken", "refreshToken", "clientId", "clientSecret"] {
        assert!(first[key].as_str().is_some_and(|v| !v.is_empty()), "{key} in {first}");
    }
    for key in ["expiresAt", "registrationExpiresAt"] {
        let at = first[key].as_str().unwrap_or_else(|| panic!("{key} in {first}"));
        assert!(at.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{key}: {at}");
    }

    // rolecall refreshes the short token when it next needs it, and the cache follows.
    sso.clear_requests();
    ok(&w, &sso, &["sso", "roles", "corp"]);
    assert!(sso.requests_to("/token").iter().any(|r| r.grant_type.as_deref() == Some("refresh_token")));
    let fresh = read();
    assert_ne!(fresh["accessToken"], first["accessToken"], "the cache holds the refreshed token");
    assert!(fresh["expiresAt"].as_str().unwrap().ends_with('Z'), "{fresh}");

    // The AWS CLI signs in with nothing of its own: a token for 1 h, outside botocore's 15 min.
    sso.set_access_token_lifetime(3600);
    login(&w, &sso, "corp");
    sso.clear_requests();
    let out = rolecall_e2e::aws_cli(
        &aws_cli_envs(&w, &sso),
        &["sts", "get-caller-identity", "--profile", "corp-ro", "--output", "json"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Arn"], FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    let calls = sso.requests();
    assert!(calls.iter().any(|r| r.path == "/federation/credentials" && r.bearer && r.status == 200), "{calls:?}");
    assert!(sign_ins(&sso).is_empty(), "no second sign-in: {:?}", sign_ins(&sso));
    assert!(calls.iter().all(|r| r.path != "/token"), "not even a refresh: {calls:?}");

    // Removing the source removes the file rolecall wrote.
    ok(&w, &sso, &["source", "remove", "corp"]);
    assert!(!cache.exists(), "{}", cache.display());
}

#[test]
fn a_sign_in_not_shared_writes_nothing_for_the_aws_cli() {
    let (w, sso) = sso_world();
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    assert!(!w.config_toml().contains("share_with_aws_cli"), "{}", w.config_toml());
    login(&w, &sso, "corp");
    sso.set_access_token_lifetime(120);
    login(&w, &sso, "corp");
    ok(&w, &sso, &["sso", "roles", "corp"]);
    let sso_dir = w.sandbox.home().join(".aws/sso");
    assert!(!sso_dir.exists(), "nothing under {}", sso_dir.display());
    assert!(!token_cache_path(&w, START_URL).exists());

    // Only an IAM Identity Center source shares a sign-in.
    let out = run(&w, &sso, &["source", "add", "keys", "--aws-profile", "dev", "--share-with-aws-cli"]);
    assert!(!out.status.success(), "{}", output_text(&out));
    let out = w.run_env(&envs(&w, &sso), &["source", "add", "keys", "--no-verify", "--share-with-aws-cli"], Some(""));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("--share-with-aws-cli and --sso-session-minutes are for an IAM Identity Center source"),
        "{err}"
    );
    assert!(!w.config_toml().contains("[sources.keys]"), "{}", w.config_toml());
}

#[test]
fn a_token_cache_that_cannot_be_written_is_a_warning_and_the_sign_in_stands() {
    let (w, sso) = sso_world();
    ok(
        &w,
        &sso,
        &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1", "--share-with-aws-cli"],
    );
    // A file where the cache directory belongs: no token cache can be written under it.
    w.sandbox.write(".aws/sso/cache", "not a directory\n");
    let shown = login(&w, &sso, "corp");
    assert!(shown.contains("not shared with the AWS CLI"), "the warning says so: {shown}");
    assert!(w.entry("sso-token:corp").is_some(), "{}", w.keychain_entries());
    assert_eq!(std::fs::read_to_string(w.sandbox.home().join(".aws/sso/cache")).unwrap(), "not a directory\n");
    let roles = ok(&w, &sso, &["sso", "roles", "corp"]);
    assert!(roles.contains("Production"), "{roles}");
}

#[test]
fn favourites_of_one_source_renewed_together_share_one_refresh_of_a_rotating_token() {
    let (w, sso) = rotating_sign_in();
    let names = ["p1", "p2", "p3", "p4"];
    for (n, role) in names.iter().zip(["ReadOnly", "AdministratorAccess", "ReadOnly", "AdministratorAccess"]) {
        ok(
            &w,
            &sso,
            &["role", "add", n, "--source", "corp", "--account", "111111111111", "--role-name", role, "--profile", n],
        );
    }
    sso.clear_requests();
    // Renewed at once (up to 8 at a time), each needing a token that is due for its refresh.
    let out = run(&w, &sso, &[&["renew"][..], &names[..]].concat());
    assert!(out.status.success(), "{}", output_text(&out));
    let refreshes: Vec<_> =
        sso.requests_to("/token").into_iter().filter(|r| r.grant_type.as_deref() == Some("refresh_token")).collect();
    assert_eq!(refreshes.len(), 1, "one refresh, shared: {refreshes:?}");
    assert_eq!(refreshes[0].status, 200);
    for n in names {
        assert!(w.aws_identity(n).is_ok(), "{n} renewed");
    }
}

#[test]
fn a_shared_sign_in_the_aws_cli_refreshed_is_taken_up_not_refreshed_again_with_a_retired_token() {
    let (w, sso) = sso_world();
    sso.set_rotate_refresh_tokens(true);
    write_corp_ro_profile(&w);
    ok(&w, &sso, &["source", "add", "corp", "--sso-session", "corp", "--share-with-aws-cli"]);
    // A token within botocore's 15 minutes and rolecall's 5: both refresh it when they next use it.
    sso.set_access_token_lifetime(120);
    login(&w, &sso, "corp");
    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);

    // The AWS CLI refreshes first: the refresh token rolecall kept is retired by it.
    sso.clear_requests();
    let out = rolecall_e2e::aws_cli(
        &aws_cli_envs(&w, &sso),
        &["sts", "get-caller-identity", "--profile", "corp-ro", "--output", "json"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let by_cli: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert_eq!(by_cli, vec!["refresh_token".to_owned()], "the AWS CLI refreshed");

    // rolecall takes up what the AWS CLI wrote, and signs in to nothing again.
    sso.clear_requests();
    let out = run(&w, &sso, &["assume", "prod"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let tokens = sso.requests_to("/token");
    assert!(tokens.iter().all(|r| r.status == 200), "no retired token spent: {tokens:?}");
    assert!(sign_ins(&sso).is_empty(), "{:?}", sign_ins(&sso));
    assert_eq!(w.aws_identity("prod").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
}

#[test]
fn two_rolecall_processes_refreshing_one_rotating_sign_in_at_once_both_succeed() {
    let (w, sso) = rotating_sign_in();
    for (n, role) in [("p1", "ReadOnly"), ("p2", "AdministratorAccess")] {
        ok(&w, &sso, &["role", "add", n, "--source", "corp", "--account", "111111111111", "--role-name", role]);
    }
    // Both start at once, each needing the refresh (the tray app and a terminal, say): the
    // second waits for the first's and uses the token it kept, or refreshes with the new one.
    for round in 0..3 {
        sso.clear_requests();
        let spawn = |n: &str| {
            w.sandbox
                .command(rolecall_bin(), &envs(&w, &sso))
                .args(["assume", n])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("rolecall starts")
        };
        let (a, b) = (spawn("p1"), spawn("p2"));
        for (n, child) in [("p1", a), ("p2", b)] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}, {n}: {}", output_text(&out));
        }
        let tokens = sso.requests_to("/token");
        assert!(tokens.iter().all(|r| r.status == 200), "no retired refresh token spent: {tokens:?}");
    }
}
