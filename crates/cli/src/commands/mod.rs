//! One module per command group: validated args in, one or two [`Services`] calls, output out.
//! JSON output is typed (`Serialize` structs), so its shape is written once.

mod backups;
mod console;
mod credentials;
mod exec;
mod import;
mod preferences;
mod roles;
mod sessions;
mod sources;
mod sso;

use std::process::ExitCode;

use rolecall_app::Services;
use rolecall_core::notice::{Event, clock_skew_matters, notice};
use rolecall_core::{Error, ErrorDto};
use serde::Serialize;

use crate::args::{AssumeArgs, Cli, Command, RenewArgs, RoleCommand, SourceCommand, SsoCommand};
use crate::output::print_json;

/// `{"error": {"code": …, "message": …}}`: a failed command's JSON output.
#[derive(Serialize)]
struct ErrorJson {
    error: ErrorDto,
}

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
    // exec passes on its command's exit code.
    let command = match cli.command {
        Command::Exec(args) => return exec::run(&runtime, args),
        other => other,
    };
    let result = Services::from_env().and_then(|ctx| {
        let result = runtime.block_on(dispatch(&ctx, command));
        warn_if_clock_skewed(&ctx);
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                print_json(&ErrorJson { error: crate::hints::dto(&e) });
            }
            print_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// `rolecall: CODE: MESSAGE` on stderr, the CLI's hint in place of the neutral remedy.
fn print_error(e: &Error) {
    eprintln!("rolecall: {}: {}", e.code(), crate::hints::render(e));
}

/// After any STS call: says so on stderr when this computer's clock differs from STS's by more
/// than a minute (expiry times are then off, and beyond 15 minutes STS refuses requests).
fn warn_if_clock_skewed(ctx: &Services) {
    let Some(offset) = ctx.clock_offset() else { return };
    let offset_secs = offset.num_seconds();
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
        Command::Source(SourceCommand::Add {
            name,
            aws_profile,
            sso_start_url,
            sso_region,
            sso_session,
            share_with_aws_cli,
            sso_session_minutes,
            mfa_serial,
            no_verify,
            region,
        }) => match (sso_start_url, sso_region, sso_session) {
            (None, None, None) if share_with_aws_cli || sso_session_minutes.is_some() => Err(Error::NeedsInput {
                subject: format!("source {name}"),
                what: "--share-with-aws-cli and --sso-session-minutes are for an IAM Identity Center source; give --sso-start-url with --sso-region, or --sso-session".into(),
            }),
            (None, None, None) => sources::add(ctx, name, aws_profile, mfa_serial, no_verify, region).await,
            (url, region, session) => {
                sso::add(ctx, &name, (url, region, session), share_with_aws_cli, sso_session_minutes)
            }
        },
        Command::Source(SourceCommand::Login { name, device_code }) => sso::login(ctx, &name, device_code).await,
        Command::Sso(SsoCommand::Roles { name, json, refresh }) => sso::roles(ctx, &name, json, refresh).await,
        Command::Source(SourceCommand::List { json }) => sources::list(ctx, json),
        Command::Source(SourceCommand::Remove { name }) => sources::remove(ctx, &name),
        Command::Source(SourceCommand::ForgetMfa { name }) => sources::forget_mfa(ctx, &name),
        Command::Role(RoleCommand::Add(args)) => roles::add(ctx, *args),
        Command::Role(RoleCommand::List { json }) => roles::list(ctx, json),
        Command::Role(RoleCommand::Show { name, json }) => roles::show(ctx, &name, json),
        Command::Role(RoleCommand::Remove { name }) => roles::remove(ctx, &name),
        Command::Role(RoleCommand::Convert { names, all: _ }) => roles::convert(ctx, &names),
        Command::Preferences(args) => preferences::run(ctx, args),
        Command::Assume(args) => sessions::assume(ctx, args).await,
        Command::Renew(args) => sessions::renew(ctx, args).await,
        Command::Status { json } => sessions::status(ctx, json),
        Command::Backups { json } => backups::list(ctx, json),
        Command::Import(args) => import::run(ctx, args),
        Command::Credentials { name } => credentials::run(ctx, &name).await,
        Command::Env { name, shell, token_code } => sessions::env(ctx, &name, &shell, token_code).await,
        Command::Console(args) => console::run(ctx, args).await,
        Command::Exec(_) => unreachable!("run() runs exec"),
    }
}

/// RFC 3339 in UTC with whole seconds, as every JSON output writes times.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
