//! The `rolecall` binary end to end: moto in auth mode (signatures, tokens, trust policies and
//! external ids really checked), a real Secret Service keychain on a private bus, real files, and
//! the AWS CLI as an independent client of what rolecall writes.

use std::fs;
use std::process::Output;

use rolecall_e2e::{Keychain, Moto, World, assumed_role_arn, aws_cli};
use serde_json::Value;

/// A user's file, with everything a careless rewrite would lose: comments of both kinds, odd
/// spacing, CRLF line endings, `key: value`, unknown keys, no final newline.
const USER_CREDENTIALS: &str = "# personal keys, do not touch\r\n[default]\r\naws_access_key_id=AKIAUSEROWNKEY000001\r\naws_secret_access_key   =   userSecretThatMustSurvive  \r\n; a semicolon comment\r\n\r\n[legacy]\r\naws_access_key_id: AKIALEGACY0000000001\r\nunknown_key = kept\r\n\r\n# trailing comment, no final newline";
const USER_CONFIG: &str =
    "[default]\nregion = us-west-2\noutput = json\n\n[profile tools]\ns3 =\n    max_concurrent_requests = 20\n";

use rolecall_e2e::output_text as text;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Adds source `work` with alice's keys, checked to be hers.
fn add_alice(w: &World) {
    let o = w.add_source("work", &w.alice().access_key_id, &w.alice().secret_access_key, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o), "Added source work: arn:aws:iam::123456789012:user/alice\n");
}

fn role(moto: &Moto, name: &str, principal: &str, external_id: Option<&str>) -> String {
    moto.create_role(name, principal, external_id)
}

#[test]
fn add_source_add_role_assume_and_the_aws_cli_uses_the_profile() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.sandbox.write(".aws/config", USER_CONFIG);
    add_alice(&w);
    // The keys are in the keychain, under the namespaced service, and nowhere on disk.
    let stored =
        w.keychain.lookup(&[("service", "rolecall-test"), ("username", "source:work")]).expect("keychain entry");
    assert!(stored.contains(&w.alice().secret_access_key));
    let config_toml = fs::read_to_string(w.sandbox.rolecall_config_dir().join("config.toml")).unwrap();
    assert!(
        !config_toml.contains(&w.alice().secret_access_key) && !config_toml.contains(&w.alice().access_key_id),
        "{config_toml}"
    );

    let list = w.ok(&["source", "list"]);
    let tail = &w.alice().access_key_id[w.alice().access_key_id.len() - 4..];
    assert!(list.contains(&format!("****{tail}")) && list.contains("arn:aws:iam::123456789012:user/alice"), "{list}");
    assert!(!list.contains(&w.alice().access_key_id), "the key id is masked: {list}");

    w.ok(&[
        "role",
        "add",
        "admin",
        "--arn",
        "arn:aws:iam::123456789012:role/Admin",
        "--source",
        "work",
        "--region",
        "eu-west-1",
        "--duration",
        "45m",
        "--tag",
        "team=ops",
        "--transitive-tag",
        "team",
        "--source-identity",
        "alice",
    ]);
    let out = w.ok(&["assume", "admin"]);
    assert!(
        out.starts_with("arn:aws:sts::123456789012:assumed-role/Admin/alice\nprofile admin written, expires "),
        "{out}"
    );
    assert!(out.contains("(in 44m)") || out.contains("(in 45m)"), "{out}");

    // An independent client accepts what was written.
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));

    // Every byte of the user's files survives; ours is appended.
    let creds = w.sandbox.read_credentials();
    assert!(creds.starts_with(&format!("{USER_CREDENTIALS}\r\n\r\n[admin]\r\naws_access_key_id = ASIA")), "{creds:?}");
    assert!(creds.contains("\r\nx_rolecall_favourite = admin\r\n"));
    assert_eq!(w.sandbox.read_config(), format!("{USER_CONFIG}\n[profile admin]\nregion = eu-west-1\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(w.sandbox.credentials_path()).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A second assume updates the section in place; the rest is untouched.
    let before = w.sandbox.read_credentials();
    w.ok(&["assume", "admin"]);
    let after = w.sandbox.read_credentials();
    assert_eq!(before.split("[admin]").next(), after.split("[admin]").next());
    assert_ne!(before, after);
    assert_eq!(after.matches("[admin]").count(), 1);
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));

    // status reads the session back from the file.
    let status = w.ok(&["status"]);
    assert!(status.contains("admin      admin    active") && status.contains("m left"), "{status}");
    let json: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    assert_eq!(json[0]["session"]["state"], "active");
    let left = json[0]["session"]["seconds_left"].as_i64().unwrap();
    assert!((2600..=2700).contains(&left), "{left}");
}

#[test]
fn assume_json_env_and_status_for_scripts() {
    let w = World::new(|m, a| {
        role(m, "Dev", &a.user_arn, None);
    });
    add_alice(&w);
    w.ok(&[
        "role",
        "add",
        "dev",
        "--arn",
        "arn:aws:iam::123456789012:role/Dev",
        "--source",
        "work",
        "--profile",
        "team-dev",
        "--session-name",
        "ci-run",
    ]);
    let status: Value = serde_json::from_str(&w.ok(&["status", "--json"])).unwrap();
    assert_eq!(status[0]["session"]["state"], "never");
    let v: Value = serde_json::from_str(&w.ok(&["assume", "dev", "--json"])).unwrap();
    assert_eq!(v["assumed_role_arn"], assumed_role_arn("Dev", "ci-run"));
    assert_eq!(v["profile"], "team-dev");
    let left = v["seconds_left"].as_i64().unwrap();
    assert!((3590..=3600).contains(&left), "{v}");
    assert!(!v.to_string().contains("aws_secret"), "no secrets in JSON");

    // `env` prints the written session's credentials; the AWS CLI accepts them from the environment.
    let exports = w.ok(&["env", "dev"]);
    let creds = w.sandbox.read_credentials();
    let key = creds.lines().find_map(|l| l.strip_prefix("aws_access_key_id = ")).unwrap();
    assert!(exports.contains(&format!("export AWS_ACCESS_KEY_ID='{key}'\n")), "{exports}");
    let mut envs: Vec<(String, String)> = w.envs();
    for line in exports.lines().filter_map(|l| l.strip_prefix("export ")) {
        let (k, v) = line.split_once('=').unwrap();
        envs.push((k.to_owned(), v.trim_matches('\'').to_owned()));
    }
    let o = aws_cli(&envs, &["sts", "get-caller-identity", "--output", "json"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains(&assumed_role_arn("Dev", "ci-run")));
    assert!(w.ok(&["env", "dev", "--shell", "powershell"]).contains("$Env:AWS_SESSION_TOKEN = '"));

    let shown: Value = serde_json::from_str(&w.ok(&["role", "show", "dev", "--json"])).unwrap();
    assert_eq!(shown["session_name"], "ci-run");
    assert_eq!(shown["duration"], 3600);
}

#[test]
fn wrong_secret_unknown_key_untrusted_role_and_wrong_external_id_fail_clearly_and_change_nothing() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
        role(m, "Nobody", "arn:aws:iam::123456789012:user/someone-else", None);
        role(m, "Vendor", &a.user_arn, Some("expected-xid"));
    });
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);

    // Verification catches a wrong secret before anything is stored.
    let o = w.add_source("bad", &w.alice().access_key_id, "wrongSecretwrongSecretwrongSecret1234567", &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).starts_with("rolecall: sts.wrong_secret: source bad: verify: the secret access key does not match"),
        "{}",
        text(&o)
    );
    assert!(w.keychain.lookup(&[("service", "rolecall-test"), ("username", "source:bad")]).is_none());
    assert!(!w.sandbox.rolecall_config_dir().join("config.toml").exists());

    // Stored unverified, it fails at assume time with the same clear error.
    let o = w.add_source("bad", &w.alice().access_key_id, "wrongSecretwrongSecretwrongSecret1234567", &["--no-verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = w.add_source("ghost", "AKIAUNKNOWNKEY000001", "someSecretsomeSecretsomeSecret12345678", &["--no-verify"]);
    assert!(o.status.success(), "{}", text(&o));
    add_alice(&w);
    for (name, arn, source, extra) in [
        ("bad-fav", "Admin", "bad", None),
        ("ghost-fav", "Admin", "ghost", None),
        ("nobody", "Nobody", "work", None),
        ("vendor", "Vendor", "work", Some("wrong-xid")),
        ("vendor-ok", "Vendor", "work", Some("expected-xid")),
    ] {
        let arn = format!("arn:aws:iam::123456789012:role/{arn}");
        let mut args = vec!["role", "add", name, "--arn", &arn, "--source", source];
        if let Some(x) = extra {
            args.extend(["--external-id", x]);
        }
        w.ok(&args);
    }
    let files = w.files();
    let e = w.fails(&["assume", "bad-fav"], "sts.wrong_secret");
    assert!(
        e.contains(
            "favourite bad-fav: assume arn:aws:iam::123456789012:role/Admin: the secret access key does not match"
        ),
        "{e}"
    );
    let e = w.fails(&["assume", "ghost-fav"], "sts.unknown_key");
    assert!(e.contains("AWS does not know this access key id"), "{e}");
    let e = w.fails(&["assume", "nobody"], "sts.access_denied");
    assert!(e.contains("favourite nobody: assume arn:aws:iam::123456789012:role/Nobody: access denied"), "{e}");
    w.fails(&["assume", "vendor"], "sts.access_denied");
    assert_eq!(w.files(), files, "failed assumes change no file");
    assert_eq!(w.sandbox.read_credentials(), USER_CREDENTIALS);
    for e in [stderr(&w.run(&["assume", "bad-fav"])), stderr(&w.run(&["assume", "vendor", "-vv"]))] {
        assert!(
            !e.contains(&w.alice().secret_access_key) && !e.contains("wrongSecret"),
            "no secret in errors or logs: {e}"
        );
    }
    // The right external id works.
    w.ok(&["assume", "vendor-ok"]);
    assert_eq!(w.aws_identity("vendor-ok").unwrap(), assumed_role_arn("Vendor", "alice"));
}

#[test]
fn keychain_absent_or_locked_gives_a_clear_error_and_no_plain_text_fallback() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    add_alice(&w);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    let files = w.files();

    let absent = Keychain::absent();
    let o = w.run_on(&absent, &["assume", "admin"], None);
    assert!(
        stderr(&o).starts_with("rolecall: keychain.unavailable: source work: no keychain is available"),
        "{}",
        text(&o)
    );
    let o = w.run_on(
        &absent,
        &["source", "add", "other"],
        Some(&format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key)),
    );
    assert!(stderr(&o).starts_with("rolecall: keychain.unavailable: "), "{}", text(&o));

    for locked in [Keychain::start_locked(), Keychain::start_without_collection()] {
        let o = w.run_on(&locked, &["assume", "admin"], None);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.starts_with("rolecall: keychain.locked: source work: the keychain is locked")
                || err.starts_with("rolecall: keychain.no_entry: "),
            "{}",
            text(&o)
        );
        let o = w.run_on(
            &locked,
            &["source", "add", "other"],
            Some(&format!("{}\n{}\n", w.alice().access_key_id, w.alice().secret_access_key)),
        );
        assert!(
            stderr(&o).starts_with("rolecall: keychain.locked: source other: the keychain is locked"),
            "{}",
            text(&o)
        );
    }
    assert_eq!(w.files(), files, "nothing written anywhere when the keychain fails");
    let home_files: Vec<String> = walk(w.sandbox.home());
    for f in home_files {
        let bytes = fs::read(&f).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(&w.alice().secret_access_key), "secret found in {f}");
    }
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn chained_favourites_and_the_one_hour_cap() {
    let w = World::new(|m, a| {
        role(m, "Hub", &a.user_arn, None);
        // moto checks the exact caller ARN: the second role trusts the first role's session.
        role(m, "Spoke", &assumed_role_arn("Hub", "alice"), None);
    });
    add_alice(&w);
    w.ok(&[
        "role",
        "add",
        "hub",
        "--arn",
        "arn:aws:iam::123456789012:role/Hub",
        "--source",
        "work",
        "--duration",
        "2h",
    ]);
    let e = w.fails(
        &[
            "role",
            "add",
            "spoke",
            "--arn",
            "arn:aws:iam::123456789012:role/Spoke",
            "--source",
            "hub",
            "--duration",
            "2h",
        ],
        "config.invalid",
    );
    assert!(e.contains("STS caps chained sessions at 1h"), "{e}");
    w.ok(&[
        "role",
        "add",
        "spoke",
        "--arn",
        "arn:aws:iam::123456789012:role/Spoke",
        "--source",
        "hub",
        "--session-name",
        "alice",
    ]);
    let out = w.ok(&["assume", "spoke"]);
    assert!(out.starts_with(&assumed_role_arn("Spoke", "alice")), "{out}");
    assert_eq!(w.aws_identity("spoke").unwrap(), assumed_role_arn("Spoke", "alice"));
    let show = w.ok(&["role", "show", "spoke"]);
    assert!(show.contains("hub (chain: work -> hub -> spoke)"), "{show}");
    // A source still in use cannot be removed.
    w.fails(&["role", "remove", "hub"], "config.in_use");
}

#[test]
fn concurrent_assumes_of_different_favourites_both_land() {
    let w = World::new(|m, a| {
        for i in 0..4 {
            role(m, &format!("R{i}"), &a.user_arn, None);
        }
    });
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    add_alice(&w);
    for i in 0..4 {
        w.ok(&[
            "role",
            "add",
            &format!("r{i}"),
            "--arn",
            &format!("arn:aws:iam::123456789012:role/R{i}"),
            "--source",
            "work",
        ]);
    }
    std::thread::scope(|s| {
        for i in 0..4 {
            let w = &w;
            s.spawn(move || {
                for _ in 0..3 {
                    w.ok(&["assume", &format!("r{i}")]);
                }
            });
        }
    });
    let creds = w.sandbox.read_credentials();
    assert!(creds.starts_with(USER_CREDENTIALS), "{creds}");
    for i in 0..4 {
        assert_eq!(creds.matches(&format!("[r{i}]")).count(), 1, "{creds}");
        assert_eq!(w.aws_identity(&format!("r{i}")).unwrap(), assumed_role_arn(&format!("R{i}"), "alice"));
    }
}

#[test]
fn profiles_rolecall_does_not_own_are_refused_unless_forced_with_a_backup() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
        role(m, "Other", &a.user_arn, None);
    });
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.sandbox.write(".aws/config", "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n");
    add_alice(&w);
    w.ok(&["role", "add", "legacy", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    w.ok(&["role", "add", "sso", "--arn", "arn:aws:iam::123456789012:role/Other", "--source", "work"]);
    let files = w.files();
    let e = w.fails(&["assume", "legacy"], "credentials_file.not_owned");
    assert!(
        e.contains("profile legacy: exists in the credentials file and was not written by rolecall; use --force"),
        "{e}"
    );
    let e = w.fails(&["assume", "sso"], "config_file.conflict");
    assert!(e.contains("the config file sets sso_session"), "{e}");
    assert_eq!(w.files(), files);

    let out = w.ok(&["assume", "legacy", "--force"]);
    let backup = out.lines().find_map(|l| l.strip_prefix("the profile's previous content was kept in ")).expect(&out);
    assert_eq!(
        fs::read_to_string(backup).unwrap(),
        "[legacy]\r\naws_access_key_id: AKIALEGACY0000000001\r\nunknown_key = kept\r\n",
        "the backup holds the section taken over, and only it"
    );
    let creds = w.sandbox.read_credentials();
    assert!(creds.contains("[legacy]\r\naws_access_key_id: ASIA"), "edited in place, the user's `:` kept: {creds}");
    assert!(creds.contains("unknown_key = kept\r\n"), "{creds}");
    assert!(
        creds.starts_with("# personal keys, do not touch\r\n[default]\r\naws_access_key_id=AKIAUSEROWNKEY000001\r\n")
    );
    assert_eq!(w.aws_identity("legacy").unwrap(), assumed_role_arn("Admin", "alice"));
    // Now owned: no force needed, no new backup.
    let out = w.ok(&["assume", "legacy"]);
    assert!(!out.contains("previous content"), "{out}");
}

#[test]
fn bad_input_is_refused_with_a_clear_error_and_changes_nothing() {
    let w = World::new(|_, _| {});
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    add_alice(&w);
    let arn = "arn:aws:iam::123456789012:role/Admin";
    let table: &[(&[&str], &str)] = &[
        (
            &["role", "add", "x", "--arn", arn, "--source", "work", "--profile", "a]\n[default"],
            "invalid value 'a]\n[default' for '--profile",
        ),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--profile", " padded"], "whitespace"),
        (&["role", "add", "x", "--arn", "arn:aws:s3:::bucket/some-key-000", "--source", "work"], "not iam"),
        (&["role", "add", "x", "--arn", "arn:aws:iam::123456789012:user/alice", "--source", "work"], "not a role"),
        (
            &["role", "add", "x", "--arn", "arn:aws-foo:iam::123456789012:role/A", "--source", "work"],
            "unknown partition",
        ),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--duration", "899"], "between 15m"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--duration", "13h"], "between 15m"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--duration", "soon"], "not a duration"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--session-name", "has space"], "not allowed"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--tag", "novalue"], "key=value"),
        (
            &["role", "add", "x", "--arn", arn, "--source", "work", "--tag", &format!("k={}", "v".repeat(257))],
            "tag value",
        ),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--region", "mars-1"], "region"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--region", "cn-north-1"], "partition"),
        (&["role", "add", "x", "--arn", arn, "--source", "work", "--mfa"], "needs an MFA device"),
        (&["role", "add", "x", "--arn", arn, "--source", "nowhere"], "not found"),
        (&["role", "add", "bad name", "--arn", arn, "--source", "work"], "not allowed"),
        (&["assume", "x", "--token-code", "12345"], "6 digits"),
        (&["assume", "x", "--token-code", "1234567"], "6 digits"),
        (&["assume", "missing"], "favourite missing: not found"),
        (&["source", "add", "x", "--mfa-serial", "arn:aws:iam::123456789012:role/x"], "not an MFA device"),
    ];
    let files = w.files();
    for (args, want) in table {
        let o = w.run(args);
        assert!(!o.status.success(), "{args:?} was accepted:\n{}", text(&o));
        assert!(stderr(&o).contains(want), "{args:?}: expected {want:?} in:\n{}", text(&o));
        assert_eq!(w.files(), files, "{args:?} changed a file");
    }
    // A credentials file that cannot be parsed is never rewritten.
    w.ok(&["role", "add", "admin", "--arn", arn, "--source", "work"]);
    let broken = "[default]\naws_access_key_id = AKIA\nthis line is not ini\n";
    w.sandbox.write(".aws/credentials", broken);
    let e = w.fails(&["assume", "admin"], "credentials_file.unparseable");
    assert!(e.contains("credentials file line 3"), "{e}");
    assert_eq!(w.sandbox.read_credentials(), broken);
}

#[test]
fn mfa_favourites_take_a_code_and_say_when_one_is_needed() {
    let w = World::without_auth_mode(|m, a| {
        role(m, "Secure", &a.user_arn, None);
    });
    let serial = w.moto().create_mfa_device("alice");
    let o = w.add_source("work", &w.alice().access_key_id, &w.alice().secret_access_key, &["--mfa-serial", &serial]);
    assert!(o.status.success(), "{}", text(&o));
    w.ok(&["role", "add", "secure", "--arn", "arn:aws:iam::123456789012:role/Secure", "--source", "work", "--mfa"]);
    let e = w.fails(&["assume", "secure"], "input.needed");
    assert!(e.contains(&format!("favourite secure: needs a code from MFA device {serial}; pass --token-code")), "{e}");
    w.ok(&["assume", "secure", "--token-code", "123456"]);
    assert_eq!(w.aws_identity("secure").unwrap(), assumed_role_arn("Secure", "alice"));
}

#[test]
fn removing_a_source_and_a_favourite_cleans_up_only_what_rolecall_owns() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    add_alice(&w);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    w.ok(&["assume", "admin"]);
    w.fails(&["source", "remove", "work"], "config.in_use");
    assert!(
        w.keychain.lookup(&[("service", "rolecall-test"), ("username", "source:work")]).is_some(),
        "a refused removal keeps the keys"
    );
    assert_eq!(w.ok(&["role", "remove", "admin"]), "Removed favourite admin and its profile admin\n");
    assert_eq!(w.sandbox.read_credentials(), format!("{USER_CREDENTIALS}\r\n\r\n"));
    w.ok(&["source", "remove", "work"]);
    assert!(w.keychain.lookup(&[("service", "rolecall-test"), ("username", "source:work")]).is_none());
    assert_eq!(w.ok(&["source", "list"]), "NAME  TYPE  KEY  MFA  IDENTITY\n");
}

#[test]
fn an_aws_profile_can_be_the_source() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    w.sandbox.write(
        ".aws/credentials",
        &format!(
            "[alice-keys]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            w.alice().access_key_id,
            w.alice().secret_access_key
        ),
    );
    let o = w.run(&["source", "add", "corp", "--aws-profile", "alice-keys"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("arn:aws:iam::123456789012:user/alice"));
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "corp"]);
    w.ok(&["assume", "admin"]);
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
}

#[test]
fn an_unreachable_endpoint_is_reported_as_such() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    add_alice(&w);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    let port = rolecall_e2e::free_port();
    let mut envs = w.envs();
    envs.push(("AWS_ENDPOINT_URL".into(), format!("http://127.0.0.1:{port}")));
    let mut cmd = w.sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
    cmd.args(["assume", "admin"]);
    let o = rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(60));
    assert!(stderr(&o).starts_with("rolecall: sts.unreachable: favourite admin: assume arn:aws:iam::123456789012:role/Admin: cannot reach the STS endpoint"), "{}", text(&o));
    assert!(!w.sandbox.credentials_path().exists());
}

/// Runs rolecall under a pseudo-terminal (util-linux `script`), answering each prompt only once
/// it has been printed, as a person would. Returns everything the terminal showed.
fn on_a_terminal(w: &World, args: &str, answers: &[(&str, &str)]) -> String {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    let bin = rolecall_e2e::rolecall_bin();
    let mut cmd = w.sandbox.command("script", &w.envs());
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"]);
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("script runs");
    let shown = Arc::new(Mutex::new(String::new()));
    let mut out = child.stdout.take().unwrap();
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let mut stdin = child.stdin.take().unwrap();
    for (prompt, answer) in answers {
        rolecall_e2e::wait_until(&format!("the prompt {prompt:?}"), std::time::Duration::from_secs(20), || {
            shown.lock().unwrap().contains(prompt)
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
    rolecall_e2e::wait_until("rolecall to finish", std::time::Duration::from_secs(30), || {
        child.try_wait().unwrap().is_some()
    });
    drop(stdin);
    reader.join().unwrap();
    shown.lock().unwrap().clone()
}

#[test]
fn on_a_terminal_the_secret_is_hidden_and_mfa_codes_are_asked_for() {
    let w = World::without_auth_mode(|m, a| {
        role(m, "Secure", &a.user_arn, None);
    });
    let serial = w.moto().create_mfa_device("alice");
    let shown = on_a_terminal(
        &w,
        &format!("source add work --mfa-serial {serial}"),
        &[("Access key id for work: ", &w.alice().access_key_id), ("(hidden): ", &w.alice().secret_access_key)],
    );
    assert!(shown.contains("Added source work: arn:aws:iam::123456789012:user/alice"), "{shown}");
    assert!(!shown.contains(&w.alice().secret_access_key), "the secret was echoed: {shown}");
    w.ok(&["role", "add", "secure", "--arn", "arn:aws:iam::123456789012:role/Secure", "--source", "work", "--mfa"]);
    let shown = on_a_terminal(
        &w,
        "assume secure",
        &[(&format!("MFA code for secure ({serial}): "), "12345"), ("MFA code for secure", "123456")],
    );
    assert!(shown.contains("mfa code: must be exactly 6 digits"), "a bad code is explained and asked again: {shown}");
    assert!(shown.contains(&assumed_role_arn("Secure", "alice")), "{shown}");
    assert_eq!(w.aws_identity("secure").unwrap(), assumed_role_arn("Secure", "alice"));
}

#[test]
fn verbose_logs_never_show_a_secret() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    add_alice(&w);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    let o = w.run(&["assume", "admin", "-vv"]);
    assert!(o.status.success(), "{}", text(&o));
    let logs = stderr(&o);
    assert!(logs.contains("AssumeRole"), "debug logs are on: {logs}");
    let creds = w.sandbox.read_credentials();
    let value = |k: &str| creds.lines().find_map(|l| l.strip_prefix(&format!("{k} = "))).unwrap().to_owned();
    for secret in [w.alice().secret_access_key.clone(), value("aws_secret_access_key"), value("aws_session_token")] {
        assert!(!logs.contains(&secret) && !stdout(&o).contains(&secret), "a secret is in the output");
    }
    assert!(
        !logs.contains(&w.alice().access_key_id) && !logs.contains(&value("aws_access_key_id")),
        "key ids are masked"
    );

    // Even the SDK's own trace logs, which only ROLECALL_LOG turns on, carry no secret.
    let mut envs = w.envs();
    envs.push(("ROLECALL_LOG".into(), "trace".into()));
    let mut cmd = w.sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
    cmd.args(["assume", "admin"]);
    let o = rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(60));
    assert!(o.status.success(), "{}", text(&o));
    let logs = stderr(&o);
    assert!(logs.contains("beginning attempt #1"), "the SDK's logs are on");
    let creds = w.sandbox.read_credentials();
    let value = |k: &str| creds.lines().find_map(|l| l.strip_prefix(&format!("{k} = "))).unwrap().to_owned();
    for secret in [w.alice().secret_access_key.clone(), value("aws_secret_access_key"), value("aws_session_token")] {
        assert!(!logs.contains(&secret), "a secret is in the SDK's trace logs");
    }
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn forced_takeovers_keep_only_that_section_in_a_private_backup_that_backups_lists() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    // The credentials file lives in a dotfiles repo; ~/.aws/credentials links to it.
    w.sandbox.write("dotfiles/aws/credentials", USER_CREDENTIALS);
    let dotfiles = w.sandbox.home().join("dotfiles/aws");
    fs::create_dir_all(w.sandbox.aws_dir()).unwrap();
    std::os::unix::fs::symlink(dotfiles.join("credentials"), w.sandbox.credentials_path()).unwrap();
    add_alice(&w);
    w.ok(&["role", "add", "legacy", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    assert!(w.ok(&["backups"]).starts_with("No backups in "), "none yet");
    let (aws_before, dotfiles_before) = (names_in(&w.sandbox.aws_dir()), names_in(&dotfiles));

    let out = w.ok(&["assume", "legacy", "--force"]);
    let backup = out.lines().find_map(|l| l.strip_prefix("the profile's previous content was kept in ")).expect(&out);
    let backup = std::path::PathBuf::from(backup);
    assert!(out.contains("`rolecall backups` lists the backups"), "{out}");
    // Only the overwritten section: none of the other profiles' keys.
    let kept = fs::read_to_string(&backup).unwrap();
    assert_eq!(kept, "[legacy]\r\naws_access_key_id: AKIALEGACY0000000001\r\nunknown_key = kept\r\n");
    assert!(!kept.contains("AKIAUSEROWNKEY000001") && !kept.contains("userSecretThatMustSurvive"), "{kept}");
    // In rolecall's private data dir, 0600 in 0700 directories.
    let backups_dir = w.sandbox.home().join(".local/share/rolecall/backups");
    assert_eq!(backup.parent(), Some(backups_dir.as_path()), "{}", backup.display());
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with("Z-legacy.ini") && name.len() == "20261201T234501Z-legacy.ini".len(), "{name}");
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&backups_dir), 0o700);
    assert_eq!(mode(backups_dir.parent().unwrap()), 0o700);
    // Nothing new next to the link or its target, but the lock file.
    assert_eq!(names_in(&w.sandbox.aws_dir()), aws_before);
    let mut expected = dotfiles_before;
    expected.insert(0, ".credentials.rolecall.lock".to_owned());
    assert_eq!(names_in(&dotfiles), expected);
    assert!(fs::symlink_metadata(w.sandbox.credentials_path()).unwrap().file_type().is_symlink());
    assert_eq!(w.aws_identity("legacy").unwrap(), assumed_role_arn("Admin", "alice"));

    // `rolecall backups` lists it, as a table and as JSON.
    let listed = w.ok(&["backups"]);
    assert!(listed.starts_with("TIME"), "{listed}");
    let row = listed.lines().nth(1).expect(&listed);
    assert!(row.contains(" legacy ") && row.ends_with(&backup.display().to_string()), "{listed}");
    let v: Value = serde_json::from_str(&w.ok(&["backups", "--json"])).unwrap();
    let list = v.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["path"], backup.display().to_string());
    assert_eq!(list[0]["profile"], "legacy");
    let time = chrono::DateTime::parse_from_rfc3339(list[0]["time"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - time.to_utc()).num_minutes().abs() < 10, "{time}");
    assert!(!v.to_string().contains("AKIALEGACY"), "no key in the listing");

    // ROLECALL_DATA_DIR moves the data dir.
    let mut envs = w.envs();
    let elsewhere = w.sandbox.home().join("elsewhere");
    envs.push(("ROLECALL_DATA_DIR".into(), elsewhere.display().to_string()));
    let mut cmd = w.sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
    cmd.args(["backups"]);
    let o = rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(60));
    assert_eq!(
        stdout(&o),
        format!(
            "No backups in {} (one is kept when `rolecall assume --force` takes over a profile)\n",
            elsewhere.join("backups").display()
        )
    );
}

#[test]
fn a_fifo_a_huge_file_or_a_symlinked_lock_file_is_refused_at_once() {
    let sandbox = rolecall_e2e::Sandbox::new();
    let envs = sandbox.envs_for(None, None);
    let run = |args: &[&str]| {
        let mut cmd = sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
        cmd.args(args);
        // A read that blocked on the FIFO would hit this timeout and fail the test.
        rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(30))
    };
    fs::create_dir_all(sandbox.aws_dir()).unwrap();
    let creds = sandbox.credentials_path();
    let o = std::process::Command::new("mkfifo").arg(&creds).output().unwrap();
    assert!(o.status.success(), "mkfifo: {}", text(&o));
    let o = run(&["status"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "rolecall: credentials_file.not_regular: {}: is a named pipe (FIFO), not a regular file; replace it with a regular file or point AWS_SHARED_CREDENTIALS_FILE at one\n",
            creds.display()
        )
    );
    fs::remove_file(&creds).unwrap();
    // 5 GiB, sparse: refused from its size, not read.
    fs::File::create(&creds).unwrap().set_len(5 << 30).unwrap();
    let err = stderr(&run(&["status"]));
    assert!(err.starts_with("rolecall: credentials_file.too_large: "), "{err}");
    assert!(err.contains(": is 5120 MiB, more than the 64 MiB rolecall reads; "), "{err}");
    fs::remove_file(&creds).unwrap();
    fs::File::create(sandbox.config_path()).unwrap().set_len(5 << 30).unwrap();
    let err = stderr(&run(&["import"]));
    assert!(err.starts_with("rolecall: config_file.too_large: "), "{err}");
    fs::remove_file(sandbox.config_path()).unwrap();
    // A lock file that points elsewhere is not followed.
    let lock = sandbox.rolecall_config_dir().join(".config.toml.rolecall.lock");
    fs::create_dir_all(sandbox.rolecall_config_dir()).unwrap();
    let target = sandbox.home().join("planted");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let o = run(&["role", "add", "x", "--arn", "arn:aws:iam::123456789012:role/A", "--source", "s"]);
    let err = stderr(&o);
    assert!(err.starts_with("rolecall: file.lock_not_regular: "), "{err}");
    assert!(!target.exists(), "the link was not followed");
}

/// A loopback listener standing in for an HTTPS proxy: it records the first line of each
/// connection (`CONNECT host:443 HTTP/1.1`) and closes it. Where a client that honours
/// `HTTPS_PROXY` meant to go, without anything leaving the machine.
struct RecordingProxy {
    port: u16,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        // The thread ends with the test process; each connection is read once and dropped.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let request = rolecall_e2e::http::Request::read(&mut std::io::BufReader::new(&stream), 0);
                seen.lock().unwrap().push(request.map(|r| r.request_line()).unwrap_or_default());
            }
        });
        RecordingProxy { port, lines }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

#[test]
fn an_ambient_aws_profile_changes_nothing_for_keychain_keys() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
        role(m, "Hop", &assumed_role_arn("Admin", "alice"), None);
    });
    add_alice(&w);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "work"]);
    w.ok(&["role", "add", "hop", "--arn", "arn:aws:iam::123456789012:role/Hop", "--source", "admin"]);
    let fake = rolecall_e2e::FakeSts::start(vec![rolecall_e2e::Reply::Success]);
    // Profiles for a local emulator: every setting that could move or break an STS call, in the
    // profile AWS_PROFILE names and in [default]. None of them may touch a call signed with
    // keychain keys or with a session rolecall got from them.
    w.sandbox.write(
        ".aws/config",
        &format!(
            "[default]\nendpoint_url = http://127.0.0.1:1\nuse_fips_endpoint = true\n\n\
             [profile localstack]\nendpoint_url = http://127.0.0.1:1\nservices = local\nuse_fips_endpoint = true\n\
             use_dualstack_endpoint = true\nignore_configured_endpoint_urls = true\nregion = ap-southeast-2\n\
             retry_mode = adaptive\nmax_attempts = 1\n\n\
             [services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n\n\
             [profile emulator]\nendpoint_url = {}\n",
            fake.endpoint()
        ),
    );
    let proxy = RecordingProxy::start();
    let run = |envs: Vec<(String, String)>, profile: &str, args: &[&str]| {
        let mut envs = envs;
        for (k, v) in [
            ("AWS_PROFILE", profile),
            ("AWS_DEFAULT_PROFILE", profile),
            // Anything bound for AWS itself ends at the recording proxy, never on the network.
            ("HTTPS_PROXY", &proxy.url()),
            ("https_proxy", &proxy.url()),
            ("NO_PROXY", ""),
            ("no_proxy", ""),
        ] {
            envs.push((k.to_owned(), v.to_owned()));
        }
        let mut cmd = w.sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
        cmd.args(args);
        rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(60))
    };

    // The documented variable (AWS_ENDPOINT_URL, here moto) is where the calls go: the chain's
    // first link signed with the keys, the second with the first's session.
    let o = run(w.envs(), "localstack", &["assume", "hop"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(w.aws_identity("hop").unwrap(), assumed_role_arn("Hop", "alice"));
    let mut sts_only = w.envs();
    sts_only.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    sts_only.push(("AWS_ENDPOINT_URL_STS".into(), w.moto().endpoint()));
    let o = run(sts_only, "localstack", &["assume", "admin"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
    assert!(proxy.lines().is_empty(), "nothing went to AWS: {:?}", proxy.lines());

    // With no endpoint variable the call goes to AWS's STS for the region, not to the
    // profile's endpoint_url: the keys' signature never reaches the emulator.
    let before = w.sandbox.read_credentials();
    let o = run(w.sandbox.envs_for(None, Some(&w.keychain)), "emulator", &["assume", "admin"]);
    assert!(fake.requests().is_empty(), "the profile's endpoint got {:?}", fake.requests());
    assert!(stderr(&o).starts_with("rolecall: sts.unreachable: "), "{}", text(&o));
    let lines = proxy.lines();
    assert!(!lines.is_empty(), "no request reached the proxy: {}", text(&o));
    assert!(lines.iter().all(|l| l == "CONNECT sts.us-east-1.amazonaws.com:443 HTTP/1.1"), "{lines:?}");
    assert_eq!(w.sandbox.read_credentials(), before, "a failed assume writes nothing");
}

#[test]
fn an_aws_profile_source_signs_with_that_profile_only() {
    let w = World::new(|m, a| {
        role(m, "Admin", &a.user_arn, None);
    });
    w.sandbox.write(
        ".aws/credentials",
        &format!(
            "[alice-keys]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            w.alice().access_key_id,
            w.alice().secret_access_key
        ),
    );
    w.sandbox
        .write(".aws/config", "[profile localstack]\nendpoint_url = http://127.0.0.1:1\nuse_fips_endpoint = true\n");
    w.ok(&["source", "add", "corp", "--aws-profile", "alice-keys"]);
    w.ok(&["role", "add", "admin", "--arn", "arn:aws:iam::123456789012:role/Admin", "--source", "corp"]);
    // Another profile named by AWS_PROFILE and keys in the environment (as `rolecall env`'s
    // export lines leave them): the source's own profile still signs, and moto (in auth mode,
    // which knows no other key) accepts it.
    let mut envs = w.envs();
    for (k, v) in [
        ("AWS_PROFILE", "localstack"),
        ("AWS_DEFAULT_PROFILE", "localstack"),
        ("AWS_ACCESS_KEY_ID", "AKIAAMBIENTKEY000001"),
        ("AWS_SECRET_ACCESS_KEY", "ambientSecretThatMustNotSign"),
        ("AWS_SESSION_TOKEN", "ambientToken"),
    ] {
        envs.push((k.to_owned(), v.to_owned()));
    }
    let mut cmd = w.sandbox.command(rolecall_e2e::rolecall_bin(), &envs);
    cmd.args(["assume", "admin"]);
    let o = rolecall_e2e::run_with_timeout(&mut cmd, None, std::time::Duration::from_secs(60));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(w.aws_identity("admin").unwrap(), assumed_role_arn("Admin", "alice"));
}
