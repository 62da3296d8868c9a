//! Importing the role and SSO profiles of `~/.aws/config` as favourites, and the report both front ends
//! show of it.

use rolecall_core::Error;
use rolecall_core::config::SourceKind;
use rolecall_core::import::{self, Candidate};
use rolecall_core::sso::StartUrl;
use rolecall_core::validate::{MfaSerial, Name, ProfileName, RoleArn};

use crate::{Ports, Services};

/// Which AWS profiles to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportChoice {
    /// Every one that can be (the others are reported as skipped).
    All,
    /// These, all or nothing.
    Profiles(Vec<String>),
}

/// A favourite an import created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFavourite {
    /// Its name.
    pub name: Name,
    /// The AWS profile it came from.
    pub from_profile: String,
    /// Its role.
    pub arn: RoleArn,
    /// The profile rolecall writes for it.
    pub profile: ProfileName,
    /// Its source: a source, or the favourite it is chained from.
    pub source: Name,
    /// Whether `source` is a favourite (a role chain).
    pub chained: bool,
}

/// What an import did to a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportedSource {
    /// A new source over an AWS profile (not verified).
    Added {
        /// Its name.
        name: Name,
        /// The AWS profile.
        aws_profile: ProfileName,
        /// Its MFA device.
        mfa_serial: Option<MfaSerial>,
    },
    /// A new IAM Identity Center source, from an SSO profile (not signed in yet).
    AddedSso {
        /// Its name.
        name: Name,
        /// Its access portal's start URL.
        start_url: StartUrl,
    },
    /// An existing source's MFA device, recorded from the profiles.
    MfaRecorded {
        /// Its name.
        name: Name,
        /// The device now recorded.
        mfa_serial: Option<MfaSerial>,
    },
}

/// What an import did, and what it left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// The favourites created, in the order asked.
    pub favourites: Vec<ImportedFavourite>,
    /// The sources added or changed.
    pub sources: Vec<ImportedSource>,
    /// AWS profiles not imported by [`ImportChoice::All`], with why.
    pub skipped: Vec<(String, String)>,
}

fn importable(c: &Candidate) -> bool {
    c.problem.is_none() && !c.already_imported
}

fn skipped(cands: &[Candidate]) -> Vec<(String, String)> {
    cands
        .iter()
        .filter(|c| !c.already_imported)
        .filter_map(|c| c.problem.clone().map(|p| (c.profile.clone(), p)))
        .collect()
}

impl<P: Ports> Services<P> {
    /// The role and SSO profiles of the AWS config file that could become favourites.
    pub fn import_candidates(&self) -> Result<Vec<Candidate>, Error> {
        Ok(import::candidates(&self.inner.files.read_config()?, &self.inner.config.load()?))
    }

    /// Imports AWS profiles as favourites in one update of `config.toml` (all or nothing), with
    /// the sources they need. [`ImportChoice::All`] with nothing importable changes nothing.
    pub fn import(&self, choice: &ImportChoice) -> Result<ImportReport, Error> {
        let doc = self.inner.files.read_config()?;
        if *choice == ImportChoice::All {
            let cands = import::candidates(&doc, &self.inner.config.load()?);
            if !cands.iter().any(importable) {
                return Ok(ImportReport { skipped: skipped(&cands), ..ImportReport::default() });
            }
        }
        let (saved, (names, old_sources, skipped)) = self.inner.config.update(|c| {
            let cands = import::candidates(&doc, c);
            let (chosen, skipped) = match choice {
                ImportChoice::All => {
                    (cands.iter().filter(|c| importable(c)).map(|c| c.profile.clone()).collect(), skipped(&cands))
                }
                ImportChoice::Profiles(p) => (p.clone(), Vec::new()),
            };
            let old_sources = c.sources.clone();
            let names = import::import(c, &doc, &chosen)?;
            for name in &names {
                self.check_delivery(name, c.favourite(name)?)?;
            }
            Ok((names, old_sources, skipped))
        })?;
        for name in &names {
            self.apply_delivery(name, None, Some(saved.favourite(name)?))?;
        }
        let mut sources = Vec::new();
        for (name, source) in &saved.sources {
            let mfa_serial = source.mfa_serial.clone();
            match (old_sources.get(name), &source.kind) {
                (None, SourceKind::AwsProfile { aws_profile }) => sources.push(ImportedSource::Added {
                    name: name.clone(),
                    aws_profile: aws_profile.clone(),
                    mfa_serial,
                }),
                (None, SourceKind::Sso { sso_start_url, .. }) => {
                    sources.push(ImportedSource::AddedSso { name: name.clone(), start_url: sso_start_url.clone() })
                }
                (Some(old), _) if old.mfa_serial != mfa_serial => {
                    sources.push(ImportedSource::MfaRecorded { name: name.clone(), mfa_serial })
                }
                _ => {}
            }
        }
        let cands = import::candidates(&doc, &saved);
        let mut favourites = Vec::new();
        for name in names {
            let f = saved.favourite(&name)?;
            let from_profile = cands
                .iter()
                .find(|c| c.favourite == name.as_str())
                .map_or_else(|| "?".to_owned(), |c| c.profile.clone());
            favourites.push(ImportedFavourite {
                from_profile,
                arn: f.arn.clone(),
                profile: f.profile.clone(),
                source: f.source.clone(),
                chained: saved.favourites.contains_key(&f.source),
                name,
            });
        }
        Ok(ImportReport { favourites, sources, skipped })
    }
}
