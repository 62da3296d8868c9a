//! `rolecall credentials NAME`: what a `credential_process` line runs. Prints the credentials
//! document AWS tools read and nothing else on stdout; never asks anything; writes no file.

use rolecall_app::Services;
use rolecall_core::Error;
use rolecall_core::assume::MfaPrompt;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};
use serde::Serialize;

/// The credential_process document (version 1), as botocore and the SDKs read it.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessDocument<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    /// RFC 3339, UTC, ending in `Z`.
    expiration: String,
}

/// The document's one line for `creds`.
fn document(creds: &SessionCredentials) -> String {
    serde_json::to_string(&ProcessDocument {
        version: 1,
        access_key_id: creds.access_key_id.as_str(),
        secret_access_key: creds.secret(),
        session_token: creds.token(),
        expiration: creds.expiration_text(),
    })
    .expect("the document serializes")
}

/// What answered before the CLI does the work itself.
pub(crate) enum Served {
    /// A session from the running tray app.
    Credentials(SessionCredentials),
    /// Nothing serves it here: the CLI assumes the role itself.
    NotRunning,
}

/// The fast path in front of the CLI's own: a session the running tray app holds, asked over its
/// socket (no keychain read, no STS call when it holds one). The app's refusal (an unknown
/// favourite, one that needs an MFA code, which the app then asks for) is the answer; no app, or
/// one that cannot be trusted or gives no answer, is [`Served::NotRunning`].
#[cfg(unix)]
pub(crate) async fn served(ctx: &Services, name: &Name) -> Result<Served, Error> {
    use rolecall_app::serve::{Answer, ask, socket_from_env};
    let Some(socket) = socket_from_env(&ctx.config_dir()) else { return Ok(Served::NotRunning) };
    Ok(match ask(&socket, name).await? {
        Answer::Credentials(c) => Served::Credentials(c),
        Answer::Refused(r) => {
            let code = rolecall_core::Code::from_wire(&r.code).unwrap_or(rolecall_core::Code::InputNeeded);
            return Err(Error::Relayed(rolecall_core::ErrorDto { code, message: r.message }));
        }
        Answer::NotServed(why) => {
            tracing::debug!(why, "not served by the tray app: assuming the role here");
            Served::NotRunning
        }
    })
}

/// No tray app serves credentials on this OS yet (a named pipe on Windows): the CLI does the
/// work itself.
#[cfg(not(unix))]
pub(crate) async fn served(_ctx: &Services, _name: &Name) -> Result<Served, Error> {
    Ok(Served::NotRunning)
}

/// Refuses every MFA prompt: AWS tools give a credential_process no terminal to ask on.
struct NeverAsk;

impl MfaPrompt for NeverAsk {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        Err(Error::NeedsInput {
            subject: format!("favourite {favourite}"),
            what: format!(
                "needs a code from MFA device {device} and no MFA session of its source is kept; \
                 run `rolecall assume {favourite}` (it asks for the code) or assume it from the tray app, then try again"
            ),
        })
    }
}

pub(super) async fn run(ctx: &Services, name: &Name) -> Result<(), Error> {
    let creds = match served(ctx, name).await? {
        Served::Credentials(c) => c,
        Served::NotRunning => ctx.credentials(name, &mut NeverAsk).await?,
    };
    println!("{}", document(&creds));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rolecall_core::secret::AccessKeyId;
    use secrecy::SecretString;

    #[test]
    fn the_document_is_what_credential_process_readers_expect() {
        let creds = SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAEXAMPLE000000001").unwrap(),
            secret_access_key: SecretString::from("s/e+c".to_owned()),
            session_token: SecretString::from("t\"k".to_owned()),
            expiration: chrono::Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap(),
        };
        assert_eq!(
            document(&creds),
            r#"{"Version":1,"AccessKeyId":"ASIAEXAMPLE000000001","SecretAccessKey":"s/e+c","SessionToken":"t\"k","Expiration":"2026-12-02T08:00:00Z"}"#
        );
    }
}
