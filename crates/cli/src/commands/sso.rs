//! `rolecall source add --sso-*`, `rolecall source login`, `rolecall sso roles`: IAM Identity
//! Center sources.

use rolecall_app::{AccountRoles, BrowserStep, Discovery, DiscoveryProgress, Services, SsoSourceSettings};
use rolecall_core::Error;
use rolecall_core::sso::StartUrl;
use rolecall_core::validate::{Name, Region};
use serde::Serialize;

use crate::output::{print_json, table};

pub(super) fn add(
    ctx: &Services,
    name: &Name,
    (url, region, session): (Option<StartUrl>, Option<Region>, Option<String>),
    share_with_aws_cli: bool,
    session_minutes: Option<u32>,
) -> Result<(), Error> {
    let (url, region) = match (url, region, &session) {
        (Some(url), Some(region), _) => (url, region),
        (None, None, Some(session)) => ctx.sso_session_settings(session)?,
        _ => {
            return Err(Error::NeedsInput {
                subject: format!("source {name}"),
                what: "needs --sso-start-url with --sso-region, or --sso-session".into(),
            });
        }
    };
    let settings = SsoSourceSettings {
        start_url: url.clone(),
        region: region.clone(),
        sso_session: session,
        share_with_aws_cli,
        session_minutes,
    };
    ctx.add_sso_source(name, settings)?;
    println!("Added source {name}: IAM Identity Center {url} ({region})");
    if share_with_aws_cli {
        println!("Its sign-in is shared with the AWS CLI and SDKs (~/.aws/sso/cache)");
    }
    println!("Sign in with `rolecall source login {name}`");
    Ok(())
}

/// Whether an IAM Identity Center sign-in may start by itself: someone is at the terminal (a
/// script, a cron job or a pipe gets `sso.signed_out` instead of a browser popping up).
fn interactive() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// When `error` says favourite `name`'s IAM Identity Center source must sign in again and a
/// person is at the terminal, signs that source in (the browser flow) and says `Ok`: the
/// caller asks once more. Otherwise gives `error` back.
pub(super) async fn sign_in_if_needed(ctx: &Services, name: &Name, error: Error) -> Result<(), Error> {
    let needs = matches!(&error, Error::Sso(e) if e.needs_sign_in());
    if !needs || !interactive() {
        return Err(error);
    }
    let config = ctx.config()?;
    let Ok((root, _)) = config.chain(name) else { return Err(error) };
    eprintln!("rolecall: {error}");
    eprintln!("Signing in to source {} first…", root.name);
    login(ctx, root.name, false).await
}

/// `rolecall source login NAME [--device-code]`: the browser flow unless `device_code`.
pub(super) async fn login(ctx: &Services, name: &Name, device_code: bool) -> Result<(), Error> {
    if !device_code {
        ctx.sso_sign_in_browser(name, |step| match step {
            BrowserStep::Opened => eprintln!("Opened the sign-in page in the browser; waiting…"),
            BrowserStep::OpenByHand { url, why } => {
                eprintln!("rolecall: cannot open a browser ({why})");
                eprintln!("To sign in to source {name}, open this link in a browser on this machine:");
                eprintln!("{url}");
                eprintln!("Waiting for the browser (or sign in with `rolecall source login {name} --device-code`)…");
            }
        })
        .await?;
        println!("Signed in to source {name}");
        return Ok(());
    }
    ctx.sso_sign_in_device(name, |auth| {
        let url = auth.verification_uri_complete.as_deref().unwrap_or(&auth.verification_uri);
        eprintln!("To sign in to source {name}, open {url}");
        eprintln!("and confirm the code {}", auth.user_code);
        eprintln!("Waiting for the sign-in to be confirmed…");
    })
    .await?;
    println!("Signed in to source {name}");
    Ok(())
}

/// `rolecall sso roles NAME --json`.
#[derive(Serialize)]
struct RolesJson<'a> {
    source: &'a str,
    /// When the portal was asked.
    fetched_at: chrono::DateTime<chrono::Utc>,
    /// Whether the listing is the one kept from an earlier run (no portal request).
    cached: bool,
    accounts: Vec<AccountJson<'a>>,
}

/// One account in `rolecall sso roles --json`.
#[derive(Serialize)]
struct AccountJson<'a> {
    account_id: &'a str,
    account_name: &'a str,
    email: Option<&'a str>,
    roles: &'a [String],
}

/// `rolecall sso roles NAME [--json] [--refresh]`: the kept listing while it is fresh (under a
/// day old, no portal request), else (or with `refresh`) a new one, its progress on stderr when
/// that is a terminal.
pub(super) async fn roles(ctx: &Services, name: &Name, json: bool, refresh: bool) -> Result<(), Error> {
    let now = chrono::Utc::now();
    let kept = if refresh { None } else { ctx.sso_roles_cached(name)?.filter(|d| !d.is_stale(now)) };
    let cached = kept.is_some();
    let discovery = match kept {
        Some(d) => d,
        None => {
            let shown = Progress::new();
            let listed = ctx.sso_discover(name, |p| shown.show(p)).await;
            shown.clear();
            listed?
        }
    };
    let Discovery { roles: accounts, fetched_at } = &discovery;
    if json {
        let accounts = accounts
            .iter()
            .map(|AccountRoles { account, roles }| AccountJson {
                account_id: &account.id,
                account_name: &account.name,
                email: account.email.as_deref(),
                roles,
            })
            .collect();
        print_json(&RolesJson { source: name.as_str(), fetched_at: *fetched_at, cached, accounts });
        return Ok(());
    }
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .flat_map(|a| a.roles.iter().map(|r| vec![a.account.name.clone(), a.account.id.clone(), r.clone()]))
        .collect();
    if rows.is_empty() {
        println!("The portal of source {name} offers you no roles");
    } else {
        print!("{}", table(&["ACCOUNT", "ID", "ROLE"], &rows));
    }
    if cached {
        let minutes = (now - *fetched_at).num_minutes().max(0);
        let ago = match minutes {
            0 => "just now".to_owned(),
            1..=119 => format!("{minutes} min ago"),
            _ => format!("{} h ago", minutes / 60),
        };
        eprintln!("Listed {ago}; `rolecall sso roles {name} --refresh` asks the portal again");
    }
    Ok(())
}

/// A listing's progress on one line of stderr, when stderr is a terminal (nothing otherwise).
struct Progress {
    on: bool,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress { on: std::io::stderr().is_terminal(), shown: std::sync::atomic::AtomicBool::new(false) }
    }

    fn show(&self, p: &DiscoveryProgress) {
        if !self.on {
            return;
        }
        let line = if p.all_accounts_listed {
            format!("listing roles: {} of {} accounts", p.accounts_done, p.accounts_listed)
        } else {
            format!("listing accounts: {}", p.accounts_listed)
        };
        // Carriage return, the line, then clear to its end.
        eprint!("\r{line}\x1b[K");
        self.shown.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn clear(&self) {
        if self.shown.load(std::sync::atomic::Ordering::Relaxed) {
            eprint!("\r\x1b[K");
        }
    }
}
