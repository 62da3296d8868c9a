//! Favourites and preferences: saving, removing, the default profile, the tray's lines.

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::config::{Config, Favourite, Preferences};
use rolecall_core::profile::Holder;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{Name, ProfileName};
use rolecall_core::view::{self, FavouriteLine};

use crate::{Ports, Services};

/// `[default]`.
pub(crate) fn default_profile() -> ProfileName {
    ProfileName::parse("default").expect("a valid profile name")
}

impl<P: Ports> Services<P> {
    /// Adds a favourite, or replaces `replacing` (which may have another name) in one atomic update.
    ///
    /// The AWS files follow its delivery: a `process` favourite's profile gets its
    /// `credential_process` line (and loses any session in the credentials file); one that was
    /// `process` and is not any more loses the line.
    pub fn save_favourite(&self, name: &Name, fav: Favourite, replacing: Option<&Name>) -> Result<Config, Error> {
        self.check_delivery(name, &fav)?;
        let mut before = None;
        let (config, ()) = self.inner.config.update(|c| {
            before = replacing.and_then(|old| c.favourites.get(old)).cloned();
            match replacing {
                Some(old) if old != name => {
                    c.favourite(old)?;
                    let mut next = c.clone();
                    // Favourites chained from the old name follow the rename.
                    for f in next.favourites.values_mut() {
                        if &f.source == old {
                            f.source = name.clone();
                        }
                    }
                    next.favourites.remove(old);
                    next.put_favourite(name.clone(), fav.clone(), false)?;
                    *c = next;
                }
                Some(_) => c.put_favourite(name.clone(), fav.clone(), true)?,
                None => c.put_favourite(name.clone(), fav.clone(), false)?,
            }
            Ok(())
        })?;
        let old_name = replacing.unwrap_or(name);
        if let Some(old) = before.as_ref().filter(|_| old_name != name) {
            // Renamed: the old name's line goes, the new name's comes.
            self.apply_delivery(old_name, Some(old), None)?;
            self.apply_delivery(name, None, config.favourites.get(name))?;
        } else {
            self.apply_delivery(name, before.as_ref(), config.favourites.get(name))?;
        }
        Ok(config)
    }

    /// Removes a favourite and the profile rolecall wrote for it, and `[default]` when it holds
    /// this favourite's session (never anything else). Returns the profile if it was removed.
    pub fn remove_favourite(&self, name: &Name) -> Result<Option<ProfileName>, Error> {
        let (_, (profile, removed)) = self.inner.config.update(|c| {
            let removed = c.favourite(name)?.clone();
            c.remove(name, true)?;
            Ok((removed.profile.clone(), removed))
        })?;
        self.apply_delivery(name, Some(&removed), None)?;
        // `[default]` goes with the favourite that wrote it there.
        if profile != default_profile() && self.holds_default(name)? {
            self.inner.files.remove_session(&default_profile())?;
        }
        Ok(self.inner.files.remove_session(&profile)?.then_some(profile))
    }

    /// Whether `[default]` holds a session rolecall wrote for favourite `name`.
    pub(crate) fn holds_default(&self, name: &Name) -> Result<bool, Error> {
        Ok(matches!(
            self.inner.files.holder(&default_profile())?,
            Holder::Rolecall { favourite, .. } if favourite == name.as_str()
        ))
    }

    /// Makes favourite `name`'s session `credentials` (from its profile or a fresh assume) the
    /// default profile too: `[default]`, taken over from another favourite if one had it, never
    /// from credentials rolecall did not write. Later assumes keep it in step; removing the
    /// favourite removes it. A `process` favourite's session is never written, so it is refused.
    pub fn make_default(&self, name: &Name, credentials: &SessionCredentials) -> Result<(), Error> {
        self.inner.config.read_locked(|c| {
            let fav = c.favourite(name)?;
            if fav.delivery == rolecall_core::config::Delivery::Process {
                return Err(Error::NeedsInput {
                    subject: format!("favourite {name}"),
                    what:
                        "its credentials are served, never written (delivery process), so they cannot be the default \
                           profile; set AWS_PROFILE to its profile instead"
                            .into(),
                });
            }
            let issued = match self.inner.files.holder(&fav.profile)? {
                Holder::Rolecall { issued: Some(issued), .. } => issued,
                _ => self.issued_now(),
            };
            self.inner.files.write_default_session(name, credentials, issued, fav.region.as_ref())?;
            Ok(())
        })
    }

    /// Replaces the preferences, after checking them (lead times, ...).
    pub fn set_preferences(&self, preferences: Preferences) -> Result<Config, Error> {
        preferences.validate()?;
        let (config, ()) = self.inner.config.update(|c| {
            c.preferences = preferences.clone();
            Ok(())
        })?;
        Ok(config)
    }

    /// Every favourite's line (state and label) at `now`, read from the credentials file.
    pub fn lines(&self, now: DateTime<Utc>) -> Result<(Config, Vec<FavouriteLine>), Error> {
        let config = self.inner.config.load()?;
        let holders = self.holders_in(&config)?;
        let lines = view::lines(
            &config,
            |n| holders.get(&config.favourites[n].profile).cloned().unwrap_or(Holder::Nobody),
            now,
        );
        Ok((config, lines))
    }

    /// Who holds each favourite's profile now (rolecall for this favourite or another, another
    /// tool, nobody), by favourite.
    pub fn holders(&self) -> Result<(Config, std::collections::BTreeMap<Name, Holder>), Error> {
        let config = self.inner.config.load()?;
        let holders = self.holders_in(&config)?;
        let by_favourite = config
            .favourites
            .iter()
            .map(|(n, f)| (n.clone(), holders.get(&f.profile).cloned().unwrap_or(Holder::Nobody)))
            .collect();
        Ok((config, by_favourite))
    }
}
