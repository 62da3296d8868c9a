//! `rolecall role add | list | show | remove | convert`: favourites.

use rolecall_app::Services;
use rolecall_core::Error;
use rolecall_core::config::{Favourite, SessionTags};
use rolecall_core::renew;
use rolecall_core::validate::{Name, ProfileName, RoleArn, SessionDuration};
use serde::Serialize;

use crate::args::RoleAddArgs;
use crate::output::{print_json, table};

/// A favourite in JSON: its name, then its fields as `config.toml` has them.
#[derive(Serialize)]
struct FavouriteJson<'a> {
    name: &'a Name,
    #[serde(flatten)]
    favourite: &'a Favourite,
}

pub(super) fn add(ctx: &Services, a: RoleAddArgs) -> Result<(), Error> {
    // Every argument is used: a new favourite field that `role add` does not set fails to compile.
    let RoleAddArgs {
        name,
        arn,
        account,
        role_name,
        source,
        profile,
        duration,
        session_name,
        external_id,
        mfa,
        region,
        tags,
        transitive_tags,
        source_identity,
        policy_arns,
        auto_renew,
        no_auto_renew,
        notify_before,
        renew_before,
        delivery,
        replace,
    } = a;
    // --account and --role-name (IAM Identity Center) name the role as its ARN does.
    let arn = match (arn, account, role_name) {
        (Some(arn), _, _) => arn,
        (None, Some(account), Some(role)) => {
            let partition = ctx.config()?.sources.get(&source).map_or("aws", |s| match &s.kind {
                rolecall_core::config::SourceKind::Sso { sso_region, .. } => {
                    rolecall_core::validate::Partition::of_region(sso_region).as_str()
                }
                _ => "aws",
            });
            RoleArn::parse(&format!("arn:{partition}:iam::{account}:role/{role}"))?
        }
        _ => {
            return Err(Error::NeedsInput {
                subject: format!("favourite {name}"),
                what: "needs --arn, or --account with --role-name".into(),
            });
        }
    };
    let profile = match profile {
        Some(p) => p,
        None => ProfileName::parse(name.as_str())?,
    };
    let fav = Favourite {
        arn,
        source,
        profile,
        duration: duration.unwrap_or(SessionDuration::DEFAULT),
        session_name,
        external_id,
        mfa,
        region,
        tags: SessionTags::new(tags)?,
        transitive_tags,
        source_identity,
        policy_arns,
        auto_renew: match (auto_renew, no_auto_renew) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        notify_before,
        renew_before,
        // Like every field not given, a new favourite's default (also with --replace).
        delivery: match delivery {
            Some(d) => d,
            None => ctx.config()?.preferences.default_delivery(),
        },
    };
    let config = ctx.save_favourite(&name, fav.clone(), replace.then_some(&name))?;
    println!("Added favourite {name}: {} as profile {}", fav.arn, fav.profile);
    for note in renew::lead_notes(&config, &name)? {
        eprintln!("note: {note}");
    }
    Ok(())
}

pub(super) fn list(ctx: &Services, json: bool) -> Result<(), Error> {
    let config = ctx.config()?;
    if json {
        let all: Vec<_> = config.favourites.iter().map(|(name, favourite)| FavouriteJson { name, favourite }).collect();
        print_json(&all);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = config
        .favourites
        .iter()
        .map(|(n, f)| {
            vec![
                n.to_string(),
                f.profile.to_string(),
                f.source.to_string(),
                f.duration.to_string(),
                if f.mfa { "yes" } else { "-" }.into(),
                f.arn.to_string(),
            ]
        })
        .collect();
    print!("{}", table(&["NAME", "PROFILE", "SOURCE", "DURATION", "MFA", "ROLE"], &rows));
    Ok(())
}

pub(super) fn show(ctx: &Services, name: &Name, json: bool) -> Result<(), Error> {
    let config = ctx.config()?;
    let f = config.favourite(name)?;
    if json {
        print_json(&FavouriteJson { name, favourite: f });
        return Ok(());
    }
    // Every field is shown: a new favourite field fails to compile here until it is.
    let Favourite {
        arn,
        source,
        profile,
        duration,
        session_name,
        external_id,
        mfa,
        region,
        tags,
        transitive_tags,
        source_identity,
        policy_arns,
        auto_renew,
        notify_before: _,
        renew_before: _,
        delivery,
    } = f;
    let opt = |o: Option<String>| o.unwrap_or_else(|| "-".into());
    let notes = renew::lead_notes(&config, name)?;
    let (root, chain) = config.chain(name)?;
    let via: Vec<String> = chain.iter().map(|(n, _)| n.to_string()).collect();
    // The leads as they apply (the favourite's, else the preferences').
    let leads = config.expiry_settings(name)?;
    let lines = [
        ("name", name.to_string()),
        ("role", arn.to_string()),
        (
            "source",
            if chain.len() > 1 {
                format!("{source} (chain: {} -> {})", root.name, via.join(" -> "))
            } else {
                source.to_string()
            },
        ),
        ("profile", profile.to_string()),
        ("duration", duration.to_string()),
        (
            "session name",
            session_name.as_ref().map(ToString::to_string).unwrap_or_else(|| "(from the source's identity)".into()),
        ),
        ("external id", opt(external_id.as_ref().map(ToString::to_string))),
        ("mfa", if *mfa { "yes".into() } else { "no".into() }),
        ("region", opt(region.as_ref().map(ToString::to_string))),
        (
            "tags",
            opt((!tags.as_slice().is_empty()).then(|| {
                tags.as_slice().iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>().join(", ")
            })),
        ),
        ("transitive tags", opt((!transitive_tags.is_empty()).then(|| transitive_tags.join(", ")))),
        ("source identity", opt(source_identity.as_ref().map(ToString::to_string))),
        (
            "auto-renew",
            match auto_renew {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => format!("{} (the preference)", if config.preferences.auto_renew { "yes" } else { "no" }),
            },
        ),
        ("delivery", delivery.to_string()),
        ("notify before", leads.notify_before.to_string()),
        ("renew before", leads.renew_before.to_string()),
        ("note", opt((!notes.is_empty()).then(|| notes.join("; ")))),
        (
            "policy arns",
            opt((!policy_arns.is_empty())
                .then(|| policy_arns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))),
        ),
    ];
    for (k, v) in lines {
        println!("{k:<16} {v}");
    }
    Ok(())
}

pub(super) fn remove(ctx: &Services, name: &Name) -> Result<(), Error> {
    let removed = ctx.remove_favourite(name)?;
    println!("Removed favourite {name}{}", removed.map(|p| format!(" and its profile {p}")).unwrap_or_default());
    Ok(())
}

/// `rolecall role convert NAME… | --all`.
pub(super) fn convert(ctx: &Services, names: &[Name]) -> Result<(), Error> {
    let done = ctx.convert_to_process(names)?;
    for name in &done.converted {
        println!(
            "Converted favourite {name}: served through credential_process, its secrets removed from the credentials file"
        );
    }
    for (name, why) in &done.skipped {
        eprintln!("note: left favourite {name} as it is: {why}");
    }
    if done.converted.is_empty() && done.skipped.is_empty() {
        println!("No favourite writes its secrets to the credentials file");
    }
    Ok(())
}
