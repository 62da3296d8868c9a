//! In-memory fakes of the ports, shared by every crate's unit tests (feature `testing`): an STS that
//! records each call and hands out numbered sessions, a keychain in memory, a federation endpoint
//! that issues a fixed token, and an MFA prompt that answers from a list. Each can be inspected
//! after the test and told to fail. Never in a release build's dependency tree: crates enable the
//! feature from `[dev-dependencies]` only.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::Error;
use crate::assume::MfaPrompt;
use crate::console::{ConsoleError, FederationEndpoint, SigninClient, SigninToken, SigninTokenRequest};
use crate::keychain::{KeptMfaSession, KeychainError, KeychainErrorKind, SecretStore};
use crate::secret::{AccessKeyId, SessionCredentials, SourceKeys};
use crate::sso::SsoSecrets;
use crate::sts::{
    AssumeRoleRequest, AssumedRole, Caller, FederatedUser, FederationTokenRequest, SessionTokenRequest, Sts, StsError,
    StsErrorKind,
};
use crate::validate::{MfaCode, MfaSerial, Name, Region};

/// When the fakes' sessions start: 2027-01-15T08:00:00Z (a session of `d` seconds expires at
/// `T0 + d`).
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time")
}

/// Who signed a call, as the fake STS records it: the access key id, or `profile:NAME`.
pub fn caller_id(caller: &Caller) -> String {
    match caller {
        Caller::Keys(k) => k.access_key_id.as_str().to_owned(),
        Caller::Session(s) => s.access_key_id.as_str().to_owned(),
        Caller::AwsProfile(p) => format!("profile:{p}"),
    }
}

/// An STS in memory. AssumeRole answers session `ASIAFAKE0000000000NN` (NN: the call's number)
/// expiring at [`t0`] + the duration asked; GetSessionToken `ASIAMFASESSION00NNNN`.
#[derive(Debug, Default)]
pub struct FakeSts {
    /// Every AssumeRole: who signed it and what it asked.
    pub calls: Mutex<Vec<(String, AssumeRoleRequest)>>,
    /// Every GetSessionToken: (caller, serial, code, duration).
    pub session_calls: Mutex<Vec<(String, String, String, u32)>>,
    /// Every GetCallerIdentity and GetFederationToken: who signed it.
    pub other_calls: Mutex<Vec<(&'static str, String)>>,
    /// Role names AssumeRole refuses (AccessDenied).
    pub deny: Mutex<Vec<String>>,
    /// Caller ids AssumeRole answers ExpiredToken for.
    pub revoked: Mutex<Vec<String>>,
    /// The next calls' errors, of any operation, in order (before any other rule).
    pub fail_next: Mutex<Vec<StsErrorKind>>,
    /// How far this computer's clock is ahead of the fake's, as its last answer showed.
    pub clock_offset: Mutex<Option<chrono::Duration>>,
}

impl FakeSts {
    /// AssumeRole calls so far.
    pub fn assume_calls(&self) -> usize {
        self.calls.lock().expect("fake lock").len()
    }

    fn scripted_failure(&self, subject: &str) -> Result<(), StsError> {
        let mut next = self.fail_next.lock().expect("fake lock");
        if next.is_empty() {
            return Ok(());
        }
        Err(StsError { kind: next.remove(0), subject: subject.into(), aws_message: None })
    }
}

impl Sts for FakeSts {
    async fn assume_role(&self, caller: &Caller, req: &AssumeRoleRequest) -> Result<AssumedRole, StsError> {
        self.scripted_failure("assume")?;
        let who = caller_id(caller);
        if self.deny.lock().expect("fake lock").iter().any(|r| r == req.role_arn.role_name()) {
            return Err(StsError { kind: StsErrorKind::AccessDenied, subject: "assume".into(), aws_message: None });
        }
        if self.revoked.lock().expect("fake lock").contains(&who) {
            return Err(StsError { kind: StsErrorKind::Expired, subject: "assume".into(), aws_message: None });
        }
        let mut calls = self.calls.lock().expect("fake lock");
        calls.push((who, req.clone()));
        let n = calls.len();
        Ok(AssumedRole {
            credentials: SessionCredentials {
                access_key_id: AccessKeyId::parse(&format!("ASIAFAKE00000000{n:04}")).expect("a valid key id"),
                secret_access_key: SecretString::from(format!("secret{n}")),
                session_token: SecretString::from(format!("token{n}")),
                expiration: t0() + chrono::Duration::seconds(i64::from(req.duration.as_secs())),
            },
            assumed_role_arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                req.role_arn.account(),
                req.role_arn.role_name(),
                req.session_name
            ),
        })
    }

    async fn federation_token(&self, caller: &Caller, req: &FederationTokenRequest) -> Result<FederatedUser, StsError> {
        self.scripted_failure("federation token")?;
        self.other_calls.lock().expect("fake lock").push(("GetFederationToken", caller_id(caller)));
        Ok(FederatedUser {
            credentials: SessionCredentials {
                access_key_id: AccessKeyId::parse("ASIAFEDERATED0000001").expect("a valid key id"),
                secret_access_key: SecretString::from("federated-secret"),
                session_token: SecretString::from("federated-token"),
                expiration: t0() + chrono::Duration::seconds(i64::from(req.duration.as_secs())),
            },
            federated_user_arn: format!("arn:aws:sts::123456789012:federated-user/{}", req.name),
        })
    }

    async fn session_token(&self, caller: &Caller, req: &SessionTokenRequest) -> Result<SessionCredentials, StsError> {
        self.scripted_failure("session token")?;
        let Caller::Keys(keys) = caller else {
            return Err(StsError { kind: StsErrorKind::Other, subject: "session token".into(), aws_message: None });
        };
        let mut calls = self.session_calls.lock().expect("fake lock");
        calls.push((
            keys.access_key_id.as_str().to_owned(),
            req.mfa.0.to_string(),
            req.mfa.1.as_str().to_owned(),
            req.duration_secs,
        ));
        let n = calls.len();
        Ok(SessionCredentials {
            access_key_id: AccessKeyId::parse(&format!("ASIAMFASESSION00{n:04}")).expect("a valid key id"),
            secret_access_key: SecretString::from(format!("mfa-secret{n}")),
            session_token: SecretString::from(format!("mfa-token{n}")),
            expiration: t0() + chrono::Duration::seconds(i64::from(req.duration_secs)),
        })
    }

    async fn caller_identity(&self, caller: &Caller, _: &Region) -> Result<String, StsError> {
        self.scripted_failure("verify")?;
        self.other_calls.lock().expect("fake lock").push(("GetCallerIdentity", caller_id(caller)));
        Ok("arn:aws:iam::123456789012:user/alice".into())
    }

    fn clock_offset(&self) -> Option<chrono::Duration> {
        *self.clock_offset.lock().expect("fake lock")
    }
}

/// A keychain in memory: source keys, kept MFA sessions and IAM Identity Center secrets by source
/// name.
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    /// Source keys.
    pub keys: Mutex<HashMap<String, SourceKeys>>,
    /// Kept MFA sessions.
    pub mfa_sessions: Mutex<HashMap<String, KeptMfaSession>>,
    /// Kept IAM Identity Center secrets.
    pub sso: Mutex<HashMap<String, SsoSecrets>>,
    /// When set, every call fails with this kind (a locked or unreachable keychain).
    pub fail_with: Mutex<Option<KeychainErrorKind>>,
    /// Calls so far, of any kind.
    pub calls: Mutex<usize>,
}

impl MemoryKeychain {
    fn enter(&self, source: &Name) -> Result<(), KeychainError> {
        *self.calls.lock().expect("fake lock") += 1;
        match *self.fail_with.lock().expect("fake lock") {
            Some(kind) => Err(KeychainError { kind, source_name: source.to_string(), detail: None }),
            None => Ok(()),
        }
    }

    /// The secret access key kept for `source`, to check what was stored.
    pub fn secret_of(&self, source: &str) -> Option<String> {
        self.keys.lock().expect("fake lock").get(source).map(|k| k.secret_access_key.expose_secret().to_owned())
    }
}

impl SecretStore for MemoryKeychain {
    fn load(&self, source: &Name) -> Result<SourceKeys, KeychainError> {
        self.enter(source)?;
        self.keys.lock().expect("fake lock").get(source.as_str()).cloned().ok_or(KeychainError {
            kind: KeychainErrorKind::NoEntry,
            source_name: source.to_string(),
            detail: None,
        })
    }
    fn store(&self, source: &Name, keys: &SourceKeys) -> Result<(), KeychainError> {
        self.enter(source)?;
        self.keys.lock().expect("fake lock").insert(source.to_string(), keys.clone());
        Ok(())
    }
    fn delete(&self, source: &Name) -> Result<bool, KeychainError> {
        self.enter(source)?;
        self.mfa_sessions.lock().expect("fake lock").remove(source.as_str());
        self.sso.lock().expect("fake lock").remove(source.as_str());
        Ok(self.keys.lock().expect("fake lock").remove(source.as_str()).is_some())
    }
    fn load_mfa_session(&self, source: &Name) -> Result<Option<KeptMfaSession>, KeychainError> {
        self.enter(source)?;
        Ok(self.mfa_sessions.lock().expect("fake lock").get(source.as_str()).cloned())
    }
    fn store_mfa_session(
        &self,
        source: &Name,
        session: &SessionCredentials,
        minted_by: &AccessKeyId,
    ) -> Result<(), KeychainError> {
        self.enter(source)?;
        let kept = KeptMfaSession { session: session.clone(), minted_by: Some(minted_by.clone()) };
        self.mfa_sessions.lock().expect("fake lock").insert(source.to_string(), kept);
        Ok(())
    }
    fn delete_mfa_session(&self, source: &Name) -> Result<bool, KeychainError> {
        self.enter(source)?;
        Ok(self.mfa_sessions.lock().expect("fake lock").remove(source.as_str()).is_some())
    }
    fn load_sso(&self, source: &Name) -> Result<Option<SsoSecrets>, KeychainError> {
        self.enter(source)?;
        Ok(self.sso.lock().expect("fake lock").get(source.as_str()).cloned())
    }
    fn store_sso(&self, source: &Name, secrets: &SsoSecrets) -> Result<(), KeychainError> {
        self.enter(source)?;
        self.sso.lock().expect("fake lock").insert(source.to_string(), secrets.clone());
        Ok(())
    }
    fn delete_sso(&self, source: &Name) -> Result<bool, KeychainError> {
        self.enter(source)?;
        Ok(self.sso.lock().expect("fake lock").remove(source.as_str()).is_some())
    }
    fn locked_without_prompt(&self) -> Option<bool> {
        Some(matches!(*self.fail_with.lock().expect("fake lock"), Some(KeychainErrorKind::Locked)))
    }
}

/// A federation endpoint in memory: records each request's endpoint and issues token `issued`.
#[derive(Debug, Default)]
pub struct FakeSignin {
    /// Every getSigninToken: the endpoint asked.
    pub calls: Mutex<Vec<String>>,
}

impl SigninClient for FakeSignin {
    async fn signin_token(
        &self,
        endpoint: &FederationEndpoint,
        _: &SigninTokenRequest,
        _: &str,
    ) -> Result<SigninToken, ConsoleError> {
        self.calls.lock().expect("fake lock").push(endpoint.as_str().to_owned());
        Ok(SigninToken::new("issued".into()))
    }
}

/// An MFA prompt that answers each request with the next code of its list (and records who
/// asked); a request past the end is cancelled, as a dismissed prompt is.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    /// The codes still to give.
    pub codes: Vec<String>,
    /// (favourite, device) of each request so far.
    pub asked: Vec<(String, String)>,
}

impl Codes {
    /// A prompt giving `codes` in order.
    pub fn new(codes: &[&str]) -> Codes {
        Codes { codes: codes.iter().map(|c| (*c).to_owned()).collect(), asked: Vec::new() }
    }
}

impl MfaPrompt for Codes {
    async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
        self.asked.push((favourite.to_string(), device.to_string()));
        if self.codes.is_empty() {
            return Err(Error::Cancelled(format!("favourite {favourite}: MFA code")));
        }
        Ok(MfaCode::parse(&self.codes.remove(0))?)
    }
}
