//! `rolecall import`: role and SSO profiles of `~/.aws/config` as favourites.

use rolecall_app::{ImportChoice, ImportReport, ImportedFavourite, ImportedSource, Services};
use rolecall_core::Error;

use crate::args::ImportArgs;
use crate::output::table;

pub(super) fn run(ctx: &Services, a: ImportArgs) -> Result<(), Error> {
    let path = ctx.aws_config_file().display().to_string();
    if a.list || (!a.all && a.profiles.is_empty()) {
        return list(ctx, &path);
    }
    let choice = if a.all { ImportChoice::All } else { ImportChoice::Profiles(a.profiles) };
    let ImportReport { favourites, sources, skipped } = ctx.import(&choice)?;
    if favourites.is_empty() && choice == ImportChoice::All {
        println!("Nothing to import from {path}");
    }
    for s in sources {
        match s {
            ImportedSource::Added { name, aws_profile, mfa_serial } => {
                let mfa = mfa_serial.map(|d| format!(", MFA device {d}")).unwrap_or_default();
                println!("Added source {name}: AWS profile {aws_profile}{mfa} (not verified)");
            }
            ImportedSource::AddedSso { name, start_url } => {
                println!(
                    "Added source {name}: IAM Identity Center {start_url} (sign in with `rolecall source login {name}`)"
                );
            }
            ImportedSource::MfaRecorded { name, mfa_serial } => {
                println!(
                    "Source {name}: MFA device {} recorded",
                    mfa_serial.map(|d| d.to_string()).unwrap_or_default()
                );
            }
        }
    }
    for ImportedFavourite { name, from_profile, arn, profile, source, chained } in favourites {
        let via = if chained { "chained from" } else { "source" };
        println!("Added favourite {name} from AWS profile {from_profile}: {arn} as profile {profile} ({via} {source})");
    }
    for (profile, problem) in skipped {
        println!("Skipped AWS profile {profile}: {problem}");
    }
    Ok(())
}

fn list(ctx: &Services, path: &str) -> Result<(), Error> {
    let cands = ctx.import_candidates()?;
    if cands.is_empty() {
        println!("No role or SSO profiles (profiles with role_arn or sso_*) in {path}");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = cands
        .iter()
        .map(|c| {
            let status = match (&c.problem, c.already_imported) {
                (_, true) => "imported".to_owned(),
                (Some(problem), false) => problem.clone(),
                (None, false) => "can be imported".to_owned(),
            };
            vec![
                c.profile.clone(),
                c.favourite.clone(),
                c.rolecall_profile.clone(),
                match (&c.sso, &c.source_profile) {
                    (Some(sso), _) => format!("IAM Identity Center ({})", sso.source),
                    (None, Some(p)) => p.clone(),
                    (None, None) => "-".into(),
                },
                c.role_arn.clone(),
                status,
            ]
        })
        .collect();
    print!("{}", table(&["AWS PROFILE", "FAVOURITE", "WRITES PROFILE", "SOURCE PROFILE", "ROLE", "STATUS"], &rows));
    if cands.iter().any(|c| c.problem.is_none() && !c.already_imported) {
        println!("Import them with `rolecall import --all`, or some with `rolecall import PROFILE...`");
    }
    Ok(())
}
