//! `rolecall exec NAME [--server] -- COMMAND…`: a command run with a favourite's credentials,
//! in its environment or from a credentials endpoint; nothing written. The exit code is the
//! command's.

use std::process::ExitCode;

use chrono::Utc;
use rolecall_app::Services;
use rolecall_app::exec::{Handover, child_env, run_child};
use rolecall_core::Error;

use crate::args::ExecArgs;
use crate::prompt::TerminalMfa;

/// Runs `exec`: rolecall's own failures print as any command's and exit 1; a command that
/// could not be started exits 127 (not found) or 126, as shells do; else the command's code.
pub(super) fn run(runtime: &tokio::runtime::Runtime, args: ExecArgs) -> ExitCode {
    let result = Services::from_env().and_then(|ctx| runtime.block_on(exec(&ctx, args)));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            super::print_error(&e);
            ExitCode::FAILURE
        }
    }
}

async fn exec(ctx: &Services, args: ExecArgs) -> Result<u8, Error> {
    let ExecArgs { name, server, token_code, command } = args;
    let mut mfa = TerminalMfa { given: token_code };
    let (creds, region) = match ctx.unwritten_session(&name, Utc::now(), &mut mfa).await {
        Err(e) => {
            super::sso::sign_in_if_needed(ctx, &name, e).await?;
            ctx.unwritten_session(&name, Utc::now(), &mut mfa).await?
        }
        Ok(found) => found,
    };
    super::warn_if_clock_skewed(ctx);
    let (program, rest) = command.split_first().expect("clap requires a command");
    let endpoint;
    let env = if server {
        endpoint = ctx.credentials_endpoint(&name, creds).await?;
        let (token_file, empty_file) = (endpoint.token_file(), endpoint.empty_file());
        child_env(
            &Handover::Endpoint { url: endpoint.url(), token_file: &token_file, empty_file: &empty_file },
            region.as_ref(),
        )
    } else {
        child_env(&Handover::Keys(&creds), region.as_ref())
    };
    match run_child(program, rest, &env).await {
        Ok(exit) => Ok(exit_byte(exit.code())),
        Err((code, reason)) => {
            eprintln!("rolecall: exec: {reason}");
            Ok(exit_byte(code))
        }
    }
}

/// The low byte of an exit code, as a process can pass it on.
fn exit_byte(code: i32) -> u8 {
    u8::try_from(code & 0xff).unwrap_or(1)
}
