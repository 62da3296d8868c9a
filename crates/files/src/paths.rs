//! Where rolecall's files and the AWS files are, read from the environment once.
//!
//! - rolecall's config dir: `ROLECALL_CONFIG_DIR`, else the platform config dir + `rolecall`
//!   (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on macOS,
//!   `%APPDATA%` on Windows).
//! - The AWS files: `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` (a leading `~` is the home
//!   directory, as the AWS CLI reads them), else `~/.aws/credentials` and `~/.aws/config`.

use std::path::{Path, PathBuf};

/// Resolved locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// rolecall's config directory (holds `config.toml`).
    pub config_dir: PathBuf,
    /// The AWS shared credentials file.
    pub credentials_file: PathBuf,
    /// The AWS shared config file.
    pub aws_config_file: PathBuf,
}

/// The environment variables [`Paths`] reads, as a lookup function (so tests need not set the real environment).
pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Option<Paths> {
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
        None => platform_config_dir(&home, &get).join("rolecall"),
    };
    Some(Paths {
        config_dir,
        credentials_file: get("AWS_SHARED_CREDENTIALS_FILE")
            .map(expand)
            .unwrap_or_else(|| home.join(".aws").join("credentials")),
        aws_config_file: get("AWS_CONFIG_FILE").map(expand).unwrap_or_else(|| home.join(".aws").join("config")),
    })
}

fn platform_config_dir(home: &Path, get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if cfg!(target_os = "macos") {
        home.join("Library").join("Application Support")
    } else if cfg!(target_os = "windows") {
        get("APPDATA").map(PathBuf::from).unwrap_or_else(|| home.join("AppData").join("Roaming"))
    } else {
        get("XDG_CONFIG_HOME").map(PathBuf::from).filter(|p| p.is_absolute()).unwrap_or_else(|| home.join(".config"))
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
        }
        let p = with(&[
            ("HOME", "/h"),
            ("ROLECALL_CONFIG_DIR", "~/rc"),
            ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
            ("AWS_CONFIG_FILE", "/etc/awsconf"),
        ]);
        assert_eq!(p.config_dir, PathBuf::from("/h/rc"));
        assert_eq!(p.credentials_file, PathBuf::from("/h/creds"));
        assert_eq!(p.aws_config_file, PathBuf::from("/etc/awsconf"));
        assert!(from_lookup(|_| None).is_none());
    }
}
