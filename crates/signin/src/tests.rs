//! The adapter against a loopback server that answers one canned response per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use rolecall_core::console::{ConsoleErrorKind, FederationEndpoint, SessionOrigin, SigninClient, TokenMethod};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::SessionDuration;
use secrecy::SecretString;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

fn request(method: TokenMethod) -> SigninTokenRequest {
    let creds = SessionCredentials {
        access_key_id: AccessKeyId::parse("ASIAIOSFODNN7EXAMPLE").unwrap(),
        secret_access_key: SecretString::from(SECRET.to_owned()),
        session_token: SecretString::from(TOKEN.to_owned()),
        expiration: chrono_epoch(),
    };
    SigninTokenRequest::new(&creds, SessionOrigin::RoleFromKeys, SessionDuration::DEFAULT, method)
}

fn chrono_epoch() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(0, 0).unwrap()
}

/// Serves one connection with `response`; sends back the request line and body it read.
fn serve_once(response: &'static str) -> (FederationEndpoint, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut length = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream.write_all(response.as_bytes()).unwrap();
        let _ = tx.send((line.trim().to_owned(), String::from_utf8(body).unwrap()));
    });
    (FederationEndpoint::parse(&format!("http://127.0.0.1:{port}/federation")).unwrap(), rx)
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"SigninToken\":\"signin-ok\"}";

#[test]
fn post_sends_the_session_in_a_form_body() {
    let (endpoint, rx) = serve_once(OK);
    let token = run(HttpSignin::new().signin_token(&endpoint, &request(TokenMethod::Post), "s")).unwrap();
    assert_eq!(token.expose(), "signin-ok");
    let (line, body) = rx.recv().unwrap();
    assert_eq!(line, "POST /federation HTTP/1.1");
    assert!(body.starts_with("Action=getSigninToken&SessionDuration=3600&Session=%7B%22sessionId%22"), "{body}");
}

#[test]
fn get_sends_the_session_in_the_query() {
    let (endpoint, rx) = serve_once(OK);
    run(HttpSignin::new().signin_token(&endpoint, &request(TokenMethod::Get), "s")).unwrap();
    let (line, body) = rx.recv().unwrap();
    assert!(line.starts_with("GET /federation?Action=getSigninToken&SessionDuration=3600&Session=%7B"), "{line}");
    assert!(body.is_empty());
}

#[test]
fn statuses_and_bad_answers_become_typed_errors_without_secrets() {
    let table: &[(&'static str, ConsoleErrorKind, &str)] = &[
        (
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ConsoleErrorKind::Rejected,
            "HTTP 400",
        ),
        (
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ConsoleErrorKind::Rejected,
            "HTTP 403",
        ),
        (
            "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ConsoleErrorKind::Unavailable,
            "HTTP 503",
        ),
        (
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ConsoleErrorKind::Unavailable,
            "HTTP 302",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!",
            ConsoleErrorKind::Malformed,
            "no SigninToken",
        ),
    ];
    for (response, kind, detail) in table {
        for method in [TokenMethod::Get, TokenMethod::Post] {
            let (endpoint, _rx) = serve_once(response);
            let e = run(HttpSignin::new().signin_token(&endpoint, &request(method), "favourite x: console sign-in"))
                .unwrap_err();
            assert_eq!(e.kind, *kind, "{response}");
            let text = e.to_string();
            assert!(text.starts_with("favourite x: console sign-in: ") && text.contains(detail), "{text}");
            assert!(!text.contains(SECRET) && !text.contains(TOKEN) && !text.contains("Session="), "{text}");
        }
    }
}

#[test]
fn an_unreachable_endpoint_says_so_without_the_url() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = FederationEndpoint::parse(&format!("http://127.0.0.1:{port}/federation")).unwrap();
    for method in [TokenMethod::Get, TokenMethod::Post] {
        let e = run(HttpSignin::new().signin_token(&endpoint, &request(method), "s")).unwrap_err();
        assert_eq!(e.code(), "signin.unreachable");
        let text = e.to_string();
        assert!(text.contains("cannot connect"), "{text}");
        assert!(!text.contains(SECRET) && !text.contains(TOKEN) && !text.contains("127.0.0.1"), "{text}");
    }
}

#[test]
fn only_a_non_loopback_endpoint_goes_through_a_proxy() {
    for (endpoint, proxied) in [
        ("https://signin.aws.amazon.com/federation", true),
        ("https://us-gov-east-1.signin.amazonaws-us-gov.com/federation", true),
        ("https://127.example.com/federation", true),
        ("https://[2001:db8::1]:443/federation", true),
        ("http://127.0.0.1:8080/federation", false),
        ("http://127.1.2.3/federation", false),
        ("http://localhost:9/federation", false),
        ("https://LocalHost/federation", false),
        ("http://[::1]:8080/federation", false),
        ("https://127.0.0.1/federation", false),
    ] {
        assert_eq!(uses_proxy(&FederationEndpoint::parse(endpoint).unwrap()), proxied, "{endpoint}");
    }
}
