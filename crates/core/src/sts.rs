//! The STS boundary: requests rolecall makes, what comes back, and what went wrong, in plain words.
//!
//! Error classification is pure and works from the service's error code, or from the raw response
//! body when the SDK could not read one (some STS-compatible servers wrap errors differently).

use std::future::Future;

use crate::code::Code;
use crate::secret::{SessionCredentials, SourceKeys};
use crate::validate::{
    ExternalId, MfaCode, MfaSerial, PolicyArn, ProfileName, Region, RoleArn, SessionDuration, SessionName,
    SourceIdentity, Tag,
};

/// The credentials an STS call is signed with.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Long-term keys from the keychain.
    Keys(SourceKeys),
    /// A previous session (role chaining).
    Session(SessionCredentials),
    /// A profile of the user's AWS config, resolved by the SDK.
    AwsProfile(ProfileName),
}

/// One AssumeRole call, fully resolved.
#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    /// The role.
    pub role_arn: RoleArn,
    /// `RoleSessionName`.
    pub session_name: SessionName,
    /// `DurationSeconds`.
    pub duration: SessionDuration,
    /// `ExternalId`.
    pub external_id: Option<ExternalId>,
    /// `SerialNumber` and `TokenCode`.
    pub mfa: Option<(MfaSerial, MfaCode)>,
    /// `Tags`.
    pub tags: Vec<Tag>,
    /// `TransitiveTagKeys`.
    pub transitive_tag_keys: Vec<String>,
    /// `SourceIdentity`.
    pub source_identity: Option<SourceIdentity>,
    /// `PolicyArns`.
    pub policy_arns: Vec<PolicyArn>,
    /// The region whose STS endpoint is called.
    pub region: Region,
}

/// A successful AssumeRole.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    /// The temporary credentials and their expiry.
    pub credentials: SessionCredentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub assumed_role_arn: String,
}

/// One GetFederationToken call: a console session for an IAM user's own keys.
#[derive(Debug, Clone)]
pub struct FederationTokenRequest {
    /// `Name`: 2–32 characters of `[\w+=,.@-]` (see [`crate::console::federated_user_name`]).
    pub name: String,
    /// `DurationSeconds`.
    pub duration: SessionDuration,
    /// `Policy`: the inline session policy (the session gets the intersection with the user's).
    pub policy: String,
    /// The region whose STS endpoint is called.
    pub region: Region,
}

/// A successful GetFederationToken.
#[derive(Debug, Clone)]
pub struct FederatedUser {
    /// The temporary credentials and their expiry.
    pub credentials: SessionCredentials,
    /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
    pub federated_user_arn: String,
}

/// One GetSessionToken call with an MFA code: an MFA session for an IAM user's long-term keys.
#[derive(Debug, Clone)]
pub struct SessionTokenRequest {
    /// `DurationSeconds` (900–129,600 for IAM users).
    pub duration_secs: u32,
    /// `SerialNumber` and `TokenCode`.
    pub mfa: (MfaSerial, MfaCode),
    /// The region whose STS endpoint is called.
    pub region: Region,
}

/// The STS operations rolecall uses.
pub trait Sts: Sync {
    /// AssumeRole, signed as `caller`.
    fn assume_role(
        &self,
        caller: &Caller,
        req: &AssumeRoleRequest,
    ) -> impl Future<Output = Result<AssumedRole, StsError>> + Send;
    /// GetFederationToken, signed as `caller` (long-term keys only, by AWS's rules).
    fn federation_token(
        &self,
        caller: &Caller,
        req: &FederationTokenRequest,
    ) -> impl Future<Output = Result<FederatedUser, StsError>> + Send;
    /// GetSessionToken, signed as `caller` (long-term keys only, by AWS's rules).
    fn session_token(
        &self,
        caller: &Caller,
        req: &SessionTokenRequest,
    ) -> impl Future<Output = Result<SessionCredentials, StsError>> + Send;
    /// GetCallerIdentity: the caller's ARN.
    fn caller_identity(
        &self,
        caller: &Caller,
        region: &Region,
    ) -> impl Future<Output = Result<String, StsError>> + Send;
    /// How far this computer's clock is ahead of STS's (negative: behind), as the last answer's
    /// `Date` showed it; `None` before any answer had one.
    fn clock_offset(&self) -> Option<chrono::Duration> {
        None
    }
}

/// What kind of STS failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsErrorKind {
    /// The access key id is unknown (InvalidClientTokenId).
    UnknownKey,
    /// The secret does not match the key (SignatureDoesNotMatch), or the clock is far off.
    WrongSecret,
    /// Not allowed: untrusted principal, no sts:AssumeRole permission, or a wrong external id.
    AccessDenied,
    /// The MFA code was refused.
    MfaInvalid,
    /// The caller's credentials have expired (ExpiredToken).
    Expired,
    /// STS throttled the call even after retries.
    Throttled,
    /// DurationSeconds is above the role's maximum session duration.
    DurationTooLong,
    /// STS refused a parameter (ValidationError and friends).
    Invalid,
    /// STS is not enabled in that region.
    RegionDisabled,
    /// The endpoint could not be reached.
    Unreachable,
    /// The endpoint did not answer in time.
    Timeout,
    /// The response could not be understood.
    Malformed,
    /// STS (or a proxy in front of it) failed on its side: HTTP 5xx, InternalFailure,
    /// ServiceUnavailable, even after retries.
    ServerError,
    /// The request's signature is too old or from the future: this computer's clock is off by
    /// more than STS allows (15 minutes).
    ClockSkew,
    /// A named AWS profile (an `aws_profile` source's) gave no credentials: no such profile, an
    /// IAM Identity Center sign-in missing or expired, a `credential_process` that failed or
    /// printed something unreadable, a `source_profile` loop. `aws_message` names the profile and
    /// says why (`the AWS profile corp gives no credentials: …`, the SDK's words, one line), since
    /// callers replace the subject with their own.
    ProfileUnusable,
    /// Anything else.
    Other,
}

/// An STS failure, with the subject it concerns (`assume arn:…`, `verify source work`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {}{}", self.explain(), self.aws_said())]
pub struct StsError {
    /// The kind.
    pub kind: StsErrorKind,
    /// What was being done.
    pub subject: String,
    /// The service's own message, when it gave one (it never holds secrets).
    pub aws_message: Option<String>,
}

impl StsError {
    /// The stable code.
    pub fn code(&self) -> Code {
        match self.kind {
            StsErrorKind::UnknownKey => Code::StsUnknownKey,
            StsErrorKind::WrongSecret => Code::StsWrongSecret,
            StsErrorKind::AccessDenied => Code::StsAccessDenied,
            StsErrorKind::MfaInvalid => Code::StsMfaInvalid,
            StsErrorKind::Expired => Code::StsExpiredToken,
            StsErrorKind::Throttled => Code::StsThrottled,
            StsErrorKind::DurationTooLong => Code::StsDurationTooLong,
            StsErrorKind::Invalid => Code::StsInvalidRequest,
            StsErrorKind::RegionDisabled => Code::StsRegionDisabled,
            StsErrorKind::Unreachable => Code::StsUnreachable,
            StsErrorKind::Timeout => Code::StsTimeout,
            StsErrorKind::Malformed => Code::StsMalformedResponse,
            StsErrorKind::ServerError => Code::StsServerError,
            StsErrorKind::ClockSkew => Code::StsClockSkew,
            StsErrorKind::ProfileUnusable => Code::AwsProfileUnusable,
            StsErrorKind::Other => Code::StsError,
        }
    }

    /// What happened and what to do, in plain words: the problem, then the catalogue's remedy
    /// ([`Code::remedy`]), which names no front end's flags.
    /// An unusable profile's `aws_message` (which names the profile and says why, and is not
    /// AWS's answer) takes the place of the problem.
    pub fn explain(&self) -> String {
        match (self.kind, &self.aws_message) {
            (StsErrorKind::ProfileUnusable, Some(why)) => format!("{why}; {}", self.code().remedy()),
            _ => format!("{}; {}", self.problem(), self.code().remedy()),
        }
    }

    /// ` (AWS said: …)` when the service gave a message (not for an unusable profile, whose
    /// reason [`StsError::explain`] already carries).
    fn aws_said(&self) -> String {
        match (self.kind, &self.aws_message) {
            (StsErrorKind::ProfileUnusable, _) | (_, None) => String::new(),
            (_, Some(m)) => format!(" (AWS said: {m})"),
        }
    }

    /// What happened, in plain words.
    pub fn problem(&self) -> &'static str {
        match self.kind {
            StsErrorKind::UnknownKey => "AWS does not know this access key id",
            StsErrorKind::WrongSecret => {
                "the secret access key does not match the access key id (or this computer's clock is far off)"
            }
            StsErrorKind::AccessDenied => {
                "access denied: the role's trust policy may not trust this identity, the identity may lack sts:AssumeRole, or the external id may be wrong"
            }
            StsErrorKind::MfaInvalid => "the MFA code was refused",
            StsErrorKind::Expired => "the source credentials have expired",
            StsErrorKind::Throttled => "STS is throttling requests",
            StsErrorKind::DurationTooLong => "the requested duration is above the role's maximum session duration",
            StsErrorKind::Invalid => "STS refused the request",
            StsErrorKind::RegionDisabled => "STS is not enabled in this region for the account",
            StsErrorKind::Unreachable => "cannot reach the STS endpoint",
            StsErrorKind::Timeout => "the STS endpoint did not answer in time",
            StsErrorKind::Malformed => "the STS endpoint sent a response rolecall cannot read",
            StsErrorKind::ServerError => "STS failed on its side, even after retries",
            StsErrorKind::ClockSkew => {
                "this computer's clock is off by more than 15 minutes, so AWS refuses the request"
            }
            StsErrorKind::ProfileUnusable => "the AWS profile gives no credentials",
            StsErrorKind::Other => "STS call failed",
        }
    }
}

/// Reads `<Tag>…</Tag>` from an XML error body.
fn xml_field<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].trim())
}

/// Classifies an STS error from its code and message, or from the raw body when the code is missing.
/// Returns the kind and the message to show (the service's own words).
pub fn classify(code: Option<&str>, message: Option<&str>, raw_body: Option<&str>) -> (StsErrorKind, Option<String>) {
    let code = code.or_else(|| raw_body.and_then(|b| xml_field(b, "Code")));
    let message = message.or_else(|| raw_body.and_then(|b| xml_field(b, "Message"))).map(str::to_owned);
    let msg = message.as_deref().unwrap_or("");
    let kind = match code {
        Some("InvalidClientTokenId") => StsErrorKind::UnknownKey,
        Some("SignatureDoesNotMatch")
            if msg.contains("Signature expired") || msg.contains("Signature not yet current") =>
        {
            StsErrorKind::ClockSkew
        }
        Some("RequestTimeTooSkewed" | "RequestInTheFuture") => StsErrorKind::ClockSkew,
        Some("SignatureDoesNotMatch" | "IncompleteSignature") => StsErrorKind::WrongSecret,
        Some("AccessDenied" | "AccessDeniedException") if msg.contains("MultiFactorAuthentication") => {
            StsErrorKind::MfaInvalid
        }
        Some("AccessDenied" | "AccessDeniedException") => StsErrorKind::AccessDenied,
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => StsErrorKind::Expired,
        Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException") => {
            StsErrorKind::Throttled
        }
        Some("ValidationError") if msg.contains("DurationSeconds exceeds") => StsErrorKind::DurationTooLong,
        Some(
            "ValidationError"
            | "InvalidParameterValue"
            | "MalformedPolicyDocument"
            | "PackedPolicyTooLarge"
            | "InvalidAction",
        ) => StsErrorKind::Invalid,
        Some("RegionDisabledException") => StsErrorKind::RegionDisabled,
        Some("InternalFailure" | "InternalError" | "ServiceUnavailable" | "ServiceUnavailableException") => {
            StsErrorKind::ServerError
        }
        Some(_) => StsErrorKind::Other,
        None => StsErrorKind::Malformed,
    };
    (kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The error format real STS uses (query protocol), and a wrapped variant as some emulators send it.
    const DENIED: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/Admin</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
    const WRAPPED: &str = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></Errors></ErrorResponse>";

    #[test]
    fn classification_table() {
        // (code, message, raw body) -> kind
        type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, StsErrorKind);
        let table: &[Row] = &[
            (Some("InvalidClientTokenId"), None, None, StsErrorKind::UnknownKey),
            (Some("SignatureDoesNotMatch"), None, None, StsErrorKind::WrongSecret),
            (Some("AccessDenied"), Some("not authorized"), None, StsErrorKind::AccessDenied),
            (
                Some("AccessDenied"),
                Some("MultiFactorAuthentication failed with invalid MFA one time pass code."),
                None,
                StsErrorKind::MfaInvalid,
            ),
            (Some("ExpiredToken"), None, None, StsErrorKind::Expired),
            (Some("Throttling"), None, None, StsErrorKind::Throttled),
            (
                Some("ValidationError"),
                Some("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
                None,
                StsErrorKind::DurationTooLong,
            ),
            (Some("ValidationError"), Some("1 validation error detected"), None, StsErrorKind::Invalid),
            (Some("RegionDisabledException"), None, None, StsErrorKind::RegionDisabled),
            (Some("SomethingNew"), None, None, StsErrorKind::Other),
            (Some("InternalFailure"), None, None, StsErrorKind::ServerError),
            (Some("ServiceUnavailable"), None, None, StsErrorKind::ServerError),
            (
                Some("SignatureDoesNotMatch"),
                Some(
                    "Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)",
                ),
                None,
                StsErrorKind::ClockSkew,
            ),
            (
                Some("SignatureDoesNotMatch"),
                Some(
                    "Signature not yet current: 20990101T000000Z is still later than 20240101T001500Z (20240101T000000Z + 15 min.)",
                ),
                None,
                StsErrorKind::ClockSkew,
            ),
            (None, None, Some(DENIED), StsErrorKind::AccessDenied),
            (None, None, Some(WRAPPED), StsErrorKind::WrongSecret),
            (None, None, Some("<html>bad gateway</html>"), StsErrorKind::Malformed),
            (None, None, None, StsErrorKind::Malformed),
        ];
        for (code, msg, body, want) in table {
            assert_eq!(classify(*code, *msg, *body).0, *want, "{code:?} {msg:?} {body:?}");
        }
        assert!(
            classify(None, None, Some(DENIED)).1.unwrap().starts_with("User: arn:aws:iam::123456789012:user/alice")
        );
    }

    #[test]
    fn messages_name_the_subject_and_the_fix() {
        let (kind, aws_message) = classify(None, None, Some(DENIED));
        let e = StsError {
            kind,
            subject: "favourite prod: assume arn:aws:iam::123456789012:role/Admin".into(),
            aws_message,
        };
        let text = e.to_string();
        assert!(
            text.starts_with("favourite prod: assume arn:aws:iam::123456789012:role/Admin: access denied: "),
            "{text}"
        );
        assert!(text.ends_with("role/Admin)"), "{text}");
        assert_eq!(e.code(), "sts.access_denied");
    }

    #[test]
    fn an_unusable_profile_says_why_before_the_remedy_and_not_as_aws_words() {
        let e = StsError {
            kind: StsErrorKind::ProfileUnusable,
            subject: "source corp: verify".into(),
            aws_message: Some("the AWS profile corp-sso gives no credentials: the SSO token has expired".into()),
        };
        assert_eq!(e.code(), "aws_profile.unusable");
        assert_eq!(
            e.to_string(),
            format!(
                "source corp: verify: the AWS profile corp-sso gives no credentials: the SSO token has expired; {}",
                Code::AwsProfileUnusable.remedy()
            )
        );
        let bare = StsError { aws_message: None, ..e };
        assert_eq!(
            bare.to_string(),
            format!("source corp: verify: the AWS profile gives no credentials; {}", bare.code().remedy())
        );
    }
}
