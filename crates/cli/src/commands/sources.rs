//! `rolecall source add | list | remove | forget-mfa`.

use rolecall_app::{NewSource, Services, SsoStatus};
use rolecall_core::Error;
use rolecall_core::config::SourceKind;
use rolecall_core::validate::{MfaSerial, Name, ProfileName, Region};

use crate::output::{print_json, table};
use crate::prompt::read_keys;

pub(super) async fn add(
    ctx: &Services,
    name: Name,
    aws_profile: Option<ProfileName>,
    mfa_serial: Option<MfaSerial>,
    no_verify: bool,
    region: Option<Region>,
) -> Result<(), Error> {
    // Refuse a taken name before asking for secrets.
    ctx.check_source_name_free(&name)?;
    let new = match aws_profile {
        Some(p) => NewSource::AwsProfile(p),
        None => NewSource::Keys(read_keys(&name)?),
    };
    let source = ctx.add_source(&name, new, mfa_serial, !no_verify, region).await?;
    match source.identity {
        Some(arn) => println!("Added source {name}: {arn}"),
        None => println!("Added source {name} (not verified)"),
    }
    Ok(())
}

pub(super) fn list(ctx: &Services, json: bool) -> Result<(), Error> {
    let config = ctx.config()?;
    if json {
        print_json(&config.sources);
        return Ok(());
    }
    let now = chrono::Utc::now();
    // An IAM Identity Center source has no identity of its own: its sign-in state stands there.
    let sso_state = |n: &Name| match ctx.sso_status(n, now) {
        Ok(SsoStatus::SignedOut) => "signed out".to_owned(),
        Ok(SsoStatus::SignedIn { ends_at: Some(end), .. }) => {
            format!("signed in until {}", end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        Ok(SsoStatus::SignedIn { ends_at: None, .. }) => "signed in".to_owned(),
        Err(e) => format!("({})", e.code()),
    };
    let rows: Vec<Vec<String>> = config
        .sources
        .iter()
        .map(|(n, s)| {
            let (kind, key) = match &s.kind {
                SourceKind::Keychain { key_hint } => ("keychain", key_hint.clone().unwrap_or_default()),
                SourceKind::AwsProfile { aws_profile } => ("aws profile", aws_profile.to_string()),
                SourceKind::Sso { sso_start_url, .. } => ("sso", sso_start_url.to_string()),
            };
            vec![
                n.to_string(),
                kind.into(),
                key,
                s.mfa_serial.as_ref().map(ToString::to_string).unwrap_or_else(|| "-".into()),
                match &s.kind {
                    SourceKind::Sso { .. } => sso_state(n),
                    _ => s.identity.clone().unwrap_or_else(|| "(not verified)".into()),
                },
            ]
        })
        .collect();
    print!("{}", table(&["NAME", "TYPE", "KEY", "MFA", "IDENTITY"], &rows));
    Ok(())
}

pub(super) fn remove(ctx: &Services, name: &Name) -> Result<(), Error> {
    let left = ctx.remove_source(name)?;
    println!("Removed source {name}");
    if let Some(e) = left {
        eprintln!("warning: {}", e.message(name));
    }
    Ok(())
}

pub(super) fn forget_mfa(ctx: &Services, name: &Name) -> Result<(), Error> {
    if ctx.forget_mfa_session(name)? {
        println!("Forgot the MFA session of source {name}");
    } else {
        println!("Source {name} has no MFA session");
    }
    Ok(())
}
