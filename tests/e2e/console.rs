//! `rolecall console` end to end: sessions issued by moto in auth mode, a real keychain, and a
//! loopback fake of AWS's federation endpoint ([`FakeFederation`]) that checks the documented
//! protocol and records what rolecall sent: the Session JSON must carry exactly the credentials
//! rolecall wrote to the profile, and `SessionDuration` must follow AWS's rules (sent for a role
//! assumed with long-term keys, never for a chained role or a federation token).

use std::collections::BTreeMap;
use std::process::Output;

use rolecall_e2e::{FakeFederation, Sandbox, SessionJson, World, assumed_role_arn, form_decode, form_params};

use rolecall_e2e::output_text as text;

/// moto with user alice (roles `Admin` trusting her, `Hop` trusting an Admin session), auth mode
/// on, an unlocked keychain, a sandbox with source `work` and favourites `admin` (direct, 2h,
/// eu-west-1) and `hop` (chained from admin).
fn world() -> World {
    let w = World::new(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
        m.create_role("Hop", &assumed_role_arn("Admin", "alice"), None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &["--duration", "2h", "--region", "eu-west-1"]);
    w.ok(&["role", "add", "hop", "--arn", "arn:aws:iam::123456789012:role/Hop", "--source", "admin"]);
    w
}

/// The console tests' helpers over a [`World`]: the federation endpoint is given per run.
trait Console {
    /// The world's environment, with the federation endpoint set when given, and `extra` last.
    fn envs_at(&self, endpoint: Option<&str>, extra: &[(&str, &str)]) -> Vec<(String, String)>;
    /// Runs rolecall with the federation endpoint `endpoint`, if given.
    fn run_at(&self, endpoint: Option<&str>, args: &[&str]) -> Output;
    /// As [`run_at`](Self::run_at), with `stdin`; panics with its output unless it succeeds.
    fn ok_at(&self, endpoint: Option<&str>, args: &[&str], stdin: Option<&str>) -> String;
    /// `rolecall console ARGS --print` against `fake`: the one line it prints.
    fn print_url(&self, fake: &FakeFederation, args: &[&str]) -> String;
    fn profile(&self, profile: &str) -> BTreeMap<String, String>;
    fn session_of(&self, profile: &str) -> SessionJson;
}

impl Console for World {
    fn envs_at(&self, endpoint: Option<&str>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut envs = self.envs();
        if let Some(e) = endpoint {
            envs.push(("ROLECALL_FEDERATION_ENDPOINT".into(), e.into()));
        }
        envs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        envs
    }

    fn run_at(&self, endpoint: Option<&str>, args: &[&str]) -> Output {
        self.run_env(&self.envs_at(endpoint, &[]), args, None)
    }

    fn ok_at(&self, endpoint: Option<&str>, args: &[&str], stdin: Option<&str>) -> String {
        let o = self.run_env(&self.envs_at(endpoint, &[]), args, stdin);
        assert!(o.status.success(), "rolecall {args:?} failed:\n{}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn print_url(&self, fake: &FakeFederation, args: &[&str]) -> String {
        let out = self.ok_at(Some(&fake.endpoint()), &[&["console"], args, &["--print"]].concat(), None);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "one line, the link: {out}");
        lines[0].to_owned()
    }

    fn profile(&self, profile: &str) -> BTreeMap<String, String> {
        let text = self.sandbox.read_credentials();
        let mut keys = BTreeMap::new();
        let mut inside = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                inside = line == format!("[{profile}]");
            } else if inside && let Some((k, v)) = line.split_once('=') {
                keys.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
        keys
    }

    fn session_of(&self, profile: &str) -> SessionJson {
        let p = self.profile(profile);
        assert!(p.contains_key("aws_session_token"), "no session in [{profile}]: {p:?}");
        SessionJson {
            session_id: p["aws_access_key_id"].clone(),
            session_key: p["aws_secret_access_key"].clone(),
            session_token: p["aws_session_token"].clone(),
        }
    }
}

/// The decoded parameters of a login URL printed for `fake`, checked to be on its endpoint.
fn login_params(fake: &FakeFederation, url: &str) -> BTreeMap<String, String> {
    let query = url
        .strip_prefix(&format!("{}?", fake.endpoint()))
        .unwrap_or_else(|| panic!("the link is not on the federation endpoint {}: {url}", fake.endpoint()));
    assert!(query.starts_with("Action=login&Issuer=rolecall&Destination="), "{query}");
    form_params(query)
}

#[test]
fn direct_and_chained_favourites_sign_in_with_exactly_their_profiles_credentials() {
    let w = world();
    let fake = FakeFederation::start();

    // No session yet: the favourite is assumed (and its profile written) first.
    assert!(w.profile("admin").is_empty());
    let url = w.print_url(&fake, &["admin"]);
    let sent = fake.token_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "POST", "the aws partition's session goes in a form body, not the URL");
    assert!(sent[0].query.is_empty(), "{:?}", sent[0].query);
    assert_eq!(sent[0].session(), Some(w.session_of("admin")), "the Session JSON is the profile's session");
    assert_eq!(sent[0].session_duration(), Some("7200"), "direct role from long-term keys: the favourite's 2h");
    let login = login_params(&fake, &url);
    assert_eq!(login["Destination"], "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1");
    assert_eq!(login["SigninToken"], fake.issued_tokens()[0]);
    // The browser lands on the destination.
    assert_eq!(fake.follow(&url), (302, Some(login["Destination"].clone())));

    // A fresh session is reused: nothing is assumed or written, the same credentials are sent.
    let before = w.sandbox.read_credentials();
    let url = w.print_url(&fake, &["admin", "--service", "s3"]);
    assert_eq!(w.sandbox.read_credentials(), before, "no new assume while the session has 5 minutes left");
    let sent = fake.token_requests();
    assert_eq!(sent[1].session(), Some(w.session_of("admin")));
    let login = login_params(&fake, &url);
    assert_eq!(login["Destination"], "https://console.aws.amazon.com/s3/home", "s3 is global: no region");
    assert_eq!(login["SigninToken"], fake.issued_tokens()[1]);

    // A chained favourite: its own profile's session, and no SessionDuration (AWS refuses one).
    let url = w.print_url(&fake, &["hop", "--service", "ec2/home", "--region", "us-west-2"]);
    let sent = fake.token_requests();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].session(), Some(w.session_of("hop")));
    assert_ne!(w.session_of("hop"), w.session_of("admin"));
    assert_eq!(sent[2].session_duration(), None, "chained: no SessionDuration");
    let login = login_params(&fake, &url);
    assert_eq!(login["Destination"], "https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2");
    assert_eq!(fake.follow(&url), (302, Some(login["Destination"].clone())));

    // A region outside the role's partition is refused before anything is sent.
    let o = w.run_at(Some(&fake.endpoint()), &["console", "admin", "--region", "cn-north-1", "--print"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("rolecall: input.invalid: region: cn-north-1 is not a region of partition aws"),
        "{}",
        text(&o)
    );
    assert_eq!(fake.token_requests().len(), 3);
}

#[test]
fn the_link_reaches_only_the_browser_and_never_the_logs() {
    let w = world();
    let fake = FakeFederation::start();
    // A stand-in for xdg-open that keeps what it was given (in a private file): the page.
    let bin = w.sandbox.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let got = w.sandbox.home().join("opened-url");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\numask 077\nprintf '%s' \"$1\" > '{}'\necho \"opening $1\"\n", got.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let envs = w.envs_at(Some(&fake.endpoint()), &[("PATH", &path)]);

    let o = w.run_env(&envs, &["console", "admin", "-vv"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "Opened the AWS console for favourite admin in the browser\n");
    let opened = std::fs::read_to_string(&got).expect("the opener got the page");
    let page = opened.strip_prefix("file://").unwrap_or_else(|| panic!("the opener got {opened:?}, not a page"));
    let url = redirect_of(&std::fs::read_to_string(page).expect("the page stays for the browser"));
    let token = &fake.issued_tokens()[0];
    assert_eq!(login_params(&fake, &url)["SigninToken"], *token);

    // With -vv, neither the link, the token nor the session's secrets show anywhere; the same
    // for --print, whose stdout is the link and nothing else.
    let printed = w.run_env(&envs, &["console", "admin", "--print", "-vv"], None);
    assert!(printed.status.success(), "{}", text(&printed));
    let session = w.session_of("admin");
    let logs = [String::from_utf8_lossy(&o.stderr).into_owned(), String::from_utf8_lossy(&printed.stderr).into_owned()];
    assert!(logs[0].contains("getSigninToken") && logs[0].contains("DEBUG"), "-vv logs the call: {}", logs[0]);
    for log in &logs {
        for secret in [
            &url,
            token,
            &fake.issued_tokens()[1],
            &session.session_key,
            &session.session_token,
            &w.alice().secret_access_key,
        ] {
            assert!(!log.contains(secret.as_str()), "a secret in the logs:\n{log}");
        }
        assert!(!log.contains("SigninToken=") && !log.contains("Session=") && !log.contains("sessionKey"), "{log}");
    }
    assert_eq!(String::from_utf8_lossy(&printed.stdout).lines().count(), 1);
}

#[test]
fn a_rejected_session_and_an_unreachable_endpoint_give_typed_errors() {
    let w = world();
    for status in [400, 403] {
        let fake = FakeFederation::start_rejecting(status);
        let o = w.run_at(Some(&fake.endpoint()), &["console", "admin", "--print"]);
        assert!(!o.status.success(), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("rolecall: signin.rejected: favourite admin: console sign-in: the AWS federation endpoint refused the session"),
            "{}",
            text(&o)
        );
        assert!(err.contains(&format!("(HTTP {status})")), "{err}");
        assert!(o.stdout.is_empty(), "no link on a failure: {}", text(&o));
        assert_eq!(fake.token_requests().len(), 1);
        let session = w.session_of("admin");
        assert!(!err.contains(&session.session_key) && !err.contains(&session.session_token), "{err}");
    }
    let o = w.run_at(Some(&FakeFederation::unreachable_endpoint()), &["console", "hop", "--print"]);
    assert!(!o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(
            "rolecall: signin.unreachable: favourite hop: console sign-in: cannot reach the AWS federation endpoint"
        ),
        "{}",
        text(&o)
    );
    assert!(!err.contains("127.0.0.1") && !err.contains(&w.session_of("hop").session_token), "{err}");

    // A malformed override is refused as input.
    let o = w.run_at(Some("http://example.com/federation"), &["console", "admin", "--print"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).starts_with("rolecall: input.invalid: federation endpoint: "),
        "{}",
        text(&o)
    );
}

#[test]
fn a_source_without_a_role_signs_in_as_its_own_user_through_get_federation_token() {
    let mut bob = None;
    let w = World::new(|m, _| {
        bob = Some(m.create_user_with_actions("bob", &["sts:GetCallerIdentity", "sts:GetFederationToken"]));
    });
    let bob = bob.expect("bob");
    w.ok_with(&["source", "add", "me"], Some(&format!("{}\n{}\n", bob.access_key_id, bob.secret_access_key)));
    let fake = FakeFederation::start();

    let url = w.print_url(&fake, &["--source", "me", "--service", "ec2"]);
    let sent = fake.token_requests();
    assert_eq!(sent.len(), 1);
    let session = sent[0].session().expect("a well-formed Session JSON");
    // moto answers GetFederationToken with fixed example credentials: not the user's keys.
    assert_ne!(session.session_id, bob.access_key_id, "{session:?}");
    assert_ne!(session.session_key, bob.secret_access_key, "temporary credentials, never the user's keys");
    assert!(!session.session_token.is_empty());
    assert_eq!(sent[0].session_duration(), None, "a federation token's console session lasts as long as the token");
    // The sandbox's AWS_REGION (us-east-1) is the region.
    assert_eq!(
        login_params(&fake, &url)["Destination"],
        "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
    );
    assert!(w.sandbox.read_credentials().is_empty(), "nothing is written for a source's console session");

    // Without sts:GetFederationToken, STS's refusal names the source.
    let mut carol = None;
    let w = World::new(|m, _| carol = Some(m.create_user_with_actions("carol", &["sts:GetCallerIdentity"])));
    let carol = carol.expect("carol");
    w.ok_with(&["source", "add", "me"], Some(&format!("{}\n{}\n", carol.access_key_id, carol.secret_access_key)));
    let o = w.run_at(Some(&fake.endpoint()), &["console", "--source", "me", "--print"]);
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("rolecall: sts.access_denied: source me: get a federation token: "),
        "{}",
        text(&o)
    );
    assert_eq!(fake.token_requests().len(), 1, "nothing sent when STS refuses");
}

#[test]
fn a_govcloud_favourite_sends_its_session_by_get_and_lands_on_the_partitions_console() {
    let w = world();
    let fake = FakeFederation::start();
    w.print_url(&fake, &["admin"]);
    let keys = format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key);
    w.ok_with(&["source", "add", "gov", "--no-verify"], Some(&keys));
    w.ok_with(
        &[
            "role",
            "add",
            "gov-admin",
            "--arn",
            "arn:aws-us-gov:iam::123456789012:role/Admin",
            "--source",
            "gov",
            "--region",
            "us-gov-east-1",
        ],
        None,
    );
    // moto keeps one IAM per partition, so it cannot issue an aws-us-gov session for alice: the
    // favourite's profile gets a copy of admin's moto-issued session, marked as gov-admin's.
    let admin = w.profile("admin");
    let section: String = admin
        .iter()
        .map(|(k, v)| if k == "x_rolecall_favourite" { format!("{k} = gov-admin\n") } else { format!("{k} = {v}\n") })
        .collect();
    let creds = format!("{}\n[gov-admin]\n{section}", w.sandbox.read_credentials().trim_end());
    w.sandbox.write(".aws/credentials", &creds);

    let url = w.print_url(&fake, &["gov-admin"]);
    let sent = fake.token_requests();
    assert_eq!(sent.len(), 2, "the copied session is fresh: reused, not assumed");
    assert_eq!(sent[1].method, "GET", "aws-us-gov: the parameters travel in the query");
    assert!(sent[1].query.starts_with("Action=getSigninToken&SessionDuration=3600&Session="), "{}", sent[1].query);
    assert_eq!(sent[1].session(), Some(w.session_of("gov-admin")));
    let login = login_params(&fake, &url);
    assert_eq!(
        login["Destination"],
        "https://us-gov-east-1.console.amazonaws-us-gov.com/console/home?region=us-gov-east-1"
    );
    assert_eq!(fake.follow(&url), (302, Some(login["Destination"].clone())));
}

#[test]
fn signing_out_first_leads_the_browser_through_the_sign_out_to_the_new_session() {
    let w = world();
    let fake = FakeFederation::start();
    let base = fake.endpoint().trim_end_matches("/federation").to_owned();

    let url = w.print_url(&fake, &["admin", "--sign-out-first"]);
    let prefix = format!("{base}/oauth?Action=logout&redirect_uri=");
    let inner = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("not a sign-out link: {url}"));
    let login = form_decode(inner);
    assert_eq!(login_params(&fake, &login)["SigninToken"], fake.issued_tokens()[0]);
    // The browser: signed out, sent to the login URL, which lands on the console.
    assert_eq!(fake.follow(&url), (302, Some(login.clone())));
    assert_eq!(fake.sign_outs(), 1);
    let destination = login_params(&fake, &login)["Destination"].clone();
    assert_eq!(fake.follow(&login), (302, Some(destination)));

    // The preference does the same without the flag; without either, no sign-out.
    let plain = w.print_url(&fake, &["admin"]);
    assert!(plain.starts_with(&format!("{}?Action=login&", fake.endpoint())), "{plain}");
    let config = w.sandbox.rolecall_config_dir().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = if text.contains("console_sign_out_first = false") {
        text.replace("console_sign_out_first = false", "console_sign_out_first = true")
    } else if text.contains("[preferences]") {
        text.replace("[preferences]\n", "[preferences]\nconsole_sign_out_first = true\n")
    } else {
        format!("{text}\n[preferences]\nconsole_sign_out_first = true\n")
    };
    std::fs::write(&config, text).unwrap();
    let url = w.print_url(&fake, &["admin"]);
    assert!(url.starts_with(&prefix), "the preference signs out first: {url}");
}

/// A stand-in for `xdg-open`, first in PATH, that records (in a private directory) its
/// arguments, every process's argv while it runs, and the mode and text of the page it was
/// handed; then starts a "browser" (`rolecall-fake-browser`) that keeps the same arguments for
/// two seconds, as a browser that was not running keeps its own for its lifetime.
struct FakeOpener {
    records: std::path::PathBuf,
    path: String,
}

/// The fake browser's name in its argv.
const FAKE_BROWSER: &str = "rolecall-fake-browser";

impl FakeOpener {
    fn install(sandbox: &Sandbox) -> FakeOpener {
        use std::os::unix::fs::PermissionsExt;
        let bin = sandbox.home().join("opener-bin");
        let records = sandbox.home().join("opener-records");
        for dir in [&bin, &records] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let script = format!(
            r#"#!/bin/sh
umask 077
rec='{rec}'
printf '%s\n' "$@" > "$rec/argv"
for f in /proc/[0-9]*/cmdline; do tr '\000' ' ' < "$f" 2>/dev/null; echo; done > "$rec/cmdlines"
case "$1" in
  file://*)
    page="${{1#file://}}"
    stat -c '%a' "$page" > "$rec/page-mode"
    stat -c '%a' "${{page%/*}}" > "$rec/dir-mode"
    cat "$page" > "$rec/page"
    ;;
esac
sh -c 'sleep 2; :' {FAKE_BROWSER} "$@" </dev/null >/dev/null 2>&1 &
echo "opening $1"
"#,
            rec = records.display()
        );
        let opener = bin.join("xdg-open");
        std::fs::write(&opener, script).unwrap();
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o700)).unwrap();
        FakeOpener { path: format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()), records }
    }

    /// A record, empty if the opener did not write it.
    fn record(&self, name: &str) -> String {
        std::fs::read_to_string(self.records.join(name)).unwrap_or_default()
    }

    /// The opener's arguments, one per line.
    fn argv(&self) -> Vec<String> {
        self.record("argv").lines().map(str::to_owned).collect()
    }

    /// Forgets what the last run recorded.
    fn clear(&self) {
        for name in ["argv", "cmdlines", "page-mode", "dir-mode", "page"] {
            let _ = std::fs::remove_file(self.records.join(name));
        }
    }
}

/// Every process's argv (NULs as spaces) read from `/proc/*/cmdline` over and over, from now
/// until `stop` is set and then until no fake browser runs any more (at most 10 s more): every
/// distinct argv seen.
fn scan_argvs(stop: std::sync::Arc<std::sync::atomic::AtomicBool>) -> std::thread::JoinHandle<Vec<String>> {
    use std::sync::atomic::Ordering;
    std::thread::spawn(move || {
        let mut seen = std::collections::BTreeSet::new();
        let mut stopped_at = None;
        loop {
            let mut browser_running = false;
            for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
                if let Ok(raw) = std::fs::read(entry.path().join("cmdline")) {
                    let argv = String::from_utf8_lossy(&raw).replace('\0', " ");
                    browser_running |= argv.contains(FAKE_BROWSER);
                    seen.insert(argv);
                }
            }
            if stop.load(Ordering::SeqCst) {
                let since = *stopped_at.get_or_insert_with(std::time::Instant::now);
                if !browser_running || since.elapsed() > std::time::Duration::from_secs(10) {
                    return seen.into_iter().collect();
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    })
}

/// `s` percent-encoded as the login URL encodes a query value (all but `A-Za-z0-9-._~`).
fn percent_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The URL a sign-in page sends the browser to, checked to be the same in its meta refresh, its
/// script and its link, and the page checked to load nothing.
fn redirect_of(page: &str) -> String {
    let between = |from: &str, to: &str| -> String {
        let start = page.find(from).unwrap_or_else(|| panic!("no {from:?} in the page:\n{page}")) + from.len();
        let len = page[start..].find(to).unwrap_or_else(|| panic!("no {to:?} after {from:?}:\n{page}"));
        page[start..start + len].to_owned()
    };
    let unescape_attr = |s: String| {
        s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    };
    let refresh = unescape_attr(between("<meta http-equiv=\"refresh\" content=\"0;url=", "\""));
    let link = unescape_attr(between("<a href=\"", "\""));
    let script = between("location.replace(\"", "\")");
    let mut js = String::new();
    let mut rest = script.as_str();
    while let Some(i) = rest.find("\\u") {
        js.push_str(&rest[..i]);
        let unit = u32::from_str_radix(&rest[i + 2..i + 6], 16).expect("a \\uXXXX escape");
        js.push(char::from_u32(unit).expect("one UTF-16 unit (the link is ASCII)"));
        rest = &rest[i + 6..];
    }
    js.push_str(rest);
    assert_eq!(refresh, js, "the meta refresh and the script go to the same place:\n{page}");
    assert_eq!(refresh, link, "the link too:\n{page}");
    assert!(!page.contains("src=") && !page.contains("<link") && !page.contains("url("), "loads nothing:\n{page}");
    refresh
}

/// Checks what `opener` recorded of a sign-in: it was handed one page, `signin-RANDOM.html` in
/// `sandbox`'s `$XDG_RUNTIME_DIR/rolecall` (0700), 0600 when read, that redirects to a login URL
/// on `fake` with its `token`-th token, which signs the browser in; and no argv, whether recorded
/// while the opener ran (`needle` names a process that must be among them) or seen by
/// [`scan_argvs`] in `argvs`, holds that URL, its token (raw or encoded) or `session_token`.
/// Returns the page's path.
fn check_page_handover(
    opener: &FakeOpener,
    sandbox: &Sandbox,
    fake: &FakeFederation,
    token: usize,
    argvs: &[String],
    needle: &str,
    session_token: &str,
) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;

    // The opener got one argument: a page in the private directory under XDG_RUNTIME_DIR.
    let argv = opener.argv();
    assert_eq!(argv.len(), 1, "{argv:?}");
    let dir = sandbox.home().join(".run/rolecall");
    let page_path = argv[0]
        .strip_prefix("file://")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| panic!("the opener was given {:?}, not a file:// page", argv[0]));
    assert_eq!(page_path.parent(), Some(dir.as_path()), "{argv:?}");
    let name = page_path.file_name().unwrap().to_str().unwrap();
    let id = name.strip_prefix("signin-").and_then(|n| n.strip_suffix(".html")).unwrap_or("");
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "a random name: {name}");
    assert_eq!(opener.record("page-mode").trim(), "600", "the page was private when the browser read it");
    assert_eq!(opener.record("dir-mode").trim(), "700");

    // The page sends the browser on to the login URL, which signs it in.
    let page = opener.record("page");
    let url = redirect_of(&page);
    let issued = fake.issued_tokens()[token].clone();
    let login = login_params(fake, &url);
    assert_eq!(login["SigninToken"], issued);
    assert_eq!(fake.follow(&url), (302, Some(login["Destination"].clone())));
    // Still there for the browser a moment later (removed a minute after the hand-over), 0600.
    let meta = std::fs::metadata(&page_path).expect("the page stays for the browser");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&page_path).unwrap(), page);

    // No argv, read while the opener ran or by polling every process from the start until the
    // fake browser ended, holds the link or its token, raw or encoded. The scan did see the fake
    // browser, with the page as its argument.
    assert!(
        argvs.iter().any(|a| a.contains(FAKE_BROWSER) && a.contains(&argv[0])),
        "the scan saw the browser with the page: {argvs:#?}"
    );
    let at_open = opener.record("cmdlines");
    assert!(at_open.contains(&argv[0]) && at_open.contains(needle), "{at_open}");
    let secrets = [
        url,
        issued.clone(),
        percent_encoded(&issued),
        "SigninToken".to_owned(),
        session_token.to_owned(),
        percent_encoded(session_token),
    ];
    for secret in &secrets {
        assert!(!at_open.contains(secret.as_str()), "an argv holds {secret:?} while the opener runs:\n{at_open}");
        for a in argvs {
            assert!(!a.contains(secret.as_str()), "an argv holds {secret:?}: {a}");
        }
        assert!(!opener.record("argv").contains(secret.as_str()));
    }
    page_path
}

#[test]
fn the_browser_gets_a_private_page_and_no_process_argv_ever_holds_the_sign_in_link() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let w = world();
    let fake = FakeFederation::start();
    let opener = FakeOpener::install(&w.sandbox);
    let envs = w.envs_at(Some(&fake.endpoint()), &[("PATH", &opener.path)]);

    let stop = Arc::new(AtomicBool::new(false));
    let scanner = scan_argvs(stop.clone());
    let o = w.run_env(&envs, &["console", "admin"], None);
    stop.store(true, Ordering::SeqCst);
    let argvs = scanner.join().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "Opened the AWS console for favourite admin in the browser\n");
    let session = w.session_of("admin");
    check_page_handover(&opener, &w.sandbox, &fake, 0, &argvs, "console admin", &session.session_token);
}

#[test]
fn a_later_sign_in_sweeps_stale_pages_and_a_foreign_page_directory_is_refused() {
    let w = world();
    let fake = FakeFederation::start();
    let opener = FakeOpener::install(&w.sandbox);
    let envs = w.envs_at(Some(&fake.endpoint()), &[("PATH", &opener.path)]);
    let open = || {
        opener.clear();
        let o = w.run_env(&envs, &["console", "admin"], None);
        assert!(o.status.success(), "{}", text(&o));
        let argv = opener.argv();
        let page = argv.first().and_then(|a| a.strip_prefix("file://")).map(std::path::PathBuf::from);
        page.unwrap_or_else(|| panic!("the opener was given {argv:?}, not a page"))
    };

    let first = open();
    let dir = first.parent().unwrap().to_owned();
    // Two minutes old: its remover has not run yet (it waits a minute), the next sign-in sweeps it.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    std::fs::File::options().write(true).open(&first).unwrap().set_modified(old).unwrap();
    let other = dir.join("notes.txt");
    std::fs::write(&other, "not a page").unwrap();
    std::fs::File::options().write(true).open(&other).unwrap().set_modified(old).unwrap();
    let second = open();
    assert_ne!(first, second);
    assert!(!first.exists(), "the stale page is swept");
    assert!(second.exists(), "the new page stays for the browser");
    assert!(other.exists(), "only pages are swept");
    let url = redirect_of(&std::fs::read_to_string(&second).unwrap());
    assert_eq!(login_params(&fake, &url)["SigninToken"], fake.issued_tokens()[1]);

    // A symbolic link in place of the directory is refused: nothing is written through it and
    // the browser is not opened.
    let elsewhere = w.sandbox.home().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
    opener.clear();
    let o = w.run_env(&envs, &["console", "admin"], None);
    assert!(!o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("rolecall: console.no_browser: favourite admin: console: cannot open the default web browser"),
        "{err}"
    );
    assert!(err.contains("is a symbolic link or not a directory; remove it"), "{err}");
    assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none(), "nothing written through the link");
    assert!(opener.argv().is_empty(), "the opener is not run");
    let tokens = fake.issued_tokens();
    assert_eq!(tokens.len(), 3, "signed in, then refused to open");
    assert!(!err.contains(&tokens[2]) && !err.contains("SigninToken"), "{err}");
}

#[test]
fn a_loopback_federation_endpoint_is_reached_directly_even_with_a_proxy_set() {
    let w = world();
    let fake = FakeFederation::start();
    // Assumed and signed in once without a proxy: the next sign-in reuses the fresh session, so
    // the federation endpoint is the only thing it calls.
    w.print_url(&fake, &["admin"]);

    // A "proxy" that counts connections and answers each with 502.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in proxy.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = rolecall_e2e::http::Response::new(502, "").write_to(&mut &stream);
        }
    });
    let mut extra = Vec::new();
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        extra.push((var.to_owned(), proxy_url.clone()));
        extra.push((var.to_lowercase(), proxy_url.clone()));
    }
    extra.push(("NO_PROXY".to_owned(), String::new()));
    extra.push(("no_proxy".to_owned(), String::new()));
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let envs = w.envs_at(Some(&fake.endpoint()), &extra);

    let o = w.run_env(&envs, &["console", "admin", "--print"], None);
    assert!(o.status.success(), "{}", text(&o));
    let url = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    assert_eq!(login_params(&fake, &url)["SigninToken"], fake.issued_tokens()[1]);
    assert_eq!(fake.token_requests().len(), 2, "the second sign-in reached the loopback endpoint");
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0, "the proxy saw nothing");
}

#[test]
fn the_trays_open_console_hands_the_browser_the_same_private_page() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let w = World::builder().desktop().build_with(|m, a| {
        m.create_role("Admin", &a.user_arn, None);
    });
    w.add_source_work(&[]);
    w.add_favourite("admin", "arn:aws:iam::123456789012:role/Admin", &[]);
    let fake = FakeFederation::start();
    let opener = FakeOpener::install(&w.sandbox);
    let mut envs = w.gui_envs();
    envs.push(("PATH".into(), opener.path.clone()));
    envs.push(("ROLECALL_FEDERATION_ENDPOINT".into(), fake.endpoint()));
    let mut app = rolecall_e2e::TrayApp::start_with_envs(&rolecall_e2e::tray_bin(), &w.sandbox, envs, &[]);
    app.wait_registered(w.desktop());

    let stop = Arc::new(AtomicBool::new(false));
    let scanner = scan_argvs(stop.clone());
    app.click("Open console");
    let opened =
        rolecall_e2e::poll(std::time::Duration::from_secs(30), || (!opener.record("page").is_empty()).then_some(()));
    stop.store(true, Ordering::SeqCst);
    let argvs = scanner.join().unwrap();
    assert!(opened.is_some(), "the opener was not run\nrolecall-tray's log:\n{}", app.log());
    // The click assumed the favourite first (no session yet), then signed in with that session.
    let creds = w.sandbox.read_credentials();
    let session_token = creds
        .lines()
        .find_map(|l| l.strip_prefix("aws_session_token = "))
        .unwrap_or_else(|| panic!("no session written: {creds}"))
        .to_owned();
    check_page_handover(&opener, &w.sandbox, &fake, 0, &argvs, "rolecall-tray", &session_token);
    let log = app.log();
    assert!(!log.contains("SigninToken") && !log.contains(&fake.issued_tokens()[0]), "{log}");
}

#[test]
fn an_sso_favourite_signs_in_to_the_console_with_its_portal_role_session() {
    use crate::sso::{START_URL, login, ok, sso_world};
    let (w, sso) = sso_world();
    let fake = FakeFederation::start();
    ok(&w, &sso, &["source", "add", "corp", "--sso-start-url", START_URL, "--sso-region", "eu-west-1"]);
    login(&w, &sso, "corp");
    ok(&w, &sso, &["role", "add", "prod", "--source", "corp", "--account", "111111111111", "--role-name", "ReadOnly"]);
    let mut envs = w.envs_at(Some(&fake.endpoint()), &[]);
    envs.extend(sso.envs());
    let o = w.run_env(&envs, &["console", "prod", "--print"], None);
    assert!(o.status.success(), "{}", text(&o));
    let url = String::from_utf8_lossy(&o.stdout).trim().to_owned();

    // The portal's role session, as written to the profile, is what the federation endpoint got.
    assert_eq!(sso.requests_to("/federation/credentials").len(), 1, "GetRoleCredentials once");
    let sent = fake.token_requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].session(), Some(w.session_of("prod")));
    // GetRoleCredentials sets its own session length: AWS takes no SessionDuration for it.
    assert_eq!(sent[0].session_duration(), None);
    let login = login_params(&fake, &url);
    assert_eq!(login["SigninToken"], fake.issued_tokens()[0]);
    assert_eq!(fake.follow(&url), (302, Some(login["Destination"].clone())));

    // Signed out: a clear error, and nothing is sent to the federation endpoint.
    sso.end_sessions();
    ok(
        &w,
        &sso,
        &["role", "add", "ro2", "--source", "corp", "--account", "111111111111", "--role-name", "AdministratorAccess"],
    );
    let o = w.run_env(&envs, &["console", "ro2", "--print"], None);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("rolecall: sso.signed_out: "), "{}", text(&o));
    assert_eq!(fake.token_requests().len(), 1);
}
