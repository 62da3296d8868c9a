//! `rolecall assume | renew | status | env`: sessions.

use chrono::{DateTime, Utc};
use rolecall_app::{AssumeOutcome, Renewal, Services};
use rolecall_core::env::{Shell, export_lines};
use rolecall_core::profile::{Holder, WriteKind};
use rolecall_core::renew::{self, NextTimes};
use rolecall_core::time::SessionState;
use rolecall_core::validate::{MfaCode, Name, ProfileName, Region};
use rolecall_core::{Error, ValidationError};
use serde::Serialize;

use super::{print_error, rfc3339};
use crate::args::{AssumeArgs, RenewArgs};
use crate::output::{expiry_phrase, local_time, print_json, table};
use crate::prompt::TerminalMfa;

/// `rolecall assume --json`.
#[derive(Serialize)]
struct AssumedJson<'a> {
    favourite: &'a Name,
    profile: &'a ProfileName,
    assumed_role_arn: &'a str,
    expiration: String,
    seconds_left: i64,
    region: Option<&'a Region>,
    backup: Option<String>,
}

/// One favourite of `rolecall renew --json`.
#[derive(Serialize)]
struct RenewedJson {
    favourite: Name,
    profile: ProfileName,
    previous_expiration: Option<String>,
    expiration: String,
    seconds_left: i64,
}

/// A lead that applies shorter than asked, in `rolecall status --json`.
#[derive(Serialize)]
struct ClampedJson {
    lead: &'static str,
    asked_secs: i64,
    applies_secs: i64,
    lifetime_secs: i64,
}

/// One favourite of `rolecall status --json`.
#[derive(Serialize)]
struct StatusJson<'a> {
    favourite: &'a Name,
    profile: &'a ProfileName,
    session: SessionState,
    renew_at: Option<String>,
    notify_at: Option<String>,
    clamped: Vec<ClampedJson>,
    needs_mfa: Option<bool>,
    note: Option<&'static str>,
}

pub(super) async fn assume(ctx: &Services, a: AssumeArgs) -> Result<(), Error> {
    let mut mfa = TerminalMfa { given: a.token_code };
    let outcome = match ctx.assume(&a.name, &mut mfa, a.force).await {
        Err(e) => {
            super::sso::sign_in_if_needed(ctx, &a.name, e).await?;
            ctx.assume(&a.name, &mut mfa, a.force).await
        }
        done => done,
    };
    let AssumeOutcome { assumed, kind, backup } = outcome?;
    let now = Utc::now();
    let expires = assumed.credentials.expiration;
    if a.json {
        print_json(&AssumedJson {
            favourite: &assumed.favourite,
            profile: &assumed.profile,
            assumed_role_arn: &assumed.assumed_role_arn,
            expiration: rfc3339(expires),
            seconds_left: (expires - now).num_seconds(),
            region: assumed.region.as_ref(),
            backup: backup.as_ref().map(|p| p.display().to_string()),
        });
        return Ok(());
    }
    println!("{}", assumed.assumed_role_arn);
    println!(
        "profile {} {}, {}",
        assumed.profile,
        if kind == WriteKind::Created { "written" } else { "updated" },
        expiry_phrase(now, expires)
    );
    if let Some(b) = backup {
        println!("the profile's previous content was kept in {}", b.display());
        println!(
            "(that section only, readable by you alone; `rolecall backups` lists the backups: the newest {} are kept, those older than {} days removed)",
            rolecall_app::BACKUPS_KEPT,
            rolecall_app::BACKUPS_MAX_AGE_DAYS
        );
    }
    Ok(())
}

pub(super) async fn renew(ctx: &Services, a: RenewArgs) -> Result<(), Error> {
    let names = if a.all {
        let names: Vec<Name> = ctx.sessions(Utc::now())?.into_iter().map(|s| s.favourite).collect();
        if names.is_empty() {
            println!("No sessions to renew: assume a favourite first");
        }
        names
    } else {
        a.names
    };
    let renewals =
        ctx.renew_many(&names, &mut TerminalMfa { given: a.token_code }, || TerminalMfa { given: None }).await?;
    let mut out = Vec::new();
    let mut first_error = None;
    for Renewal { favourite, previous_expiration, outcome } in renewals {
        match outcome {
            Ok(AssumeOutcome { assumed, .. }) => {
                let now = Utc::now();
                let expires = assumed.credentials.expiration;
                if a.json {
                    out.push(RenewedJson {
                        favourite: assumed.favourite,
                        profile: assumed.profile,
                        previous_expiration: previous_expiration.map(rfc3339),
                        expiration: rfc3339(expires),
                        seconds_left: (expires - now).num_seconds(),
                    });
                } else {
                    println!("renewed {favourite}: profile {}, {}", assumed.profile, expiry_phrase(now, expires));
                }
            }
            // The first failure is the command's error (printed by `run`, as JSON with --json);
            // later ones are printed here.
            Err(e) => match &first_error {
                Some(_) => print_error(&e),
                None => first_error = Some(e),
            },
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => {
            if a.json {
                print_json(&out);
            }
            Ok(())
        }
    }
}

pub(super) fn status(ctx: &Services, json: bool) -> Result<(), Error> {
    let (config, holders) = ctx.holders()?;
    let now = Utc::now();
    // Whether a renewal would need a code depends on the kept MFA sessions: read them once.
    ctx.learn_kept_mfa_sessions()?;
    let sessions = ctx.sessions(now)?;
    let mut rows = Vec::new();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (name, f) in &config.favourites {
        let (state, note) = match &holders[name] {
            Holder::Rolecall { favourite, expires, .. } if favourite == name.as_str() => {
                (SessionState::at(now, *expires), None)
            }
            Holder::Rolecall { .. } => (SessionState::Never, Some("profile written for another favourite")),
            Holder::Foreign => (SessionState::Never, Some("profile not written by rolecall")),
            Holder::Nobody if f.delivery == rolecall_core::config::Delivery::Process => {
                (SessionState::Never, Some("served through credential_process: no session written"))
            }
            Holder::Nobody => (SessionState::Never, None),
        };
        let (left, expires) = match state {
            SessionState::Active { expires, seconds_left } => {
                (format!("{} left", rolecall_core::time::human_duration(seconds_left)), local_time(expires))
            }
            SessionState::Expired { expires } => ("-".into(), local_time(expires)),
            SessionState::Never => ("-".into(), "-".into()),
        };
        // What the tray app will do next (it keeps no state the CLI cannot see but whether it
        // already notified).
        let session = sessions.iter().find(|s| &s.favourite == name);
        let next = session.map(|s| {
            let t = renew::track(s.favourite.clone(), s.span, s.settings, s.needs_mfa, &renew::Memory::default());
            renew::next_times(&t, now)
        });
        // Leads longer than this session allows apply clamped: say so.
        let clamped = session.map(|s| renew::clamped_leads(&s.settings, s.span.lifetime)).unwrap_or_default();
        for (what, c) in &clamped {
            notes.push(format!("favourite {name}: {what} {c}"));
        }
        let next_text = match next {
            Some(NextTimes { renew_at: Some(at), .. }) => format!("renews {}", local_time(at)),
            Some(NextTimes { notify_at: Some(at), .. }) => format!("notifies {}", local_time(at)),
            _ => "-".into(),
        };
        let at = |t: Option<DateTime<Utc>>| t.map(rfc3339);
        out.push(StatusJson {
            favourite: name,
            profile: &f.profile,
            session: state,
            renew_at: at(next.and_then(|n| n.renew_at)),
            notify_at: at(next.and_then(|n| n.notify_at)),
            clamped: clamped
                .iter()
                .map(|(what, c)| ClampedJson {
                    lead: what,
                    asked_secs: c.asked.num_seconds(),
                    applies_secs: c.applies.num_seconds(),
                    lifetime_secs: c.lifetime.num_seconds(),
                })
                .collect(),
            needs_mfa: session.map(|s| s.needs_mfa),
            note,
        });
        rows.push(vec![
            name.to_string(),
            f.profile.to_string(),
            state.label().into(),
            left,
            expires,
            next_text,
            note.unwrap_or_default().into(),
        ]);
    }
    if json {
        print_json(&out);
    } else if rows.is_empty() {
        println!("No favourites yet: add one with `rolecall role add NAME --arn ARN --source SOURCE`");
    } else {
        print!("{}", table(&["FAVOURITE", "PROFILE", "STATE", "LEFT", "EXPIRES", "NEXT", ""], &rows));
        for n in notes {
            println!("note: {n}");
        }
    }
    Ok(())
}

pub(super) async fn env(ctx: &Services, name: &Name, shell: &str, token_code: Option<MfaCode>) -> Result<(), Error> {
    let shell =
        Shell::parse(shell).ok_or_else(|| ValidationError::new("shell", "must be bash, zsh, fish or powershell"))?;
    let region = ctx.config()?.favourite(name)?.region.clone();
    let mut mfa = TerminalMfa { given: token_code };
    let creds = match ctx.usable_session(name, Utc::now(), &mut mfa).await {
        Err(e) => {
            super::sso::sign_in_if_needed(ctx, name, e).await?;
            ctx.usable_session(name, Utc::now(), &mut mfa).await?
        }
        Ok(creds) => creds,
    };
    print!("{}", export_lines(shell, &creds, region.as_ref()));
    Ok(())
}
