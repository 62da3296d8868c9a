//! What the crash and concurrency tests (`tests/crash.rs`) and their writer process
//! (`examples/crash_writer.rs`) share: the session written at each version, and the user's file
//! they start from. Everything is deterministic, so a test can replay the core's edits and know
//! the exact bytes every version of the file must have.

#![allow(dead_code, missing_docs)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_files::Paths;
use secrecy::SecretString;

/// A user's credentials file with everything a careless rewrite would lose.
pub const USER_FILE: &str = "# my own keys\r\n[default]\r\naws_access_key_id=AKIAUSEROWNKEY000001\r\naws_secret_access_key = userSecret ; keep\r\n\r\n[profile x]\r\nregion: eu-west-1\r\n\r\n[legacy]\r\naws_access_key_id: AKIALEGACY0000000001\r\n";

/// The session written at `version` for writer `tag` (a small number, so profiles differ).
pub fn session(version: u64, tag: u32) -> SessionCredentials {
    SessionCredentials {
        access_key_id: AccessKeyId::parse(&format!("ASIA{tag:04}{version:012}")).expect("valid id"),
        // Long enough that a write is more than one small block.
        secret_access_key: SecretString::from(format!("secret/{tag}/{version}/{}", "s".repeat(200))),
        session_token: SecretString::from(format!("token/{tag}/{version}/{}", "t".repeat(900))),
        expiration: Utc.timestamp_opt(2_000_000_000 + version as i64, 0).single().expect("valid time"),
    }
}

/// When STS issued `session` (an hour before it ends), the same on every replay.
pub fn issued(session: &SessionCredentials) -> chrono::DateTime<Utc> {
    session.expiration - chrono::Duration::hours(1)
}

/// Paths with the given credentials and AWS config files (rolecall's config dir is unused).
pub fn paths(credentials: &Path, config: &Path) -> Paths {
    Paths {
        config_dir: credentials.parent().expect("a parent").join("rolecall-config"),
        data_dir: credentials.parent().expect("a parent").join("rolecall-data"),
        credentials_file: credentials.to_owned(),
        aws_config_file: config.to_owned(),
        sso_cache_dir: credentials.parent().expect("a parent").join("sso").join("cache"),
    }
}
