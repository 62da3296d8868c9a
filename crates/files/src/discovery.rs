//! The last listing of each IAM Identity Center source's accounts and roles, so the next start
//! shows them at once: one file per source, `sso-roles/NAME.json` in the private data dir. It
//! holds account ids, names, e-mail addresses and role names, never a token. Written like every
//! other file (locked, atomic, 0600, its directory 0700); the bytes are the caller's (the app
//! renders and reads the JSON).

use std::path::PathBuf;

use rolecall_core::Error;
use rolecall_core::validate::Name;

use crate::atomic::{self, Edit};
use crate::guard::{self, FileKind};
use crate::paths::Paths;

/// The directory of the data dir that holds the listings.
pub const DIR: &str = "sso-roles";

/// The role listings' files.
#[derive(Debug, Clone)]
pub struct DiscoveryCache {
    dir: PathBuf,
}

impl DiscoveryCache {
    /// The cache under `paths.data_dir`.
    pub fn new(paths: &Paths) -> Self {
        Self { dir: paths.data_dir.join(DIR) }
    }

    /// The file of source `name`.
    pub fn file(&self, name: &Name) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The file's bytes; `None` when there is none.
    pub fn read(&self, name: &Name) -> Result<Option<Vec<u8>>, Error> {
        Ok(guard::read_regular(FileKind::Other, &self.file(name))?)
    }

    /// Replaces the file's bytes (locked, atomic, 0600).
    pub fn write(&self, name: &Name, bytes: &[u8]) -> Result<(), Error> {
        atomic::edit(FileKind::Other, &self.file(name), |old| {
            Ok::<_, Error>(if old == Some(bytes) { Edit::Unchanged } else { Edit::Write(bytes.to_vec()) })
        })?;
        Ok(())
    }

    /// Removes the file; whether there was one.
    pub fn remove(&self, name: &Name) -> Result<bool, Error> {
        let path = self.file(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(atomic::io_error(&path, "remove", &e).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &std::path::Path) -> DiscoveryCache {
        let paths = Paths {
            config_dir: dir.join("config"),
            data_dir: dir.join("data"),
            credentials_file: dir.join("credentials"),
            aws_config_file: dir.join("config-file"),
            sso_cache_dir: dir.join("sso"),
        };
        DiscoveryCache::new(&paths)
    }

    #[test]
    fn a_listing_is_written_private_read_back_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = cache(tmp.path());
        let corp = Name::parse("corp").unwrap();
        assert_eq!(cache.read(&corp).unwrap(), None);
        cache.write(&corp, b"{\"v\":1}").unwrap();
        assert_eq!(cache.read(&corp).unwrap().as_deref(), Some(&b"{\"v\":1}"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.file(&corp)), 0o600);
            assert_eq!(mode(&tmp.path().join("data").join(DIR)), 0o700);
        }
        assert!(cache.remove(&corp).unwrap());
        assert!(!cache.remove(&corp).unwrap());
        assert_eq!(cache.read(&corp).unwrap(), None);
    }
}
