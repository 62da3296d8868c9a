//! Faults survived end to end, with the real binaries, a real keychain, real files and (for the
//! tray) a real display and D-Bus; the faults the other reliability suites do not reach:
//!
//! - the keychain gone in the middle of a session (gnome-keyring-daemon killed), then back: for
//!   the CLI, and for the tray's automatic renewals;
//! - the tray app SIGKILLed while an automatic renewal is in flight (a scripted STS holds its
//!   answer back, so the kill lands before, during or just after the write), then started again;
//! - a suspend across an expiry: the app frozen (SIGSTOP: nothing of it runs, as in a suspended
//!   machine) between logind's `PrepareForSleep(true)` and `PrepareForSleep(false)`, for a
//!   favourite that renews itself and one that does not. (The monotonic clock keeps running
//!   while a process is stopped, unlike in a real suspend, so this shows the app catches up on
//!   what it slept through; `renewal.rs` and `dbus.rs` show logind's wake-up reaches it.)
//! - `config.toml` edited by hand while the tray runs: a valid edit followed, broken ones
//!   reported with nothing written, the fix picked up;
//! - more malformed input than `reliability.rs` tries: environment variables, hand-broken
//!   `config.toml` contents, odd AWS files and paths, commands naming what does not exist; each
//!   refused with its stable code and nothing changed.
//!
//! Each test prints one `reliability: NAME k=v …` line, which `scripts/reliability` collects.
//! `ROLECALL_TRAY_KILLS` sizes the tray kill test (default 3).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use rolecall_core::profile::{self, AwsFile};
use rolecall_e2e::{FakeLogind, FakeNotifications, Reply, World, rolecall_bin, run_with_timeout, wait_for};

use crate::dbus::desktop_world;
use crate::tray::text;

/// The source's keys (the fake STS checks no signature).
const KEY_ID: &str = "AKIAFAULTS0000000001";
const SECRET: &str = "faultsSourceSecretNeverShown0123456789";
/// The keys `desktop_world` stores for its source.
const DESKTOP_SECRET: &str = rolecall_e2e::EXAMPLE_SECRET;
const ARN: &str = "arn:aws:iam::123456789012:role/Admin";
/// A user's own profile, before rolecall's.
const USER_CREDENTIALS: &str = "[mine]\naws_access_key_id = AKIAUSEROWNKEY000001\naws_secret_access_key = userKeep\n";
/// How long a change to the files may take to reach the tray's menu (file events).
const FOLLOW: Duration = Duration::from_secs(10);
/// A renewal: an STS round trip and a file write, on a busy machine.
const RENEW: Duration = Duration::from_secs(30);

fn size(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A sandbox, a keychain and a scripted STS, for the CLI (keychain calls time out after 10 s),
/// with the user's own profile, source `work` (unverified), favourite `admin` with a region and a
/// tag, and its profile written.
fn cli_with_admin() -> World {
    let cli = World::builder().sts(vec![Reply::Success]).env("ROLECALL_KEYCHAIN_TIMEOUT", "10").build();
    cli.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    cli.ok_with(&["source", "add", "work", "--no-verify"], Some(&format!("{KEY_ID}\n{SECRET}\n")));
    cli.ok(&["role", "add", "admin", "--arn", ARN, "--source", "work", "--region", "eu-west-1", "--tag", "team=x"]);
    cli.ok(&["assume", "admin"]);
    cli
}

/// The `rolecall: CODE: ` line of a failed run, if any.
fn error_line(o: &Output) -> Option<String> {
    String::from_utf8_lossy(&o.stderr).lines().find(|l| l.starts_with("rolecall: ")).map(str::to_owned)
}

/// What is at a path, read without ever blocking on it (a FIFO is not opened): its kind, size,
/// inode and modification time, and the bytes of a regular file up to 1 MiB.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Missing,
    File {
        len: u64,
        ino: u64,
        modified: i128,
        bytes: Option<Vec<u8>>,
    },
    Link(PathBuf),
    Other {
        kind: String,
        ino: u64,
        modified: i128,
    },
    /// A directory's contents, as the paths under it.
    Names(Vec<String>),
}

fn seen(path: &Path) -> Seen {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = fs::symlink_metadata(path) else { return Seen::Missing };
    let modified = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
    if m.file_type().is_symlink() {
        Seen::Link(fs::read_link(path).unwrap())
    } else if m.is_file() {
        let bytes = (m.len() <= 1 << 20).then(|| fs::read(path).unwrap());
        Seen::File { len: m.len(), ino: m.ino(), modified, bytes }
    } else {
        Seen::Other { kind: format!("{:?}", m.file_type()), ino: m.ino(), modified }
    }
}

/// What the AWS files, config.toml and the `odd` paths are, and every path under the AWS dir,
/// the config dir, the data dir and the directories of the `odd` paths (temp files, backups).
fn files_seen(cli: &World, odd: &[PathBuf]) -> Vec<Seen> {
    let mut paths = vec![cli.sandbox.credentials_path(), cli.sandbox.config_path(), cli.config_toml_path()];
    paths.extend(odd.iter().cloned());
    let mut all: Vec<Seen> = paths.iter().map(|p| seen(p)).collect();
    let mut dirs =
        vec![cli.sandbox.aws_dir(), cli.sandbox.rolecall_config_dir(), cli.sandbox.home().join(".local/share")];
    dirs.extend(odd.iter().filter_map(|p| p.parent().map(Path::to_path_buf)));
    dirs.dedup();
    for dir in dirs {
        let mut names: Vec<String> = walk(&dir);
        names.sort();
        all.push(Seen::Names(names));
    }
    all
}

/// What differs between two [`files_seen`], in words (for failure messages).
fn changes(before: &[Seen], after: &[Seen]) -> String {
    let show = |s: &Seen| match s {
        Seen::File { len, bytes: Some(b), .. } => format!("a {len}-byte file: {:?}", String::from_utf8_lossy(b)),
        other => format!("{other:?}"),
    };
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| format!("\n- before: {}\n  after:  {}", show(b), show(a)))
        .collect()
}

/// [`files_seen`] and the keychain's entries.
fn snapshot(cli: &World, odd: &[PathBuf]) -> (Vec<Seen>, String) {
    (files_seen(cli, odd), cli.keychain_entries())
}

/// Every path under `dir` but rolecall's lock files (empty, taken before a file is read: one
/// beside the file a variable names is rolecall's footprint, not a change to what it holds).
fn walk(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let p = e.path();
        if e.file_name().to_string_lossy().ends_with(".rolecall.lock") {
            continue;
        }
        out.push(p.display().to_string());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&p));
        }
    }
    out
}

/// What a file can be instead of a regular file rolecall may read: a directory, a FIFO, a file
/// over the 64 MiB rolecall reads (sparse), a symlink to a device.
#[derive(Clone, Copy, Debug)]
enum Odd {
    Dir,
    Fifo,
    TooLarge,
    Device,
}

/// Makes `path` `odd`, replacing whatever was there.
fn make_odd(path: &Path, odd: Odd) {
    remove_any(path);
    match odd {
        Odd::Dir => fs::create_dir(path).unwrap(),
        Odd::Fifo => {
            let s = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils)");
            assert!(s.success());
        }
        Odd::TooLarge => fs::File::create(path).unwrap().set_len(65 << 20).unwrap(),
        Odd::Device => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
    }
}

/// Removes a file, FIFO, symlink or directory tree at `path`, if any.
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).unwrap(),
        Ok(_) => fs::remove_file(path).unwrap(),
        Err(_) => {}
    }
}

/// Sends `signal` (`KILL`, `STOP`, `CONT`) to process `pid`.
fn signal(pid: u32, signal: &str) {
    let s = std::process::Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().unwrap();
    assert!(s.success(), "kill -{signal} {pid}");
}

/// rolecall's temp files in `dir` (`.NAME.rolecall-PID-N.tmp`).
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(".rolecall-") && n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A file's permission bits.
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The expiry rolecall recorded for `profile` in `credentials`.
fn expiry(credentials: &str, profile: &str) -> Option<String> {
    let doc = profile::parse(AwsFile::Credentials, credentials.as_bytes().to_vec()).ok()?;
    doc.get(profile, "x_security_token_expires")
}

/// Checks that `bytes` is a whole credentials file: parseable, the user's profile first and
/// untouched, and `profile` holding one complete session of the fake STS (key id, secret and
/// token of the same session). Returns the session's number.
fn whole_session(bytes: &[u8], profile: &str) -> u64 {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
    assert!(text.starts_with(USER_CREDENTIALS), "the user's profile changed:\n{text}");
    let doc = profile::parse(AwsFile::Credentials, bytes.to_vec()).unwrap_or_else(|e| panic!("{e}:\n{text}"));
    let key = doc.get(profile, "aws_access_key_id").unwrap_or_else(|| panic!("no [{profile}]:\n{text}"));
    let n: u64 = key.strip_prefix("ASIAFAKE").and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{key}"));
    let secret = doc.get(profile, "aws_secret_access_key").unwrap();
    let token = doc.get(profile, "aws_session_token").unwrap();
    assert!(secret.starts_with(&format!("fakeSessionSecret{n:04}")), "key {key} with another session's secret");
    assert!(token.starts_with(&format!("fakeSessionToken{n:04}")), "key {key} with another session's token");
    assert!(doc.get(profile, "x_security_token_expires").is_some(), "no expiry in [{profile}]");
    n
}

#[test]
fn the_keychain_gone_mid_run_fails_clearly_changes_nothing_and_works_once_it_is_back() {
    let mut cli = cli_with_admin();
    let (files, entries) = snapshot(&cli, &[]);
    assert!(entries.contains(SECRET), "the source's keys are in the keychain");
    // The keyring daemon dies (crashes, or the desktop session loses it); the bus stays.
    cli.keychain.kill_daemon();
    let mut tried = 0;
    for (args, stdin) in [
        (&["assume", "admin"][..], None),
        (&["renew", "admin"][..], None),
        (&["source", "add", "other", "--no-verify"][..], Some(format!("{KEY_ID}\n{SECRET}\n"))),
    ] {
        let started = Instant::now();
        let o = cli.run_with(args, stdin.as_deref());
        assert!(!o.status.success(), "{args:?} worked without a keychain:\n{}", text(&o));
        let line = error_line(&o).unwrap_or_default();
        assert!(line.starts_with("rolecall: keychain.unavailable: source "), "{args:?}:\n{}", text(&o));
        assert!(line.contains("no keychain is available"), "says what is wrong: {line}");
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?} took {:?}", started.elapsed());
        assert!(!text(&o).contains(SECRET), "a secret in the output");
        let now = files_seen(&cli, &[]);
        assert!(now == files, "{args:?} changed {}", changes(&files, &now));
        tried += 1;
    }
    // It comes back (as at the next login): the keys are still there and everything works.
    cli.keychain.unlock();
    let kept = |e: &str| {
        e.lines().filter(|l| l.starts_with("secret = ") || l.starts_with("attribute.")).collect::<Vec<_>>().join("\n")
    };
    assert_eq!(kept(&cli.keychain_entries()), kept(&entries), "the keychain's entries survived");
    let before = cli.sandbox.read_credentials();
    cli.ok(&["assume", "admin"]);
    let after = cli.sandbox.read_credentials();
    assert_ne!(whole_session(after.as_bytes(), "admin"), whole_session(before.as_bytes(), "admin"), "a new session");
    cli.ok_with(&["source", "add", "other", "--no-verify"], Some(&format!("{KEY_ID}\n{SECRET}\n")));
    println!("reliability: keychain_gone tried={tried} lost=0 recovered=yes");
}

#[test]
fn the_tray_rides_out_the_keychain_gone_and_renews_once_it_is_back() {
    // Twenty-second sessions that renew themselves from halfway.
    let mut w = desktop_world(20, &["--auto-renew", "--duration", "15m"]);
    let notifications = FakeNotifications::start(w.keychain.address());
    let app = w.start_app_with(&[("ROLECALL_KEYCHAIN_TIMEOUT", "5")], &[]);
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.ok_with(&["assume", "admin"], None);
    let written = w.sandbox.read_credentials();
    let assumed = w.sts().count("AssumeRole");
    w.keychain.kill_daemon();

    // The renewal cannot read the source's keys: said once, the session left as it is.
    let failed =
        notifications.wait_for("the failed renewal", Duration::from_secs(60), |n| n.summary == "Could not renew admin");
    eprintln!("notified: {:?}", failed.body);
    assert!(failed.body.contains("keychain"), "the reason: {}", failed.body);
    assert!(failed.body.contains("stays in place"), "{}", failed.body);
    assert_eq!(w.sandbox.read_credentials(), written, "the session written stays");
    assert_eq!(w.sts().count("AssumeRole"), assumed, "no STS call without the keys");

    // The keyring comes back (a new login): the next try renews, and the failure is closed.
    w.keychain.unlock();
    let old = expiry(&written, "admin").unwrap();
    wait_for("a renewal once the keychain is back", Duration::from_secs(120), || {
        expiry(&w.sandbox.read_credentials(), "admin").filter(|e| e > &old)
    });
    whole_session(w.sandbox.read_credentials().as_bytes(), "admin");
    wait_for("the failure closed", FOLLOW, || notifications.closed().contains(&failed.id).then_some(()));
    let failures = notifications.notifications().iter().filter(|n| n.summary == "Could not renew admin").count();
    assert_eq!(failures, 1, "failures in a row are said once: {}", notifications.log());
    assert!(!app.log().contains(DESKTOP_SECRET), "a secret in the log");
    println!("reliability: keychain_gone_tray notified={failures} lost=0 recovered=yes");
}

/// A small xorshift generator, seeded from the clock (printed, to replay a run).
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
        eprintln!("kill timing seed {seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn the_tray_killed_during_a_renewal_leaves_the_old_or_the_new_session_and_a_restarted_tray_renews() {
    let kills = size("ROLECALL_TRAY_KILLS", 3);
    // Two-second sessions: each is due for renewal (or past its expiry) when a tray starts.
    let w = desktop_world(2, &["--auto-renew", "--duration", "15m"]);
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.ok_with(&["assume", "admin"], None);
    let creds = w.sandbox.credentials_path();
    let config = fs::read(w.sandbox.rolecall_config_dir().join("config.toml")).unwrap();
    let delay = Duration::from_millis(1500);
    let mut rng = Rng::seeded();
    let (mut old_kept, mut new_written, mut temp_left) = (0, 0, 0);
    for kill in 0..kills {
        let before = fs::read(&creds).unwrap();
        // STS answers each renewal 1.5 s late; the kill comes while the request waits (half the
        // kills), within 10 ms of the answer (a quarter: the write takes a few milliseconds), or
        // up to 80 ms after it.
        w.sts().set_script(vec![Reply::Delay(delay, Box::new(Reply::SuccessFor(2)))]);
        let asked = w.sts().count("AssumeRole");
        let temps = temp_files(&w.sandbox.aws_dir());
        let mut app = w.spawn_app(&[], &[]);
        let started = Instant::now();
        while w.sts().count("AssumeRole") == asked {
            assert!(app.exited().is_none(), "the tray exited:\n{}", app.log());
            assert!(started.elapsed() < Duration::from_secs(90), "no renewal began:\n{}", app.log());
            std::thread::sleep(Duration::from_millis(5));
        }
        let at = match rng.below(4) {
            0 | 1 => Duration::from_millis(rng.below(1500)),
            2 => delay + Duration::from_micros(rng.below(100) * 100),
            _ => delay + Duration::from_micros(rng.below(80_000)),
        };
        std::thread::sleep(at);
        signal(app.pid(), "KILL");
        app.wait_exit(Duration::from_secs(10));
        let after = fs::read(&creds).unwrap();
        // A kill in the middle of the write leaves its temp file (holding the new session).
        temp_left += usize::from(temp_files(&w.sandbox.aws_dir()).iter().any(|t| !temps.contains(t)));
        let session = whole_session(&after, "admin");
        if after == before {
            old_kept += 1;
        } else {
            assert!(session > whole_session(&before, "admin"), "kill {kill} ({at:?} in): a newer session");
            new_written += 1;
        }
        assert_eq!(mode(&creds), 0o600, "kill {kill}: mode");
        assert_eq!(fs::read(w.sandbox.rolecall_config_dir().join("config.toml")).unwrap(), config, "config.toml");
        eprintln!("kill {kill} {at:?} after the request: {}", if after == before { "old kept" } else { "new written" });
    }
    // Started again, the tray renews, and the write removes any temp file a kill left.
    let before = fs::read_to_string(&creds).unwrap();
    w.sts().set_script(vec![Reply::SuccessFor(60)]);
    let app = w.start_app(&[]);
    let old_expiry = expiry(&before, "admin").unwrap();
    wait_for("a renewal by the restarted tray", RENEW, || {
        let now = fs::read_to_string(&creds).unwrap();
        expiry(&now, "admin").filter(|e| e > &old_expiry)
    });
    whole_session(&fs::read(&creds).unwrap(), "admin");
    assert_eq!(temp_files(&w.sandbox.aws_dir()), Vec::<String>::new(), "temp files left:\n{}", app.log());
    assert_eq!(mode(&creds), 0o600);
    app.wait_for_label("admin's fresh session in the menu", FOLLOW, |i| {
        i.label.starts_with("admin · ") && i.label.ends_with(" left")
    });
    assert!(!app.log().contains(DESKTOP_SECRET) && !app.log().contains("fakeSessionSecret"), "a secret in the log");
    println!(
        "reliability: tray_killed kills={kills} old_kept={old_kept} new_written={new_written} temp_left_by_kill={temp_left} lost=0 recovered=yes"
    );
}

#[test]
fn a_suspend_across_an_expiry_renews_or_reports_at_once_on_wake_and_loses_nothing() {
    // Half-minute sessions: `admin` renews itself from halfway, `dev` is only warned about.
    let w = desktop_world(30, &["--auto-renew", "--duration", "15m"]);
    let dev_arn = "arn:aws:iam::123456789012:role/Dev";
    w.ok_with(
        &["role", "add", "dev", "--arn", dev_arn, "--source", "work", "--no-auto-renew", "--duration", "15m"],
        None,
    );
    let notifications = FakeNotifications::start(w.keychain.address());
    let logind = FakeLogind::start(w.keychain.address());
    let app = w.start_app_with(&[("ROLECALL_LOGIND_BUS", "session")], &[]);
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.ok_with(&["assume", "admin"], None);
    w.ok_with(&["assume", "dev"], None);
    let written = Instant::now();
    let asleep = w.sandbox.read_credentials();
    let assumes = w.sts().count("AssumeRole");
    app.wait_for_label("dev's time left", FOLLOW, |i| i.label.starts_with("dev · "));

    // The lid closes: logind says so, then nothing of the app runs until the machine wakes,
    // past both expiries.
    logind.prepare_for_sleep(true);
    signal(app.pid(), "STOP");
    assert!(written.elapsed() < Duration::from_secs(12), "asleep before admin's renewal was due");
    std::thread::sleep(Duration::from_secs(40).saturating_sub(written.elapsed()));
    assert_eq!(w.sts().count("AssumeRole"), assumes, "nothing ran while asleep");
    signal(app.pid(), "CONT");
    logind.prepare_for_sleep(false);
    let woke = Instant::now();

    // `admin` is renewed at once, `dev` is reported expired at once, its old session kept.
    let old = expiry(&asleep, "admin").unwrap();
    wait_for("admin renewed on wake", RENEW, || expiry(&w.sandbox.read_credentials(), "admin").filter(|e| e > &old));
    let renewed_after = woke.elapsed();
    let expired = notifications.wait_for("dev's expiry", RENEW, |n| n.summary == "dev has expired");
    let noted_after = woke.elapsed();
    assert!(expired.has_action("renew"), "{:?}", expired.actions);
    assert_eq!(w.sts().count("AssumeRole"), assumes + 1, "one renewal, of admin: {:?}", w.sts().requests());
    let now = w.sandbox.read_credentials();
    whole_session(now.as_bytes(), "admin");
    assert_eq!(expiry(&now, "dev"), expiry(&asleep, "dev"), "dev's session stays until renewed");
    app.wait_for_label("dev expired in the menu", FOLLOW, |i| i.label == "dev · expired");
    assert!(app.log().contains("resumed from sleep"), "{}", app.log());
    assert!(renewed_after < Duration::from_secs(20) && noted_after < Duration::from_secs(20), "not at once");
    let failures = notifications.notifications().into_iter().filter(|n| n.summary.starts_with("Could not")).count();
    assert_eq!(failures, 0, "{}", notifications.log());

    // The user renews dev from the notification.
    notifications.invoke_action(expired.id, "renew");
    let dev_old = expiry(&asleep, "dev").unwrap();
    wait_for("dev renewed", RENEW, || expiry(&w.sandbox.read_credentials(), "dev").filter(|e| e > &dev_old));
    whole_session(w.sandbox.read_credentials().as_bytes(), "dev");
    println!(
        "reliability: suspend_expiry slept_secs={} renewed_on_wake_secs={:.1} noted_expired_secs={:.1} lost=0 recovered=yes",
        woke.duration_since(written).as_secs(),
        renewed_after.as_secs_f64(),
        noted_after.as_secs_f64()
    );
}

/// Writes `text` to a new file beside `path` and renames it over `path`, as vim and most editors
/// save.
fn save_by_rename(path: &Path, text: &str) {
    let tmp = path.with_file_name("config.toml.swp");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

#[test]
fn config_toml_edited_by_hand_while_the_tray_runs_is_followed_a_broken_edit_reported_and_nothing_lost() {
    let w = desktop_world(900, &[]);
    w.sandbox.write(".aws/credentials", USER_CREDENTIALS);
    w.ok_with(&["assume", "admin"], None);
    let app = w.start_app(&[]);
    app.wait_for_label("admin's time left", FOLLOW, |i| i.label.starts_with("admin · "));
    let path = w.sandbox.rolecall_config_dir().join("config.toml");
    let original = fs::read_to_string(&path).unwrap();
    let creds = w.sandbox.read_credentials();
    let mut edits = 0;

    // The user adds a favourite by hand, saved the way editors do.
    let ops = "\n[roles.ops]\narn = \"arn:aws:iam::123456789012:role/Ops\"\nsource = \"work\"\nprofile = \"ops\"\n";
    let with_ops = format!("{original}{ops}");
    save_by_rename(&path, &with_ops);
    edits += 1;
    app.wait_for_label("the favourite added by hand", FOLLOW, |i| i.label == "ops");

    // A typo, saved in place: the tray says what is wrong and writes nothing.
    let broken = with_ops.replace("[roles.ops]", "[roles.ops");
    fs::write(&path, &broken).unwrap();
    edits += 1;
    let warning = app.wait_for_label("the broken config.toml reported", FOLLOW, |i| {
        i.label.starts_with("⚠ ") && i.label.contains("config.toml")
    });
    eprintln!("the tray says: {}", warning.label);
    let o = {
        let mut cmd = w.sandbox.command(rolecall_bin(), &w.envs());
        cmd.arg("status");
        run_with_timeout(&mut cmd, None, Duration::from_secs(60))
    };
    assert!(error_line(&o).is_some_and(|l| l.starts_with("rolecall: config.syntax: ")), "{}", text(&o));

    // A valid file that names a source that does not exist.
    let dangling = with_ops.replace("source = \"work\"\nprofile = \"ops\"", "source = \"nowhere\"\nprofile = \"ops\"");
    assert_ne!(dangling, with_ops);
    save_by_rename(&path, &dangling);
    edits += 1;
    app.wait_for_label("the dangling source reported", FOLLOW, |i| {
        i.label.starts_with("⚠ ") && i.label.contains("nowhere")
    });
    // Nothing written meanwhile: the file stays as the user left it, and so does the session.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(fs::read_to_string(&path).unwrap(), dangling, "the tray rewrote config.toml");
    assert_eq!(w.sandbox.read_credentials(), creds, "the credentials changed");
    assert_eq!(w.sts().count("AssumeRole"), 1, "no STS call while the config was broken");

    // Fixed: the favourites are back, the session untouched, and a click assumes the new one.
    fs::write(&path, &with_ops).unwrap();
    edits += 1;
    app.wait_for_menu("the favourites back without a warning", FOLLOW, |m| {
        let labels = m.child_labels();
        labels.iter().any(|l| l == "ops")
            && labels.iter().any(|l| l.starts_with("admin · "))
            && !labels.iter().any(|l| l.starts_with('⚠'))
    });
    assert_eq!(w.sandbox.read_credentials(), creds);
    app.click("ops");
    wait_for("ops assumed", RENEW, || expiry(&w.sandbox.read_credentials(), "ops"));
    let now = w.sandbox.read_credentials();
    whole_session(now.as_bytes(), "ops");
    let section = |text: &str| text.split("[admin]").nth(1).map(|s| s.split("\n[").next().unwrap_or("").to_owned());
    assert_eq!(section(&now), section(&creds), "admin's session is untouched");
    assert_eq!(fs::read_to_string(&path).unwrap(), with_ops, "the hand edit is kept as written");
    println!("reliability: config_hand_edit edits={edits} broken_reported=2 lost=0 recovered=yes");
}

/// Where a malformed value goes before the command runs.
enum Setup {
    /// Nothing: the value is in the environment or the arguments.
    None,
    /// config.toml replaced by these bytes.
    ConfigToml(Vec<u8>),
    /// The credentials file replaced by these bytes.
    Credentials(Vec<u8>),
    /// The AWS config file replaced by these bytes.
    AwsConfig(Vec<u8>),
    /// A file made odd.
    Odd(PathBuf, Odd),
}

/// One malformed value: what it is (distinct from every other), where it goes, the command run
/// with it, and the code it must be refused with.
struct Bad {
    what: String,
    setup: Setup,
    env: Vec<(String, String)>,
    args: Vec<String>,
    code: &'static str,
}

#[test]
fn more_malformed_values_are_refused_with_their_code_and_change_nothing() {
    let cli = cli_with_admin();
    let good_toml = fs::read_to_string(cli.config_toml_path()).unwrap();
    let good_toml_bytes = good_toml.clone().into_bytes();
    let good_credentials = fs::read(cli.sandbox.credentials_path()).unwrap();
    let good_aws_config = fs::read(cli.sandbox.config_path()).unwrap();
    let odd_dir = cli.sandbox.home().join("odd/dir");
    let odd_fifo = cli.sandbox.home().join("odd/fifo");
    let odd_file = cli.sandbox.home().join("odd/file");
    fs::create_dir_all(&odd_dir).unwrap();
    make_odd(&odd_fifo, Odd::Fifo);
    fs::write(&odd_file, "a file, not a directory\n").unwrap();
    let odd = [odd_dir.clone(), odd_fifo.clone(), odd_file.clone()];
    let path = |p: &Path| p.display().to_string();

    // Commands that would change something if the value got through; cycled.
    let commands: [&[&str]; 6] = [
        &["assume", "admin"],
        &["role", "add", "x", "--arn", ARN, "--source", "work"],
        &["renew", "admin"],
        &["role", "remove", "admin"],
        &["env", "admin"],
        &["status"],
    ];
    let mut table: Vec<Bad> = Vec::new();
    let mut next = 0;
    let mut add = |what: String, setup: Setup, env: Vec<(String, String)>, args: Option<&[&str]>, code| {
        let args = args.unwrap_or_else(|| {
            next += 1;
            commands[next % commands.len()]
        });
        table.push(Bad { what, setup, env, args: args.iter().map(|s| s.to_string()).collect(), code });
    };
    let var = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];

    // Environment variables.
    for v in ["0", "abc", "3601", "-1", " 5", "1.5", "1e3", "99999999999999999999", "0x10", "5s"] {
        add(
            format!("ROLECALL_KEYCHAIN_TIMEOUT={v:?}"),
            Setup::None,
            var("ROLECALL_KEYCHAIN_TIMEOUT", v),
            None,
            "input.invalid",
        );
    }
    // (Never contacted: the value is refused before any request.)
    for v in [
        "http://federation.example/federation",
        "ftp://signin.example/federation",
        "https://user:pw@signin.example/federation",
        "https://signin.example/federation?x=1",
        "https://signin.example/federation#top",
        "https:///federation",
        "https://signin .example/federation",
        "signin.example/federation",
        "HTTPS://signin.aws.amazon.com/federation",
        "http://localhost.evil.example/federation",
        "http://[::2]/federation",
        "http://10.0.0.1/federation",
    ] {
        let env = var("ROLECALL_FEDERATION_ENDPOINT", v);
        add(format!("ROLECALL_FEDERATION_ENDPOINT={v:?}"), Setup::None, env, None, "input.invalid");
    }
    for v in ["us_east_1", "us-east-1 ", "eu-west", "eu-west-1a", "-1"] {
        add(format!("AWS_REGION={v:?}"), Setup::None, var("AWS_REGION", v), None, "input.invalid");
    }
    let assume: &[&str] = &["assume", "admin"];
    for (k, p, code) in [
        ("AWS_SHARED_CREDENTIALS_FILE", &odd_dir, "credentials_file.not_regular"),
        ("AWS_SHARED_CREDENTIALS_FILE", &odd_fifo, "credentials_file.not_regular"),
        ("AWS_CONFIG_FILE", &odd_dir, "config_file.not_regular"),
        ("AWS_CONFIG_FILE", &odd_fifo, "config_file.not_regular"),
    ] {
        add(
            format!("{k}=<{}>", p.file_name().unwrap().to_string_lossy()),
            Setup::None,
            var(k, &path(p)),
            Some(assume),
            code,
        );
    }
    add(
        "ROLECALL_CONFIG_DIR=<a file>".into(),
        Setup::None,
        var("ROLECALL_CONFIG_DIR", &path(&odd_file)),
        None,
        "file.io",
    );
    let env = var("ROLECALL_DATA_DIR", &path(&odd_file));
    add("ROLECALL_DATA_DIR=<a file>".into(), Setup::None, env, Some(&["backups", "--json"]), "file.io");

    // config.toml edited by hand: each a change of the file rolecall wrote.
    let toml = |from: &str, to: &str| -> Setup {
        assert!(good_toml.contains(from), "config.toml has no {from:?}:\n{good_toml}");
        Setup::ConfigToml(good_toml.replacen(from, to, 1).into_bytes())
    };
    let role_line = "duration = 3600\n";
    for (what, setup, code) in [
        ("an unclosed table header", toml("[roles.admin]", "[roles.admin"), "config.syntax"),
        ("version as a string", toml("version = 1", "version = \"1\""), "config.syntax"),
        ("no version", toml("version = 1\n", ""), "config.syntax"),
        ("a version from the future", toml("version = 1", "version = 99"), "config.too_new"),
        ("notify_before_minutes = 0", toml("notify_before_minutes = 10", "notify_before_minutes = 0"), "input.invalid"),
        (
            "notify_before_minutes = 100000",
            toml("notify_before_minutes = 10", "notify_before_minutes = 100000"),
            "input.invalid",
        ),
        ("renew_before_minutes = 0", toml("renew_before_minutes = 5", "renew_before_minutes = 0"), "input.invalid"),
        ("mfa_session_hours = 37", toml("mfa_session_hours = 12", "mfa_session_hours = 37"), "input.invalid"),
        ("auto_renew = \"yes\"", toml("auto_renew = false", "auto_renew = \"yes\""), "config.syntax"),
        ("an unknown preference", toml("[preferences]\n", "[preferences]\nbogus = true\n"), "config.syntax"),
        ("[preferences] twice", toml("[sources.work]", "[preferences]\n[sources.work]"), "config.syntax"),
        ("a source type that does not exist", toml("type = \"keychain\"", "type = \"vault\""), "config.syntax"),
        ("a source name with a space", toml("[sources.work]", "[sources.\"bad name\"]"), "config.syntax"),
        (
            "a secret key typed into a source",
            toml("type = \"keychain\"", "type = \"keychain\"\nsecret_access_key = \"typedByHandSecret0000\""),
            "config.syntax",
        ),
        (
            "an aws_profile source without its profile",
            toml("type = \"keychain\"", "type = \"aws_profile\""),
            "config.syntax",
        ),
        (
            "an aws_profile source of [DEFAULT]",
            toml("type = \"keychain\"", "type = \"aws_profile\"\naws_profile = \"DEFAULT\""),
            "config.syntax",
        ),
        (
            "a role ARN as the source's MFA device",
            toml("key_hint", "mfa_serial = \"arn:aws:iam::123456789012:role/x\"\nkey_hint"),
            "config.syntax",
        ),
        ("a favourite name with a space", toml("[roles.admin]", "[roles.\"a b\"]"), "config.syntax"),
        ("a favourite of a missing source", toml("source = \"work\"", "source = \"nowhere\""), "config.not_found"),
        ("a favourite chained from itself", toml("source = \"work\"", "source = \"admin\""), "config.invalid"),
        ("a user's ARN as the role", toml(":role/Admin\"", ":user/Admin\""), "config.syntax"),
        ("an empty role ARN", toml(&format!("arn = \"{ARN}\""), "arn = \"\""), "config.syntax"),
        ("a profile that breaks the INI", toml("profile = \"admin\"", "profile = \"a]\\n[default\""), "config.syntax"),
        ("profile [DEFAULT]", toml("profile = \"admin\"", "profile = \"DEFAULT\""), "config.syntax"),
        ("a profile key twice", toml(role_line, "duration = 3600\nprofile = \"other\"\n"), "config.syntax"),
        ("duration = 60", toml(role_line, "duration = 60\n"), "config.syntax"),
        ("duration = 99999", toml(role_line, "duration = 99999\n"), "config.syntax"),
        ("duration = -1", toml(role_line, "duration = -1\n"), "config.syntax"),
        ("region in capitals", toml("region = \"eu-west-1\"", "region = \"EU-WEST-1\""), "config.syntax"),
        (
            "a region of another partition",
            toml("region = \"eu-west-1\"", "region = \"cn-northwest-1\""),
            "config.invalid",
        ),
        ("a reserved tag key", toml("team = \"x\"", "\"aws:team\" = \"x\""), "config.syntax"),
        ("an empty tag key", toml("team = \"x\"", "\"\" = \"x\""), "config.syntax"),
        ("a tag value that is a number", toml("team = \"x\"", "team = 5"), "config.syntax"),
        ("a session name with é", toml(role_line, "duration = 3600\nsession_name = \"é-name\"\n"), "config.syntax"),
        (
            "an external id with a tab",
            toml(role_line, "duration = 3600\nexternal_id = \"tab\\there\"\n"),
            "config.syntax",
        ),
        ("MFA without a device", toml(role_line, "duration = 3600\nmfa = true\n"), "config.invalid"),
        (
            "notify_before = \"in a bit\"",
            toml(role_line, "duration = 3600\nnotify_before = \"in a bit\"\n"),
            "config.syntax",
        ),
        ("renew_before = \"99h\"", toml(role_line, "duration = 3600\nrenew_before = \"99h\"\n"), "config.syntax"),
        ("auto_renew = 1", toml(role_line, "duration = 3600\nauto_renew = 1\n"), "config.syntax"),
        (
            "a reserved transitive tag",
            toml(role_line, "duration = 3600\ntransitive_tags = [\"aws:Team\"]\n"),
            "input.invalid",
        ),
        (
            "a role ARN as a policy",
            toml(role_line, "duration = 3600\npolicy_arns = [\"arn:aws:iam::123456789012:role/NotAPolicy\"]\n"),
            "config.syntax",
        ),
        (
            "a source identity with ;",
            toml(role_line, "duration = 3600\nsource_identity = \"semi;colon\"\n"),
            "config.syntax",
        ),
        ("an unknown favourite setting", toml(role_line, "duration = 3600\nbogus = 1\n"), "config.syntax"),
        (
            "two favourites writing one profile",
            toml(
                "[roles.admin.tags]",
                "[roles.dev]\narn = \"arn:aws:iam::123456789012:role/Dev\"\nsource = \"work\"\nprofile = \"admin\"\n\n[roles.admin.tags]",
            ),
            "config.invalid",
        ),
    ] {
        add(format!("config.toml: {what}"), setup, Vec::new(), None, code);
    }
    let mut not_utf8 = good_toml.clone().into_bytes();
    not_utf8.extend_from_slice(b"# \xff\xfe\n");
    add("config.toml: not UTF-8".into(), Setup::ConfigToml(not_utf8), Vec::new(), None, "config.syntax");
    // (A command that edits config.toml takes an empty one as an empty config: `status` reads it.)
    add("config.toml: empty".into(), Setup::ConfigToml(Vec::new()), Vec::new(), Some(&["status"]), "config.syntax");
    let with_nul = format!("{good_toml}\n\0\n").into_bytes();
    add("config.toml: a NUL byte".into(), Setup::ConfigToml(with_nul), Vec::new(), None, "config.syntax");
    for (odd, code) in [
        (Odd::Dir, "config.not_regular"),
        (Odd::Fifo, "config.not_regular"),
        (Odd::TooLarge, "config.too_large"),
        (Odd::Device, "config.not_regular"),
    ] {
        add(format!("config.toml: {odd:?}"), Setup::Odd(cli.config_toml_path(), odd), Vec::new(), None, code);
    }

    // The AWS files.
    let credentials = |extra: &str| {
        let mut b = good_credentials.clone();
        b.extend_from_slice(extra.as_bytes());
        Setup::Credentials(b)
    };
    for (what, setup, code) in [
        ("a file over 64 MiB", Setup::Odd(cli.sandbox.credentials_path(), Odd::TooLarge), "credentials_file.too_large"),
        (
            "a symlink to a device",
            Setup::Odd(cli.sandbox.credentials_path(), Odd::Device),
            "credentials_file.not_regular",
        ),
        (
            "text before the first header",
            Setup::Credentials(b"no header\n[admin]\n".to_vec()),
            "credentials_file.unparseable",
        ),
        ("an unclosed header", credentials("[other\nk = v\n"), "credentials_file.unparseable"),
        // (Duplicates elsewhere are left as they are: only the section rolecall edits must be whole.)
        ("its section twice", credentials("[admin]\nk = v\n"), "credentials_file.unparseable"),
        ("a key twice in its section", credentials("k = v\nK = w\n"), "credentials_file.unparseable"),
        ("a line that is no entry", credentials("[other]\njustakey\n"), "credentials_file.unparseable"),
        ("a stray carriage return", credentials("[other]\nk = v\r[more]\n"), "credentials_file.unparseable"),
    ] {
        add(format!("credentials file: {what}"), setup, Vec::new(), Some(assume), code);
    }
    for (what, bytes) in [
        ("text before the first header", b"region = x\n[profile admin]\n".to_vec()),
        ("an unclosed header", [&good_aws_config[..], b"[profile other\n"].concat()),
        ("a key twice in its section", [&good_aws_config[..], b"REGION = b\n"].concat()),
    ] {
        add(
            format!("AWS config file: {what}"),
            Setup::AwsConfig(bytes),
            Vec::new(),
            Some(assume),
            "config_file.unparseable",
        );
    }

    // Commands naming what does not exist.
    add("renew nobody".into(), Setup::None, Vec::new(), Some(&["renew", "nobody"]), "config.not_found");
    add("renew admin nobody".into(), Setup::None, Vec::new(), Some(&["renew", "admin", "nobody"]), "config.not_found");
    add(
        "source forget-mfa nobody".into(),
        Setup::None,
        Vec::new(),
        Some(&["source", "forget-mfa", "nobody"]),
        "config.not_found",
    );

    let mut distinct = HashSet::new();
    let mut tried = 0;
    for bad in &table {
        assert!(distinct.insert(bad.what.clone()), "{} is in the table twice", bad.what);
        match &bad.setup {
            Setup::None => {}
            Setup::ConfigToml(b) => fs::write(cli.config_toml_path(), b).unwrap(),
            Setup::Credentials(b) => fs::write(cli.sandbox.credentials_path(), b).unwrap(),
            Setup::AwsConfig(b) => fs::write(cli.sandbox.config_path(), b).unwrap(),
            Setup::Odd(p, odd) => make_odd(p, *odd),
        }
        let before = snapshot(&cli, &odd);
        let args: Vec<&str> = bad.args.iter().map(String::as_str).collect();
        let stdin = format!("{KEY_ID}\n{SECRET}\n");
        let o = cli.run_env(&[cli.envs(), bad.env.clone()].concat(), &args, Some(&stdin));
        assert!(!o.status.success(), "{}: {args:?} was accepted:\n{}", bad.what, text(&o));
        let line = error_line(&o).unwrap_or_default();
        let prefix = format!("rolecall: {}: ", bad.code);
        assert!(
            line.starts_with(&prefix) && line.len() > prefix.len() + 10,
            "{}: expected {prefix:?} and a message:\n{}",
            bad.what,
            text(&o)
        );
        assert!(!text(&o).contains(SECRET), "{}: a secret in the output", bad.what);
        assert!(
            !text(&o).contains("typedByHandSecret0000"),
            "{}: a value typed by hand, repeated:\n{}",
            bad.what,
            text(&o)
        );
        let after = snapshot(&cli, &odd);
        assert!(after.0 == before.0, "{}: {args:?} changed {}", bad.what, changes(&before.0, &after.0));
        assert_eq!(after.1, before.1, "{}: {args:?} changed the keychain", bad.what);
        // Put the good files back.
        for (p, good) in [
            (cli.config_toml_path(), &good_toml_bytes),
            (cli.sandbox.credentials_path(), &good_credentials),
            (cli.sandbox.config_path(), &good_aws_config),
        ] {
            if !matches!(seen(&p), Seen::File { bytes: Some(ref b), .. } if b == good) {
                remove_any(&p);
                fs::write(&p, good).unwrap();
                #[cfg(unix)]
                fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            }
        }
        tried += 1;
    }
    // The rig still works: each refusal was the malformed value's doing.
    let before = cli.sandbox.read_credentials();
    cli.ok(&["assume", "admin"]);
    assert_ne!(cli.sandbox.read_credentials(), before);
    assert!(tried >= 40, "{tried}");
    println!("reliability: bad_inputs_more tried={tried} distinct={} changed=0", distinct.len());
}
