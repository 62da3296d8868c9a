//! Crash safety and concurrency of the real write path, across processes: the writer is
//! `examples/crash_writer.rs` (built by `cargo test`), which writes sessions with
//! `AwsFiles::write_session` exactly as `rolecall assume` does.
//!
//! - SIGKILL at random moments: the credentials file is always exactly the old or the new
//!   version (so parseable, never truncated, never empty) and stays 0600; the temp file a kill
//!   leaves behind (it holds a session) is removed by the next write.
//! - Several processes writing different profiles at once: every final profile is present and
//!   correct, and the user's sections are untouched.
//! - A user editing another section between rolecall's read and its write (in place, or by
//!   renaming a new file over it as editors do): their edit survives.
//!
//! Sizes: `ROLECALL_CRASH_KILLS` (default 500) and `ROLECALL_CONCURRENT_WRITES` (default 1000).
//! Each test prints one `reliability:` line with its figures, which `scripts/reliability` collects.

#![allow(missing_docs)]

mod support;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rolecall_core::profile::{self, AwsFile};
use rolecall_core::validate::{Name, ProfileName};

/// The writer, next to this test in the target dir: `<target>/<profile>/examples/crash_writer`.
fn writer() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("<target>/<profile>/deps/crash-…");
    let bin = profile_dir.join("examples").join(format!("crash_writer{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: `cargo test -p rolecall-files` builds it (a `--test crash` filter does not: then run `cargo build -p rolecall-files --example crash_writer` first)",
        bin.display()
    );
    bin
}

fn size(var: &str, default: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A small xorshift generator: random enough for kill times, and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("ROLECALL_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
        });
        eprintln!("ROLECALL_CRASH_SEED={seed}");
        Rng(seed)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The bytes the file must have after writer `tag` wrote `version` into `profile`, given the
/// bytes before: the core's own edit, replayed.
fn next_version(before: &[u8], profile: &ProfileName, tag: u32, version: u64) -> Vec<u8> {
    let mut doc = profile::parse(AwsFile::Credentials, before.to_vec()).expect("parses");
    let favourite = Name::parse("crash-test").unwrap();
    let session = support::session(version, tag);
    profile::write_session(&mut doc, profile, &favourite, &session, support::issued(&session), false).expect("writes");
    doc.into_bytes()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The files in `dir` that are rolecall's temp files (`.NAME.rolecall-PID-N.tmp`).
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".rolecall-") && n.ends_with(".tmp"))
        .collect()
}

fn spawn_loop(creds: &Path, config: &Path, profile: &str, tag: u32, first: u64, count: Option<u64>) -> Child {
    let mut cmd = Command::new(writer());
    cmd.arg("loop").arg(creds).arg(config).arg(profile).arg(tag.to_string()).arg(first.to_string());
    if let Some(c) = count {
        cmd.arg(c.to_string());
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start the writer")
}

/// The last version a writer reported written.
fn last_reported(child: &mut Child) -> Option<u64> {
    let mut text = String::new();
    child.stdout.take().unwrap().read_to_string(&mut text).unwrap();
    text.lines().rev().find_map(|l| l.parse().ok())
}

#[test]
fn sigkill_at_random_moments_leaves_the_old_or_the_new_file() {
    let kills = size("ROLECALL_CRASH_KILLS", 500);
    let dir = tempfile::tempdir().unwrap();
    let aws = dir.path().join(".aws");
    fs::create_dir(&aws).unwrap();
    let (creds, config) = (aws.join("credentials"), aws.join("config"));
    fs::write(&creds, support::USER_FILE).unwrap();
    #[cfg(unix)]
    fs::set_permissions(&creds, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let profile = ProfileName::parse("prod").unwrap();
    let mut rng = Rng::seeded();
    let started = Instant::now();
    // The file's current version (0: the user's file alone) and its bytes.
    let (mut version, mut bytes) = (0u64, fs::read(&creds).unwrap());
    let (mut mid_write, mut new_side, mut writes) = (0u64, 0u64, 0u64);
    for kill in 0..kills {
        let mut child = spawn_loop(&creds, &config, "prod", 0, version + 1, None);
        // From "still starting" to "many writes in": 0–25 ms, in 50 µs steps.
        std::thread::sleep(Duration::from_micros(rng.below(500) * 50));
        child.kill().expect("SIGKILL");
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer stopped by itself: {status}");
        let left_temp = !temp_files(&aws).is_empty();
        mid_write += u64::from(left_temp);
        let done = last_reported(&mut child).unwrap_or(version);
        // Replay up to the version reported written, then allow one more (renamed, not yet reported).
        for v in version + 1..=done {
            bytes = next_version(&bytes, &profile, 0, v);
        }
        writes += done - version;
        let on_disk = fs::read(&creds).unwrap();
        let next = next_version(&bytes, &profile, 0, done + 1);
        if on_disk == next {
            new_side += 1;
            writes += 1;
            (version, bytes) = (done + 1, next);
        } else {
            assert!(
                on_disk == bytes,
                "kill {kill}: the file is neither version {done} nor {} ({} bytes on disk)",
                done + 1,
                on_disk.len()
            );
            version = done;
        }
        assert!(!on_disk.is_empty() && profile::parse(AwsFile::Credentials, on_disk).is_ok());
        // Once rolecall has written the file it is 0600; before its first write (a kill while the
        // writer starts) it is the user's file as it was, with the user's mode.
        #[cfg(unix)]
        assert_eq!(mode(&creds), if version == 0 { 0o644 } else { 0o600 }, "kill {kill}: mode");
    }
    // One clean write after the last kill: it succeeds on whatever was left, and removes the temp
    // file (holding a session) that a kill in the middle of a write leaves behind.
    let mut child = spawn_loop(&creds, &config, "prod", 0, version + 1, Some(1));
    assert!(child.wait().unwrap().success());
    assert_eq!(last_reported(&mut child), Some(version + 1));
    assert_eq!(fs::read(&creds).unwrap(), next_version(&bytes, &profile, 0, version + 1));
    assert_eq!(temp_files(&aws), Vec::<String>::new(), "stale temp files remain");
    assert!(fs::read_to_string(&creds).unwrap().starts_with(support::USER_FILE));
    assert!(mid_write > 0, "no kill landed in the middle of a write: the test proves nothing");
    println!(
        "reliability: crash kills={kills} mid_write={mid_write} renamed_unreported={new_side} writes={writes} lost=0 secs={:.1}",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn concurrent_writers_of_different_profiles_lose_nothing() {
    let total = size("ROLECALL_CONCURRENT_WRITES", 1000);
    let writers: u32 = 8;
    let each = total.div_ceil(u64::from(writers));
    let dir = tempfile::tempdir().unwrap();
    let (creds, config) = (dir.path().join("credentials"), dir.path().join("config"));
    fs::write(&creds, support::USER_FILE).unwrap();
    let started = Instant::now();
    let mut children: Vec<(u32, Child)> =
        (0..writers).map(|tag| (tag, spawn_loop(&creds, &config, &format!("fav{tag}"), tag, 1, Some(each)))).collect();
    let mut reported = HashMap::new();
    for (tag, child) in &mut children {
        let lines = BufReader::new(child.stdout.take().unwrap()).lines().count() as u64;
        let status = child.wait().unwrap();
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        assert!(status.success(), "writer {tag} failed: {err}");
        reported.insert(*tag, lines);
    }
    let text = fs::read_to_string(&creds).unwrap();
    assert!(text.starts_with(support::USER_FILE), "the user's sections changed");
    let doc = profile::parse(AwsFile::Credentials, text.clone().into_bytes()).unwrap();
    for tag in 0..writers {
        assert_eq!(reported[&tag], each, "writer {tag} reported {} writes", reported[&tag]);
        let last = support::session(each, tag);
        let section = format!("fav{tag}");
        assert_eq!(doc.get(&section, "aws_access_key_id").as_deref(), Some(last.access_key_id.as_str()));
        assert_eq!(doc.get(&section, "aws_secret_access_key").as_deref(), Some(last.secret()));
        assert_eq!(doc.get(&section, "aws_session_token").as_deref(), Some(last.token()));
        assert_eq!(text.matches(&format!("[{section}]")).count(), 1);
    }
    #[cfg(unix)]
    assert_eq!(mode(&creds), 0o600);
    println!(
        "reliability: concurrent processes={writers} writes={} lost=0 secs={:.1}",
        each * u64::from(writers),
        started.elapsed().as_secs_f64()
    );
}

/// Runs the writer in `pause` mode, waits for its first read, lets `user_edit` change the file,
/// and returns what the writer printed once done.
fn with_user_edit_between_read_and_write(creds: &Path, user_edit: impl FnOnce()) -> String {
    let flag = creds.with_file_name("go");
    let mut child = Command::new(writer())
        .arg("pause")
        .arg(creds)
        .arg("prod")
        .arg("7")
        .arg(&flag)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "read\n");
    user_edit();
    fs::write(&flag, "").unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "writer failed: {rest}");
    fs::remove_file(&flag).unwrap();
    rest
}

#[test]
fn a_user_edit_between_our_read_and_our_write_survives() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    fs::write(&creds, support::USER_FILE).unwrap();
    // An editor that writes in place.
    let done = with_user_edit_between_read_and_write(&creds, || {
        let text = fs::read_to_string(&creds).unwrap().replace("region: eu-west-1", "region: us-west-2");
        fs::write(&creds, text).unwrap();
    });
    assert_eq!(done, "written after 2 reads\n", "the edit was redone on the user's version");
    let text = fs::read_to_string(&creds).unwrap();
    assert!(text.contains("[profile x]\r\nregion: us-west-2\r\n"), "{text}");
    assert!(text.contains("[prod]\r\naws_access_key_id = ASIA0007000000000001\r\n"), "{text}");
    // An editor that writes a new file and renames it over the old one (vim, most IDEs).
    let done = with_user_edit_between_read_and_write(&creds, || {
        let text = fs::read_to_string(&creds).unwrap().replace("[legacy]", "[legacy]\r\nregion = ap-south-1");
        let tmp = creds.with_file_name("credentials.swp");
        fs::write(&tmp, text).unwrap();
        fs::rename(&tmp, &creds).unwrap();
    });
    assert_eq!(done, "written after 2 reads\n");
    let text = fs::read_to_string(&creds).unwrap();
    assert!(text.contains("[legacy]\r\nregion = ap-south-1\r\naws_access_key_id: AKIALEGACY"), "{text}");
    assert!(text.contains("region: us-west-2"), "{text}");
    #[cfg(unix)]
    assert_eq!(mode(&creds), 0o600);
    println!("reliability: user_edit survived=2 of=2");
}
