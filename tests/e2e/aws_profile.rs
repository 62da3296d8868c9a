//! `--aws-profile` sources whose profile resolves credentials beyond static keys (#14): a
//! `credential_process`, IAM Identity Center through the SDK's token cache; and profiles that
//! give none, refused with `aws_profile.unusable` naming the profile and why, not "cannot reach
//! STS".

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use rolecall_e2e::http::{self, Request};
use rolecall_e2e::sso::{DEVICE_GRANT, FakeSso, SsoAccount};
use rolecall_e2e::{World, assumed_role_arn, output_text as text};
use serde_json::{Value, json};

const ADMIN_ARN: &str = "arn:aws:iam::123456789012:role/Admin";

/// moto (auth mode) with alice and a role Admin that trusts her.
fn world() -> World {
    World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    })
}

/// Writes an executable script `name` into the sandbox's home with `body` (a `sh` script); its
/// absolute path.
fn script(w: &World, name: &str, body: &str) -> String {
    w.sandbox.write(name, &format!("#!/bin/sh\n{body}"));
    let path = w.sandbox.home().join(name);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path.to_string_lossy().into_owned()
}

/// A `credential_process` that prints alice's keys (minted by moto's IAM) as JSON Version 1.
fn alice_process(w: &World) -> String {
    let json = format!(
        r#"{{"Version": 1, "AccessKeyId": "{}", "SecretAccessKey": "{}", "Expiration": "2099-01-01T00:00:00Z"}}"#,
        w.alice().access_key_id,
        w.alice().secret_access_key
    );
    script(w, "bin/alice-creds", &format!("cat <<'EOF'\n{json}\nEOF\n"))
}

#[test]
fn a_credential_process_profile_is_a_source_whose_favourites_the_aws_cli_accepts() {
    let w = world();
    let process = alice_process(&w);
    w.sandbox.write(".aws/config", &format!("[profile corp-process]\ncredential_process = {process}\n"));
    let added = w.ok(&["source", "add", "corp", "--aws-profile", "corp-process"]);
    assert!(added.contains("arn:aws:iam::123456789012:user/alice"), "verified as alice: {added}");
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "corp"]);
    w.ok(&["assume", "admin"]);
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
}

/// `source add corp --aws-profile PROFILE` must fail with `aws_profile.unusable`, name the
/// profile, and leave `config.toml` as it was; its stderr.
fn refused(w: &World, profile: &str) -> String {
    let before = std::fs::read(w.config_toml_path()).ok();
    let err = w.fails(&["source", "add", "corp", "--aws-profile", profile], "aws_profile.unusable");
    assert!(err.contains(&format!("the AWS profile {profile} gives no credentials: ")), "{err}");
    assert!(!err.contains("cannot reach the STS endpoint"), "{err}");
    assert_eq!(std::fs::read(w.config_toml_path()).ok(), before, "config.toml unchanged");
    err
}

#[test]
fn a_profile_that_gives_no_credentials_is_refused_with_its_name_and_why() {
    let w = world();
    let failing = script(&w, "bin/sealed", "echo 'vault is sealed' >&2\necho 'second-line-never-shown' >&2\nexit 1\n");
    let garbled = script(&w, "bin/garbled", "echo 'not json'\n");
    w.sandbox.write(
        ".aws/config",
        &format!(
            "[profile sealed]\ncredential_process = {failing}\n\n[profile garbled]\ncredential_process = {garbled}\n\n\
             [profile loop-a]\nrole_arn = {ADMIN_ARN}\nsource_profile = loop-b\n\n\
             [profile loop-b]\nrole_arn = {ADMIN_ARN}\nsource_profile = loop-a\n"
        ),
    );

    let err = refused(&w, "nope");
    assert!(err.contains("`nope`"), "the SDK's reason names the missing profile: {err}");

    let err = refused(&w, "sealed");
    assert!(err.contains("vault is sealed"), "the process's first line of stderr: {err}");
    assert!(!err.contains("second-line-never-shown"), "only the first line of its stderr: {err}");

    let err = refused(&w, "garbled");
    assert!(err.contains("could not parse"), "{err}");

    let err = refused(&w, "loop-a");
    assert!(err.contains("loop"), "{err}");

    // A source that was added, whose profile breaks later: its favourite's assume says the same.
    w.sandbox.write(".aws/config", &format!("[profile later]\ncredential_process = {}\n", alice_process(&w)));
    w.ok(&["source", "add", "corp", "--aws-profile", "later"]);
    w.ok(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "corp"]);
    w.sandbox.write(".aws/config", &format!("[profile later]\ncredential_process = {failing}\n"));
    let err = w.fails(&["assume", "admin"], "aws_profile.unusable");
    assert!(err.contains("the AWS profile later gives no credentials: ") && err.contains("vault is sealed"), "{err}");
    assert!(!w.sandbox.credentials_path().exists(), "nothing written");
}

/// The portal's account and the permission set the SSO profile names.
const SSO_ACCOUNT: &str = "123456789012";
const SSO_ROLE: &str = "Dev";
const START_URL: &str = "https://example.awsapps.com/start";

fn string(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("no string {key} in {v}")).to_owned()
}

fn post(sso: &FakeSso, path: &str, body: &Value) -> Value {
    let request = Request::new("POST", path).header_line("Content-Type", "application/json").body(body.to_string());
    let response = http::request(sso.port(), &request, Duration::from_secs(30)).unwrap();
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    serde_json::from_slice(&response.body).unwrap()
}

/// A device sign-in at the fake, approved: (clientId, clientSecret, accessToken, refreshToken).
fn sign_in(sso: &FakeSso) -> (String, String, String, String) {
    let client = post(sso, "/client/register", &json!({ "clientName": "aws-cli", "clientType": "public" }));
    let (id, secret) = (string(&client, "clientId"), string(&client, "clientSecret"));
    let device =
        post(sso, "/device_authorization", &json!({ "clientId": id, "clientSecret": secret, "startUrl": START_URL }));
    sso.approve_device(&string(&device, "userCode"));
    let grant = json!({ "clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": string(&device, "deviceCode") });
    let token = post(sso, "/token", &grant);
    (id, secret, string(&token, "accessToken"), string(&token, "refreshToken"))
}

/// Writes the SDK's token cache for sso-session `session`:
/// `~/.aws/sso/cache/<sha1(session)>.json`, timestamps in UTC with `Z`.
fn write_token_cache(w: &World, session: &str, token: &Value) {
    let out = std::process::Command::new("sh").args(["-c", "printf %s \"$0\" | sha1sum", session]).output().unwrap();
    let hash = String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned();
    assert_eq!(hash.len(), 40, "sha1 of {session}");
    w.sandbox.write(&format!(".aws/sso/cache/{hash}.json"), &token.to_string());
}

fn utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn an_sso_profile_is_a_source_through_the_sdks_token_cache() {
    let principal = FakeSso::assumed_role_arn(SSO_ACCOUNT, SSO_ROLE);
    let w = World::new(|m, _| {
        // The permission set's role: moto (auth mode) looks up the policies of the role whose
        // session signs, and the fake mints its sessions with the harness admin's keys.
        m.create_role(SSO_ROLE, &format!("arn:aws:iam::{SSO_ACCOUNT}:user/rolecall-harness-admin"), None);
        m.create_role("Admin", &principal, None);
    });
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(vec![SsoAccount {
        account_id: SSO_ACCOUNT.to_owned(),
        account_name: "corp".to_owned(),
        email_address: "corp@example.com".to_owned(),
        roles: vec![SSO_ROLE.to_owned()],
    }]);
    w.sandbox.write(
        ".aws/config",
        &format!(
            "[profile corp-sso]\nsso_session = corp\nsso_account_id = {SSO_ACCOUNT}\nsso_role_name = {SSO_ROLE}\nregion = us-east-1\n\n\
             [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
        ),
    );
    let (client_id, client_secret, access_token, refresh_token) = sign_in(&sso);
    let now = chrono::Utc::now();
    let cached = json!({
        "accessToken": access_token,
        "expiresAt": utc(now + chrono::Duration::hours(1)),
        "refreshToken": refresh_token,
        "clientId": client_id,
        "clientSecret": client_secret,
        "registrationExpiresAt": utc(now + chrono::Duration::days(90)),
        "region": "us-east-1",
        "startUrl": START_URL,
    });
    write_token_cache(&w, "corp", &cached);
    // The SDK's SSO clients go to the fake (AWS_ENDPOINT_URL_SSO, _SSO_OIDC); STS stays moto.
    let envs = w.envs_with(&sso.envs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    let run = |args: &[&str]| {
        let o = w.run_env(&envs, args, None);
        assert!(o.status.success(), "rolecall {args:?}:\n{}", text(&o));
        for secret in [&access_token, &refresh_token, &client_secret] {
            assert!(!text(&o).contains(secret.as_str()), "a token in the output of {args:?}");
        }
        String::from_utf8_lossy(&o.stdout).into_owned()
    };

    let added = run(&["source", "add", "corp", "--aws-profile", "corp-sso"]);
    assert!(added.contains(&principal), "verified as the portal's role: {added}");
    let fetched = sso.requests_to("/federation/credentials");
    assert!(!fetched.is_empty() && fetched.iter().all(|r| r.bearer), "GetRoleCredentials with the token: {fetched:?}");
    run(&["role", "add", "admin", "--arn", ADMIN_ARN, "--source", "corp"]);
    run(&["assume", "admin"]);
    let identity = w.aws_identity("admin").unwrap();
    assert!(identity.starts_with("arn:aws:sts::123456789012:assumed-role/Admin/"), "{identity}");

    // The sign-in expired and cannot be refreshed: refused, naming the profile, not STS.
    let expired = json!({
        "accessToken": access_token,
        "expiresAt": utc(now - chrono::Duration::hours(1)),
        "region": "us-east-1",
        "startUrl": START_URL,
    });
    write_token_cache(&w, "corp", &expired);
    let o = w.run_env(&envs, &["assume", "admin"], None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(err.starts_with("rolecall: aws_profile.unusable: "), "{err}");
    assert!(err.contains("the AWS profile corp-sso gives no credentials: "), "{err}");
    assert!(!err.contains(access_token.as_str()), "no token in the message");

    // A valid sign-in whose portal cannot be reached: the profile is named, not STS.
    write_token_cache(&w, "corp", &cached);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut unreachable: Vec<(String, String)> =
        envs.iter().filter(|(k, _)| k != "AWS_ENDPOINT_URL_SSO").cloned().collect();
    unreachable.push(("AWS_ENDPOINT_URL_SSO".into(), nowhere));
    let o = w.run_env(&unreachable, &["assume", "admin"], None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{}", text(&o));
    assert!(err.starts_with("rolecall: aws_profile.unusable: "), "{err}");
    assert!(err.contains("the AWS profile corp-sso gives no credentials: "), "{err}");
}
