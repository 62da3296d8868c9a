//! IAM Identity Center in the settings window, driven over WebDriver (tauri-driver launching
//! `rolecall-tray --settings` under Xvfb) against the loopback fake of the sign-in service and the
//! portal ([`rolecall_e2e::sso`]): an IAM Identity Center source added through its form (by start
//! URL and region, and from an `[sso-session]` of `~/.aws/config`) and signed in from its row (the
//! tray's browser sign-in, a stub browser as `xdg-open`), and favourites picked from a
//! signed-in source's portal of 300 roles (search, select all shown, one more by hand, a pattern
//! of our own) into `config.toml` with the names the preview showed; a second open shows the kept
//! listing without asking the portal; no secret of the fake on the page.

use std::time::Duration;

use rolecall_core::config::Config;
use rolecall_e2e::sso::{FakeSso, SsoAccount, StubBrowser};
use rolecall_e2e::{TauriDriver, WebDriver, World, screenshots_dir, tray_bin, tray_envs};

use crate::sso::{START_URL, login, ok};

/// How long the page may take to react.
const UI: Duration = Duration::from_secs(10);
/// How long a sign-in in the (stub) browser may take.
const SIGN_IN: Duration = Duration::from_secs(40);
/// How long a listing of the whole portal may take.
const LISTING: Duration = Duration::from_secs(60);

/// The roles every account of the test portal offers.
const ROLES: [&str; 5] = ["AdministratorAccess", "Auditor", "Billing", "Developer", "ReadOnly"];

fn tid(id: &str) -> String {
    WebDriver::testid(id)
}

/// 60 accounts named like people name them (`Team 07 Dev`), 5 roles each: 300 roles.
fn portal() -> Vec<SsoAccount> {
    (1..=60)
        .map(|i| SsoAccount {
            account_id: account_id(i),
            account_name: format!("Team {i:02} {}", ["Stage", "Dev", "Prod"][i % 3]),
            email_address: format!("team-{i}@example.com"),
            roles: ROLES.iter().map(|r| r.to_string()).collect(),
        })
        .collect()
}

fn account_id(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

/// The settings window of a tray app that reaches the fake's endpoints.
struct Window {
    wd: WebDriver,
    driver: TauriDriver,
}

impl Drop for Window {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.driver.log();
            let start = log.len().saturating_sub(4000);
            let start = (start..log.len()).find(|&i| log.is_char_boundary(i)).unwrap_or(log.len());
            eprintln!("--- tauri-driver and the app said (last 4000 bytes) ---\n{}", &log[start..]);
        }
    }
}

impl Window {
    fn open(w: &World, sso: &FakeSso) -> Window {
        Window::open_with(w, sso, &[])
    }

    /// As `open`, with `extra` variables for the app (the stub browser's `PATH`).
    fn open_with(w: &World, sso: &FakeSso, extra: &[(String, String)]) -> Window {
        let mut envs = tray_envs(&w.sandbox, w.moto(), &w.keychain, w.desktop());
        envs.extend(sso.envs());
        envs.extend(extra.iter().cloned());
        let driver = TauriDriver::start_with_envs(&w.sandbox, &envs);
        let wd = driver.session(&tray_bin(), &["--settings"]);
        wd.wait_for("#tab-sources", UI);
        wd.click_css("#tab-sources");
        wd.wait_for("#panel-sources", UI);
        Window { wd, driver }
    }

    /// The text of every error shown on the page.
    fn errors(&self) -> String {
        let v = self.wd.execute(
            "return [...document.querySelectorAll('.error, .form-error, .panel-error, .field-message')]\
             .filter(e => !e.hidden && e.textContent).map(e => e.id + ': ' + e.textContent).join('\\n');",
            &[],
        );
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The text content of `css` once `ok` holds for it; on timeout, what the page shows.
    fn text_when(&self, css: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let found = rolecall_e2e::poll(timeout, || {
            let e = self.wd.find(css).ok()?;
            last = self.wd.text_content(&e);
            ok(&last).then(|| last.clone())
        });
        found.unwrap_or_else(|| panic!("{css} shows {last:?} after {timeout:?}; errors:\n{}", self.errors()))
    }

    fn click_when_enabled(&self, css: &str) {
        self.wd.wait_until(&format!("{css} enabled"), UI, |wd| {
            wd.find(css).and_then(|b| wd.try_is_enabled(&b)).ok().filter(|on| *on)
        });
        self.wd.click_css(css);
    }

    /// How many rows the picker holds, and how many it shows.
    fn rows(&self) -> (u64, u64) {
        let v = self.wd.execute(
            "const rows = [...document.querySelectorAll('#picker-list .check-item')];\
             return [rows.length, rows.filter(r => !r.hidden).length];",
            &[],
        );
        (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
    }

    fn shot(&self, name: &str) -> std::path::PathBuf {
        std::thread::sleep(Duration::from_millis(200));
        let path = screenshots_dir().join(format!("{name}.png"));
        self.wd.screenshot(&path);
        path
    }
}

#[test]
fn an_identity_center_source_is_added_in_the_settings_form_by_url_or_from_an_sso_session_and_signs_in() {
    let w = World::builder().desktop().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    std::fs::create_dir_all(w.sandbox.home().join(".aws")).unwrap();
    std::fs::write(
        w.sandbox.home().join(".aws/config"),
        format!("[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-central-1\n"),
    )
    .unwrap();
    // The stub browser plays the user who signs in.
    let browser = StubBrowser::install(&w.sandbox.home().join("bin"));
    let s = Window::open_with(&w, &sso, &[("PATH".to_owned(), browser.path_env())]);

    // By start URL and region, a session of 12 hours, shared with the AWS CLI.
    s.wd.click_css("#src-add-sso");
    s.wd.wait_for("#sso-form", UI);
    s.wd.fill("#sso-form [name=name]", "work");
    s.wd.fill("#sso-form [name=startUrl]", "http://example.com/start");
    let message = s.text_when("#sso-form .field-message:not([hidden])", UI, |t| !t.is_empty());
    assert!(message.starts_with("start URL: must start with https://"), "{message}");
    s.wd.fill("#sso-form [name=startUrl]", START_URL);
    s.wd.fill("#sso-form [name=region]", "eu-west-1");
    s.wd.fill("#sso-form [name=sessionHours]", "12");
    s.wd.click_css("#sso-form [name=shareWithAwsCli]");
    s.shot("settings-sso-source-form");
    s.click_when_enabled("#sso-save");
    s.wd.wait_for(&tid("src-row-work"), UI);
    assert_eq!(s.text_when(&tid("src-signin-work"), UI, |t| !t.is_empty()), "Signed out");
    assert_eq!(s.wd.attribute_of(&tid("src-signin-work"), "data-state").as_deref(), Some("signed-out"));
    let credentials = s.text_when(&tid("src-credentials-work"), UI, |t| !t.is_empty());
    assert!(credentials.starts_with("IAM Identity Center · eu-west-1"), "{credentials}");
    assert_eq!(s.text_when(&tid("src-sso-url-work"), UI, |t| !t.is_empty()), START_URL);
    assert!(s.wd.find(&tid("src-sign-in-work")).is_ok(), "a signed-out source offers its sign-in");
    assert!(s.wd.find(&tid("src-pick-work")).is_err(), "and no picker before it is signed in");
    assert!(sso.requests().is_empty(), "adding a source asks the portal nothing: {:?}", sso.requests());

    // Sign in: the tray's browser sign-in; the row follows once it is done.
    s.wd.click_css(&tid("src-sign-in-work"));
    s.wd.wait_until("work signed in", SIGN_IN, |wd| {
        (wd.attribute_of(&tid("src-signin-work"), "data-state").as_deref() == Some("signed-in")).then_some(())
    });
    let until = s.wd.attribute_of(&tid("src-signin-work"), "title").unwrap_or_default();
    assert!(until.starts_with("Signed in until "), "{until}");
    assert_eq!(browser.opened().len(), 1, "one sign-in page: {:?}", browser.opened());
    s.wd.wait_for(&tid("src-pick-work"), UI);

    // From the [sso-session] of ~/.aws/config: its start URL and region come from there.
    s.wd.click_css("#src-add-sso");
    s.wd.wait_for("#sso-form", UI);
    s.wd.fill("#sso-form [name=name]", "corp");
    s.wd.click_css("#sso-origin-session");
    s.wd.click_css("#sso-form [name=ssoSession] option[value=\"corp\"]");
    s.click_when_enabled("#sso-save");
    s.wd.wait_for(&tid("src-row-corp"), UI);

    let config = Config::from_toml(&w.config_toml()).expect("config.toml parses");
    let kinds: Vec<String> = config.sources.iter().map(|(n, src)| format!("{n}: {:?}", src.kind)).collect();
    let work = &config.sources[&rolecall_core::validate::Name::parse("work").unwrap()].kind;
    let rolecall_core::config::SourceKind::Sso {
        sso_start_url,
        sso_region,
        sso_session,
        share_with_aws_cli,
        sso_session_minutes,
    } = work
    else {
        panic!("work is an sso source: {kinds:?}")
    };
    assert_eq!(
        (sso_start_url.to_string(), sso_region.as_str(), sso_session, share_with_aws_cli, sso_session_minutes),
        (START_URL.to_string(), "eu-west-1", &None, &true, &Some(720)),
        "{kinds:?}"
    );
    let corp = &config.sources[&rolecall_core::validate::Name::parse("corp").unwrap()].kind;
    let rolecall_core::config::SourceKind::Sso {
        sso_region, sso_session, share_with_aws_cli, sso_session_minutes, ..
    } = corp
    else {
        panic!("corp is an sso source: {kinds:?}")
    };
    assert_eq!(
        (sso_region.as_str(), sso_session.as_deref(), share_with_aws_cli, sso_session_minutes),
        ("eu-central-1", Some("corp"), &false, &None),
        "{kinds:?}"
    );
}

#[test]
fn favourites_are_picked_from_the_portal_in_the_settings_window_and_the_listing_is_kept() {
    let w = World::builder().desktop().build_with(|_, _| {});
    let sso = FakeSso::start(w.moto());
    sso.set_accounts(portal());
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");
    // A role that already is a favourite: shown as such, not offered again.
    let first = account_id(1);
    ok(&w, &sso, &["role", "add", "mine", "--source", "corp", "--account", &first, "--role-name", "ReadOnly"]);
    sso.clear_requests();

    let s = Window::open(&w, &sso);
    s.text_when(&tid("src-signin-corp"), UI, |t| !t.is_empty());
    let signed_in = s.wd.attribute_of(&tid("src-signin-corp"), "title").unwrap_or_default();
    assert!(signed_in.starts_with("Signed in until "), "{signed_in}");
    assert_eq!(s.wd.attribute_of(&tid("src-signin-corp"), "data-state").as_deref(), Some("signed-in"));
    // A portal that takes its time, so the progress can be seen.
    sso.set_latency(Duration::from_millis(60));
    s.wd.click_css(&tid("src-pick-corp"));

    // No listing kept yet: the portal is listed, with progress, then every role shows.
    s.wd.wait_for("#picker", UI);
    let progress = s.text_when("#picker-progress-text", LISTING, |t| t.starts_with("Listing roles… "));
    let done: usize = progress["Listing roles… ".len()..].split(' ').next().unwrap().parse().expect(&progress);
    assert!(done < 60 && progress.ends_with(" of 60 accounts"), "{progress}");
    let bar = s.wd.find("#picker-progress").expect("the progress bar");
    assert_eq!(s.wd.attribute(&bar, "max").as_deref(), Some("60"), "{progress}");
    s.wd.wait_until("300 rows", LISTING, |_| (s.rows() == (300, 300)).then_some(()));
    let listed = s.text_when("#picker-listed", UI, |t| !t.is_empty());
    assert_eq!(listed, "Listed just now");
    sso.set_latency(Duration::ZERO);
    assert!(s.wd.find("#picker-progress[hidden]").is_ok(), "the progress bar goes once listed");
    assert!(!sso.requests_to("/assignment/accounts").is_empty(), "listed from the portal");
    let mine = s.wd.find(&tid(&format!("picker-check-{first}-ReadOnly"))).expect("the favourite's row");
    assert!(!s.wd.is_enabled(&mine), "a role that already is a favourite cannot be picked");
    let row = s.text_when(&tid(&format!("picker-item-{first}-ReadOnly")), UI, |t| !t.is_empty());
    assert!(row.contains("Favourite mine"), "{row}");

    // Search: every word in the account name, id or role.
    s.wd.fill("#picker-search", "team 07");
    s.wd.wait_until("5 rows shown", UI, |_| (s.rows() == (300, 5)).then_some(()));
    s.wd.click_css("#picker-select-all");
    // Words in any order and case, the id among them ("01" alone would match many ids).
    s.wd.fill("#picker-search", &format!("BILLING {first}"));
    s.wd.wait_until("1 row shown", UI, |_| (s.rows() == (300, 1)).then_some(()));
    s.wd.click_css(&tid(&format!("picker-check-{first}-Billing")));
    s.wd.fill("#picker-search", &account_id(7));
    s.wd.wait_until("account 7's rows by id", UI, |_| (s.rows() == (300, 5)).then_some(()));
    let count = s.text_when("#picker-count", UI, |t| t.starts_with("6 selected"));
    assert_eq!(count, "6 selected · 5 of 300 shown");

    // A pattern of our own; the preview shows the names that will be added.
    s.wd.fill("#picker-pattern", "ROLENAME@ACCOUNTNAME");
    let preview = s.text_when("#picker-preview", UI, |t| t.starts_with("Billing-Team-01-Dev"));
    assert_eq!(
        preview,
        "Billing-Team-01-Dev, AdministratorAccess-Team-07-Dev, Auditor-Team-07-Dev, Billing-Team-07-Dev, \
         Developer-Team-07-Dev, ReadOnly-Team-07-Dev"
    );
    s.wd.clear(&s.wd.find("#picker-search").expect("the search box"));
    s.wd.wait_until("every row shown", UI, |_| (s.rows() == (300, 300)).then_some(()));
    let shot = s.shot("settings-portal-picker");
    eprintln!("picker screenshot: {}", shot.display());

    // No secret the fake handed out is on the page.
    let secrets = sso.issued_secrets();
    assert!(secrets.len() >= 3, "client secret, device code, tokens: {secrets:?}");
    let mut hygiene = rolecall_e2e::Hygiene::new();
    hygiene.secrets("an IAM Identity Center secret", &secrets);
    let page = s.wd.page_source();
    let text = s.text_when("body", UI, |t| t.contains("Add from corp"));
    assert!(hygiene.assert_clean(&[("the settings page", page.as_str()), ("its text", text.as_str())]) > 0);

    s.text_when("#picker-add", UI, |t| t == "Add 6 favourites");
    s.click_when_enabled("#picker-add");
    let status = s.text_when("#src-status", UI, |t| !t.is_empty());
    assert!(status.starts_with("Added 6 favourites: Billing-Team-01-Dev, AdministratorAccess-Team-07-Dev"), "{status}");
    s.shot("settings-sources-sso");

    // config.toml has them, each writing the profile of its name, for the portal's role.
    let config = Config::from_toml(&w.config_toml()).expect("config.toml parses");
    let mut added: Vec<(String, String, String)> = config
        .favourites
        .iter()
        .filter(|(n, _)| n.as_str() != "mine")
        .map(|(n, f)| (n.to_string(), f.profile.to_string(), f.arn.to_string()))
        .collect();
    added.sort();
    let seven = account_id(7);
    let mut expected: Vec<(String, String, String)> = ROLES
        .iter()
        .map(|r| (format!("{r}-Team-07-Dev"), format!("arn:aws:iam::{seven}:role/{r}")))
        .chain([("Billing-Team-01-Dev".to_string(), format!("arn:aws:iam::{first}:role/Billing"))])
        .map(|(n, arn)| (n.clone(), n, arn))
        .collect();
    expected.sort();
    assert_eq!(added, expected);
    assert!(config.favourites.values().all(|f| f.source.as_str() == "corp"));

    // A second open shows the kept listing at once, without a portal request, the new
    // favourites marked.
    sso.clear_requests();
    s.wd.click_css(&tid("src-pick-corp"));
    s.wd.wait_until("300 rows again", UI, |_| (s.rows() == (300, 300)).then_some(()));
    let listed = s.text_when("#picker-listed", UI, |t| !t.is_empty());
    assert!(listed.starts_with("Listed "), "{listed}");
    let billing = s.wd.find(&tid(&format!("picker-check-{first}-Billing"))).expect("row");
    assert!(!s.wd.is_enabled(&billing), "added: now a favourite");
    std::thread::sleep(Duration::from_millis(500));
    let portal: Vec<_> = sso.requests().into_iter().filter(|r| r.path.starts_with("/assignment")).collect();
    assert!(portal.is_empty(), "the kept listing is shown without asking the portal: {portal:?}");
}
