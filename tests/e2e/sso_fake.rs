//! The fake IAM Identity Center ([`rolecall_e2e::sso`]) against independent clients: the AWS CLI
//! v1's `sso-oidc` and `sso` commands (pointed at it with `AWS_ENDPOINT_URL_SSO_OIDC` and
//! `AWS_ENDPOINT_URL_SSO`, never the global endpoint), the stub browser, raw HTTP, and moto in
//! auth mode, which must accept the credentials it mints.

use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rolecall_e2e::http::{self, Request, Response};
use rolecall_e2e::sso::{self, DEVICE_GRANT, FakeSso, StubBrowser};
use rolecall_e2e::{Moto, Sandbox, aws_cli, output_text};
use serde_json::{Value, json};

/// The AWS CLI in a sandbox home, against the fake (and moto for STS).
struct Cli {
    sandbox: Sandbox,
    envs: Vec<(String, String)>,
    inputs: usize,
}

impl Cli {
    fn new(sso: &FakeSso, moto: &Moto) -> Cli {
        let sandbox = Sandbox::new();
        let mut envs = sandbox.envs_for(None, None);
        envs.extend(sso.envs());
        envs.push(("AWS_ENDPOINT_URL_STS".to_owned(), moto.endpoint()));
        Cli { sandbox, envs, inputs: 0 }
    }

    /// Runs `aws ARGS --cli-input-json file://…` with `input` in a private file (the tokens and
    /// secrets stay out of argv), with `extra` variables.
    fn run(&mut self, args: &[&str], input: &Value, extra: &[(&str, &str)]) -> std::process::Output {
        use std::os::unix::fs::OpenOptionsExt;
        self.inputs += 1;
        let file = self.sandbox.home().join(format!("input-{}.json", self.inputs));
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&file).unwrap();
        std::io::Write::write_all(&mut f, input.to_string().as_bytes()).unwrap();
        let input_arg = format!("file://{}", file.display());
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--cli-input-json", &input_arg, "--output", "json"]);
        let mut envs = self.envs.clone();
        envs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        aws_cli(&envs, &all)
    }

    fn ok(&mut self, args: &[&str], input: Value) -> Value {
        let out = self.run(args, &input, &[]);
        assert!(out.status.success(), "aws {args:?}: {}", output_text(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {}", output_text(&out)))
    }

    /// Runs a command that must fail with error `name`; returns its stderr.
    fn fails(&mut self, args: &[&str], input: Value, name: &str) -> String {
        let out = self.run(args, &input, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success() && stderr.contains(&format!("({name})")), "aws {args:?}: {}", output_text(&out));
        stderr
    }
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("no string {k} in {v}")).to_owned()
}

fn post(sso: &FakeSso, path: &str, body: &Value) -> Response {
    let r = Request::new("POST", path).header_line("Content-Type", "application/json").body(body.to_string());
    http::request(sso.port(), &r, Duration::from_secs(30)).unwrap()
}

fn get(sso: &FakeSso, target: &str, token: Option<&str>) -> Response {
    let mut r = Request::new("GET", target);
    if let Some(token) = token {
        r = r.header_line("x-amz-sso_bearer_token", token);
    }
    http::request(sso.port(), &r, Duration::from_secs(30)).unwrap()
}

fn json_of(r: &Response) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {} {}", r.status, r.text()))
}

/// Asserts an error answer: status, `x-amzn-errortype`, and the body key the service uses.
fn assert_error(r: &Response, status: u16, name: &str, body_key: &str) {
    assert_eq!((r.status, r.header("x-amzn-errortype")), (status, Some(name)), "{}", r.text());
    assert!(json_of(r)[body_key].is_string(), "{} has no {body_key}", r.text());
}

/// A registered public client: (clientId, clientSecret).
fn register(sso: &FakeSso, extra: Value) -> (String, String) {
    let mut body = json!({ "clientName": "rolecall-test", "clientType": "public" });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let r = post(sso, "/client/register", &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = json_of(&r);
    (s(&v, "clientId"), s(&v, "clientSecret"))
}

/// Signs in with the device flow over raw HTTP, the verification page visited by [`sso::browse`]:
/// (clientId, clientSecret, accessToken, refreshToken).
fn device_sign_in(sso: &FakeSso) -> (String, String, String, String) {
    let (id, secret) = register(sso, json!({}));
    let start = json!({ "clientId": id, "clientSecret": secret, "startUrl": "https://example.awsapps.com/start" });
    let dev = json_of(&post(sso, "/device_authorization", &start));
    let hops = sso::browse(&s(&dev, "verificationUriComplete")).unwrap();
    assert_eq!(hops.last().map(|h| h.status), Some(200), "{hops:?}");
    let grant = json!({ "clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": s(&dev, "deviceCode") });
    let tok = post(sso, "/token", &grant);
    assert_eq!(tok.status, 200, "{}", tok.text());
    let tok = json_of(&tok);
    (id, secret, s(&tok, "accessToken"), s(&tok, "refreshToken"))
}

fn refresh(sso: &FakeSso, id: &str, secret: &str, token: &str) -> Response {
    post(
        sso,
        "/token",
        &json!({ "clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": token }),
    )
}

/// Checks the request log holds none of the secrets the fake handed out.
fn assert_log_has_no_secrets(sso: &FakeSso) {
    let log = format!("{:?}", sso.requests());
    for secret in sso.issued_secrets() {
        assert!(!log.contains(&secret), "the request log shows a secret");
    }
}

#[test]
fn sso_fake_device_flow_through_the_aws_cli_mints_credentials_moto_accepts() {
    let moto = Moto::start();
    moto.enable_auth_mode();
    let fake = FakeSso::start(&moto);
    let accounts = fake.assign_grid(3, 2);
    let mut cli = Cli::new(&fake, &moto);

    let before = chrono::Utc::now().timestamp();
    let reg =
        cli.ok(&["sso-oidc", "register-client"], json!({ "clientName": "rolecall-test", "clientType": "public" }));
    let issued_at = reg["clientIdIssuedAt"].as_i64().unwrap();
    assert!((before - 5..=before + 60).contains(&issued_at), "epoch seconds: {reg}");
    assert_eq!(reg["clientSecretExpiresAt"].as_i64(), Some(issued_at + 90 * 24 * 3600), "{reg}");
    let (id, secret) = (s(&reg, "clientId"), s(&reg, "clientSecret"));

    let dev = cli.ok(
        &["sso-oidc", "start-device-authorization"],
        json!({ "clientId": id, "clientSecret": secret, "startUrl": "https://example.awsapps.com/start" }),
    );
    let user_code = s(&dev, "userCode");
    assert!(s(&dev, "verificationUriComplete").ends_with(&format!("user_code={user_code}")), "{dev}");
    assert_eq!((dev["expiresIn"].as_i64(), dev["interval"].as_i64()), (Some(600), Some(1)), "{dev}");
    let grant = json!({ "clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": s(&dev, "deviceCode") });
    cli.fails(&["sso-oidc", "create-token"], grant.clone(), "AuthorizationPendingException");
    fake.approve_device(&user_code);
    std::thread::sleep(Duration::from_millis(1100));
    let tok = cli.ok(&["sso-oidc", "create-token"], grant.clone());
    assert_eq!((tok["tokenType"].as_str(), tok["expiresIn"].as_i64()), (Some("Bearer"), Some(3600)), "{tok:?}");
    cli.fails(&["sso-oidc", "create-token"], grant, "InvalidGrantException");

    let refreshed = cli.ok(
        &["sso-oidc", "create-token"],
        json!({ "clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": s(&tok, "refreshToken") }),
    );
    let access = s(&refreshed, "accessToken");
    assert_ne!(access, s(&tok, "accessToken"), "a refresh issues a new access token");

    let grants: Vec<Option<String>> = fake.requests_to("/token").iter().map(|r| r.grant_type.clone()).collect();
    let device = Some(DEVICE_GRANT.to_owned());
    assert_eq!(grants, [device.clone(), device.clone(), device, Some("refresh_token".to_owned())]);
    fake.clear_requests();
    let listed = cli.ok(&["sso", "list-accounts", "--page-size", "2"], json!({ "accessToken": access }));
    let got: Vec<(String, String, String)> = listed["accountList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (s(a, "accountId"), s(a, "accountName"), s(a, "emailAddress")))
        .collect();
    let want: Vec<(String, String, String)> =
        accounts.iter().map(|a| (a.account_id.clone(), a.account_name.clone(), a.email_address.clone())).collect();
    assert_eq!(got, want);
    let pages = fake.requests_to("/assignment/accounts");
    assert_eq!(pages.len(), 2, "two pages of two: {pages:?}");
    assert!(pages.iter().all(|p| p.bearer && p.params.get("max_result").map(String::as_str) == Some("2")), "{pages:?}");
    assert_eq!(pages[1].params.get("next_token").map(String::as_str), Some("page-2"), "{pages:?}");

    let account = &accounts[1].account_id;
    let roles = cli.ok(&["sso", "list-account-roles"], json!({ "accessToken": access, "accountId": account }));
    let role_names: Vec<String> = roles["roleList"].as_array().unwrap().iter().map(|r| s(r, "roleName")).collect();
    assert_eq!(role_names, ["Role1", "Role2"]);
    assert!(roles["roleList"].as_array().unwrap().iter().all(|r| r["accountId"] == json!(account)), "{roles}");

    let creds = cli.ok(
        &["sso", "get-role-credentials"],
        json!({ "accessToken": access, "accountId": account, "roleName": "Role2" }),
    )["roleCredentials"]
        .clone();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let expiration = creds["expiration"].as_i64().unwrap();
    assert!((now_ms + 3_500_000..now_ms + 3_700_000).contains(&expiration), "epoch ms, one hour: {creds}");

    let (key, secret_key, token) = (s(&creds, "accessKeyId"), s(&creds, "secretAccessKey"), s(&creds, "sessionToken"));
    let out = cli.run(
        &["sts", "get-caller-identity"],
        &json!({}),
        &[("AWS_ACCESS_KEY_ID", &key), ("AWS_SECRET_ACCESS_KEY", &secret_key), ("AWS_SESSION_TOKEN", &token)],
    );
    assert!(out.status.success(), "moto in auth mode takes the minted credentials: {}", output_text(&out));
    let identity: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(identity["Arn"].as_str(), Some(FakeSso::assumed_role_arn(account, "Role2").as_str()));
    assert!(fake.issued_secrets().contains(&secret_key), "minted secrets are listed");

    assert_log_has_no_secrets(&fake);
}

/// A loopback redirect URI that hands each request's target to the test.
fn callback_listener() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(r) = Request::read(&mut std::io::BufReader::new(&stream), 1 << 16) else { continue };
            let _ = Response::new(200, "signed in").write_to(&mut &stream);
            if tx.send(r.target).is_err() {
                break;
            }
        }
    });
    (format!("http://127.0.0.1:{port}/oauth/callback"), rx)
}

#[test]
fn sso_fake_pkce_round_trip_checks_redirect_state_and_verifier() {
    let moto = Moto::start();
    let fake = FakeSso::start(&moto);
    fake.assign_grid(1, 1);
    let (id, secret) = register(
        &fake,
        json!({
            "redirectUris": ["http://127.0.0.1/oauth/callback"],
            "grantTypes": ["authorization_code", "refresh_token"],
            "scopes": ["sso:account:access"],
            "issuerUrl": "https://example.awsapps.com/start",
        }),
    );
    let (redirect, callbacks) = callback_listener();
    let verifier = "a-verifier-of-at-least-43-characters-0123456789";
    let authorize = |redirect: &str, client: &str, state: &str, scope_key: &str| {
        format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}&code_challenge={}\
             &code_challenge_method=S256&{scope_key}=sso%3Aaccount%3Aaccess",
            fake.endpoint(),
            sso::percent_encode(client),
            sso::percent_encode(redirect),
            sso::pkce_challenge(verifier)
        )
    };
    let code_grant = |code: &str, redirect: &str, verifier: &str| {
        json!({ "clientId": id, "clientSecret": secret, "grantType": "authorization_code", "code": code,
                "redirectUri": redirect, "codeVerifier": verifier })
    };

    // The stub browser, as xdg-open: the 302 reaches the loopback redirect with code and state.
    let home = tempfile::tempdir().unwrap();
    let browser = StubBrowser::install(&home.path().join("bin"));
    let url = authorize(&redirect, &id, "state-one", "scopes");
    let status = std::process::Command::new(browser.opener()).arg(&url).status().unwrap();
    assert!(status.success());
    let target = callbacks.recv_timeout(Duration::from_secs(30)).expect("the stub browser reaches the redirect URI");
    let params = sso::url_params(&target);
    assert!(target.starts_with("/oauth/callback?"), "{target}");
    assert_eq!(params.get("state").map(String::as_str), Some("state-one"), "the state comes back as sent: {target}");
    let code = params.get("code").cloned().expect("a code");
    assert_eq!(browser.opened(), [url]);

    // A wrong verifier is refused, and the code is spent.
    let wrong = post(&fake, "/token", &code_grant(&code, &redirect, "another-verifier-of-at-least-43-characters-xx"));
    assert_error(&wrong, 400, "InvalidGrantException", "error_description");
    assert_eq!(json_of(&wrong)["error"], "invalid_grant");
    let reused = post(&fake, "/token", &code_grant(&code, &redirect, verifier));
    assert_error(&reused, 400, "InvalidGrantException", "error");

    // `scope` works as `scopes`; a redirect URI that differs from the authorize request's is refused.
    let hops = sso::browse(&authorize(&redirect, &id, "state-two", "scope")).unwrap();
    assert_eq!((hops[0].status, hops.last().map(|h| h.status)), (302, Some(200)), "{hops:?}");
    let params = sso::url_params(hops[0].location.as_deref().unwrap());
    assert_eq!(params.get("state").map(String::as_str), Some("state-two"));
    let other = redirect.replace("127.0.0.1:", "127.0.0.1:1");
    let differs = post(&fake, "/token", &code_grant(&params["code"], &other, verifier));
    assert_error(&differs, 400, "InvalidGrantException", "error");

    // The right code, redirect URI and verifier: tokens that open the portal.
    let hops = sso::browse(&authorize(&redirect, &id, "state-three", "scopes")).unwrap();
    let code = sso::url_params(hops[0].location.as_deref().unwrap())["code"].clone();
    let ok = post(&fake, "/token", &code_grant(&code, &redirect, verifier));
    assert_eq!(ok.status, 200, "{}", ok.text());
    let access = s(&json_of(&ok), "accessToken");
    assert_eq!(get(&fake, "/assignment/accounts", Some(&access)).status, 200);
    while callbacks.try_recv().is_ok() {}

    // Refused without a redirect: an unknown client, a redirect URI not registered.
    let unknown = sso::browse(&authorize(&redirect, "nobody", "s", "scopes")).unwrap();
    assert_eq!((unknown.len(), unknown[0].status, unknown[0].location.as_deref()), (1, 400, None));
    let elsewhere = redirect.replace("/oauth/callback", "/elsewhere");
    let hops = sso::browse(&authorize(&elsewhere, &id, "s", "scopes")).unwrap();
    assert_eq!((hops.len(), hops[0].status, hops[0].location.as_deref()), (1, 400, None), "{hops:?}");
    let r = get(&fake, authorize(&elsewhere, &id, "s", "scopes").trim_start_matches(&fake.endpoint()), None);
    assert_error(&r, 400, "InvalidRedirectUriException", "error_description");

    // A user who denies: back to the redirect URI with the error and the state.
    fake.set_authorize_denied(true);
    let hops = sso::browse(&authorize(&redirect, &id, "state-four", "scopes")).unwrap();
    let params = sso::url_params(hops[0].location.as_deref().unwrap());
    assert_eq!(
        (params.get("error"), params.get("state")),
        (Some(&"access_denied".to_owned()), Some(&"state-four".to_owned()))
    );
    assert!(!params.contains_key("code"));
    assert_log_has_no_secrets(&fake);
}

#[test]
fn sso_fake_throttles_expires_ends_sessions_and_refuses_unassigned_roles() {
    let moto = Moto::start();
    moto.enable_auth_mode();
    let fake = FakeSso::start(&moto);
    let accounts = fake.assign_grid(2, 1);
    let account = accounts[0].account_id.clone();
    let mut cli = Cli::new(&fake, &moto);
    let (id, secret, access, refresh_token) = device_sign_in(&fake);

    // 403 for a role not assigned (the AWS CLI and the raw answer), 401 without a known token.
    let stderr = cli.fails(
        &["sso", "get-role-credentials"],
        json!({ "accessToken": access, "accountId": account, "roleName": "Role9" }),
        "ForbiddenException",
    );
    assert!(stderr.contains("No access"), "{stderr}");
    let r = get(&fake, "/federation/credentials?role_name=Role1&account_id=999999999999", Some(&access));
    assert_error(&r, 403, "ForbiddenException", "message");
    assert_error(&get(&fake, "/assignment/accounts", None), 401, "UnauthorizedException", "message");
    assert_error(&get(&fake, "/assignment/accounts", Some("aoa-unknown")), 401, "UnauthorizedException", "message");
    assert_error(
        &get(&fake, "/assignment/accounts?max_result=101", Some(&access)),
        400,
        "InvalidRequestException",
        "message",
    );

    // 429 above the throttle, and none without one.
    fake.set_throttle(Some(2));
    let statuses: Vec<Response> = (0..5).map(|_| get(&fake, "/assignment/accounts", Some(&access))).collect();
    let throttled: Vec<&Response> = statuses.iter().filter(|r| r.status == 429).collect();
    assert!(
        !throttled.is_empty() && statuses[0].status == 200,
        "{:?}",
        statuses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_error(throttled[0], 429, "TooManyRequestsException", "message");
    fake.set_throttle(None);
    assert!((0..5).all(|_| get(&fake, "/assignment/accounts", Some(&access)).status == 200));

    // The latency is felt.
    fake.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get(&fake, "/assignment/accounts", Some(&access)).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    fake.set_latency(Duration::ZERO);

    // The access token ends with its lifetime on the fake's clock; a refresh gives a new one.
    fake.advance_clock(chrono::Duration::minutes(61));
    assert_error(&get(&fake, "/assignment/accounts", Some(&access)), 401, "UnauthorizedException", "message");
    let r = refresh(&fake, &id, &secret, &refresh_token);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = json_of(&r);
    assert_eq!(s(&v, "refreshToken"), refresh_token, "no rotation unless asked");
    let access = s(&v, "accessToken");
    assert_eq!(get(&fake, "/assignment/accounts", Some(&access)).status, 200);

    // Rotation: a new refresh token; the old one is retired.
    fake.set_rotate_refresh_tokens(true);
    let rotated = s(&json_of(&refresh(&fake, &id, &secret, &refresh_token)), "refreshToken");
    assert_ne!(rotated, refresh_token);
    assert_error(&refresh(&fake, &id, &secret, &refresh_token), 400, "InvalidGrantException", "error");
    assert_error(&refresh(&fake, &id, "wrong-secret", &rotated), 401, "InvalidClientException", "error_description");

    // The portal session ends: 401 for its tokens, InvalidGrantException for its refresh.
    fake.end_sessions();
    cli.fails(&["sso", "list-accounts"], json!({ "accessToken": access }), "UnauthorizedException");
    cli.fails(
        &["sso-oidc", "create-token"],
        json!({ "clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": rotated }),
        "InvalidGrantException",
    );

    // A session's length is its own: a short one ends on the fake's clock; logout ends one now.
    fake.set_session_length(chrono::Duration::minutes(15));
    let (id2, secret2, access2, refresh2) = device_sign_in(&fake);
    fake.advance_clock(chrono::Duration::minutes(16));
    assert_error(&get(&fake, "/assignment/accounts", Some(&access2)), 401, "UnauthorizedException", "message");
    assert_error(&refresh(&fake, &id2, &secret2, &refresh2), 400, "InvalidGrantException", "error");
    fake.set_session_length(chrono::Duration::hours(8));
    let (_, _, access3, _) = device_sign_in(&fake);
    let logout = Request::new("POST", "/logout").header_line("x-amz-sso_bearer_token", &access3);
    assert_eq!(http::request(fake.port(), &logout, Duration::from_secs(10)).unwrap().status, 200);
    assert_error(&get(&fake, "/assignment/accounts", Some(&access3)), 401, "UnauthorizedException", "message");

    // Device codes: too fast a poll slows down, a denied one is refused.
    let (cid, csecret) = register(&fake, json!({}));
    let start = json!({ "clientId": cid, "clientSecret": csecret, "startUrl": "https://example.awsapps.com/start" });
    let dev = json_of(&post(&fake, "/device_authorization", &start));
    let grant = json!({ "clientId": cid, "clientSecret": csecret, "grantType": DEVICE_GRANT, "deviceCode": s(&dev, "deviceCode") });
    assert_error(&post(&fake, "/token", &grant), 400, "AuthorizationPendingException", "error");
    assert_error(&post(&fake, "/token", &grant), 400, "SlowDownException", "error");
    fake.deny_device(&s(&dev, "userCode"));
    std::thread::sleep(Duration::from_millis(1100));
    assert_error(&post(&fake, "/token", &grant), 400, "AccessDeniedException", "error");
    fake.advance_clock(chrono::Duration::minutes(11));
    assert_error(&post(&fake, "/token", &grant), 400, "ExpiredTokenException", "error");

    // The log: grant types and whether a bearer token came, and no secret.
    let log = fake.requests();
    assert!(log.iter().any(|r| r.grant_type.as_deref() == Some("refresh_token")));
    assert!(log.iter().any(|r| r.grant_type.as_deref() == Some(DEVICE_GRANT)));
    assert!(log.iter().filter(|r| r.path == "/assignment/accounts").any(|r| !r.bearer));
    assert!(log.iter().any(|r| r.error_type.as_deref() == Some("TooManyRequestsException") && r.status == 429));
    assert_log_has_no_secrets(&fake);
}

#[test]
fn sso_fake_stub_browser_follows_a_redirect_page_and_approves_a_device_code() {
    let moto = Moto::start();
    let fake = FakeSso::start(&moto);
    let (id, secret) = register(&fake, json!({}));
    let start = json!({ "clientId": id, "clientSecret": secret, "startUrl": "https://example.awsapps.com/start" });
    let dev = json_of(&post(&fake, "/device_authorization", &start));
    let grant = json!({ "clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": s(&dev, "deviceCode") });

    // A private redirect page as rolecall writes them (meta refresh, escaped), handed over as file://.
    let home = tempfile::tempdir().unwrap();
    let browser = StubBrowser::install(&home.path().join("bin"));
    let url = s(&dev, "verificationUriComplete");
    let attr = format!("{url}&amp;from=page");
    let page = home.path().join("page.html");
    std::fs::write(&page, format!("<meta http-equiv=\"refresh\" content=\"0;url={attr}\"><a href=\"{attr}\">go</a>"))
        .unwrap();
    let status =
        std::process::Command::new(browser.opener()).arg(format!("file://{}", page.display())).status().unwrap();
    assert!(status.success());
    let visited = rolecall_e2e::wait_for("the stub browser's visit", Duration::from_secs(30), || {
        (!browser.statuses().is_empty()).then(|| browser.statuses())
    });
    assert_eq!(visited, ["200"]);
    assert_eq!(browser.opened(), [format!("{url}&from=page")]);
    let tok = post(&fake, "/token", &grant);
    assert_eq!(tok.status, 200, "the visit approved the device code: {}", tok.text());

    // A user who never approves: the visit leaves the code pending.
    fake.set_browser_approves(false);
    let dev = json_of(&post(&fake, "/device_authorization", &start));
    let hops = sso::browse(&s(&dev, "verificationUriComplete")).unwrap();
    assert_eq!(hops.last().map(|h| h.status), Some(200));
    let grant = json!({ "clientId": id, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": s(&dev, "deviceCode") });
    assert_error(&post(&fake, "/token", &grant), 400, "AuthorizationPendingException", "error");
}

#[test]
fn sso_fake_serves_the_aws_clis_sso_profiles_and_its_token_refresh() {
    let moto = Moto::start();
    moto.enable_auth_mode();
    let fake = FakeSso::start(&moto);
    let accounts = fake.assign_grid(1, 1);
    let account = accounts[0].account_id.clone();
    let mut cli = Cli::new(&fake, &moto);
    let (id, secret, access, refresh_token) = device_sign_in(&fake);
    cli.sandbox.write(
        ".aws/config",
        &format!(
            "[profile corp]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = Role1\nregion = us-east-1\n\n\
             [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\
             sso_registration_scopes = sso:account:access\n"
        ),
    );
    // The token cache botocore reads: ~/.aws/sso/cache/<sha1 of the session name>.json.
    let mut sha1 = std::process::Command::new("sha1sum");
    let digest = rolecall_e2e::run_with_timeout(&mut sha1, Some(b"corp"), Duration::from_secs(10));
    let name = String::from_utf8_lossy(&digest.stdout).split_whitespace().next().unwrap().to_owned();
    let cache = cli.sandbox.home().join(format!(".aws/sso/cache/{name}.json"));
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let write_cache = |expires_in: chrono::Duration| {
        let at = |d: chrono::Duration| (chrono::Utc::now() + d).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let token = json!({
            "startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": access,
            "expiresAt": at(expires_in), "clientId": id, "clientSecret": secret,
            "registrationExpiresAt": at(chrono::Duration::days(80)), "refreshToken": refresh_token,
        });
        std::fs::write(&cache, token.to_string()).unwrap();
    };
    let identity = |cli: &mut Cli| {
        let out = cli.run(&["sts", "get-caller-identity", "--profile", "corp"], &json!({}), &[]);
        assert!(out.status.success(), "{}", output_text(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["Arn"].as_str().unwrap().to_owned()
    };

    // A fresh token: GetRoleCredentials with it, then STS on moto with what was minted.
    write_cache(chrono::Duration::hours(1));
    fake.clear_requests();
    assert_eq!(identity(&mut cli), FakeSso::assumed_role_arn(&account, "Role1"));
    let calls = fake.requests();
    assert!(calls.iter().any(|r| r.path == "/federation/credentials" && r.bearer && r.status == 200), "{calls:?}");
    assert!(calls.iter().all(|r| r.path != "/token"), "no refresh for a fresh token: {calls:?}");

    // A token within botocore's 15 minutes: it refreshes through the fake first.
    write_cache(chrono::Duration::minutes(5));
    fake.clear_requests();
    assert_eq!(identity(&mut cli), FakeSso::assumed_role_arn(&account, "Role1"));
    let calls = fake.requests();
    let refreshed = calls.iter().position(|r| r.grant_type.as_deref() == Some("refresh_token") && r.status == 200);
    let minted = calls.iter().position(|r| r.path == "/federation/credentials" && r.status == 200);
    assert!(refreshed.is_some() && refreshed < minted, "refresh, then GetRoleCredentials: {calls:?}");
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_ne!(cached["accessToken"].as_str(), Some(access.as_str()), "botocore cached the refreshed token");
}
