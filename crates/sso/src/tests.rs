//! The adapter against a tiny in-test HTTP server with hand-made answers: what it sends, how it
//! reads the answers (units, optional fields), and how each failure maps to an [`SsoErrorKind`].

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::*;

/// One request the server received: its head (request line and headers) and body.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: String,
}

/// One answer: status, `x-amzn-errortype` (empty: none), body.
type Answer = (u16, &'static str, String);

/// A server that answers each request with the next of `answers` (the last one repeated), and
/// what it saw.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(answers: Vec<Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else { continue };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(request);
                    log.len()
                };
                let (status, error_type, body) = &answers[(n - 1).min(answers.len() - 1)];
                let error_header =
                    if error_type.is_empty() { String::new() } else { format!("x-amzn-errortype: {error_type}\r\n") };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{error_header}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Server { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn sso(&self) -> SdkSso {
        sso_at(Some(format!("http://127.0.0.1:{}", self.port)), Duration::from_secs(10))
    }
}

fn sso_at(endpoint: Option<String>, timeout: Duration) -> SdkSso {
    SdkSso { fixed: Some(Fixed { endpoint, timeout, initial_backoff: Duration::from_millis(5) }) }
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    while data.len() < head_end + 4 + length {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    Some(Seen { head, body: String::from_utf8_lossy(&data[head_end + 4..]).into_owned() })
}

fn region() -> Region {
    Region::parse("eu-west-1").unwrap()
}

fn start_url() -> StartUrl {
    StartUrl::parse("https://d-1234567890.awsapps.com/start").unwrap()
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn registration() -> ClientRegistration {
    ClientRegistration {
        client_id: "cid".into(),
        client_secret: SecretString::from("csecret".to_owned()),
        expires_at: t0() + chrono::Duration::days(90),
        redirect_uri: None,
    }
}

fn token() -> Token {
    Token {
        access_token: SecretString::from("access-token-1".to_owned()),
        expires_at: t0() + chrono::Duration::hours(1),
        refresh_token: None,
    }
}

fn ok(body: &str) -> Answer {
    (200, "", body.to_owned())
}

fn error(status: u16, error_type: &'static str, message: &str) -> Answer {
    (status, error_type, format!(r#"{{"message":"{message}"}}"#))
}

#[tokio::test]
async fn registration_asks_for_what_the_aws_cli_asks_and_reads_seconds() {
    let server = Server::start(vec![ok(
        r#"{"clientId":"cid","clientSecret":"csecret","clientIdIssuedAt":1800000000,"clientSecretExpiresAt":1807776000}"#,
    )]);
    let redirect = "http://127.0.0.1:4321/oauth/callback";
    let r = server.sso().register_client(&region(), &start_url(), Some(redirect)).await.unwrap();
    assert_eq!(r.client_id, "cid");
    assert_eq!(r.client_secret.expose_secret(), "csecret");
    assert_eq!(r.expires_at, DateTime::from_timestamp(1_807_776_000, 0).unwrap());
    assert_eq!(r.redirect_uri.as_deref(), Some(redirect));

    let r2 = server.sso().register_client(&region(), &start_url(), None).await.unwrap();
    assert_eq!(r2.redirect_uri, None);

    let seen = server.seen();
    assert!(seen[0].head.starts_with("POST /client/register "), "{}", seen[0].head);
    assert!(!seen[0].head.to_ascii_lowercase().contains("authorization:"), "unsigned: {}", seen[0].head);
    for part in [
        r#""clientName":"rolecall""#,
        r#""clientType":"public""#,
        r#""scopes":["sso:account:access"]"#,
        r#""grantTypes":["authorization_code","refresh_token"]"#,
        r#""redirectUris":["http://127.0.0.1:4321/oauth/callback"]"#,
        r#""issuerUrl":"https://d-1234567890.awsapps.com/start""#,
    ] {
        assert!(seen[0].body.contains(part), "{part} not in {}", seen[0].body);
    }
    assert!(
        seen[1].body.contains(r#""grantTypes":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"]"#),
        "{}",
        seen[1].body
    );
    assert!(!seen[1].body.contains("redirectUris"), "{}", seen[1].body);
}

#[tokio::test]
async fn a_device_authorization_is_read_relative_to_now() {
    let server = Server::start(vec![
        ok(
            r#"{"deviceCode":"dev","userCode":"ABCD-EFGH","verificationUri":"https://device.example/","verificationUriComplete":"https://device.example/?user_code=ABCD-EFGH","expiresIn":600,"interval":1}"#,
        ),
        ok(
            r#"{"deviceCode":"dev","userCode":"ABCD-EFGH","verificationUri":"https://device.example/","expiresIn":600}"#,
        ),
    ]);
    let d = server.sso().start_device_authorization(&region(), &registration(), &start_url(), t0()).await.unwrap();
    assert_eq!(d.device_code.expose_secret(), "dev");
    assert_eq!(d.user_code, "ABCD-EFGH");
    assert_eq!(d.verification_uri_complete.as_deref(), Some("https://device.example/?user_code=ABCD-EFGH"));
    assert_eq!(d.expires_at, t0() + chrono::Duration::seconds(600));
    assert_eq!(d.interval, chrono::Duration::seconds(1));
    let d = server.sso().start_device_authorization(&region(), &registration(), &start_url(), t0()).await.unwrap();
    assert_eq!((d.interval, d.verification_uri_complete), (chrono::Duration::seconds(5), None));
    let seen = server.seen();
    assert!(seen[0].head.starts_with("POST /device_authorization "), "{}", seen[0].head);
    for part in
        [r#""clientId":"cid""#, r#""clientSecret":"csecret""#, r#""startUrl":"https://d-1234567890.awsapps.com/start""#]
    {
        assert!(seen[0].body.contains(part), "{part} not in {}", seen[0].body);
    }
}

#[tokio::test]
async fn each_grant_sends_its_fields_and_the_token_ends_expires_in_after_now() {
    let server = Server::start(vec![
        ok(r#"{"accessToken":"at","tokenType":"Bearer","expiresIn":3600,"refreshToken":"rt"}"#),
        ok(r#"{"accessToken":"at2","tokenType":"Bearer","expiresIn":1800}"#),
    ]);
    let grant = Grant::AuthorizationCode {
        code: SecretString::from("the-code".to_owned()),
        redirect_uri: "http://127.0.0.1:4321/oauth/callback".into(),
        code_verifier: SecretString::from("the-verifier".to_owned()),
    };
    let t = server.sso().create_token(&region(), &registration(), &grant, t0()).await.unwrap();
    assert_eq!(t.access_token.expose_secret(), "at");
    assert_eq!(t.expires_at, t0() + chrono::Duration::hours(1));
    assert_eq!(t.refresh_token.as_ref().map(|r| r.expose_secret().to_owned()).as_deref(), Some("rt"));
    let refresh = Grant::RefreshToken(SecretString::from("rt".to_owned()));
    let t = server.sso().create_token(&region(), &registration(), &refresh, t0()).await.unwrap();
    assert_eq!((t.expires_at, t.refresh_token.is_none()), (t0() + chrono::Duration::minutes(30), true));
    let seen = server.seen();
    assert!(seen[0].head.starts_with("POST /token "), "{}", seen[0].head);
    for part in [
        r#""grantType":"authorization_code""#,
        r#""code":"the-code""#,
        r#""redirectUri":"http://127.0.0.1:4321/oauth/callback""#,
        r#""codeVerifier":"the-verifier""#,
        r#""clientId":"cid""#,
    ] {
        assert!(seen[0].body.contains(part), "{part} not in {}", seen[0].body);
    }
    assert!(seen[1].body.contains(r#""grantType":"refresh_token""#) && seen[1].body.contains(r#""refreshToken":"rt""#));
}

#[tokio::test]
async fn the_portal_gets_the_token_in_its_header_and_expirations_are_milliseconds() {
    let server = Server::start(vec![
        ok(
            r#"{"accountList":[{"accountId":"111111111111","accountName":"dev","emailAddress":"dev@example.com"},{"accountId":"222222222222","accountName":"prod"}],"nextToken":"page2"}"#,
        ),
        ok(r#"{"roleList":[{"roleName":"Admin","accountId":"111111111111"}]}"#),
        ok(
            r#"{"roleCredentials":{"accessKeyId":"ASIAEXAMPLEEXAMPLE12","secretAccessKey":"sk","sessionToken":"st","expiration":1800003600123}}"#,
        ),
    ]);
    let sso = server.sso();
    let accounts = sso.list_accounts(&region(), &token(), Some("page1")).await.unwrap();
    assert_eq!(accounts.next.as_deref(), Some("page2"));
    assert_eq!(
        accounts.items,
        vec![
            PortalAccount { id: "111111111111".into(), name: "dev".into(), email: Some("dev@example.com".into()) },
            PortalAccount { id: "222222222222".into(), name: "prod".into(), email: None },
        ]
    );
    let roles = sso.list_account_roles(&region(), &token(), "111111111111", None).await.unwrap();
    assert_eq!((roles.items, roles.next), (vec!["Admin".to_owned()], None));
    let c = sso.role_credentials(&region(), &token(), "111111111111", "Admin").await.unwrap();
    assert_eq!(c.access_key_id.as_str(), "ASIAEXAMPLEEXAMPLE12");
    assert_eq!((c.secret_access_key.expose_secret(), c.session_token.expose_secret()), ("sk", "st"));
    assert_eq!(c.expiration, DateTime::from_timestamp_millis(1_800_003_600_123).unwrap());

    let seen = server.seen();
    let first_line = |s: &Seen| s.head.lines().next().unwrap_or_default().to_owned();
    let line = first_line(&seen[0]);
    assert!(line.starts_with("GET /assignment/accounts?"), "{line}");
    assert!(line.contains("next_token=page1") && line.contains("max_result=100"), "{line}");
    let line = first_line(&seen[1]);
    assert!(line.starts_with("GET /assignment/roles?") && line.contains("account_id=111111111111"), "{line}");
    let line = first_line(&seen[2]);
    assert!(line.starts_with("GET /federation/credentials?"), "{line}");
    assert!(line.contains("role_name=Admin") && line.contains("account_id=111111111111"), "{line}");
    for s in &seen {
        assert!(s.head.to_ascii_lowercase().contains("x-amz-sso_bearer_token: access-token-1"), "{}", s.head);
        assert!(!s.head.to_ascii_lowercase().contains("authorization:"), "unsigned: {}", s.head);
    }
}

#[tokio::test]
async fn service_errors_become_kinds_and_only_throttling_is_retried() {
    let cases: Vec<(Answer, SsoErrorKind, usize)> = vec![
        (error(400, "SlowDownException", "slow down"), SsoErrorKind::SlowDown, 1),
        (error(400, "AuthorizationPendingException", "pending"), SsoErrorKind::Pending, 1),
        (error(400, "ExpiredTokenException", "expired"), SsoErrorKind::Expired, 1),
        (error(400, "InvalidGrantException", "invalid grant"), SsoErrorKind::InvalidGrant, 1),
        (error(400, "AccessDeniedException", "denied"), SsoErrorKind::Denied, 1),
        (error(401, "InvalidClientException", "invalid client"), SsoErrorKind::InvalidClient, 1),
        (error(429, "TooManyRequestsException", "too many"), SsoErrorKind::Throttled, 3),
    ];
    let grant = Grant::DeviceCode(SecretString::from("dev".to_owned()));
    for (answer, kind, requests) in cases {
        let server = Server::start(vec![answer.clone()]);
        let e = server.sso().create_token(&region(), &registration(), &grant, t0()).await.unwrap_err();
        assert_eq!(e.kind, kind, "{answer:?}: {e}");
        assert_eq!(e.subject, "get an access token");
        assert_eq!(server.seen().len(), requests, "{answer:?}");
        let message = answer.2.trim_start_matches(r#"{"message":""#).trim_end_matches(r#""}"#);
        assert_eq!(e.detail.as_deref(), Some(message), "{answer:?}");
    }
}

#[tokio::test]
async fn a_throttled_listing_is_asked_once_for_the_caller_to_pace_but_credentials_are_retried() {
    let too_many = || error(429, "TooManyRequestsException", "Too many requests");
    let server = Server::start(vec![too_many()]);
    let e = server.sso().list_accounts(&region(), &token(), None).await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Throttled, "{e}");
    assert_eq!(server.seen().len(), 1, "ListAccounts: no retry of a 429");
    let server = Server::start(vec![too_many()]);
    let e = server.sso().list_account_roles(&region(), &token(), "111111111111", None).await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Throttled, "{e}");
    assert_eq!(server.seen().len(), 1, "ListAccountRoles: no retry of a 429");
    let server = Server::start(vec![(503, "", String::new()), ok(r#"{"accountList":[]}"#)]);
    let page = server.sso().list_accounts(&region(), &token(), None).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    assert_eq!(server.seen().len(), 2, "a listing's 5xx is still retried");
    let server = Server::start(vec![too_many()]);
    let e = server.sso().role_credentials(&region(), &token(), "111111111111", "Admin").await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Throttled, "{e}");
    assert_eq!(server.seen().len(), 3, "GetRoleCredentials keeps the SDK's retries");
}

#[tokio::test]
async fn portal_errors_keep_aws_words_but_never_the_token() {
    let server = Server::start(vec![error(401, "UnauthorizedException", "Session token not found or invalid")]);
    let e = server.sso().role_credentials(&region(), &token(), "111111111111", "Admin").await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::SignedOut);
    assert_eq!(e.detail.as_deref(), Some("Session token not found or invalid"));
    assert!(!format!("{e} {e:?}").contains("access-token-1"), "{e:?}");
    let server = Server::start(vec![error(403, "ForbiddenException", "No access")]);
    let e = server.sso().role_credentials(&region(), &token(), "111111111111", "Admin").await.unwrap_err();
    assert_eq!((e.kind, e.subject.as_str()), (SsoErrorKind::NoAccess, "get credentials for Admin in 111111111111"));
}

#[tokio::test]
async fn unreadable_answers_are_malformed_and_server_failures_say_their_status() {
    let server = Server::start(vec![ok("this is not json")]);
    let e = server.sso().list_accounts(&region(), &token(), None).await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Malformed, "{e}");
    let server = Server::start(vec![ok(r#"{"tokenType":"Bearer","expiresIn":3600}"#)]);
    let grant = Grant::DeviceCode(SecretString::from("dev".to_owned()));
    let e = server.sso().create_token(&region(), &registration(), &grant, t0()).await.unwrap_err();
    assert_eq!((e.kind, e.detail.as_deref()), (SsoErrorKind::Malformed, Some("no accessToken in the answer")));
    let server = Server::start(vec![ok(
        r#"{"roleCredentials":{"accessKeyId":"ASIAEXAMPLEEXAMPLE12","secretAccessKey":"sk","sessionToken":"st"}}"#,
    )]);
    let e = server.sso().role_credentials(&region(), &token(), "111111111111", "Admin").await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Malformed, "{e}");
    let server = Server::start(vec![(500, "", String::new())]);
    let e = server.sso().list_accounts(&region(), &token(), None).await.unwrap_err();
    assert_eq!((e.kind, e.detail.as_deref()), (SsoErrorKind::Other, Some("HTTP 500")));
    assert_eq!(server.seen().len(), 3, "a 5xx is retried");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_a_silent_one_times_out() {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let sso = sso_at(Some(format!("http://127.0.0.1:{port}")), Duration::from_secs(5));
    let e = sso.list_accounts(&region(), &token(), None).await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Unreachable, "{e}");

    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in silent.incoming().flatten() {
            keep.lock().unwrap().push(s);
        }
    });
    let sso = sso_at(Some(format!("http://127.0.0.1:{port}")), Duration::from_millis(900));
    let started = std::time::Instant::now();
    let e = sso.list_accounts(&region(), &token(), None).await.unwrap_err();
    assert_eq!(e.kind, SsoErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn endpoints_come_from_the_service_variable_then_the_global_one() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    };
    let both: &[(&str, &str)] = &[
        ("AWS_ENDPOINT_URL_SSO_OIDC", "http://oidc"),
        ("AWS_ENDPOINT_URL_SSO", "http://portal"),
        ("AWS_ENDPOINT_URL", "http://all"),
    ];
    assert_eq!(endpoint_override(Service::SignIn, env(both)).as_deref(), Some("http://oidc"));
    assert_eq!(endpoint_override(Service::Portal, env(both)).as_deref(), Some("http://portal"));
    let global: &[(&str, &str)] = &[("AWS_ENDPOINT_URL_SSO", " "), ("AWS_ENDPOINT_URL", " http://all ")];
    assert_eq!(endpoint_override(Service::SignIn, env(global)).as_deref(), Some("http://all"));
    assert_eq!(endpoint_override(Service::Portal, env(global)).as_deref(), Some("http://all"));
    let sts_only: &[(&str, &str)] = &[("AWS_ENDPOINT_URL_STS", "http://sts")];
    assert_eq!(endpoint_override(Service::Portal, env(sts_only)), None);
    let ignored: &[(&str, &str)] =
        &[("AWS_ENDPOINT_URL_SSO", "http://portal"), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")];
    assert_eq!(endpoint_override(Service::Portal, env(ignored)), None);
}
