//! The settings and MFA windows end to end, driven over W3C WebDriver (a session started through
//! tauri-driver, which launches the app with `--settings`) while the tray menu is read over
//! dbusmenu: forms that store keys in the real keychain and favourites in config.toml, the core's
//! inline validation, the MFA window (a second window, opened after launch), and the import from
//! `~/.aws/config`, checked against the files, the keychain and the AWS CLI. Screenshots of every
//! tab and of the MFA window go to `$CARGO_TARGET_DIR/e2e-screenshots/`.

use std::time::{Duration, Instant};

use rolecall_e2e::{
    ENTER, Element, KEYCHAIN_SERVICE, REGISTER_TIMEOUT, TAB, TauriDriver, TrayItem, WebDriver, World, assumed_role_arn,
    screenshots_dir, tray_bin,
};

use crate::tray::{left, text};

/// How long an action that goes to STS (verify a source, assume) may take to show.
const STS: Duration = Duration::from_secs(30);
/// How long the page may take to react to a click or keys.
const UI: Duration = Duration::from_secs(10);
/// The MFA window's title.
const MFA_TITLE: &str = "rolecall: MFA code";

fn tid(id: &str) -> String {
    WebDriver::testid(id)
}

/// The app launched by WebDriver with `--settings`, and its tray item. The session is dropped
/// (ending the app) before tauri-driver.
struct Settings {
    wd: WebDriver,
    tray: TrayItem,
    driver: TauriDriver,
}

impl Drop for Settings {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.driver.log();
            let start = log.len().saturating_sub(6000);
            let start = (start..log.len()).find(|&i| log.is_char_boundary(i)).unwrap_or(log.len());
            eprintln!("--- tauri-driver, WebKitWebDriver and the app said (last 6000 bytes) ---\n{}", &log[start..]);
        }
    }
}

impl Settings {
    fn open(w: &World) -> Settings {
        let driver = TauriDriver::start(&w.sandbox, w.moto(), &w.keychain, w.desktop());
        let started = Instant::now();
        let wd = driver.session(&tray_bin(), &["--settings"]);
        let session = started.elapsed();
        wd.wait_for("#tab-favourites", UI);
        let tray = w.desktop().wait_for_tray_item(REGISTER_TIMEOUT);
        eprintln!(
            "WebDriver session in {session:?}; settings page and tray item ready {:?} after the launch",
            started.elapsed()
        );
        assert!(wd.url().ends_with("/settings.html"), "{}", wd.url());
        Settings { wd, tray, driver }
    }

    /// Waits until an element matches `css`; on timeout the panic shows what the page shows.
    fn wait(&self, css: &str, timeout: Duration) -> Element {
        rolecall_e2e::poll(timeout, || self.wd.find(css).ok()).unwrap_or_else(|| {
            panic!(
                "no element {css:?} after {timeout:?}; the page shows:\n{}\nerrors:\n{}",
                self.body_text(),
                self.visible_errors()
            )
        })
    }

    /// The page's visible text.
    fn body_text(&self) -> String {
        self.wd.execute("return document.body.innerText;", &[]).as_str().unwrap_or_default().to_owned()
    }

    /// Clicks a tab and waits until it is the selected one.
    fn tab(&self, name: &str) {
        let css = format!("#tab-{name}");
        self.wd.click_css(&css);
        self.wd.wait_until(&format!("tab {name} selected"), UI, |wd| {
            let tab = wd.find(&css).ok()?;
            (wd.attribute(&tab, "aria-selected").as_deref() == Some("true")).then_some(())
        });
        self.wait(&format!("#panel-{name}"), UI);
    }

    /// Waits until the button `css` is enabled, then clicks it.
    fn click_when_enabled(&self, css: &str) {
        self.wd.wait_until(&format!("{css} enabled"), UI, |wd| {
            wd.find(css).and_then(|b| wd.try_is_enabled(&b)).ok().filter(|on| *on)
        });
        self.wd.click_css(css);
    }

    /// Picks `value` in the `<select>` `css` (a click on its option, as WebDriver selects).
    fn select(&self, css: &str, value: &str) {
        self.wd.click_css(&format!("{css} option[value=\"{value}\"]"));
        let select = self.wd.find(css).expect("select");
        assert_eq!(self.wd.property(&select, "value"), value, "{css}");
    }

    /// An attribute of the element `css` once it exists.
    fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wd.attribute_of(css, name)
    }

    /// Waits until the element `css` has attribute `name` = `value`.
    fn wait_attr(&self, css: &str, name: &str, value: &str, timeout: Duration) {
        let mut last = None;
        let found = rolecall_e2e::poll(timeout, || {
            let e = self.wd.find(css).ok()?;
            last = self.wd.try_attribute(&e, name).ok()?;
            (last.as_deref() == Some(value)).then_some(())
        });
        assert!(
            found.is_some(),
            "{css} [{name}] is {last:?}, not {value:?} after {timeout:?}; page:\n{}",
            self.visible_errors()
        );
    }

    /// The text of every error shown on the page (for messages).
    fn visible_errors(&self) -> String {
        let v = self.wd.execute(
            "return [...document.querySelectorAll('.error, .form-error, .panel-error, .field-message')]\
             .filter(e => !e.hidden).map(e => e.id + ': ' + e.textContent).join('\\n');",
            &[],
        );
        v.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a screenshot of the current page as `NAME.png` in the screenshots directory.
    fn shot(&self, name: &str) {
        // Let the page settle (fonts, transitions).
        std::thread::sleep(Duration::from_millis(200));
        self.wd.screenshot(&screenshots_dir().join(format!("{name}.png")));
    }
}

#[test]
fn settings_window_adds_a_keys_source_and_a_favourite_that_the_tray_lists() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    let s = Settings::open(&w);
    s.shot("settings-favourites-empty");
    s.wait(&tid("fav-empty"), UI);

    // A source with real keys, verified against moto.
    s.tab("sources");
    s.wait(&tid("src-empty"), UI);
    s.wd.click_css("#src-add");
    s.wd.fill("#src-form [name=name]", "work");
    s.wd.fill("#src-form [name=accessKeyId]", &w.alice().access_key_id);
    s.wd.fill("#src-form [name=secretAccessKey]", &w.alice().secret_access_key);
    let verify = s.wd.find("#src-form [name=verify]").expect("verify");
    assert_eq!(s.wd.property(&verify, "checked"), true, "verify is on by default");
    s.shot("settings-source-form");
    s.click_when_enabled("#src-save");
    s.wait(&tid("src-row-work"), STS);
    assert_eq!(
        s.attr(&tid("src-identity-work"), "data-arn").as_deref(),
        Some(w.alice().user_arn.as_str()),
        "verified with GetCallerIdentity"
    );
    let key_tail = &w.alice().access_key_id[w.alice().access_key_id.len() - 4..];
    // textContent: WebKitWebDriver's "Get Element Text" gives "" for this cell, shown as it is.
    let expected = format!("Keys ****{key_tail}");
    s.wd.wait_for_text_content(&tid("src-credentials-work"), UI, |t| t == expected);
    assert!(s.wd.find("#src-form").is_err(), "the form closed");
    s.shot("settings-sources");

    // The keys went to the keychain, and nowhere else.
    let stored =
        w.keychain.lookup(&[("service", KEYCHAIN_SERVICE), ("username", "source:work")]).expect("keychain entry");
    assert!(stored.contains(&w.alice().secret_access_key));
    let config = w.config_toml();
    assert!(config.contains("[sources.work]"), "{config}");
    assert!(!config.contains(&w.alice().secret_access_key) && !config.contains(&w.alice().access_key_id), "{config}");

    // A favourite from that source.
    s.tab("favourites");
    s.wd.click_css("#fav-add");
    s.wd.fill("#fav-form [name=name]", "admin");
    s.wd.fill("#fav-form [name=arn]", "arn:aws:iam::123456789012:role/Admin");
    s.select("#fav-form [name=source]", "work");
    s.wd.fill("#fav-form [name=duration]", "45m");
    s.select("#fav-form [name=autoRenew]", "on");
    s.wd.fill("#fav-form [name=notifyBefore]", "14m55s");
    s.shot("settings-favourite-form");
    s.click_when_enabled("#fav-save");
    s.wait(&tid("fav-row-admin"), UI);
    assert_eq!(s.attr(&tid("fav-arn-admin"), "data-arn").as_deref(), Some("arn:aws:iam::123456789012:role/Admin"));
    assert_eq!(s.attr(&tid("fav-session-admin"), "data-state").as_deref(), Some("never"));
    let config = w.config_toml();
    assert!(
        config.contains("[roles.admin]\narn = \"arn:aws:iam::123456789012:role/Admin\"\nsource = \"work\""),
        "{config}"
    );
    assert!(config.contains("\nduration = 2700\n"), "{config}");
    assert!(config.contains("\nauto_renew = true\nnotify_before = \"14m55s\"\n"), "{config}");
    assert!(!config.contains("\nrenew_before ="), "left empty: the preference: {config}");

    // The tray lists it at once.
    s.tray.wait_for_label("admin in the tray menu", UI, |i| i.label == "admin");

    // Assume from the table: the tray, the table and the AWS CLI agree.
    s.wd.click_css(&tid("fav-assume-admin"));
    s.wait_attr(&tid("fav-session-admin"), "data-state", "active", STS);
    let session = s.wd.wait_for_text_content(&tid("fav-session-admin"), UI, |t| t.ends_with("m left"));
    assert!(session == "44m left" || session == "45m left", "{session}");
    s.tray.wait_for_label("admin · 44m left in the tray", UI, |i| left(&i.label, "admin", 43..=45));
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    s.shot("settings-favourites");

    // No secret reached the page: not the source's, not the session's.
    let page = s.wd.page_source();
    assert!(page.contains("fav-row-admin"), "the page source is the settings page");
    assert!(!page.contains(&w.alice().secret_access_key), "the source's secret is in the page");
    let creds = w.sandbox.read_credentials();
    for key in ["aws_secret_access_key", "aws_session_token"] {
        let value = creds.lines().find_map(|l| l.strip_prefix(&format!("{key} = "))).expect(key);
        assert!(!page.contains(value), "the session's {key} is in the page");
    }
    assert!(!w.config_toml().contains(&w.alice().secret_access_key));

    // A lead longer than half the session applies clamped, and the form says so.
    s.wd.click_css(&tid("fav-edit-admin"));
    s.wd.fill("#fav-form [name=notifyBefore]", "30m");
    s.click_when_enabled("#fav-save");
    s.wait(&tid("fav-row-admin"), UI);
    assert!(w.config_toml().contains("\nnotify_before = \"30m\"\n"), "{}", w.config_toml());
    s.wd.click_css(&tid("fav-edit-admin"));
    let note = s.wd.wait_for_text_content(&tid("fav-lead-notes"), UI, |t| t.contains("applies as"));
    assert!(note.contains("notify before 30m applies as 22m30s (half of its 45m session)"), "{note}");
    s.wd.execute("document.querySelector('[data-testid=fav-lead-notes]').scrollIntoView({block: 'center'})", &[]);
    s.shot("settings-favourite-lead-clamped");
    s.wd.click_css("#fav-cancel");

    // The other tabs, for the pictures.
    s.tab("import");
    s.wait(&tid("import-empty"), UI);
    s.shot("settings-import-empty");
    s.tab("preferences");
    s.wait("#pref-notify-before", UI);
    s.shot("settings-preferences");
    s.tab("about");
    let version = s.wd.wait_for_text("#about-version", UI, |t| t.starts_with("Version "));
    assert_eq!(version, format!("Version {}", env!("CARGO_PKG_VERSION")));
    s.shot("settings-about");
}

#[test]
fn favourite_form_shows_the_cores_message_for_a_bad_arn_and_disables_save() {
    let w = World::builder().desktop().build_with(|_, _| {});
    w.add_source_work(&[]);
    let s = Settings::open(&w);
    s.wd.click_css("#fav-add");
    s.wd.fill("#fav-form [name=name]", "admin");
    s.select("#fav-form [name=source]", "work");
    let save = s.wait("#fav-save", UI);
    assert!(!s.wd.is_enabled(&save), "Save is disabled while the required ARN is empty");
    let good = "arn:aws:iam::123456789012:role/Admin";
    s.wd.fill("#fav-form [name=arn]", &format!("{good}{TAB}"));
    s.wd.wait_until("Save enabled with name, ARN and source", UI, |wd| wd.is_enabled(&save).then_some(()));

    // An account id of five digits: typed, then Tab (blur checks at once).
    let bad = "arn:aws:iam::12345:role/Admin";
    s.wd.fill("#fav-form [name=arn]", &format!("{bad}{TAB}"));
    let arn = s.wd.find("#fav-form [name=arn]").expect("arn field");
    let message_id = s.wd.attribute(&arn, "aria-describedby").expect("the field names its message");
    let message = s.wd.wait_for_text(&format!("#{message_id}"), UI, |t| !t.is_empty());
    eprintln!("inline message: {message:?}");
    assert!(s.wd.is_displayed(&s.wd.find(&format!("#{message_id}")).expect("message")));
    assert_eq!(s.wd.attribute(&arn, "aria-invalid").as_deref(), Some("true"));
    s.wd.wait_until("Save disabled", UI, |wd| (!wd.is_enabled(&save)).then_some(()));
    s.shot("settings-favourite-invalid-arn");

    // It is the core's own message: the CLI says the same about the same value.
    let out =
        w.sandbox.run_rolecall(w.moto(), &w.keychain, &["role", "add", "x", "--arn", bad, "--source", "work"], None);
    assert!(!out.status.success(), "{}", text(&out));
    let cli = String::from_utf8_lossy(&out.stderr);
    assert!(cli.contains(&message), "the CLI's error {cli:?} does not contain the window's message {message:?}");

    // Fixed, the message goes and Save comes back; nothing was saved meanwhile.
    s.wd.fill("#fav-form [name=arn]", &format!("{good}{TAB}"));
    s.wd.wait_until("the message to go", UI, |wd| {
        let m = wd.find(&format!("#{message_id}")).ok()?;
        (!wd.is_displayed(&m)).then_some(())
    });
    s.wd.wait_until("Save enabled again", UI, |wd| wd.is_enabled(&save).then_some(()));
    assert!(!w.config_toml().contains("[roles."), "{}", w.config_toml());
}

#[test]
fn mfa_window_takes_the_code_and_the_profile_works() {
    let serial = std::sync::OnceLock::new();
    let w = World::builder().desktop().without_auth_mode().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        serial.set(m.create_mfa_device("alice")).expect("once");
    });
    let serial = serial.get().expect("serial").clone();
    w.add_source_work(&["--mfa-serial", &serial]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &["--mfa"]);
    let s = Settings::open(&w);
    s.wait(&tid("fav-row-admin"), UI);
    let settings = s.wd.window_handle().expect("settings handle");
    assert_eq!(s.wd.window_handles(), [settings.as_str()]);

    let clicked = Instant::now();
    s.wd.click_css(&tid("fav-assume-admin"));
    w.desktop().wait_for_window(MFA_TITLE, Duration::from_secs(20));
    eprintln!("the MFA window showed {:?} after the click", clicked.elapsed());
    // Meanwhile the table says so, also after the refetch the assume's start caused.
    s.wd.wait_for_text_content(&tid("fav-assume-admin"), UI, |t| t == "Assuming…");
    assert_eq!(s.wd.attribute_of(&tid("fav-assume-admin"), "disabled").as_deref(), Some("true"));
    let mfa = s.wd.wait_until("the MFA window's handle", Duration::from_secs(20), |wd| {
        wd.window_handles().into_iter().find(|h| *h != settings)
    });
    s.wd.switch_to_window(&mfa);
    let code = s.wait("#mfa-code", UI);
    s.wd.wait_until("the MFA form", UI, |wd| wd.is_enabled(&code).then_some(()));
    assert_eq!(s.wd.wait_for_text("#mfa-favourite", UI, |t| !t.is_empty()), "admin");
    // textContent: WebKitWebDriver's "Get Element Text" gives "" for this line, shown as it is.
    assert_eq!(s.wd.text_content(&s.wd.find("#mfa-device").expect("device")), serial);
    assert!(s.wd.url().ends_with("/mfa.html"), "{}", s.wd.url());
    s.shot("mfa-window");
    // The whole screen too, once the settings window behind has repainted its table.
    std::thread::sleep(Duration::from_millis(700));
    w.desktop().screenshot(&screenshots_dir().join("mfa-window-screen.png"));
    assert!(!w.sandbox.credentials_path().exists(), "nothing written before the code");

    s.wd.send_keys(&code, &format!("123456{ENTER}"));
    w.desktop().wait_for_no_window(MFA_TITLE, STS);
    eprintln!("the MFA window went {:?} after the click", clicked.elapsed());
    s.wd.switch_to_window(&settings);
    s.wait_attr(&tid("fav-session-admin"), "data-state", "active", STS);
    assert_eq!(s.wd.window_handles(), [settings], "the MFA window is gone");

    let creds = w.sandbox.read_credentials();
    assert!(creds.contains("[admin]\n") && creds.contains("x_rolecall_favourite = admin\n"), "{creds}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    s.tray.wait_for_label("admin · 59m left in the tray", UI, |i| left(&i.label, "admin", 58..=60));
    assert!(s.tray.menu().children.iter().all(|i| !i.label.starts_with('⚠')));
}

#[test]
fn import_tab_imports_a_role_profile_of_the_aws_config() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("deployer", &a.user_arn, None);
    });
    let aws_config =
        "# mine\n[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = src\n";
    w.sandbox.write(
        ".aws/credentials",
        &format!(
            "[src]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            w.alice().access_key_id,
            w.alice().secret_access_key
        ),
    );
    w.sandbox.write(".aws/config", aws_config);
    let s = Settings::open(&w);

    s.tab("import");
    s.wait(&tid("import-item-deploy"), UI);
    let check = s.wd.find(&tid("import-check-deploy")).expect("checkbox");
    assert!(s.wd.is_enabled(&check), "deploy can be imported: {}", s.visible_errors());
    assert!(s.wd.find(&tid("import-item-src")).is_err(), "a keys profile is no candidate");
    s.wd.click(&check);
    assert_eq!(s.wd.property(&check, "checked"), true);
    s.shot("settings-import");
    s.click_when_enabled("#import-run");
    s.wd.wait_for_text("#import-status", STS, |t| !t.is_empty());

    s.tab("favourites");
    s.wait(&tid("fav-row-deploy"), UI);
    assert_eq!(s.attr(&tid("fav-arn-deploy"), "data-arn").as_deref(), Some("arn:aws:iam::123456789012:role/deployer"));
    let list = w.ok(&["role", "list"]);
    assert!(list.contains("deploy") && list.contains("deploy-rolecall"), "{list}");

    // In the tray too, and it works: the session goes to deploy-rolecall.
    s.tray.wait_for_label("deploy in the tray", UI, |i| i.label == "deploy");
    s.tray.click("deploy");
    s.tray.wait_for_label("deploy assumed", STS, |i| left(&i.label, "deploy", 58..=60));
    let arn = w.aws_identity("deploy-rolecall").unwrap();
    assert!(arn.starts_with(&assumed_role_arn("deployer", "")), "{arn}");
    assert_eq!(w.sandbox.read_config(), aws_config, "the AWS config file is left as it was");
}

#[test]
fn start_at_login_is_off_by_default_and_the_preference_adds_and_removes_the_autostart_entry() {
    let w = World::builder().desktop().build_with(|_, _| {});
    let s = Settings::open(&w);
    let autostart = w.sandbox.home().join(".config/autostart");
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&autostart).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default()
    };
    assert!(entries().is_empty(), "off by default: {:?}", entries());
    s.wd.click_css("#tab-preferences");
    let toggle = s.wait("#pref-start-at-login", UI);
    assert_eq!(s.wd.property(&toggle, "checked"), serde_json::json!(false));
    s.wd.click_css("#pref-start-at-login");
    rolecall_e2e::wait_until("an autostart entry", UI, || !entries().is_empty());
    let entry = std::fs::read_to_string(&entries()[0]).unwrap();
    assert!(entry.contains("rolecall-tray"), "the entry starts the tray app: {entry}");
    assert!(w.config_toml().contains("start_at_login = true"), "{}", w.config_toml());
    s.shot("settings-preferences-start-at-login");
    s.wd.click_css("#pref-start-at-login");
    rolecall_e2e::wait_until("the autostart entry to go", UI, || entries().is_empty());
    assert!(w.config_toml().contains("start_at_login = false"), "{}", w.config_toml());
}

#[test]
fn a_favourite_saved_as_process_in_the_settings_window_names_the_cli_not_the_tray_app() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    let s = Settings::open(&w);
    s.wd.click_css("#fav-add");
    s.wd.fill("#fav-form [name=name]", "admin");
    s.wd.fill("#fav-form [name=arn]", "arn:aws:iam::123456789012:role/Admin");
    s.select("#fav-form [name=source]", "work");
    s.select("#fav-form [name=delivery]", "process");
    s.click_when_enabled("#fav-save");
    s.wait(&tid("fav-row-admin"), UI);
    assert!(w.config_toml().contains("\ndelivery = \"process\"\n"), "{}", w.config_toml());

    // The line runs the CLI installed beside the tray app, never the tray app itself.
    let cli = rolecall_e2e::rolecall_bin();
    assert_eq!(cli.parent(), tray_bin().parent(), "the CLI is beside the tray app");
    let config = w.sandbox.read_config();
    assert!(config.contains(&format!("credential_process = {} credentials admin\n", cli.display())), "{config}");
    assert!(!config.contains("rolecall-tray"), "{config}");
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert!(!w.sandbox.credentials_path().exists(), "no session written");

    // Back to file in the form: the line goes.
    s.wd.click_css(&tid("fav-edit-admin"));
    s.select("#fav-form [name=delivery]", "file");
    s.click_when_enabled("#fav-save");
    s.wait(&tid("fav-row-admin"), UI);
    rolecall_e2e::poll(UI, || (!w.sandbox.read_config().contains("credential_process")).then_some(()))
        .unwrap_or_else(|| panic!("the line stayed:\n{}", w.sandbox.read_config()));
}

#[test]
fn never_write_secrets_in_preferences_converts_the_written_favourites_when_asked_and_new_ones_default_to_served() {
    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
    w.ok(&["assume", "admin"]);
    assert!(w.sandbox.read_credentials().contains("[admin]"));
    let s = Settings::open(&w);
    s.wd.click_css("#tab-preferences");
    s.wait("#pref-never-write-secrets", UI);
    s.click_when_enabled("#pref-never-write-secrets");
    // The sheet offers to convert the one favourite still written.
    let message = s.wait("#confirm-message", UI);
    assert!(s.wd.text(&message).contains("Favourite admin still writes"), "{}", s.wd.text(&message));
    s.shot("settings-preferences-convert");
    s.wd.click_css("#confirm-ok");
    rolecall_e2e::wait_until("the session to leave the credentials file", UI, || {
        !w.sandbox.read_credentials().contains("[admin]")
    });
    assert!(w.config_toml().contains("never_write_secrets = true"), "{}", w.config_toml());
    assert!(w.config_toml().contains("delivery = \"process\""), "{}", w.config_toml());
    assert_eq!(
        w.aws_identity("admin").unwrap(),
        assumed_role_arn("Admin", "alice"),
        "served through credential_process"
    );
    // A new favourite's form starts as served.
    s.wd.click_css("#tab-favourites");
    s.wd.click_css("#fav-add");
    let delivery = s.wait("#fav-form [name=delivery]", UI);
    assert_eq!(s.wd.property(&delivery, "value"), serde_json::json!("process"));
}
