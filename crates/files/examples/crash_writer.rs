//! A writer process for the crash-safety and concurrency tests (`tests/crash.rs`): it writes
//! sessions into a credentials file through the real write path, so the tests can SIGKILL it at
//! random moments or run many of it at once.
//!
//! ```text
//! crash_writer loop CREDENTIALS CONFIG PROFILE TAG FIRST [COUNT]
//!     writes session FIRST, FIRST+1, … (forever, or COUNT of them) of writer TAG into PROFILE
//!     with AwsFiles::write_session (lock, temp file, fsync, rename), printing each version once
//!     it is written.
//! crash_writer pause CREDENTIALS PROFILE TAG FLAG
//!     the same edit through atomic::edit, but after its first read it prints `read` and waits
//!     until the file FLAG exists: a test edits the file in between, as a user would.
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rolecall_core::Error;
use rolecall_core::profile::{self, AwsFile};
use rolecall_core::validate::{Name, ProfileName};
use rolecall_files::atomic::{self, Edit};
use rolecall_files::{AwsFiles, FileKind};

#[path = "../tests/support/mod.rs"]
mod support;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).unwrap_or_else(|| panic!("missing argument {i}; see the module doc"));
    let favourite = Name::parse("crash-test").expect("valid");
    match arg(0).as_str() {
        "loop" => {
            let files = AwsFiles::new(support::paths(Path::new(arg(1)), Path::new(arg(2))));
            let profile = ProfileName::parse(arg(3)).expect("valid profile");
            let tag: u32 = arg(4).parse().expect("a tag");
            let first: u64 = arg(5).parse().expect("a first version");
            let count: u64 = args.get(6).map_or(u64::MAX, |c| c.parse().expect("a count"));
            let mut out = std::io::stdout().lock();
            for version in first..first.saturating_add(count) {
                let session = support::session(version, tag);
                files
                    .write_session(&profile, &favourite, &session, support::issued(&session), None, false)
                    .unwrap_or_else(|e| panic!("write {version}: {e}"));
                writeln!(out, "{version}").and_then(|()| out.flush()).expect("stdout");
            }
        }
        "pause" => {
            let path = PathBuf::from(arg(1));
            let profile = ProfileName::parse(arg(2)).expect("valid profile");
            let tag: u32 = arg(3).parse().expect("a tag");
            let flag = PathBuf::from(arg(4));
            let mut reads = 0;
            atomic::edit(FileKind::Credentials, &path, |old| {
                reads += 1;
                if reads == 1 {
                    println!("read");
                    while !flag.exists() {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
                let mut doc = profile::parse(AwsFile::Credentials, old.unwrap_or_default().to_vec())?;
                let session = support::session(1, tag);
                profile::write_session(&mut doc, &profile, &favourite, &session, support::issued(&session), false)?;
                Ok::<_, Error>(Edit::Write(doc.into_bytes()))
            })
            .unwrap_or_else(|e| panic!("edit: {e}"));
            println!("written after {reads} reads");
        }
        other => panic!("unknown mode {other:?}; see the module doc"),
    }
}
