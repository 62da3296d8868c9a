//! How a favourite's credentials reach AWS tools ([`Delivery`]): written into its profile of the
//! credentials file, or served by `rolecall credentials NAME` through a `credential_process` line
//! in its profile of the config file, with no secret on disk.

use std::path::{Path, PathBuf};

use chrono::Utc;
use rolecall_core::Error;
use rolecall_core::assume::MfaPrompt;
use rolecall_core::config::{Delivery, Favourite};
use rolecall_core::profile;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::Name;

use crate::favourites::default_profile;
use crate::{Ports, Services};

/// How much of a session must be left for `rolecall credentials` to hand it out: less, and it is
/// renewed first, so that SDKs (botocore asks again when fewer than 15 minutes are left) do not
/// run the process again on every request.
pub const SERVE_MIN_LEFT: chrono::Duration = chrono::Duration::minutes(20);

/// The CLI's file name.
const CLI_NAME: &str = if cfg!(windows) { "rolecall.exe" } else { "rolecall" };

/// The absolute path of the `rolecall` command that a `credential_process` line runs: the running
/// binary when it is the CLI, else the CLI beside it (the tray app is installed next to it), else
/// the first `rolecall` on `PATH`.
pub fn cli_path() -> Result<PathBuf, Error> {
    let exe = std::env::current_exe().ok();
    let path = std::env::var_os("PATH");
    find_cli(exe.as_deref(), path.as_deref()).ok_or_else(|| Error::NeedsInput {
        subject: "credential_process".into(),
        what: format!(
            "cannot find the rolecall command beside {} or on PATH; install it there",
            exe.as_deref().map_or_else(|| "this program".into(), |e| e.display().to_string())
        ),
    })
}

/// [`cli_path`] from the running binary `exe` and a `PATH` value.
fn find_cli(exe: Option<&Path>, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if let Some(exe) = exe {
        if exe.file_name().is_some_and(|n| n == CLI_NAME) {
            return Some(exe.to_path_buf());
        }
        if let Some(beside) = exe.parent().map(|d| d.join(CLI_NAME)).filter(|p| p.is_file()) {
            return Some(beside);
        }
    }
    std::env::split_paths(path?).map(|d| d.join(CLI_NAME)).find(|p| p.is_absolute() && p.is_file())
}

/// The `credential_process` line for favourite `name`, naming the CLI at `cli`.
pub(crate) fn process_line(cli: &Path, name: &Name) -> Result<String, Error> {
    Ok(profile::credential_process_line(&cli.to_string_lossy(), name)?)
}

impl<P: Ports> Services<P> {
    /// A favourite's credentials for `rolecall credentials NAME` when no tray app serves them,
    /// written nowhere: a session its profile keeps while it is fresh enough (as
    /// [`Services::serve`] judges it; only a `file` favourite has one), else a fresh assume.
    /// Never asks through anything but `mfa` (which should refuse) and never reads a locked
    /// keychain, whose unlock would prompt.
    pub async fn credentials(&self, name: &Name, mfa: &mut impl MfaPrompt) -> Result<SessionCredentials, Error> {
        if let Some(kept) = self.fresh_session(name, Utc::now())? {
            return Ok(kept);
        }
        self.refuse_locked_keychain(name)?;
        Ok(self.assume_unwritten(name, mfa).await?.credentials)
    }

    /// The CLI a `credential_process` line names: [`cli_path`] (a test's stand-in, when it set
    /// one).
    fn cli(&self) -> Result<PathBuf, Error> {
        match &self.inner.cli {
            Some(cli) => Ok(cli.clone()),
            None => cli_path(),
        }
    }

    /// Names `cli` in `credential_process` lines instead of [`cli_path`] (the unit tests' binary
    /// has no CLI beside it). Only right after construction.
    #[cfg(test)]
    pub(crate) fn with_cli(mut self, cli: PathBuf) -> Self {
        std::sync::Arc::get_mut(&mut self.inner).expect("not shared yet").cli = Some(cli);
        self
    }

    /// Refuses, before anything is saved, a `process` favourite whose line cannot be written: no
    /// CLI to name, a path no shell reads as it is, a profile the config file resolves some other
    /// way or that is another favourite's.
    pub(crate) fn check_delivery(&self, name: &Name, fav: &Favourite) -> Result<(), Error> {
        if fav.delivery != Delivery::Process {
            return Ok(());
        }
        let line = process_line(&self.cli()?, name)?;
        let mut doc = self.inner.files.read_config()?;
        profile::set_credential_process(&mut doc, &fav.profile, name, &line, fav.region.as_ref())?;
        Ok(())
    }

    /// Brings the AWS files in line with favourite `name`'s delivery after it was saved as `now`
    /// (it was `before`): a `process` favourite gets its `credential_process` line, and its
    /// profile's session (and `[default]`, if it held this favourite's) leaves the credentials
    /// file; a `file` favourite that was `process` (or moved to another profile) loses the line.
    pub(crate) fn apply_delivery(
        &self,
        name: &Name,
        before: Option<&Favourite>,
        now: Option<&Favourite>,
    ) -> Result<(), Error> {
        let files = &self.inner.files;
        if let Some(old) = before
            && old.delivery == Delivery::Process
            && now.is_none_or(|f| f.delivery == Delivery::File || f.profile != old.profile)
        {
            files.remove_process_profile(&old.profile, name)?;
        }
        let Some(fav) = now.filter(|f| f.delivery == Delivery::Process) else { return Ok(()) };
        let line = process_line(&self.cli()?, name)?;
        files.write_process_profile(&fav.profile, name, &line, fav.region.as_ref())?;
        // Its secrets from before (as a `file` favourite) must not stay on disk.
        if fav.profile != default_profile() && self.holds_default(name)? {
            files.remove_session(&default_profile())?;
        }
        files.remove_session(&fav.profile)?;
        Ok(())
    }
}

/// What [`Services::convert_to_process`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The favourites now served through `credential_process`, their secrets gone from the
    /// credentials file.
    pub converted: Vec<Name>,
    /// The favourites left as they were, with why.
    pub skipped: Vec<(Name, String)>,
}

impl<P: Ports> Services<P> {
    /// The favourites that still write their sessions into the credentials file (what the
    /// preference "Never write secrets to disk" offers to convert).
    pub fn file_favourites(&self) -> Result<Vec<Name>, Error> {
        let config = self.inner.config.load()?;
        Ok(config.favourites.iter().filter(|(_, f)| f.delivery == Delivery::File).map(|(n, _)| n.clone()).collect())
    }

    /// Turns favourites `names` (none given: every `file` favourite) into `process` ones: each
    /// gets its `credential_process` line and its session leaves the credentials file, with the
    /// usual owned-section edit. Given no names, a favourite that is the default profile (whose
    /// session `[default]` holds, which tools use without being told a profile) is left as it
    /// is, with why; named, it is converted, and `[default]` goes with its session. One that
    /// cannot be converted (its profile is not one rolecall may write in the config file) is
    /// skipped with why; the others go on.
    pub fn convert_to_process(&self, names: &[Name]) -> Result<Conversion, Error> {
        let candidates = if names.is_empty() {
            self.file_favourites()?
        } else {
            let config = self.inner.config.load()?;
            for n in names {
                config.favourite(n)?;
            }
            names.to_vec()
        };
        let mut out = Conversion::default();
        for name in candidates {
            if names.is_empty() && self.holds_default(&name)? {
                let why =
                    "it is the default profile ([default] holds its session); convert it by name to remove that too";
                out.skipped.push((name, why.into()));
                continue;
            }
            match self.convert_one(&name) {
                Ok(true) => out.converted.push(name),
                Ok(false) => out.skipped.push((name, "is served through credential_process already".into())),
                Err(e) => out.skipped.push((name, format!("{}: {e}", e.code()))),
            }
        }
        Ok(out)
    }

    /// Converts one favourite; `false` if it already was `process`.
    fn convert_one(&self, name: &Name) -> Result<bool, Error> {
        let mut before = None;
        let (saved, changed) = self.inner.config.update(|c| {
            let fav = c.favourite(name)?.clone();
            if fav.delivery == Delivery::Process {
                return Ok(false);
            }
            let mut now = fav.clone();
            now.delivery = Delivery::Process;
            self.check_delivery(name, &now)?;
            c.favourites.insert(name.clone(), now);
            before = Some(fav);
            Ok(true)
        })?;
        if changed {
            self.apply_delivery(name, before.as_ref(), Some(saved.favourite(name)?))?;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_the_running_binary_or_the_one_beside_it_or_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let (bin, other) = (dir.path().join("bin"), dir.path().join("other"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        let tray = bin.join("rolecall-tray");
        std::fs::write(&tray, "").unwrap();
        // Neither beside nor on PATH.
        assert_eq!(find_cli(Some(&tray), Some(other.as_os_str())), None);
        // On PATH.
        std::fs::write(other.join(CLI_NAME), "").unwrap();
        assert_eq!(find_cli(Some(&tray), Some(other.as_os_str())), Some(other.join(CLI_NAME)));
        // Beside the tray app wins over PATH.
        std::fs::write(bin.join(CLI_NAME), "").unwrap();
        assert_eq!(find_cli(Some(&tray), Some(other.as_os_str())), Some(bin.join(CLI_NAME)));
        // The CLI itself.
        let cli = other.join(CLI_NAME);
        assert_eq!(find_cli(Some(&cli), None), Some(cli));
    }
}
