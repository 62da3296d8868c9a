//! `rolecall console`: the AWS console, signed in as a favourite or a source.

use chrono::Utc;
use rolecall_app::Services;
use rolecall_core::Error;

use crate::args::ConsoleArgs;
use crate::prompt::TerminalMfa;

pub(super) async fn run(ctx: &Services, a: ConsoleArgs) -> Result<(), Error> {
    let sign_out = a.sign_out_first || ctx.config()?.preferences.console_sign_out_first;
    let (url, subject) = match (a.name, a.source) {
        (_, Some(source)) => {
            (ctx.console_url_for_source(&source, a.service, a.region, sign_out).await?, format!("source {source}"))
        }
        (Some(name), None) => {
            let mut mfa = TerminalMfa { given: a.token_code };
            let (service, region) = (a.service.clone(), a.region.clone());
            let url = match ctx.console_url(&name, a.service, a.region, &mut mfa, Utc::now(), sign_out).await {
                Err(e) => {
                    super::sso::sign_in_if_needed(ctx, &name, e).await?;
                    ctx.console_url(&name, service, region, &mut mfa, Utc::now(), sign_out).await?
                }
                Ok(url) => url,
            };
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
    ctx.open_in_browser(&url, &format!("{subject}: console"))?;
    println!("Opened the AWS console for {subject} in the browser");
    Ok(())
}
