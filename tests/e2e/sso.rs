//! IAM Identity Center sources through the CLI, against the loopback fake of the sign-in service
//! and the portal ([`rolecall_e2e::sso`]), whose role credentials moto (auth mode) minted: add
//! the source, sign in with a device code, list the portal's roles, add favourites by account and
//! role name, assume them (and a chain from one) into profiles the AWS CLI accepts, refresh the
//! sign-in silently, and say so when the portal session ends, changing nothing.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use rolecall_e2e::sso::{FakeSso, SsoAccount};
use rolecall_e2e::{World, assumed_role_arn, output_text, rolecall_bin};

const START_URL: &str = "https://d-1234567890.awsapps.com/start";

fn accounts() -> Vec<SsoAccount> {
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
fn sso_world() -> (World, FakeSso) {
    let w = World::builder().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(accounts());
    (w, sso)
}

fn envs(w: &World, sso: &FakeSso) -> Vec<(String, String)> {
    let mut envs = w.envs();
    envs.extend(sso.envs());
    envs
}

fn run(w: &World, sso: &FakeSso, args: &[&str]) -> std::process::Output {
    w.run_env(&envs(w, sso), args, None)
}

fn ok(w: &World, sso: &FakeSso, args: &[&str]) -> String {
    let out = run(w, sso, args);
    assert!(out.status.success(), "rolecall {args:?}:\n{}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rolecall source login NAME`, the user confirming the code it shows (as they would in a
/// browser, anywhere) once it appears; its stderr.
fn login(w: &World, sso: &FakeSso, name: &str) -> String {
    let mut cmd = w.sandbox.command(rolecall_bin(), &envs(w, sso));
    cmd.args(["source", "login", name]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
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

    let shown = login(&w, &sso, "corp");
    assert!(shown.contains("confirm the code"), "{shown}");
    let grants: Vec<_> = sso.requests_to("/token").into_iter().filter_map(|r| r.grant_type).collect();
    assert!(grants.iter().all(|g| g.ends_with("device_code")), "{grants:?}");
    // The sign-in lives in the keychain only.
    assert!(w.entry("sso-token:corp").is_some(), "{}", w.keychain_entries());
    assert!(!w.config_toml().contains("token"), "{}", w.config_toml());

    let listed = ok(&w, &sso, &["sso", "roles", "corp", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
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
    cmd.args(["source", "login", "corp"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
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
