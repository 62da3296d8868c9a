//! `rolecall preferences [--never-write-secrets on|off]`.

use rolecall_app::Services;
use rolecall_core::Error;
use rolecall_core::config::Preferences;

use crate::args::PreferencesArgs;
use crate::output::{print_json, table};

pub(super) fn run(ctx: &Services, args: PreferencesArgs) -> Result<(), Error> {
    let PreferencesArgs { never_write_secrets, json } = args;
    let mut prefs = ctx.config()?.preferences;
    if let Some(on) = never_write_secrets {
        prefs = Preferences { never_write_secrets: on == "on", ..prefs };
        prefs = ctx.set_preferences(prefs)?.preferences;
        let left = ctx.file_favourites()?;
        if prefs.never_write_secrets && !left.is_empty() {
            let names: Vec<&str> = left.iter().map(|n| n.as_str()).collect();
            eprintln!(
                "note: {} favourite(s) still write their secrets to the credentials file ({}); `rolecall role convert --all` serves them through credential_process",
                left.len(),
                names.join(", ")
            );
        }
    }
    if json {
        print_json(&prefs);
        return Ok(());
    }
    let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
    let rows = [
        vec!["never write secrets to disk".into(), on_off(prefs.never_write_secrets)],
        vec!["notify before".into(), format!("{} min", prefs.notify_before_minutes)],
        vec!["auto-renew".into(), on_off(prefs.auto_renew)],
        vec!["renew before".into(), format!("{} min", prefs.renew_before_minutes)],
        vec!["MFA session".into(), format!("{} h", prefs.mfa_session_hours)],
        vec!["console signs out first".into(), on_off(prefs.console_sign_out_first)],
        vec!["start at login".into(), on_off(prefs.start_at_login)],
    ];
    print!("{}", table(&["preference", "value"], &rows));
    Ok(())
}
