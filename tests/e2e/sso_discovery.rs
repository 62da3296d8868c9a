//! IAM Identity Center role discovery through the CLI: a few hundred roles from the fake portal
//! ([`rolecall_e2e::sso`]) throttling above 20 requests a second, answering in 20–50 ms, in pages
//! small enough that both listings page; the listing kept on disk and shown from there with no
//! portal request, asked afresh with `--refresh`, and removed with its source.

use std::collections::HashMap;
use std::time::Duration;

use rolecall_e2e::sso::{FakeSso, SsoRequest};
use serde_json::{Value, json};

use crate::sso::{START_URL, login, ok, sso_world};

/// The portal's listing requests.
fn listings(sso: &FakeSso) -> Vec<SsoRequest> {
    sso.requests().into_iter().filter(|r| r.path.starts_with("/assignment/")).collect()
}

/// The most times one request (path, account, page) was refused in a row.
fn worst_refusals_in_a_row(requests: &[SsoRequest]) -> usize {
    let mut in_a_row: HashMap<(String, Option<String>, Option<String>), usize> = HashMap::new();
    let mut worst = 0;
    for r in requests {
        let key = (r.path.clone(), r.params.get("account_id").cloned(), r.params.get("next_token").cloned());
        let n = in_a_row.entry(key).or_default();
        *n = if r.status == 429 { *n + 1 } else { 0 };
        worst = worst.max(*n);
    }
    worst
}

#[test]
fn a_few_hundred_roles_are_listed_through_the_throttle_then_shown_from_disk_until_refreshed() {
    let (w, sso) = sso_world();
    let grid = sso.assign_grid(100, 3);
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");
    // Two items a page: 50 pages of accounts, two pages of roles for each account.
    sso.set_page_cap(Some(2));
    sso.set_latency_range(Duration::from_millis(20), Duration::from_millis(50));
    sso.set_throttle(Some(20));
    sso.clear_requests();

    let out = w.run_env(&crate::sso::envs(&w, &sso), &["sso", "roles", "corp", "--json"], None);
    assert!(out.status.success(), "{}", rolecall_e2e::output_text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("listing roles"), "no progress when stderr is no terminal: {stderr}");
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((&listed["source"], &listed["cached"]), (&json!("corp"), &json!(false)), "{listed}");
    let fetched_at = listed["fetched_at"].as_str().unwrap().to_owned();
    assert!(chrono::DateTime::parse_from_rfc3339(&fetched_at).is_ok(), "{fetched_at}");
    let accounts = listed["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), grid.len());
    for account in &grid {
        let shown = accounts.iter().find(|a| a["account_id"] == account.account_id.as_str()).unwrap();
        assert_eq!(shown["account_name"], account.account_name.as_str(), "with its name");
        assert_eq!(shown["email"], account.email_address.as_str());
        assert_eq!(shown["roles"], json!(["Role1", "Role2", "Role3"]), "every role of {}", account.account_id);
    }

    let requests = listings(&sso);
    let refused = requests.iter().filter(|r| r.status == 429).count();
    assert!(refused >= 1, "the throttle was reached");
    assert!(refused <= 25, "refusals stay few: {refused} of {}", requests.len());
    assert_eq!(worst_refusals_in_a_row(&requests), 1, "no request refused twice in a row");
    assert!(requests.iter().all(|r| r.status == 200 || r.status == 429), "only answers and refusals");
    assert_eq!(requests.len() - refused, 50 + 100 * 2, "each page asked until answered, once");
    assert!(
        requests
            .iter()
            .filter(|r| r.error_type.is_some())
            .all(|r| r.error_type.as_deref() == Some("TooManyRequestsException"))
    );

    // The next run shows the kept listing: no request to the portal or the sign-in service.
    sso.clear_requests();
    let again: Value = serde_json::from_str(&ok(&w, &sso, &["sso", "roles", "corp", "--json"])).unwrap();
    assert_eq!(again["cached"], json!(true));
    assert_eq!(again["fetched_at"], json!(fetched_at));
    assert_eq!(again["accounts"], listed["accounts"]);
    let table = ok(&w, &sso, &["sso", "roles", "corp"]);
    assert_eq!(table.lines().filter(|l| l.starts_with("account-")).count(), 300, "{table}");
    assert!(sso.requests().is_empty(), "from disk: {:?}", sso.requests());

    // The kept file: private, names and ids, no token.
    let file = w.sandbox.home().join(".local/share/rolecall/sso-roles/corp.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("account-42") && !text.to_lowercase().contains("token"), "{text}");
    for secret in sso.issued_secrets() {
        assert!(!text.contains(&secret), "no secret of the fake in the kept listing");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // --refresh asks the portal again.
    sso.set_throttle(None);
    let fresh: Value = serde_json::from_str(&ok(&w, &sso, &["sso", "roles", "corp", "--json", "--refresh"])).unwrap();
    assert_eq!(fresh["cached"], json!(false));
    assert_eq!(listings(&sso).len(), 50 + 100 * 2, "listed afresh");

    ok(&w, &sso, &["source", "remove", "corp"]);
    assert!(!file.exists(), "removed with the source");
}

#[test]
fn a_day_old_listing_is_asked_again_a_fresh_one_shows_while_signed_out_and_a_terminal_sees_progress() {
    let (w, sso) = sso_world();
    sso.assign_grid(30, 2);
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");

    // At a terminal (a pty from script(1)), the listing says how far it has come on stderr.
    let command = format!("'{}' sso roles corp", rolecall_e2e::rolecall_bin().display());
    let mut script = w.sandbox.command("script", &crate::sso::envs(&w, &sso));
    script.args(["-qec", &command, "/dev/null"]);
    let out = rolecall_e2e::run_with_timeout(&mut script, None, Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("listing roles: 30 of 30 accounts"), "progress at a terminal: {text:?}");
    assert!(text.contains("account-30"), "{text}");

    // Kept a day ago: asked again.
    let file = w.sandbox.home().join(".local/share/rolecall/sso-roles/corp.json");
    let mut kept: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let day_ago = chrono::Utc::now() - chrono::Duration::hours(25);
    kept["fetched_at"] = json!(day_ago.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    std::fs::write(&file, serde_json::to_string(&kept).unwrap()).unwrap();
    sso.clear_requests();
    let listed: Value = serde_json::from_str(&ok(&w, &sso, &["sso", "roles", "corp", "--json"])).unwrap();
    assert_eq!(listed["cached"], json!(false), "stale: listed afresh");
    assert!(!listings(&sso).is_empty());

    // The portal session ends: the fresh listing still shows, from disk; --refresh needs a sign-in.
    sso.end_sessions();
    sso.clear_requests();
    let shown: Value = serde_json::from_str(&ok(&w, &sso, &["sso", "roles", "corp", "--json"])).unwrap();
    assert_eq!((&shown["cached"], shown["accounts"].as_array().map(Vec::len)), (&json!(true), Some(30)));
    assert!(sso.requests().is_empty(), "{:?}", sso.requests());
    let out = w.run_env(&crate::sso::envs(&w, &sso), &["sso", "roles", "corp", "--refresh"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.starts_with("rolecall: sso.signed_out: source corp"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).map(|t| t.contains("account-30")).ok(), Some(true), "the listing stays");
}
