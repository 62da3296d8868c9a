//! `export` lines for a session, per shell, so a terminal can use a favourite without a profile.

use chrono::SecondsFormat;

use crate::secret::SessionCredentials;
use crate::validate::Region;

/// A shell to print for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// bash, sh, dash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    PowerShell,
}

impl Shell {
    /// Parses `bash`, `zsh`, `fish`, `powershell` (or `pwsh`).
    pub fn parse(raw: &str) -> Option<Shell> {
        match raw {
            "bash" | "sh" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "fish" => Some(Shell::Fish),
            "powershell" | "pwsh" => Some(Shell::PowerShell),
            _ => None,
        }
    }
}

fn quote(shell: Shell, v: &str) -> String {
    match shell {
        Shell::Bash | Shell::Zsh => format!("'{}'", v.replace('\'', r"'\''")),
        Shell::Fish => format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'")),
        Shell::PowerShell => format!("'{}'", v.replace('\'', "''")),
    }
}

/// The environment variables that hand `creds` (and `region`) to an AWS tool, as every SDK reads
/// them: the keys, `AWS_CREDENTIAL_EXPIRATION` (RFC 3339, UTC) and `AWS_REGION` with
/// `AWS_DEFAULT_REGION`. Their values are secrets.
pub fn session_vars(creds: &SessionCredentials, region: Option<&Region>) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str().to_owned()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret().to_owned()),
        ("AWS_SESSION_TOKEN", creds.token().to_owned()),
        ("AWS_CREDENTIAL_EXPIRATION", creds.expiration.to_rfc3339_opts(SecondsFormat::Secs, true)),
    ];
    if let Some(r) = region {
        vars.push(("AWS_REGION", r.to_string()));
        vars.push(("AWS_DEFAULT_REGION", r.to_string()));
    }
    vars
}

/// The lines that put `creds` (and `region`) into the shell's environment, and clear `AWS_PROFILE`.
pub fn export_lines(shell: Shell, creds: &SessionCredentials, region: Option<&Region>) -> String {
    let mut out = String::new();
    for (k, v) in session_vars(creds, region) {
        let v = quote(shell, &v);
        out.push_str(&match shell {
            Shell::Bash | Shell::Zsh => format!("export {k}={v}\n"),
            Shell::Fish => format!("set -gx {k} {v}\n"),
            Shell::PowerShell => format!("$Env:{k} = {v}\n"),
        });
    }
    out.push_str(match shell {
        Shell::Bash | Shell::Zsh => "unset AWS_PROFILE\n",
        Shell::Fish => "set -e AWS_PROFILE\n",
        Shell::PowerShell => "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n",
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AccessKeyId;
    use secrecy::SecretString;

    #[test]
    fn quoting_per_shell() {
        let c = SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAEXAMPLE000000001").unwrap(),
            secret_access_key: SecretString::from("a'b/c+d".to_owned()),
            session_token: SecretString::from("tok".to_owned()),
            expiration: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        };
        let r = Region::parse("eu-west-1").unwrap();
        let bash = export_lines(Shell::Bash, &c, Some(&r));
        assert!(bash.contains("export AWS_SECRET_ACCESS_KEY='a'\\''b/c+d'\n"), "{bash}");
        assert!(bash.contains("export AWS_CREDENTIAL_EXPIRATION='2027-01-15T08:00:00Z'\n"), "{bash}");
        assert!(bash.ends_with("export AWS_DEFAULT_REGION='eu-west-1'\nunset AWS_PROFILE\n"), "{bash}");
        assert!(export_lines(Shell::Fish, &c, None).contains("set -gx AWS_SECRET_ACCESS_KEY 'a\\'b/c+d'\n"));
        assert!(export_lines(Shell::PowerShell, &c, None).contains("$Env:AWS_SECRET_ACCESS_KEY = 'a''b/c+d'\n"));
        assert_eq!(Shell::parse("pwsh"), Some(Shell::PowerShell));
        assert_eq!(Shell::parse("cmd"), None);
    }
}
