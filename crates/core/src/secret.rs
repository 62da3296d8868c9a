//! Secret material in redacting types: debug output and logs never show it, and it is zeroized on drop.
//!
//! Access key ids are not secret by AWS's rules, but rolecall still shows them only as `****WXYZ`.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

/// An access key id (`AKIA…` or `ASIA…`), shown masked.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyId(String);

impl AccessKeyId {
    /// Validates an access key id: 16–128 uppercase letters and digits.
    pub fn parse(raw: &str) -> Result<Self, crate::ValidationError> {
        let t = raw.trim();
        if !(16..=128).contains(&t.len()) || !t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return Err(crate::ValidationError::new(
                "access key id",
                "must be 16 to 128 uppercase letters and digits (like AKIA…)",
            ));
        }
        Ok(Self(t.to_owned()))
    }
    /// The full id, for signing requests and writing profiles.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `****WXYZ`: the last four characters only.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// `****` and the last four characters of `s`.
pub fn mask(s: &str) -> String {
    let tail: String = s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("****{tail}")
}

impl fmt::Debug for AccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKeyId({})", self.masked())
    }
}

/// Long-term keys of an IAM user, as kept in the keychain.
#[derive(Clone)]
pub struct SourceKeys {
    /// The access key id.
    pub access_key_id: AccessKeyId,
    /// The secret access key.
    pub secret_access_key: SecretString,
}

impl SourceKeys {
    /// Validates a key pair read from the user.
    pub fn parse(access_key_id: &str, secret_access_key: &str) -> Result<Self, crate::ValidationError> {
        let id = AccessKeyId::parse(access_key_id)?;
        let secret = secret_access_key.trim();
        if secret.len() < 16 || secret.len() > 128 || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(crate::ValidationError::new(
                "secret access key",
                "must be 16 to 128 characters without spaces",
            ));
        }
        Ok(Self { access_key_id: id, secret_access_key: SecretString::from(secret.to_owned()) })
    }
}

impl fmt::Debug for SourceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceKeys({}, secret: [redacted])", self.access_key_id.masked())
    }
}

/// Temporary credentials from STS, with the expiry STS returned.
#[derive(Clone)]
pub struct SessionCredentials {
    /// The temporary access key id (`ASIA…`).
    pub access_key_id: AccessKeyId,
    /// The temporary secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// When STS said these credentials stop working.
    pub expiration: DateTime<Utc>,
}

impl SessionCredentials {
    /// The expiry as AWS tools read it in a credential_process document or a container
    /// endpoint's answer: RFC 3339 to the second, in UTC, ending in `Z`.
    pub fn expiration_text(&self) -> String {
        self.expiration.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SessionCredentials({}, expires {}, secrets: [redacted])",
            self.access_key_id.masked(),
            self.expiration
        )
    }
}

impl SessionCredentials {
    /// The secret access key, for writing it where the user asked.
    pub fn secret(&self) -> &str {
        self.secret_access_key.expose_secret()
    }
    /// The session token, for writing it where the user asked.
    pub fn token(&self) -> &str {
        self.session_token.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let keys = SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, "SourceKeys(****MPLE, secret: [redacted])");
        let session = SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAIOSFODNN7EXAMPLE").unwrap(),
            secret_access_key: SecretString::from("topsecretvalue-0123456789".to_owned()),
            session_token: SecretString::from("tokentokentoken".to_owned()),
            expiration: DateTime::from_timestamp(0, 0).unwrap(),
        };
        let shown = format!("{session:?}");
        assert!(!shown.contains("topsecret") && !shown.contains("tokentoken") && !shown.contains("ASIAIOS"), "{shown}");
    }

    /// Compiles only if `T` wipes its memory when dropped.
    fn zeroized_on_drop<T: secrecy::zeroize::ZeroizeOnDrop + ?Sized>(_: &T) {}

    fn session() -> SessionCredentials {
        SessionCredentials {
            access_key_id: AccessKeyId::parse("ASIAIOSFODNN7EXAMPLE").unwrap(),
            secret_access_key: SecretString::from("topsecretvalue-0123456789".to_owned()),
            session_token: SecretString::from("tokentokentoken".to_owned()),
            expiration: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn every_secret_is_zeroized_on_drop() {
        // Every field that holds secret material is a secrecy type, which zeroizes on drop (and
        // copies of it, e.g. a cloned SessionCredentials, are secrecy types too).
        let keys = SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap();
        zeroized_on_drop(&keys.secret_access_key);
        let s = session();
        zeroized_on_drop(&s.secret_access_key);
        zeroized_on_drop(&s.session_token);
        let cloned = s.clone();
        zeroized_on_drop(&cloned.session_token);
    }

    #[test]
    fn debug_output_of_everything_carrying_secrets_redacts_them() {
        use crate::sts::{AssumeRoleRequest, AssumedRole, Caller};
        use crate::validate::{MfaCode, MfaSerial, RoleArn, SessionDuration, SessionName};
        let keys = SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap();
        let request = AssumeRoleRequest {
            role_arn: RoleArn::parse("arn:aws:iam::123456789012:role/Admin").unwrap(),
            session_name: SessionName::parse("alice").unwrap(),
            duration: SessionDuration::DEFAULT,
            external_id: None,
            mfa: Some((
                MfaSerial::parse("arn:aws:iam::123456789012:mfa/alice").unwrap(),
                MfaCode::parse("987650").unwrap(),
            )),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            policy_arns: Vec::new(),
            region: crate::validate::Partition::Aws.default_region(),
        };
        let shown = [
            format!("{:?}", Caller::Keys(keys.clone())),
            format!("{:?}", Caller::Session(session())),
            format!("{:?}", AssumedRole { credentials: session(), assumed_role_arn: "arn".into() }),
            format!("{request:?}"),
            format!("{keys:?}"),
        ]
        .join("\n");
        for secret in ["wJalrXUtnFEMI", "topsecretvalue", "tokentokentoken", "987650", "AKIAIOSFODNN7", "ASIAIOSFODNN7"]
        {
            assert!(!shown.contains(secret), "{secret} is shown in {shown}");
        }
    }

    #[test]
    fn key_validation() {
        assert!(SourceKeys::parse("akiaiosfodnn7example", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_err());
        assert!(SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "short").is_err());
        assert!(SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "has a space in it here ok").is_err());
        let e = SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "short").unwrap_err().to_string();
        assert!(!e.contains("short"), "the secret must not be echoed: {e}");
        assert_eq!(mask("AB"), "****AB");
    }
}
