//! `config.toml` and the AWS files, read and written through [`crate::atomic`] and the core's edits.

use chrono::{DateTime, Utc};
use rolecall_core::config::Config;
use rolecall_core::ini::IniDocument;
use rolecall_core::profile::{self, AwsFile, Holder, WriteKind};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::{Name, ProfileName, Region};
use rolecall_core::{Code, Error, FileError};
use secrecy::SecretString;

use crate::atomic::{self, Edit};
use crate::backups::{Backups, PendingBackup};
use crate::guard::{self, FileKind};
use crate::paths::Paths;

/// Loads and saves `config.toml`.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    paths: Paths,
}

impl ConfigStore {
    /// The store at `paths.config_file()`.
    pub fn new(paths: Paths) -> Self {
        Self { paths }
    }

    /// The config; an absent file is an empty config.
    pub fn load(&self) -> Result<Config, Error> {
        let path = self.paths.config_file();
        match guard::read_regular(FileKind::Config, &path)? {
            Some(bytes) => Ok(Config::from_toml(&utf8(&path, bytes)?)?),
            None => Ok(Config::default()),
        }
    }

    /// Runs `f` on the current config while holding its lock, changing nothing: what `f` does (say,
    /// write a favourite's session) cannot interleave with an update (say, removing it).
    pub fn read_locked<T>(&self, mut f: impl FnMut(&Config) -> Result<T, Error>) -> Result<T, Error> {
        let path = self.paths.config_file();
        let mut result = None;
        atomic::edit(FileKind::Config, &path, |old| {
            let config = match old {
                Some(b) if !b.is_empty() => Config::from_toml(&utf8(&path, b.to_vec())?)?,
                _ => Config::default(),
            };
            result = Some(f(&config)?);
            Ok::<_, Error>(Edit::Unchanged)
        })?;
        Ok(result.expect("the edit ran"))
    }

    /// Applies `change` to the current config and saves it, under the lock, so concurrent changes
    /// from the CLI and the app are never lost. Returns the saved config.
    pub fn update<T>(&self, mut change: impl FnMut(&mut Config) -> Result<T, Error>) -> Result<(Config, T), Error> {
        let path = self.paths.config_file();
        let mut result = None;
        atomic::edit(FileKind::Config, &path, |old| {
            let text = match old {
                Some(b) => utf8(&path, b.to_vec())?,
                None => String::new(),
            };
            let mut config = if text.is_empty() { Config::default() } else { Config::from_toml(&text)? };
            let value = change(&mut config)?;
            let bytes = config.to_toml().into_bytes();
            result = Some((config, value));
            Ok::<_, Error>(Edit::Write(bytes))
        })?;
        Ok(result.expect("the edit ran"))
    }
}

/// `config.toml`'s text.
fn utf8(path: &std::path::Path, bytes: Vec<u8>) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|_| FileError {
        code: Code::ConfigSyntax,
        path: path.display().to_string(),
        message: "is not UTF-8; fix or move the file".into(),
    })
}

/// Which section a session write may replace besides rolecall's own for the same favourite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takeover {
    /// None.
    Never,
    /// One another favourite wrote (`[default]` moving from one favourite to another).
    Rolecall,
    /// Any (`--force`; a section rolecall did not write is backed up first).
    Any,
}

/// `[default]`.
fn default_profile() -> ProfileName {
    ProfileName::parse("default").expect("a valid profile name")
}

/// What writing a session did to the AWS files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// What happened to the credentials section.
    pub kind: WriteKind,
    /// The backup of the section kept before taking over a section rolecall did not own.
    pub backup: Option<std::path::PathBuf>,
}

/// A held refresh lock ([`AwsFiles::hold_sso_refresh`]).
#[derive(Debug)]
pub struct RefreshLock {
    _held: std::fs::File,
}

/// The AWS credentials and config files.
#[derive(Debug, Clone)]
pub struct AwsFiles {
    paths: Paths,
}

impl AwsFiles {
    /// The files at `paths`.
    pub fn new(paths: Paths) -> Self {
        Self { paths }
    }

    /// The resolved locations.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Where the sections `--force` took over are kept.
    pub fn backups(&self) -> Backups {
        Backups::new(self.paths.backups_dir())
    }

    /// The AWS config file, parsed (an absent file is an empty document); reading never changes it.
    pub fn read_config(&self) -> Result<IniDocument, Error> {
        self.read_doc(AwsFile::Config)
    }

    fn read_doc(&self, file: AwsFile) -> Result<IniDocument, Error> {
        let (path, kind) = match file {
            AwsFile::Credentials => (&self.paths.credentials_file, FileKind::Credentials),
            AwsFile::Config => (&self.paths.aws_config_file, FileKind::AwsConfig),
        };
        let bytes = guard::read_regular(kind, path)?.unwrap_or_default();
        Ok(profile::parse(file, bytes)?)
    }

    /// Writes a session into `profile` (and its region into the config file); `issued` is when
    /// STS issued it, in STS's clock.
    pub fn write_session(
        &self,
        profile_name: &ProfileName,
        favourite: &Name,
        creds: &SessionCredentials,
        issued: DateTime<Utc>,
        region: Option<&Region>,
        force: bool,
    ) -> Result<WriteReport, Error> {
        let takeover = if force { Takeover::Any } else { Takeover::Never };
        self.write_session_taking(profile_name, favourite, creds, issued, region, takeover)
    }

    /// Writes a favourite's session as `[default]` (and its region): over `[default]` as another
    /// favourite left it too, never over one rolecall did not write.
    pub fn write_default_session(
        &self,
        favourite: &Name,
        creds: &SessionCredentials,
        issued: DateTime<Utc>,
        region: Option<&Region>,
    ) -> Result<WriteReport, Error> {
        self.write_session_taking(&default_profile(), favourite, creds, issued, region, Takeover::Rolecall)
    }

    fn write_session_taking(
        &self,
        profile_name: &ProfileName,
        favourite: &Name,
        creds: &SessionCredentials,
        issued: DateTime<Utc>,
        region: Option<&Region>,
        takeover: Takeover,
    ) -> Result<WriteReport, Error> {
        // The config file must not resolve this profile some other way, or our credentials are ignored.
        profile::check_config(&self.read_doc(AwsFile::Config)?, profile_name)?;
        let mut kind = WriteKind::Created;
        let out = atomic::edit(FileKind::Credentials, &self.paths.credentials_file, |old| {
            let mut doc = profile::parse(AwsFile::Credentials, old.unwrap_or_default().to_vec())?;
            let previous = profile::section_text(&doc, profile_name)?;
            let force = match takeover {
                Takeover::Never => false,
                Takeover::Any => true,
                // Decided on the bytes being edited, so a section someone wrote meanwhile counts.
                Takeover::Rolecall => matches!(profile::holder(&doc, profile_name)?, Holder::Rolecall { .. }),
            };
            kind = profile::write_session(&mut doc, profile_name, favourite, creds, issued, force)?;
            let bytes = doc.into_bytes();
            Ok::<_, Error>(match previous {
                // Another favourite's session, passed on: nothing of the user's to keep.
                Some(_) if takeover == Takeover::Rolecall => Edit::Write(bytes),
                // Only the section taken over is kept: no other profile's keys.
                Some(text) if kind == WriteKind::TookOver => Edit::WriteWithBackup(
                    bytes,
                    PendingBackup { backups: self.backups(), profile: profile_name.to_string(), text },
                ),
                _ => Edit::Write(bytes),
            })
        })?;
        if out.backup.is_some() {
            match self.backups().prune(Utc::now()) {
                Ok(removed) if !removed.is_empty() => tracing::info!(count = removed.len(), "pruned old backups"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot prune old backups"),
            }
        }
        if let Some(region) = region {
            atomic::edit(FileKind::AwsConfig, &self.paths.aws_config_file, |old| {
                let mut doc = profile::parse(AwsFile::Config, old.unwrap_or_default().to_vec())?;
                if doc.get(&profile::config_section(profile_name), "region").as_deref() == Some(region.as_str()) {
                    return Ok::<_, Error>(Edit::Unchanged);
                }
                profile::set_region(&mut doc, profile_name, region)?;
                Ok(Edit::Write(doc.into_bytes()))
            })?;
        }
        tracing::info!(profile = %profile_name, favourite = %favourite, kind = ?kind, "wrote session");
        Ok(WriteReport { kind, backup: out.backup })
    }

    /// Who holds each of `profiles` in the credentials file, read once.
    pub fn holders<'a>(
        &self,
        profiles: impl IntoIterator<Item = &'a ProfileName>,
    ) -> Result<std::collections::HashMap<ProfileName, Holder>, Error> {
        let doc = self.read_doc(AwsFile::Credentials)?;
        profiles.into_iter().map(|p| Ok((p.clone(), profile::holder(&doc, p)?))).collect()
    }

    /// The sections of the credentials file: every profile name it holds.
    pub fn credentials_profiles(&self) -> Result<Vec<String>, Error> {
        Ok(self.read_doc(AwsFile::Credentials)?.section_names())
    }

    /// Who holds `profile` in the credentials file.
    pub fn holder(&self, profile_name: &ProfileName) -> Result<Holder, Error> {
        Ok(profile::holder(&self.read_doc(AwsFile::Credentials)?, profile_name)?)
    }

    /// The session rolecall wrote into `profile`, if it is there and readable.
    pub fn read_session(&self, profile_name: &ProfileName) -> Result<Option<SessionCredentials>, Error> {
        let doc = self.read_doc(AwsFile::Credentials)?;
        let Holder::Rolecall { expires: Some(expiration), .. } = profile::holder(&doc, profile_name)? else {
            return Ok(None);
        };
        let get = |k: &str| doc.get(profile_name.as_str(), k);
        let (Some(id), Some(secret), Some(token)) =
            (get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token"))
        else {
            return Ok(None);
        };
        let Ok(access_key_id) = AccessKeyId::parse(&id) else { return Ok(None) };
        Ok(Some(SessionCredentials {
            access_key_id,
            secret_access_key: SecretString::from(secret),
            session_token: SecretString::from(token),
            expiration,
        }))
    }

    /// The AWS CLI's and SDKs' token cache file for `key` (an `sso-session` name, or a start URL):
    /// `<sso cache dir>/<lowercase hex SHA-1 of key>.json`, as botocore and the Rust SDK name it.
    pub fn sso_cache_file(&self, key: &str) -> std::path::PathBuf {
        use sha1::Digest;
        let digest = sha1::Sha1::digest(key.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.paths.sso_cache_dir.join(format!("{hex}.json"))
    }

    /// Writes the token cache file for `key` (see [`AwsFiles::sso_cache_file`]) like every other
    /// write: locked, atomic, 0600, its directory created 0700 when missing.
    pub fn write_sso_cache(&self, key: &str, json: &str) -> Result<std::path::PathBuf, Error> {
        let path = self.sso_cache_file(key);
        atomic::edit(FileKind::Other, &path, |old| {
            Ok::<_, Error>(if old == Some(json.as_bytes()) {
                Edit::Unchanged
            } else {
                Edit::Write(json.as_bytes().to_vec())
            })
        })?;
        Ok(path)
    }

    /// Holds the lock under which an IAM Identity Center source's token is refreshed, in the data
    /// dir (`.sso-refresh-NAME.rolecall.lock`, the dir created 0700), so two rolecall processes
    /// (the tray app and the CLI) never spend one refresh token twice; waits, blocking, for one
    /// that holds it (up to the files' lock timeout). Released when dropped.
    pub fn hold_sso_refresh(&self, source: &Name) -> Result<RefreshLock, Error> {
        atomic::ensure_private_dir(&self.paths.data_dir)?;
        Ok(RefreshLock { _held: atomic::lock(&self.paths.data_dir, &format!("sso-refresh-{source}"))? })
    }

    /// The sign-in kept in the token cache file for `key`, as another tool (the AWS CLI, an SDK)
    /// may have refreshed it: `None` when there is no file, or it is not one (unreadable JSON, a
    /// field missing, a time that is not RFC 3339).
    pub fn read_sso_cache(&self, key: &str) -> Result<Option<rolecall_core::sso::SharedToken>, Error> {
        let path = self.sso_cache_file(key);
        let Some(bytes) = guard::read_regular(FileKind::Other, &path)? else { return Ok(None) };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return Ok(None) };
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
        let (Some(client_id), Some(start_url), Some(access), Some(expires)) =
            (text("clientId"), text("startUrl"), text("accessToken"), text("expiresAt"))
        else {
            return Ok(None);
        };
        let Ok(expires_at) = DateTime::parse_from_rfc3339(expires) else { return Ok(None) };
        Ok(Some(rolecall_core::sso::SharedToken {
            client_id: client_id.to_owned(),
            start_url: start_url.to_owned(),
            token: rolecall_core::sso::Token {
                access_token: SecretString::from(access.to_owned()),
                expires_at: expires_at.with_timezone(&Utc),
                refresh_token: text("refreshToken").map(|r| SecretString::from(r.to_owned())),
            },
        }))
    }

    /// Removes the token cache file for `key` if it is a sign-in to `start_url` (its `startUrl`),
    /// so a file that another tool wrote for another portal under the same name stays. Whether a
    /// file was removed.
    pub fn remove_sso_cache(&self, key: &str, start_url: &str) -> Result<bool, Error> {
        let path = self.sso_cache_file(key);
        let Some(bytes) = guard::read_regular(FileKind::Other, &path)? else { return Ok(false) };
        let ours = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("startUrl").and_then(|u| u.as_str()).map(|u| u == start_url))
            .unwrap_or(false);
        if !ours {
            return Ok(false);
        }
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(atomic::io_error(&path, "remove", &e).into()),
        }
    }

    /// Gives `profile` of the AWS config file favourite `favourite`'s `credential_process` `line`
    /// (and its region), in a section rolecall owns ([`profile::set_credential_process`]).
    pub fn write_process_profile(
        &self,
        profile_name: &ProfileName,
        favourite: &Name,
        line: &str,
        region: Option<&Region>,
    ) -> Result<(), Error> {
        let outcome = atomic::edit(FileKind::AwsConfig, &self.paths.aws_config_file, |old| {
            let old = old.unwrap_or_default();
            let mut doc = profile::parse(AwsFile::Config, old.to_vec())?;
            profile::set_credential_process(&mut doc, profile_name, favourite, line, region)?;
            let bytes = doc.into_bytes();
            Ok::<_, Error>(if bytes == old { Edit::Unchanged } else { Edit::Write(bytes) })
        })?;
        // (Each renewal of a `process` favourite checks its line; most find it as it was.)
        if outcome.written {
            tracing::info!(profile = %profile_name, favourite = %favourite, "wrote credential_process");
        }
        Ok(())
    }

    /// Takes favourite `favourite`'s `credential_process` out of `profile` of the AWS config file
    /// ([`profile::remove_credential_process`]); returns whether it was there.
    pub fn remove_process_profile(&self, profile_name: &ProfileName, favourite: &Name) -> Result<bool, Error> {
        let mut removed = false;
        atomic::edit(FileKind::AwsConfig, &self.paths.aws_config_file, |old| {
            let Some(old) = old else { return Ok::<_, Error>(Edit::Unchanged) };
            let mut doc = profile::parse(AwsFile::Config, old.to_vec())?;
            removed = profile::remove_credential_process(&mut doc, profile_name, favourite)?;
            Ok(if removed { Edit::Write(doc.into_bytes()) } else { Edit::Unchanged })
        })?;
        Ok(removed)
    }

    /// Removes rolecall's own section for `profile`; others are never touched.
    pub fn remove_session(&self, profile_name: &ProfileName) -> Result<bool, Error> {
        let mut removed = false;
        atomic::edit(FileKind::Credentials, &self.paths.credentials_file, |old| {
            let Some(old) = old else { return Ok::<_, Error>(Edit::Unchanged) };
            let mut doc = profile::parse(AwsFile::Credentials, old.to_vec())?;
            removed = profile::remove_session(&mut doc, profile_name)?;
            Ok(if removed { Edit::Write(doc.into_bytes()) } else { Edit::Unchanged })
        })?;
        Ok(removed)
    }
}
