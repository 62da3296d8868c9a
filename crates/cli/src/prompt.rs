//! Asking the user: on a terminal when there is one, from stdin lines otherwise, never from argv.

use std::io::{BufRead, IsTerminal, Write};

use rolecall_core::Error;
use rolecall_core::assume::MfaPrompt;
use rolecall_core::secret::SourceKeys;
use rolecall_core::validate::{MfaCode, MfaSerial, Name};

/// Reads an access key id and secret: hidden prompt on a TTY, else two lines on stdin.
pub fn read_keys(source: &Name) -> Result<SourceKeys, Error> {
    let stdin = std::io::stdin();
    let (id, secret) = if stdin.is_terminal() {
        eprint!("Access key id for {source}: ");
        let _ = std::io::stderr().flush();
        let mut id = String::new();
        stdin.lock().read_line(&mut id).map_err(|e| io_err(source, &e))?;
        let secret = rpassword::prompt_password(format!("Secret access key for {source} (hidden): "))
            .map_err(|e| io_err(source, &e))?;
        (id, zeroize::Zeroizing::new(secret))
    } else {
        let mut lines = stdin.lock().lines();
        let mut next = || lines.next().transpose().map_err(|e| io_err(source, &e)).map(Option::unwrap_or_default);
        let id = next()?;
        (id, zeroize::Zeroizing::new(next()?))
    };
    if id.trim().is_empty() || secret.trim().is_empty() {
        return Err(Error::NeedsInput {
            subject: format!("source {source}"),
            what: "needs an access key id and a secret access key (on a terminal, or as two lines on stdin)".into(),
        });
    }
    Ok(SourceKeys::parse(id.trim(), secret.trim())?)
}

fn io_err(source: &Name, e: &std::io::Error) -> Error {
    Error::NeedsInput { subject: format!("source {source}"), what: format!("cannot read the keys: {e}") }
}

/// MFA codes from `--token-code` (once), then the terminal.
pub struct TerminalMfa {
    pub given: Option<MfaCode>,
}

impl MfaPrompt for TerminalMfa {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        if let Some(code) = self.given.take() {
            return Ok(code);
        }
        if !std::io::stdin().is_terminal() {
            return Err(Error::NeedsInput {
                subject: format!("favourite {favourite}"),
                what: format!("needs a code from MFA device {device}; pass --token-code"),
            });
        }
        for _ in 0..3 {
            eprint!("MFA code for {favourite} ({device}): ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
                return Err(Error::Cancelled(format!("favourite {favourite}")));
            }
            match MfaCode::parse(&line) {
                Ok(c) => return Ok(c),
                Err(e) => eprintln!("{e}"),
            }
        }
        Err(Error::Cancelled(format!("favourite {favourite}")))
    }
}
