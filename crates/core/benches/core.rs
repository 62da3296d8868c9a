//! Criterion micro-benchmarks of the pure core: the lossless INI editor (parse, read, splice a
//! session into a credentials file of 10 to 10,000 profiles) and the renewal policy
//! (`renew::plan` over 1 to 1,000 watched sessions).
//!
//! Run with `cargo bench -p rolecall-core --bench core` (or `./scripts/bench`, which also renders
//! the figures into `docs/benchmarks.md`).

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolecall_core::ini::IniDocument;
use rolecall_core::profile::{self, AwsFile};
use rolecall_core::renew::{Tracked, plan};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::{Name, ProfileName};
use secrecy::SecretString;

/// Profile counts of the credentials files the editor is measured on.
const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Session counts the renewal policy is measured on.
const SESSIONS: [usize; 4] = [1, 20, 100, 1_000];

/// A credentials file of `profiles` sections, each a temporary session of realistic size (a
/// ~400-character token), as a user with many accounts has; every tenth one written by rolecall.
fn credentials_file(profiles: usize) -> Vec<u8> {
    let token = "FwoGZXIvYXdzE".repeat(32);
    let mut text = String::with_capacity(profiles * 600);
    for i in 0..profiles {
        text.push_str(&format!(
            "[p{i}]\naws_access_key_id = ASIA{i:016}\naws_secret_access_key = {:040}\naws_session_token = {token}\n",
            i
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
    text.into_bytes()
}

/// A fresh session, as STS returns one.
fn session() -> SessionCredentials {
    SessionCredentials {
        access_key_id: AccessKeyId::parse("ASIAZZZZZZZZZZZZZZZZ").expect("valid key id"),
        secret_access_key: SecretString::from("s".repeat(40)),
        session_token: SecretString::from("T".repeat(420)),
        expiration: Utc.with_ymd_and_hms(2026, 1, 1, 1, 0, 0).single().expect("valid time"),
    }
}

fn ini(c: &mut Criterion) {
    let creds = session();
    let mut group = c.benchmark_group("ini");
    for &n in &SIZES {
        let bytes = credentials_file(n);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", n), &bytes, |b, bytes| {
            b.iter(|| IniDocument::parse(black_box(bytes.clone())).expect("parses"))
        });
        let doc = IniDocument::parse(bytes.clone()).expect("parses");
        let middle = format!("p{}", n / 2);
        group.bench_with_input(BenchmarkId::new("get", n), &doc, |b, doc| {
            b.iter(|| doc.get(black_box(&middle), "aws_session_token"))
        });
        // The whole pure part of one write: parse, check the holder, splice, the new bytes.
        // The profile in the middle is rolecall's own (every tenth is).
        let profile = ProfileName::parse(&format!("p{}", (n / 2) / 10 * 10)).expect("valid profile");
        let favourite = Name::parse(&format!("f{}", (n / 2) / 10 * 10)).expect("valid name");
        group.bench_with_input(BenchmarkId::new("write_session", n), &bytes, |b, bytes| {
            b.iter(|| {
                let mut doc = profile::parse(AwsFile::Credentials, bytes.clone()).expect("parses");
                profile::write_session(&mut doc, &profile, &favourite, &creds, creds.expiration, false)
                    .expect("writes");
                doc.into_bytes()
            })
        });
    }
    group.finish();
}

/// `n` watched sessions at `now`: expiring over the next hours, half of them auto-renewing.
fn sessions(n: usize, now: DateTime<Utc>) -> Vec<Tracked> {
    (0..n)
        .map(|i| Tracked {
            favourite: Name::parse(&format!("f{i}")).expect("valid name"),
            expires: now + Duration::seconds(600 + 37 * i as i64),
            auto_renew: i % 2 == 0,
            notify_before: Duration::minutes(10),
            renew_before: Duration::minutes(5),
            needs_mfa: i % 7 == 0,
            warned_for: None,
            expired_noted_for: None,
            retry_at: None,
            lifetime: Duration::hours(1),
            renewed_at: None,
        })
        .collect()
}

fn renew_plan(c: &mut Criterion) {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid time");
    let mut group = c.benchmark_group("renew_plan");
    for &n in &SESSIONS {
        let tracked = sessions(n, now);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &tracked, |b, tracked| {
            b.iter(|| plan(black_box(now), black_box(tracked), Duration::minutes(1)))
        });
    }
    group.finish();
}

/// The benchmark group (in a private module: `criterion_group!` makes an undocumented `pub fn`).
mod group {
    use super::*;
    criterion_group!(benches, ini, renew_plan);
}
criterion_main!(group::benches);
