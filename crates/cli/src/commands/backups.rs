//! `rolecall backups`: the sections kept when a profile was taken over.

use rolecall_app::Services;
use rolecall_core::Error;
use serde::Serialize;

use super::rfc3339;
use crate::output::{local_time, print_json, table};

/// One backup in `rolecall backups --json`.
#[derive(Serialize)]
struct BackupJson<'a> {
    path: String,
    profile: &'a str,
    time: String,
}

pub(super) fn list(ctx: &Services, json: bool) -> Result<(), Error> {
    let (dir, list) = ctx.backups()?;
    if json {
        let all: Vec<_> = list
            .iter()
            .map(|b| BackupJson { path: b.path.display().to_string(), profile: &b.profile, time: rfc3339(b.taken) })
            .collect();
        print_json(&all);
    } else if list.is_empty() {
        println!("No backups in {} (one is kept when `rolecall assume --force` takes over a profile)", dir.display());
    } else {
        let rows: Vec<Vec<String>> =
            list.iter().map(|b| vec![local_time(b.taken), b.profile.clone(), b.path.display().to_string()]).collect();
        print!("{}", table(&["TIME", "PROFILE", "PATH"], &rows));
    }
    Ok(())
}
