//! Criterion benchmark of the whole credentials-file update as rolecall does it for every assume
//! and renewal: `AwsFiles::write_session` on a real file in a temporary directory (read the
//! config file, lock, read, parse, splice, temp file, fsync, rename), for credentials files of 10
//! to 10,000 profiles. It should grow linearly with the file and stay in milliseconds.
//!
//! Run with `cargo bench -p rolecall-files --bench write_session` (or `./scripts/bench`).

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall_core::profile;
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::{Name, ProfileName};
use rolecall_files::{AwsFiles, Paths};
use secrecy::SecretString;

/// Profile counts of the credentials files measured.
const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// A credentials file of `profiles` sessions (~600 bytes each); every tenth written by rolecall.
fn credentials_file(profiles: usize) -> String {
    let token = "FwoGZXIvYXdzE".repeat(32);
    let mut text = String::with_capacity(profiles * 600);
    for i in 0..profiles {
        text.push_str(&format!(
            "[p{i}]\naws_access_key_id = ASIA{i:016}\naws_secret_access_key = {i:040}\naws_session_token = {token}\n"
        ));
        if i % 10 == 0 {
            text.push_str(&format!(
                "{} = 2026-01-01T00:00:00Z\n{} = f{i}\n",
                profile::EXPIRES_KEY,
                profile::MANAGED_KEY
            ));
        }
        text.push('\n');
    }
    text
}

fn write_session(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("write_session");
    group.sample_size(30);
    for &n in &SIZES {
        let home = dir.path().join(format!("home-{n}"));
        let paths = Paths {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
            credentials_file: home.join(".aws/credentials"),
            aws_config_file: home.join(".aws/config"),
            sso_cache_dir: home.join(".aws/sso/cache"),
        };
        std::fs::create_dir_all(home.join(".aws")).expect("create .aws");
        let text = credentials_file(n);
        std::fs::write(&paths.credentials_file, &text).expect("write credentials");
        let files = AwsFiles::new(paths);
        let middle = (n / 2) / 10 * 10;
        let profile = ProfileName::parse(&format!("p{middle}")).expect("valid profile");
        let favourite = Name::parse(&format!("f{middle}")).expect("valid name");
        let mut serial = 0u64;
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                // A new session each time, as STS would return, so every write changes bytes.
                serial += 1;
                let creds = SessionCredentials {
                    access_key_id: AccessKeyId::parse(&format!("ASIA{serial:016}")).expect("valid key id"),
                    secret_access_key: SecretString::from(format!("{serial:040}")),
                    session_token: SecretString::from("T".repeat(420)),
                    expiration: Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).single().expect("valid time"),
                };
                files.write_session(&profile, &favourite, &creds, creds.expiration, None, false).expect("writes")
            })
        });
    }
    group.finish();
}

/// The benchmark group (in a private module: `criterion_group!` makes an undocumented `pub fn`).
mod group {
    use super::*;
    criterion_group!(benches, write_session);
}
criterion_main!(group::benches);
