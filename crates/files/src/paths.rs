//! Where rolecall's files and the AWS files are, read from the environment once.
//!
//! - rolecall's config dir: `ROLECALL_CONFIG_DIR`, else the platform config dir + `rolecall`
//!   (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on macOS,
//!   `%APPDATA%` on Windows).
//! - rolecall's private data dir (holds `backups/`): `ROLECALL_DATA_DIR`, else the platform data
//!   dir + `rolecall` (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application
//!   Support` on macOS, `%LOCALAPPDATA%` on Windows).
//! - The AWS files: `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` (a leading `~` is the home
//!   directory, as the AWS CLI reads them), else `~/.aws/credentials` and `~/.aws/config`.
//! - The AWS CLI's and SDKs' SSO token cache: `~/.aws/sso/cache`, always under the home directory
//!   (botocore and the Rust SDK ignore `AWS_CONFIG_FILE` for it).

use std::path::{Path, PathBuf};

/// Resolved locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// rolecall's config directory (holds `config.toml`).
    pub config_dir: PathBuf,
    /// rolecall's private data directory (holds `backups/`; never synced or shared).
    pub data_dir: PathBuf,
    /// The AWS shared credentials file.
    pub credentials_file: PathBuf,
    /// The AWS shared config file.
    pub aws_config_file: PathBuf,
    /// The AWS CLI's and SDKs' SSO token cache directory (`~/.aws/sso/cache`).
    pub sso_cache_dir: PathBuf,
}

/// The environment variables [`Paths`] reads, as a lookup function (so tests need not set the real environment).
pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Option<Paths> {
    from_lookup_on(Os::CURRENT, var)
}

/// As [`from_lookup`], following `os`'s conventions.
pub fn from_lookup_on(os: Os, var: impl Fn(&str) -> Option<String>) -> Option<Paths> {
    let get = |k: &str| var(k).filter(|v| !v.is_empty());
    let home = get("HOME").or_else(|| get("USERPROFILE")).map(PathBuf::from)?;
    let expand = |v: String| -> PathBuf {
        match v.strip_prefix("~/").or_else(|| v.strip_prefix("~\\")) {
            Some(rest) => home.join(rest),
            None if v == "~" => home.clone(),
            None => PathBuf::from(v),
        }
    };
    let config_dir = match get("ROLECALL_CONFIG_DIR") {
        Some(d) => expand(d),
        None => platform_config_dir(os, &home, &get).join("rolecall"),
    };
    let data_dir = match get("ROLECALL_DATA_DIR") {
        Some(d) => expand(d),
        None => platform_data_dir(os, &home, &get).join("rolecall"),
    };
    Some(Paths {
        config_dir,
        data_dir,
        credentials_file: get("AWS_SHARED_CREDENTIALS_FILE")
            .map(expand)
            .unwrap_or_else(|| home.join(".aws").join("credentials")),
        aws_config_file: get("AWS_CONFIG_FILE").map(expand).unwrap_or_else(|| home.join(".aws").join("config")),
        sso_cache_dir: home.join(".aws").join("sso").join("cache"),
    })
}

/// The operating systems whose config- and data-dir conventions [`from_lookup`] follows. The choice is a
/// value, not only a `cfg`, so every platform's rule is unit-tested on every platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// `$XDG_CONFIG_HOME` (when absolute), else `~/.config`; data: `$XDG_DATA_HOME` (when
    /// absolute), else `~/.local/share` (Linux and the other Unixes).
    Linux,
    /// `~/Library/Application Support`, for both.
    MacOs,
    /// `%APPDATA%`, else `~\AppData\Roaming`; data: `%LOCALAPPDATA%`, else `~\AppData\Local`
    /// (kept on this machine, not roamed).
    Windows,
}

impl Os {
    /// The operating system this build targets.
    pub const CURRENT: Os = if cfg!(target_os = "macos") {
        Os::MacOs
    } else if cfg!(target_os = "windows") {
        Os::Windows
    } else {
        Os::Linux
    };
}

fn platform_config_dir(os: Os, home: &Path, get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    match os {
        Os::MacOs => home.join("Library").join("Application Support"),
        Os::Windows => get("APPDATA").map(PathBuf::from).unwrap_or_else(|| home.join("AppData").join("Roaming")),
        Os::Linux => get("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config")),
    }
}

fn platform_data_dir(os: Os, home: &Path, get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    match os {
        Os::MacOs => home.join("Library").join("Application Support"),
        Os::Windows => get("LOCALAPPDATA").map(PathBuf::from).unwrap_or_else(|| home.join("AppData").join("Local")),
        Os::Linux => get("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".local").join("share")),
    }
}

impl Paths {
    /// The locations for this process's environment; `None` when no home directory is known.
    pub fn from_env() -> Option<Paths> {
        from_lookup(|k| std::env::var(k).ok())
    }

    /// `config.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// `backups/` in the data dir: the sections `--force` took over (see [`crate::backups`]).
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)]) -> Paths {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_lookup(|k| m.get(k).cloned()).unwrap()
    }

    #[test]
    fn defaults_and_overrides() {
        let p = with(&[("HOME", "/h")]);
        assert_eq!(p.credentials_file, PathBuf::from("/h/.aws/credentials"));
        assert_eq!(p.aws_config_file, PathBuf::from("/h/.aws/config"));
        if cfg!(target_os = "linux") {
            assert_eq!(p.config_dir, PathBuf::from("/h/.config/rolecall"));
            assert_eq!(with(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]).config_dir, PathBuf::from("/x/rolecall"));
            assert_eq!(
                with(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "relative")]).config_dir,
                PathBuf::from("/h/.config/rolecall")
            );
            assert_eq!(p.data_dir, PathBuf::from("/h/.local/share/rolecall"));
            assert_eq!(p.backups_dir(), PathBuf::from("/h/.local/share/rolecall/backups"));
            assert_eq!(with(&[("HOME", "/h"), ("XDG_DATA_HOME", "/d")]).data_dir, PathBuf::from("/d/rolecall"));
        }
        let p = with(&[
            ("HOME", "/h"),
            ("ROLECALL_CONFIG_DIR", "~/rc"),
            ("ROLECALL_DATA_DIR", "~/rd"),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
            ("AWS_CONFIG_FILE", "/etc/awsconf"),
        ]);
        assert_eq!(p.config_dir, PathBuf::from("/h/rc"));
        assert_eq!(p.data_dir, PathBuf::from("/h/rd"));
        assert_eq!(p.credentials_file, PathBuf::from("/h/creds"));
        assert_eq!(p.aws_config_file, PathBuf::from("/etc/awsconf"));
        assert_eq!(p.sso_cache_dir, PathBuf::from("/h/.aws/sso/cache"), "not beside AWS_CONFIG_FILE");
        assert!(from_lookup(|_| None).is_none());
    }

    fn on(os: Os, vars: &[(&str, &str)]) -> Paths {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_lookup_on(os, |k| m.get(k).cloned()).unwrap()
    }

    #[test]
    fn config_dir_per_os() {
        let home = PathBuf::from("/h");
        assert_eq!(on(Os::Linux, &[("HOME", "/h")]).config_dir, home.join(".config").join("rolecall"));
        // XDG_CONFIG_HOME counts only when absolute, which on a Windows host needs a drive.
        let xdg = if cfg!(windows) { "C:\\x" } else { "/x" };
        assert_eq!(
            on(Os::Linux, &[("HOME", "/h"), ("XDG_CONFIG_HOME", xdg)]).config_dir,
            PathBuf::from(xdg).join("rolecall")
        );
        assert_eq!(
            on(Os::Linux, &[("HOME", "/h"), ("XDG_CONFIG_HOME", "relative")]).config_dir,
            home.join(".config").join("rolecall")
        );
        assert_eq!(
            on(Os::MacOs, &[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]).config_dir,
            home.join("Library").join("Application Support").join("rolecall"),
            "macOS ignores XDG_CONFIG_HOME"
        );
        assert_eq!(
            on(Os::Windows, &[("USERPROFILE", "/h"), ("APPDATA", "/roaming")]).config_dir,
            PathBuf::from("/roaming").join("rolecall")
        );
        assert_eq!(
            on(Os::Windows, &[("USERPROFILE", "/h")]).config_dir,
            home.join("AppData").join("Roaming").join("rolecall")
        );
        let data = |os, vars: &[(&str, &str)]| on(os, vars).data_dir;
        assert_eq!(data(Os::Linux, &[("HOME", "/h")]), home.join(".local").join("share").join("rolecall"));
        assert_eq!(data(Os::Linux, &[("HOME", "/h"), ("XDG_DATA_HOME", xdg)]), PathBuf::from(xdg).join("rolecall"));
        assert_eq!(
            data(Os::Linux, &[("HOME", "/h"), ("XDG_DATA_HOME", "relative")]),
            home.join(".local").join("share").join("rolecall")
        );
        assert_eq!(
            data(Os::MacOs, &[("HOME", "/h"), ("XDG_DATA_HOME", "/x")]),
            home.join("Library").join("Application Support").join("rolecall")
        );
        assert_eq!(
            data(Os::Windows, &[("USERPROFILE", "/h"), ("LOCALAPPDATA", "/local"), ("APPDATA", "/roaming")]),
            PathBuf::from("/local").join("rolecall")
        );
        assert_eq!(data(Os::Windows, &[("USERPROFILE", "/h")]), home.join("AppData").join("Local").join("rolecall"));
        // The AWS files are under the home directory on every OS, and `~\` expands like `~/`.
        for os in [Os::Linux, Os::MacOs, Os::Windows] {
            let p = on(os, &[("USERPROFILE", "/h"), ("AWS_CONFIG_FILE", "~\\awsconf")]);
            assert_eq!(p.credentials_file, home.join(".aws").join("credentials"), "{os:?}");
            assert_eq!(p.aws_config_file, home.join("awsconf"), "{os:?}");
        }
    }

    #[test]
    fn current_os_matches_the_target() {
        let expected = if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        };
        assert_eq!(Os::CURRENT, expected);
    }
}
