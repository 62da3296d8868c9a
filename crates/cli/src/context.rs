//! What every command needs: paths, stores and adapters, built from the environment once.

use rolecall_core::validate::Region;
use rolecall_core::{Error, FileError};
use rolecall_files::{AwsFiles, ConfigStore, Paths};
use rolecall_keychain::OsKeychain;
use rolecall_sts::SdkSts;

/// The wired adapters.
pub struct Context {
    pub config: ConfigStore,
    pub files: AwsFiles,
    pub keychain: OsKeychain,
    pub sts: SdkSts,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), when set and valid.
    pub default_region: Option<Region>,
}

impl Context {
    pub fn from_env() -> Result<Context, Error> {
        let paths = Paths::from_env().ok_or_else(|| FileError {
            code: "file.no_home",
            path: "HOME".into(),
            message: "is not set; rolecall cannot find ~/.aws or its config".into(),
        })?;
        let default_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
            .map(|v| Region::parse(&v))
            .transpose()?;
        Ok(Context {
            config: ConfigStore::new(paths.clone()),
            files: AwsFiles::new(paths),
            keychain: OsKeychain::new(rolecall_keychain::service_name(std::env::var("ROLECALL_KEYCHAIN_SERVICE").ok())),
            sts: SdkSts::new(),
            default_region,
        })
    }
}
