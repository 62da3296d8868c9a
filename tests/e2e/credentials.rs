//! `delivery = "process"` and `rolecall credentials NAME` (#15): a favourite whose credentials
//! are never written; its profile in `~/.aws/config` runs the CLI through `credential_process`,
//! read by botocore (the AWS CLI of the test venv) against moto in auth mode.

use std::process::Stdio;

use rolecall_e2e::sso::FakeSso;
use rolecall_e2e::{World, assumed_role_arn, output_text as text, rolecall_bin, rust_sdk_bin};
use serde_json::Value;

use crate::sso::{START_URL, sso_world};

const ADMIN_ARN: &str = "arn:aws:iam::123456789012:role/Admin";

/// moto (auth mode) with alice, a role Admin that trusts her, and her keys as source `work`.
fn world() -> World {
    let w = World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w
}

/// The files rolecall could write, and every file of its data dir, as bytes.
fn everything(w: &World) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [w.sandbox.aws_dir(), w.sandbox.rolecall_config_dir(), w.sandbox.home().join(".local/share")] {
        for path in walk(&dir) {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// The AWS SDK for JavaScript v3 (`tests/sdk-js`, installed by `scripts/setup --test`) calling
/// GetCallerIdentity with `args` (`["ini", PROFILE]`: `fromIni`; `["chain"]`: the default chain)
/// and exactly `envs`: the ARN, or its stderr.
pub(crate) fn js_identity(w: &World, envs: &[(String, String)], args: &[&str]) -> Result<String, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-js");
    assert!(
        dir.join("node_modules/@aws-sdk/client-sts").is_dir(),
        "the AWS SDK for JavaScript is not installed in {}: run ./scripts/setup --test",
        dir.display()
    );
    let mut cmd = w.sandbox.command("node", envs);
    cmd.arg(dir.join("identity.mjs")).args(args);
    let out = rolecall_e2e::run_with_timeout(&mut cmd, None, rolecall_e2e::AWS_CLI_TIMEOUT);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The AWS SDK for Rust (`rust-sdk-identity`, its default chain) calling GetCallerIdentity with
/// exactly `envs`: the ARN, or its stderr.
pub(crate) fn rust_identity(w: &World, envs: &[(String, String)]) -> Result<String, String> {
    let mut cmd = w.sandbox.command(rust_sdk_bin(), envs);
    let out = rolecall_e2e::run_with_timeout(&mut cmd, None, rolecall_e2e::AWS_CLI_TIMEOUT);
    if out.status.success() {
        Ok(rust_arn(&out.stdout))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The ARN in what `rust-sdk-identity` printed (`{"Arn": …}`).
pub(crate) fn rust_arn(stdout: &[u8]) -> String {
    let v: Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("rust-sdk-identity prints JSON ({e}): {}", String::from_utf8_lossy(stdout)));
    v["Arn"].as_str().expect("Arn").to_owned()
}

/// IAM Identity Center source `corp` (never signed in) and its `process` favourite `prod`.
pub(crate) fn add_signed_out_process_favourite(w: &World, sso: &FakeSso) {
    let ok = |args: &[&str]| crate::sso::ok(w, sso, args);
    ok(&["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    let role = ["--account", "111111111111", "--role-name", "ReadOnly", "--delivery", "process"];
    ok(&[&["role", "add", "prod", "--source", "corp"][..], &role].concat());
}

/// `rolecall credentials NAME` with stdin a pipe holding `stdin`: its output.
fn credentials(w: &World, name: &str, stdin: &str) -> std::process::Output {
    w.run_with(&["credentials", name], Some(stdin))
}

#[test]
fn a_process_favourite_is_served_through_credential_process_and_never_written() {
    let w = world();
    let user_config = "# the user's\n[default]\nregion = eu-west-1\n\n[profile other]\noutput = json\n";
    let user_credentials = "[mine]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = keep\n";
    w.sandbox.write(".aws/config", user_config);
    w.sandbox.write(".aws/credentials", user_credentials);

    // First a file favourite with a session written, then switched to process: its secrets go.
    w.add_favourite("admin", ADMIN_ARN, &[]);
    w.ok(&["assume", "admin"]);
    assert!(w.sandbox.read_credentials().contains("[admin]"));
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "work", "--delivery", "process", "--replace"]);
    assert_eq!(w.sandbox.read_credentials(), format!("{user_credentials}\n"), "its session left the credentials file");
    let config = w.sandbox.read_config();
    let line = format!("credential_process = {} credentials admin", rolecall_bin().display());
    assert!(config.starts_with(user_config), "the user's lines as they were:\n{config}");
    assert!(config.contains(&format!("[profile admin]\n{line}\n")), "{config}");
    assert!(w.config_toml().contains("delivery = \"process\""), "{}", w.config_toml());
    let shown = w.ok(&["role", "show", "admin"]);
    assert!(shown.lines().any(|l| l.starts_with("delivery") && l.ends_with("process")), "{shown}");

    // The AWS CLI gets working credentials through it, with nothing written anywhere.
    let before = everything(&w);
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert_eq!(everything(&w), before, "a credential_process call writes no file");
    // So does the AWS SDK for JavaScript v3 (fromIni), a reader not written here.
    let envs = w.sandbox.envs(w.moto(), &w.keychain);
    assert_eq!(js_identity(&w, &envs, &["ini", "admin"]).unwrap(), assumed_role_arn("Admin", "alice"));
    assert_eq!(everything(&w), before, "nor through the JavaScript SDK");

    // `rolecall credentials` prints exactly the document, and writes nothing either.
    let out = credentials(&w, "admin", "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let keys: Vec<&str> = doc.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["AccessKeyId", "Expiration", "SecretAccessKey", "SessionToken", "Version"]);
    assert_eq!(doc["Version"], 1);
    assert!(doc["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{doc}");
    let expiration = doc["Expiration"].as_str().unwrap();
    assert!(expiration.ends_with('Z'), "{expiration}");
    chrono::DateTime::parse_from_rfc3339(expiration).unwrap();
    assert_eq!(everything(&w), before, "no file written");
    for secret in [&doc["AccessKeyId"], &doc["SecretAccessKey"], &doc["SessionToken"]] {
        let secret = secret.as_str().unwrap();
        for (path, bytes) in &before {
            assert!(!String::from_utf8_lossy(bytes).contains(secret), "a secret of the session is in {path}");
        }
    }

    let status = w.ok(&["status"]);
    assert!(status.contains("served through credential_process: no session written"), "{status}");

    // An assume of a process favourite writes its line, no session.
    let assumed = w.ok(&["assume", "admin"]);
    assert!(assumed.contains("Admin"), "{assumed}");
    assert!(!w.sandbox.read_credentials().contains("[admin]"), "{}", w.sandbox.read_credentials());
    assert_eq!(w.sandbox.read_config(), config, "the line was already there: unchanged");

    // Back to file: the line goes, the config file is the user's again (a blank line apart).
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "work", "--replace"]);
    assert_eq!(w.sandbox.read_config(), format!("{user_config}\n"));
    w.ok(&["assume", "admin"]);
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert!(w.sandbox.read_credentials().starts_with(user_credentials));

    // And removing a process favourite removes its line.
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "work", "--delivery", "process", "--replace"]);
    assert!(w.sandbox.read_config().contains("credential_process"));
    w.ok(&["role", "remove", "admin"]);
    assert_eq!(w.sandbox.read_config(), format!("{user_config}\n"));
    assert_eq!(w.sandbox.read_credentials(), format!("{user_credentials}\n"));
}

/// The AWS SDK for Rust, a third reader not written here, gets working credentials through a
/// process favourite's `credential_process` (it runs the line with `sh -c`): the role's, with
/// nothing written; and with a profile of keys named instead, the keys' user, so the ARN tells
/// which way the SDK went.
#[test]
fn the_rust_sdk_gets_a_process_favourites_session_through_credential_process() {
    let w = world();
    w.add_favourite("admin", ADMIN_ARN, &["--delivery", "process"]);
    let mine = format!(
        "[mine]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        w.alice().access_key_id,
        w.alice().secret_access_key
    );
    w.sandbox.write(".aws/credentials", &mine);
    let before = everything(&w);
    let envs = w.envs_with(&[("AWS_PROFILE", "admin")]);
    assert_eq!(rust_identity(&w, &envs).unwrap(), assumed_role_arn("Admin", "alice"));
    assert_eq!(everything(&w), before, "a credential_process call through the Rust SDK writes no file");
    let envs = w.envs_with(&[("AWS_PROFILE", "mine")]);
    assert_eq!(rust_identity(&w, &envs).unwrap(), w.alice().user_arn, "the reader follows AWS_PROFILE");
    // A profile that is not there: the SDK fails, with its reason on stderr.
    let envs = w.envs_with(&[("AWS_PROFILE", "nope")]);
    let err = rust_identity(&w, &envs).unwrap_err();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn credentials_fail_fast_on_one_line_and_never_read_stdin() {
    let w = World::without_auth_mode(|m, a| {
        m.create_role("Secure", &a.user_arn, None);
    });
    let serial = w.moto().create_mfa_device("alice");
    let o = w.add_source("work", &w.alice().access_key_id, &w.alice().secret_access_key, &["--mfa-serial", &serial]);
    assert!(o.status.success(), "{}", text(&o));
    w.add_favourite("secure", "arn:aws:iam::123456789012:role/Secure", &["--mfa", "--delivery", "process"]);
    let before = everything(&w);

    // An unknown favourite.
    let out = credentials(&w, "nope", "");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("rolecall: config.") && err.contains("nope"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // MFA without a kept session: no prompt, a code on stdin is not taken either.
    let out = credentials(&w, "secure", "123456\n");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("rolecall: input.needed: favourite secure: needs a code from MFA device"), "{err}");
    assert!(err.contains("rolecall assume secure"), "says how to fix it: {err}");
    assert_eq!(everything(&w), before, "nothing written, no MFA session kept from stdin's code");
    assert_eq!(w.entry("mfa-session:work"), None, "the code on stdin was not used");

    // The same through the AWS CLI: it fails at once with rolecall's line.
    let envs = w.sandbox.envs(w.moto(), &w.keychain);
    let out = rolecall_e2e::aws_cli(&envs, &["sts", "get-caller-identity", "--profile", "secure"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a code from MFA device"), "{}", text(&out));

    // Once an MFA session is kept (an assume with the code), the call needs none.
    w.ok(&["assume", "secure", "--token-code", "123456"]);
    let mut cmd = w.sandbox.command(rolecall_bin(), &w.envs());
    let out = cmd.args(["credentials", "secure"]).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(w.aws_identity("secure").unwrap(), assumed_role_arn("Secure", "alice"));
}

#[test]
fn credentials_of_a_signed_out_identity_center_source_say_to_sign_in() {
    let (w, sso): (World, FakeSso) = sso_world();
    let envs = crate::sso::envs(&w, &sso);
    add_signed_out_process_favourite(&w, &sso);
    let out = w.run_env(&envs, &["credentials", "prod"], Some(""));
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("rolecall: sso.signed_out: source corp"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(sso.requests_to("/device_authorization").is_empty(), "no sign-in started: {:?}", sso.requests());
}

#[test]
fn a_process_favourite_whose_profile_the_config_file_resolves_otherwise_is_refused_before_it_is_saved() {
    let w = world();
    let user_config = "[profile corp]\nsso_session = corp\n";
    w.sandbox.write(".aws/config", user_config);
    let before = w.files();
    let err = w.fails(
        &["role", "add", "corp", "--arn", ADMIN_ARN, "--source", "work", "--delivery", "process"],
        "config_file.conflict",
    );
    assert!(err.contains("profile corp: the config file sets sso_session for it"), "{err}");
    assert_eq!(w.files(), before, "config.toml and the AWS files unchanged");
    // Under another profile it is fine.
    w.ok(&[
        "role",
        "add",
        "corp",
        "--arn",
        ADMIN_ARN,
        "--source",
        "work",
        "--delivery",
        "process",
        "--profile",
        "corp-rc",
    ]);
    assert!(w.sandbox.read_config().starts_with(user_config));
    assert_eq!(w.aws_identity("corp-rc").unwrap(), assumed_role_arn("Admin", "alice"));
}

/// Every value after `KEY=` / `"KEY": "` in `text` for the session's secret keys.
fn session_secrets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
    ] {
        for (i, _) in text.match_indices(key) {
            let rest = text[i + key.len()..].trim_start_matches(['=', '"', ':', ' ', '\'']);
            let value: String = rest.chars().take_while(|c| !matches!(c, '"' | '\'' | '\n' | ' ' | ';')).collect();
            if value.len() >= 16 {
                out.push(value);
            }
        }
    }
    out
}

#[test]
fn a_day_of_a_process_favourite_leaves_no_secret_of_any_session_on_disk() {
    let w = world();
    w.add_favourite("admin", ADMIN_ARN, &["--delivery", "process", "--region", "eu-west-1"]);
    let mut secrets = Vec::new();
    let mut outputs = String::new();
    for round in 0..3 {
        outputs += &w.ok(&["assume", "admin"]);
        outputs += &w.ok(&["renew", "admin"]);
        let served = w.ok(&["credentials", "admin"]);
        secrets.extend(session_secrets(&served));
        let env = w.ok(&["env", "admin"]);
        secrets.extend(session_secrets(&env));
        let exec = w.run(&["exec", "admin", "--", "env"]);
        assert!(exec.status.success(), "round {round}: {}", text(&exec));
        secrets.extend(session_secrets(&String::from_utf8_lossy(&exec.stdout)));
        assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    }
    assert!(secrets.len() >= 3 * 3 * 3, "the sessions' key ids, secrets and tokens were seen: {}", secrets.len());
    assert!(!session_secrets(&outputs).iter().any(|s| secrets.contains(s)), "assume and renew print no secret");
    let mut hygiene = rolecall_e2e::Hygiene::new();
    hygiene.secrets("a session's key id, secret or token", &secrets);
    let files: Vec<(String, String)> = walk(w.sandbox.home())
        .into_iter()
        .filter(|p| !p.starts_with(w.sandbox.home().join(".cache/venv")))
        .map(|p| {
            (p.display().to_string(), String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).into_owned())
        })
        .collect();
    assert!(files.iter().any(|(p, _)| p.ends_with("config.toml")), "the scan sees rolecall's files");
    let outputs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    hygiene.assert_clean(&outputs);
}

#[test]
fn credentials_with_the_keychain_locked_say_so_on_one_line_and_unlock_nothing() {
    let mut w = world();
    w.add_favourite("admin", ADMIN_ARN, &["--delivery", "process"]);
    w.keychain.lock();
    let out = credentials(&w, "admin", "the keyring password\n");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("rolecall: keychain.locked: source work: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("rolecall does not ask for it here"), "found locked before it was read: {err}");
    assert_eq!(w.entry("source:work"), None, "still locked: nothing unlocked it");
}

#[test]
fn a_cli_whose_path_a_shell_would_split_is_refused_before_anything_is_saved() {
    let w = world();
    let dir = w.sandbox.home().join("my tools");
    std::fs::create_dir_all(&dir).unwrap();
    let cli = dir.join("rolecall");
    std::fs::copy(rolecall_bin(), &cli).unwrap();
    let before = w.files();
    let mut cmd = w.sandbox.command(&cli, &w.envs());
    cmd.args(["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "work", "--delivery", "process"]);
    let out = rolecall_e2e::run_with_timeout(&mut cmd, None, rolecall_e2e::ROLECALL_TIMEOUT);
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("rolecall: config_file.unsafe_command: the rolecall command "), "{err}");
    assert!(err.contains("contains a space"), "{err}");
    assert_eq!(w.files(), before, "nothing saved or written");
}
