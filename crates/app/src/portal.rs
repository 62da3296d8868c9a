//! Favourites picked from an IAM Identity Center source's portal roles (named by a
//! [`NamePattern`], all added in one update of `config.toml`), and the `[sso-session]` blocks of
//! `~/.aws/config` a new source may come from.

use std::collections::BTreeMap;

use rolecall_core::Error;
use rolecall_core::config::{Config, Favourite, SourceKind};
use rolecall_core::portal_names::{NamePattern, PortalPick};
use rolecall_core::validate::{Name, Partition, ProfileName, RoleArn, ValidationError};

use crate::sso::sso_source;
use crate::{Ports, Services};

/// An `[sso-session NAME]` block of `~/.aws/config`, its values as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSessionBlock {
    /// `NAME`.
    pub name: String,
    /// Its `sso_start_url`.
    pub start_url: Option<String>,
    /// Its `sso_region`.
    pub region: Option<String>,
}

/// The favourites source `source` already has for portal roles: (account id, role name) → the
/// favourite.
pub type PortalFavourites = BTreeMap<(String, String), Name>;

impl<P: Ports> Services<P> {
    /// The `[sso-session NAME]` blocks of `~/.aws/config`, in file order.
    pub fn sso_session_blocks(&self) -> Result<Vec<SsoSessionBlock>, Error> {
        let doc = self.inner.files.read_config()?;
        Ok(doc
            .section_names()
            .into_iter()
            .filter_map(|section| {
                let rest = section.strip_prefix("sso-session")?;
                let name = rest.trim();
                (rest.starts_with([' ', '\t']) && !name.is_empty()).then(|| SsoSessionBlock {
                    name: name.to_string(),
                    start_url: doc.get(&section, "sso_start_url"),
                    region: doc.get(&section, "sso_region"),
                })
            })
            .collect())
    }

    /// The favourites that start at source `source` directly with one of its portal's roles.
    pub fn portal_favourites(&self, source: &Name) -> Result<PortalFavourites, Error> {
        let config = self.inner.config.load()?;
        sso_source(config.source(source)?, source)?;
        Ok(portal_favourites(&config, source))
    }

    /// The names `picks` of source `source`'s portal would get with `pattern` now (what
    /// [`Services::add_portal_favourites`] adds, unless something changes meanwhile).
    pub fn portal_favourite_names(
        &self,
        source: &Name,
        picks: &[PortalPick],
        pattern: &NamePattern,
    ) -> Result<Vec<Name>, Error> {
        let config = self.inner.config.load()?;
        Ok(self.plan(&config, source, picks, pattern)?.into_iter().map(|(name, _)| name).collect())
    }

    /// Adds a favourite for each of `picks` (roles of source `source`'s portal), named by
    /// `pattern` and unique against every favourite, source and profile of the AWS files, in one
    /// update of `config.toml`: all or none. A pick that cannot be a role, is picked twice or
    /// already is a favourite of the source is refused, named. Returns the new favourites' names,
    /// in the order of `picks`; each writes the profile of its name (served through
    /// `credential_process` when the preferences never write secrets to disk).
    pub fn add_portal_favourites(
        &self,
        source: &Name,
        picks: &[PortalPick],
        pattern: &NamePattern,
    ) -> Result<Vec<Name>, Error> {
        let (saved, names) = self.inner.config.update(|c| {
            let plan = self.plan(c, source, picks, pattern)?;
            let mut next = c.clone();
            for (name, arn) in &plan {
                let profile = ProfileName::parse(name.as_str())?;
                let mut fav = Favourite::new(arn.clone(), source.clone(), profile);
                fav.delivery = c.preferences.default_delivery();
                self.check_delivery(name, &fav)?;
                next.put_favourite(name.clone(), fav, false)?;
            }
            *c = next;
            Ok(plan.into_iter().map(|(name, _)| name).collect::<Vec<_>>())
        })?;
        for name in &names {
            self.apply_delivery(name, None, Some(saved.favourite(name)?))?;
        }
        Ok(names)
    }

    /// Each pick's name and role, checked against `config`.
    fn plan(
        &self,
        config: &Config,
        source: &Name,
        picks: &[PortalPick],
        pattern: &NamePattern,
    ) -> Result<Vec<(Name, RoleArn)>, Error> {
        let src = sso_source(config.source(source)?, source)?;
        let partition = Partition::of_region(&src.region);
        let existing = portal_favourites(config, source);
        let mut arns = Vec::with_capacity(picks.len());
        for (i, pick) in picks.iter().enumerate() {
            let arn = pick.role_arn(partition)?;
            let refuse = |what: String| {
                ValidationError::new(
                    "portal role",
                    format!("{} in account {}: {what}", pick.role_name, pick.account_id),
                )
            };
            if let Some(fav) = existing.get(&(pick.account_id.clone(), pick.role_name.clone())) {
                return Err(refuse(format!("already is favourite {fav}; pick the roles that are not")).into());
            }
            if picks[..i].iter().any(|p| p.account_id == pick.account_id && p.role_name == pick.role_name) {
                return Err(refuse("is picked twice; pick each role once".into()).into());
            }
            arns.push(arn);
        }
        let names = pattern.names(picks, self.taken_names(config)?);
        Ok(names.into_iter().zip(arns).collect())
    }

    /// Every name a new favourite must not take: sources, favourites, the profiles they write,
    /// and the profiles of the AWS credentials and config files.
    fn taken_names(&self, config: &Config) -> Result<Vec<String>, Error> {
        let mut taken: Vec<String> = config.sources.keys().map(ToString::to_string).collect();
        for (name, fav) in &config.favourites {
            taken.push(name.to_string());
            taken.push(fav.profile.to_string());
        }
        taken.extend(self.inner.files.credentials_profiles()?);
        for section in self.inner.files.read_config()?.section_names() {
            let profile = section.strip_prefix("profile").map_or(section.as_str(), |p| p.trim().trim_matches('"'));
            taken.push(profile.to_string());
        }
        Ok(taken)
    }
}

/// The favourites of `config` that start at `source` (an IAM Identity Center source) directly.
fn portal_favourites(config: &Config, source: &Name) -> PortalFavourites {
    let is_sso = config.sources.get(source).is_some_and(|s| matches!(s.kind, SourceKind::Sso { .. }));
    if !is_sso {
        return PortalFavourites::new();
    }
    config
        .favourites
        .iter()
        .filter(|(_, f)| &f.source == source)
        .map(|(name, f)| ((f.arn.account().to_string(), f.arn.role_name().to_string()), name.clone()))
        .collect()
}
