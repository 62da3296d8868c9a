//! One function per command: validated args in, one or two library calls, output out.

use std::process::ExitCode;

use chrono::Utc;
use rolecall_app::{AssumeOutcome, NewSource, Services};
use rolecall_core::config::{Favourite, SessionTags, SourceKind};
use rolecall_core::env::{Shell, export_lines};
use rolecall_core::import::{self, Candidate};
use rolecall_core::ini::IniDocument;
use rolecall_core::notice::{Event, clock_skew_matters, notice};
use rolecall_core::profile::{Holder, WriteKind};
use rolecall_core::renew::{self, NextTimes};
use rolecall_core::time::SessionState;
use rolecall_core::validate::{MfaCode, MfaSerial, Name, ProfileName, Region};
use rolecall_core::{Error, ValidationError};
use rolecall_files::backups;
use serde_json::json;

use crate::args::{
    AssumeArgs, Cli, Command, ConsoleArgs, ImportArgs, RenewArgs, RoleAddArgs, RoleCommand, SourceCommand,
};
use crate::output::{expiry_phrase, local_time, print_json, table};
use crate::prompt::{TerminalMfa, read_keys};

/// Runs a command; errors print as `rolecall: CODE: MESSAGE` (or JSON with `--json`) and exit 1.
pub fn run(cli: Cli) -> ExitCode {
    init_logging(cli.verbose);
    let json = matches!(
        &cli.command,
        Command::Assume(AssumeArgs { json: true, .. })
            | Command::Renew(RenewArgs { json: true, .. })
            | Command::Status { json: true }
            | Command::Backups { json: true }
    );
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime starts");
    let result = Services::from_env().and_then(|ctx| {
        let result = runtime.block_on(dispatch(&ctx, cli.command));
        warn_if_clock_skewed(&ctx);
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                print_json(&json!({ "error": e.to_dto() }));
            }
            eprintln!("rolecall: {}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}

/// After any STS call: says so on stderr when this computer's clock differs from STS's by more
/// than a minute (expiry times are then off, and beyond 15 minutes STS refuses requests).
fn warn_if_clock_skewed(ctx: &Services) {
    let Some(reading) = ctx.sts.last_clock_reading() else { return };
    let offset_secs = reading.offset().num_seconds();
    if clock_skew_matters(offset_secs) {
        let n = notice(&Event::ClockSkew { offset_secs });
        eprintln!("rolecall: warning: {}. {}", n.summary, n.body);
    }
}

fn init_logging(verbose: u8) {
    // The SDK's own warnings (e.g. about profiles it cannot parse) are noise next to rolecall's
    // errors; ROLECALL_LOG (a tracing filter) shows them and anything else, under the cap that
    // keeps the SDK's request and response bodies out of every log.
    const OURS: &str =
        "rolecall_cli,rolecall_app,rolecall_core,rolecall_sts,rolecall_keychain,rolecall_files,rolecall_signin";
    let default = match verbose {
        0 => OURS.split(',').map(|c| format!("{c}=warn")).collect::<Vec<_>>().join(",") + ",error",
        1 => OURS.split(',').map(|c| format!("{c}=info")).collect::<Vec<_>>().join(",") + ",warn",
        _ => OURS.split(',').map(|c| format!("{c}=debug")).collect::<Vec<_>>().join(",") + ",warn",
    };
    rolecall_app::logging::init(&default);
}

async fn dispatch(ctx: &Services, command: Command) -> Result<(), Error> {
    match command {
        Command::Source(SourceCommand::Add { name, aws_profile, mfa_serial, no_verify, region }) => {
            source_add(ctx, name, aws_profile, mfa_serial, no_verify, region).await
        }
        Command::Source(SourceCommand::List { json }) => source_list(ctx, json),
        Command::Source(SourceCommand::Remove { name }) => source_remove(ctx, &name),
        Command::Source(SourceCommand::ForgetMfa { name }) => {
            let forgot = ctx.forget_mfa_session(&name)?;
            println!(
                "{}",
                if forgot {
                    format!("Forgot the MFA session of source {name}")
                } else {
                    format!("Source {name} has no MFA session")
                }
            );
            Ok(())
        }
        Command::Role(RoleCommand::Add(args)) => role_add(ctx, *args),
        Command::Role(RoleCommand::List { json }) => role_list(ctx, json),
        Command::Role(RoleCommand::Show { name, json }) => role_show(ctx, &name, json),
        Command::Role(RoleCommand::Remove { name }) => role_remove(ctx, &name),
        Command::Assume(args) => assume_cmd(ctx, args).await,
        Command::Renew(args) => renew_cmd(ctx, args).await,
        Command::Status { json } => status(ctx, json),
        Command::Backups { json } => backups_cmd(ctx, json),
        Command::Import(args) => import_cmd(ctx, args),
        Command::Env { name, shell, token_code } => env_cmd(ctx, &name, &shell, token_code).await,
        Command::Console(args) => console_cmd(ctx, args).await,
    }
}

async fn source_add(
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

fn source_list(ctx: &Services, json: bool) -> Result<(), Error> {
    let config = ctx.config.load()?;
    if json {
        print_json(&json!(config.sources));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = config
        .sources
        .iter()
        .map(|(n, s)| {
            let (kind, key) = match &s.kind {
                SourceKind::Keychain { key_hint } => ("keychain", key_hint.clone().unwrap_or_default()),
                SourceKind::AwsProfile { aws_profile } => ("aws profile", aws_profile.to_string()),
            };
            vec![
                n.to_string(),
                kind.into(),
                key,
                s.mfa_serial.as_ref().map(ToString::to_string).unwrap_or_else(|| "-".into()),
                s.identity.clone().unwrap_or_else(|| "(not verified)".into()),
            ]
        })
        .collect();
    print!("{}", table(&["NAME", "TYPE", "KEY", "MFA", "IDENTITY"], &rows));
    Ok(())
}

fn source_remove(ctx: &Services, name: &Name) -> Result<(), Error> {
    let left = ctx.remove_source(name)?;
    println!("Removed source {name}");
    if let Some(e) = left {
        eprintln!("warning: {}", rolecall_app::keys_left_behind(name, &e));
    }
    Ok(())
}

fn role_add(ctx: &Services, a: RoleAddArgs) -> Result<(), Error> {
    let profile = match a.profile {
        Some(p) => p,
        None => ProfileName::parse(a.name.as_str())?,
    };
    let fav = Favourite {
        arn: a.arn,
        source: a.source,
        profile,
        duration: a.duration.unwrap_or(rolecall_core::validate::SessionDuration::DEFAULT),
        session_name: a.session_name,
        external_id: a.external_id,
        mfa: a.mfa,
        region: a.region,
        tags: SessionTags::new(a.tags)?,
        transitive_tags: a.transitive_tags,
        source_identity: a.source_identity,
        policy_arns: a.policy_arns,
        auto_renew: match (a.auto_renew, a.no_auto_renew) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        notify_before: a.notify_before,
        renew_before: a.renew_before,
    };
    let name = a.name;
    let config = ctx.save_favourite(&name, fav.clone(), a.replace.then_some(&name))?;
    println!("Added favourite {name}: {} as profile {}", fav.arn, fav.profile);
    for note in renew::lead_notes(&config, &name)? {
        eprintln!("note: {note}");
    }
    Ok(())
}

fn favourite_json(name: &Name, f: &Favourite) -> serde_json::Value {
    let mut v = json!(f);
    v["name"] = json!(name);
    v
}

fn role_list(ctx: &Services, json: bool) -> Result<(), Error> {
    let config = ctx.config.load()?;
    if json {
        print_json(&json!(config.favourites.iter().map(|(n, f)| favourite_json(n, f)).collect::<Vec<_>>()));
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

fn role_show(ctx: &Services, name: &Name, json: bool) -> Result<(), Error> {
    let config = ctx.config.load()?;
    let f = config.favourite(name)?;
    if json {
        print_json(&favourite_json(name, f));
        return Ok(());
    }
    let opt = |o: Option<String>| o.unwrap_or_else(|| "-".into());
    let notes = renew::lead_notes(&config, name)?;
    let (root, chain) = config.chain(name)?;
    let via: Vec<String> = chain.iter().map(|(n, _)| n.to_string()).collect();
    let lines = [
        ("name", name.to_string()),
        ("role", f.arn.to_string()),
        (
            "source",
            if chain.len() > 1 {
                format!("{} (chain: {} -> {})", f.source, root.name, via.join(" -> "))
            } else {
                f.source.to_string()
            },
        ),
        ("profile", f.profile.to_string()),
        ("duration", f.duration.to_string()),
        (
            "session name",
            f.session_name.as_ref().map(ToString::to_string).unwrap_or_else(|| "(from the source's identity)".into()),
        ),
        ("external id", opt(f.external_id.as_ref().map(ToString::to_string))),
        ("mfa", if f.mfa { "yes".into() } else { "no".into() }),
        ("region", opt(f.region.as_ref().map(ToString::to_string))),
        (
            "tags",
            opt((!f.tags.as_slice().is_empty()).then(|| {
                f.tags.as_slice().iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>().join(", ")
            })),
        ),
        ("transitive tags", opt((!f.transitive_tags.is_empty()).then(|| f.transitive_tags.join(", ")))),
        ("source identity", opt(f.source_identity.as_ref().map(ToString::to_string))),
        (
            "auto-renew",
            match f.auto_renew {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => format!("{} (the preference)", if config.preferences.auto_renew { "yes" } else { "no" }),
            },
        ),
        ("notify before", config.expiry_settings(name)?.notify_before.to_string()),
        ("renew before", config.expiry_settings(name)?.renew_before.to_string()),
        ("note", opt((!notes.is_empty()).then(|| notes.join("; ")))),
        (
            "policy arns",
            opt((!f.policy_arns.is_empty())
                .then(|| f.policy_arns.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))),
        ),
    ];
    for (k, v) in lines {
        println!("{k:<16} {v}");
    }
    Ok(())
}

fn role_remove(ctx: &Services, name: &Name) -> Result<(), Error> {
    let removed = ctx.remove_favourite(name)?;
    println!("Removed favourite {name}{}", removed.map(|p| format!(" and its profile {p}")).unwrap_or_default());
    Ok(())
}

/// How many renewals run at once (`rolecall renew` with several favourites).
const RENEW_CONCURRENCY: usize = 8;

async fn renew_cmd(ctx: &Services, a: RenewArgs) -> Result<(), Error> {
    let names = if a.all {
        let names: Vec<Name> = ctx.sessions(Utc::now())?.into_iter().map(|s| s.favourite).collect();
        if names.is_empty() {
            println!("No sessions to renew: assume a favourite first");
        }
        names
    } else {
        // Unknown names fail before anything is renewed.
        let config = ctx.config.load()?;
        for n in &a.names {
            config.favourite(n)?;
        }
        a.names
    };
    let now = Utc::now();
    let mut needs_code = false;
    for n in &names {
        needs_code |= ctx.needs_mfa_code(n, now)?;
    }
    let outcomes = if needs_code || names.len() < 2 {
        // One at a time, so MFA prompts do not interleave (one code then serves the rest).
        let mut mfa = TerminalMfa { given: a.token_code };
        let mut outcomes = Vec::new();
        for name in &names {
            let before = ctx.current_session(name, Utc::now(), i64::MIN)?.map(|c| c.expiration);
            let outcome = ctx.assume(name, &mut mfa, false).await;
            // A cancelled prompt stops the run; any other failure, as in the concurrent case,
            // leaves the rest to be renewed.
            let cancelled = matches!(outcome, Err(Error::Cancelled(_)));
            outcomes.push((name.clone(), before, outcome));
            if cancelled {
                break;
            }
        }
        outcomes
    } else {
        renew_concurrently(ctx, &names).await?
    };
    let mut out = Vec::new();
    let mut first_error = None;
    for (name, before, outcome) in outcomes {
        match outcome {
            Ok(AssumeOutcome { assumed, .. }) => {
                let now = Utc::now();
                let expires = assumed.credentials.expiration;
                if a.json {
                    out.push(json!({
                        "favourite": assumed.favourite,
                        "profile": assumed.profile,
                        "previous_expiration": before.map(|b| b.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                        "expiration": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        "seconds_left": (expires - now).num_seconds(),
                    }));
                } else {
                    println!("renewed {name}: profile {}, {}", assumed.profile, expiry_phrase(now, expires));
                }
            }
            // The first failure is the command's error (printed by `run`, as JSON with --json);
            // later ones are printed here.
            Err(e) => match &first_error {
                Some(_) => eprintln!("rolecall: {}: {e}", e.code()),
                None => first_error = Some(e),
            },
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => {
            if a.json {
                print_json(&json!(out));
            }
            Ok(())
        }
    }
}

/// Renews favourites that need no MFA code, at most [`RENEW_CONCURRENCY`] at a time (the file
/// writes still take turns under the credentials file's lock). Outcomes in the order given.
async fn renew_concurrently(
    ctx: &Services,
    names: &[Name],
) -> Result<Vec<(Name, Option<chrono::DateTime<Utc>>, Result<AssumeOutcome, Error>)>, Error> {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(RENEW_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, name) in names.iter().enumerate() {
        let before = ctx.current_session(name, Utc::now(), i64::MIN)?.map(|c| c.expiration);
        let (ctx, name, permits) = (ctx.clone(), name.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            let outcome = ctx.assume(&name, &mut TerminalMfa { given: None }, false).await;
            (i, name, before, outcome)
        });
    }
    let mut outcomes: Vec<_> = tasks.join_all().await;
    outcomes.sort_by_key(|(i, ..)| *i);
    Ok(outcomes.into_iter().map(|(_, n, b, o)| (n, b, o)).collect())
}

async fn assume_cmd(ctx: &Services, a: AssumeArgs) -> Result<(), Error> {
    let AssumeOutcome { assumed, kind, backup } =
        ctx.assume(&a.name, &mut TerminalMfa { given: a.token_code }, a.force).await?;
    let now = Utc::now();
    let expires = assumed.credentials.expiration;
    if a.json {
        print_json(&json!({
            "favourite": assumed.favourite,
            "profile": assumed.profile,
            "assumed_role_arn": assumed.assumed_role_arn,
            "expiration": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "seconds_left": (expires - now).num_seconds(),
            "region": assumed.region,
            "backup": backup.as_ref().map(|p| p.display().to_string()),
        }));
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
            backups::KEEP_NEWEST,
            backups::MAX_AGE_DAYS
        );
    }
    Ok(())
}

fn backups_cmd(ctx: &Services, json: bool) -> Result<(), Error> {
    let store = ctx.files.backups();
    let list = store.list()?;
    let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if json {
        print_json(&json!(
            list.iter()
                .map(|b| json!({ "path": b.path.display().to_string(), "profile": b.profile, "time": rfc(b.taken) }))
                .collect::<Vec<_>>()
        ));
    } else if list.is_empty() {
        println!(
            "No backups in {} (one is kept when `rolecall assume --force` takes over a profile)",
            store.dir().display()
        );
    } else {
        let rows: Vec<Vec<String>> =
            list.iter().map(|b| vec![local_time(b.taken), b.profile.clone(), b.path.display().to_string()]).collect();
        print!("{}", table(&["TIME", "PROFILE", "PATH"], &rows));
    }
    Ok(())
}

fn status(ctx: &Services, json: bool) -> Result<(), Error> {
    let config = ctx.config.load()?;
    let holders = ctx.files.holders(config.favourites.values().map(|f| &f.profile))?;
    let now = Utc::now();
    // Whether a renewal would need a code depends on the kept MFA sessions: read them once.
    ctx.learn_kept_mfa_sessions()?;
    let sessions = ctx.sessions(now)?;
    let mut rows = Vec::new();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (name, f) in &config.favourites {
        let (state, note) = match &holders[&f.profile] {
            Holder::Rolecall { favourite, expires, .. } if favourite == name.as_str() => {
                (SessionState::at(now, *expires), "")
            }
            Holder::Rolecall { .. } => (SessionState::Never, "profile written for another favourite"),
            Holder::Foreign => (SessionState::Never, "profile not written by rolecall"),
            Holder::Nobody => (SessionState::Never, ""),
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
        let rfc = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        out.push(json!({
            "favourite": name,
            "profile": f.profile,
            "session": state,
            "renew_at": rfc(next.and_then(|n| n.renew_at)),
            "notify_at": rfc(next.and_then(|n| n.notify_at)),
            "clamped": clamped.iter().map(|(what, c)| json!({
                "lead": what,
                "asked_secs": c.asked.num_seconds(),
                "applies_secs": c.applies.num_seconds(),
                "lifetime_secs": c.lifetime.num_seconds(),
            })).collect::<Vec<_>>(),
            "needs_mfa": sessions.iter().find(|s| &s.favourite == name).map(|s| s.needs_mfa),
            "note": (!note.is_empty()).then_some(note),
        }));
        rows.push(vec![
            name.to_string(),
            f.profile.to_string(),
            state.label().into(),
            left,
            expires,
            next_text,
            note.into(),
        ]);
    }
    if json {
        print_json(&json!(out));
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

async fn env_cmd(ctx: &Services, name: &Name, shell: &str, token_code: Option<MfaCode>) -> Result<(), Error> {
    let shell =
        Shell::parse(shell).ok_or_else(|| ValidationError::new("shell", "must be bash, zsh, fish or powershell"))?;
    let config = ctx.config.load()?;
    let fav = config.favourite(name)?;
    // Reuse the session in the profile while it has at least five minutes left.
    let creds = match ctx.current_session(name, Utc::now(), 300)? {
        Some(c) => c,
        None => ctx.assume(name, &mut TerminalMfa { given: token_code }, false).await?.assumed.credentials,
    };
    print!("{}", export_lines(shell, &creds, fav.region.as_ref()));
    Ok(())
}

async fn console_cmd(ctx: &Services, a: ConsoleArgs) -> Result<(), Error> {
    let sign_out = a.sign_out_first || ctx.config.load()?.preferences.console_sign_out_first;
    let (url, subject) = match (a.name, a.source) {
        (_, Some(source)) => {
            (ctx.console_url_for_source(&source, a.service, a.region, sign_out).await?, format!("source {source}"))
        }
        (Some(name), None) => {
            let mut mfa = TerminalMfa { given: a.token_code };
            let url = ctx.console_url(&name, a.service, a.region, &mut mfa, Utc::now(), sign_out).await?;
            (url, format!("favourite {name}"))
        }
        (None, None) => {
            return Err(Error::NeedsInput { subject: "console".into(), what: "needs a favourite or --source".into() });
        }
    };
    // The link is shown only when asked for: whoever holds it is signed in.
    if a.print {
        println!("{}", url.expose());
        return Ok(());
    }
    rolecall_signin::open_in_browser(&url, &format!("{subject}: console"))?;
    println!("Opened the AWS console for {subject} in the browser");
    Ok(())
}

fn import_cmd(ctx: &Services, a: ImportArgs) -> Result<(), Error> {
    let doc = ctx.files.read_config()?;
    let path = ctx.files.paths().aws_config_file.display().to_string();
    if a.list || (!a.all && a.profiles.is_empty()) {
        return import_list(ctx, &doc, &path);
    }
    let importable = |c: &Candidate| c.problem.is_none() && !c.already_imported;
    let skipped = |cands: &[Candidate]| -> Vec<(String, String)> {
        cands
            .iter()
            .filter(|c| !c.already_imported)
            .filter_map(|c| c.problem.clone().map(|p| (c.profile.clone(), p)))
            .collect()
    };
    if a.all {
        let cands = import::candidates(&doc, &ctx.config.load()?);
        if !cands.iter().any(importable) {
            println!("Nothing to import from {path}");
            for (profile, problem) in skipped(&cands) {
                println!("Skipped AWS profile {profile}: {problem}");
            }
            return Ok(());
        }
    }
    let (saved, (names, old_sources, skipped)) = ctx.config.update(|c| {
        let cands = import::candidates(&doc, c);
        let (chosen, skipped) = if a.all {
            (cands.iter().filter(|c| importable(c)).map(|c| c.profile.clone()).collect(), skipped(&cands))
        } else {
            (a.profiles.clone(), Vec::new())
        };
        let old_sources = c.sources.clone();
        let names = import::import(c, &doc, &chosen)?;
        Ok((names, old_sources, skipped))
    })?;
    for (name, source) in &saved.sources {
        let device = source.mfa_serial.as_ref();
        match (old_sources.get(name), &source.kind) {
            (None, SourceKind::AwsProfile { aws_profile }) => {
                let mfa = device.map(|d| format!(", MFA device {d}")).unwrap_or_default();
                println!("Added source {name}: AWS profile {aws_profile}{mfa} (not verified)");
            }
            (Some(old), _) if old.mfa_serial.as_ref() != device => {
                println!("Source {name}: MFA device {} recorded", device.map(ToString::to_string).unwrap_or_default());
            }
            _ => {}
        }
    }
    let cands = import::candidates(&doc, &saved);
    for name in &names {
        let f = saved.favourite(name)?;
        let from = cands.iter().find(|c| c.favourite == name.as_str()).map_or("?", |c| c.profile.as_str());
        let via = if saved.favourites.contains_key(&f.source) { "chained from" } else { "source" };
        println!(
            "Added favourite {name} from AWS profile {from}: {} as profile {} ({via} {})",
            f.arn, f.profile, f.source
        );
    }
    for (profile, problem) in skipped {
        println!("Skipped AWS profile {profile}: {problem}");
    }
    Ok(())
}

fn import_list(ctx: &Services, doc: &IniDocument, path: &str) -> Result<(), Error> {
    let cands = import::candidates(doc, &ctx.config.load()?);
    if cands.is_empty() {
        println!("No role profiles (profiles with role_arn) in {path}");
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
                c.source_profile.clone().unwrap_or_else(|| "-".into()),
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
