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

/// IAM Identity Center in memory: the sign-in service and the portal. Device codes are approved
/// after `polls_before_approval` token requests; tokens last `token_secs`; the portal session
/// ends when `signed_out` is set (a refresh then answers InvalidGrant, the portal Unauthorized).
#[derive(Debug)]
pub struct FakeSso {
    /// Accounts: (id, name, role names).
    pub accounts: Mutex<Vec<(String, String, Vec<String>)>>,
    /// Page size of the listings.
    pub page_size: usize,
    /// Token requests answered "pending" before a device code is approved.
    pub polls_before_approval: Mutex<usize>,
    /// How long a token lasts.
    pub token_secs: i64,
    /// The portal session has ended.
    pub signed_out: Mutex<bool>,
    /// Every call: its name, and the grant type for CreateToken.
    pub calls: Mutex<Vec<String>>,
    /// Tokens issued so far (the access tokens are `access-N`).
    pub issued: Mutex<usize>,
}

impl Default for FakeSso {
    fn default() -> Self {
        FakeSso {
            accounts: Mutex::new(vec![(
                "111111111111".into(),
                "Production".into(),
                vec!["AdministratorAccess".into(), "ReadOnly".into()],
            )]),
            page_size: 2,
            polls_before_approval: Mutex::new(1),
            token_secs: 3600,
            signed_out: Mutex::new(false),
            calls: Mutex::new(Vec::new()),
            issued: Mutex::new(0),
        }
    }
}

impl FakeSso {
    fn call(&self, what: &str) {
        self.calls.lock().expect("fake lock").push(what.to_owned());
    }

    fn fail(kind: crate::sso::SsoErrorKind, subject: &str) -> crate::sso::SsoError {
        crate::sso::SsoError { kind, subject: subject.into(), detail: None }
    }

    fn check(&self, token: &crate::sso::Token) -> Result<(), crate::sso::SsoError> {
        use secrecy::ExposeSecret;
        let n: usize =
            token.access_token.expose_secret().strip_prefix("access-").and_then(|n| n.parse().ok()).unwrap_or(0);
        if *self.signed_out.lock().expect("fake lock") || n == 0 || n > *self.issued.lock().expect("fake lock") {
            return Err(Self::fail(crate::sso::SsoErrorKind::SignedOut, "portal"));
        }
        Ok(())
    }

    /// The calls of one kind so far.
    pub fn count(&self, what: &str) -> usize {
        self.calls.lock().expect("fake lock").iter().filter(|c| *c == what).count()
    }
}

fn page<T: Clone>(items: &[T], size: usize, next: Option<&str>) -> crate::sso::Page<T> {
    let start: usize = next.and_then(|n| n.parse().ok()).unwrap_or(0);
    let end = (start + size).min(items.len());
    crate::sso::Page { items: items[start..end].to_vec(), next: (end < items.len()).then(|| end.to_string()) }
}

impl crate::sso::SsoSignIn for FakeSso {
    async fn register_client(
        &self,
        _: &Region,
        _: &crate::sso::StartUrl,
        redirect_uri: Option<&str>,
    ) -> Result<crate::sso::ClientRegistration, crate::sso::SsoError> {
        self.call("RegisterClient");
        Ok(crate::sso::ClientRegistration {
            client_id: "client-1".into(),
            client_secret: SecretString::from("client-secret-1"),
            expires_at: t0() + chrono::Duration::days(90),
            redirect_uri: redirect_uri.map(str::to_owned),
        })
    }

    async fn start_device_authorization(
        &self,
        _: &Region,
        _: &crate::sso::ClientRegistration,
        _: &crate::sso::StartUrl,
        now: DateTime<Utc>,
    ) -> Result<crate::sso::DeviceAuthorization, crate::sso::SsoError> {
        self.call("StartDeviceAuthorization");
        Ok(crate::sso::DeviceAuthorization {
            device_code: SecretString::from("device-code-1"),
            user_code: "ABCD-EFGH".into(),
            verification_uri: "https://device.sso.example/".into(),
            verification_uri_complete: Some("https://device.sso.example/?user_code=ABCD-EFGH".into()),
            expires_at: now + chrono::Duration::minutes(10),
            interval: chrono::Duration::milliseconds(10),
        })
    }

    async fn create_token(
        &self,
        _: &Region,
        _: &crate::sso::ClientRegistration,
        grant: &crate::sso::Grant,
        now: DateTime<Utc>,
    ) -> Result<crate::sso::Token, crate::sso::SsoError> {
        use crate::sso::{Grant, SsoErrorKind};
        self.call(&format!("CreateToken:{}", grant.grant_type()));
        match grant {
            Grant::DeviceCode(_) => {
                let mut left = self.polls_before_approval.lock().expect("fake lock");
                if *left > 0 {
                    *left -= 1;
                    return Err(Self::fail(SsoErrorKind::Pending, "sign in"));
                }
            }
            Grant::RefreshToken(_) if *self.signed_out.lock().expect("fake lock") => {
                return Err(Self::fail(SsoErrorKind::InvalidGrant, "refresh"));
            }
            _ => {}
        }
        let mut issued = self.issued.lock().expect("fake lock");
        *issued += 1;
        Ok(crate::sso::Token {
            access_token: SecretString::from(format!("access-{issued}")),
            expires_at: now + chrono::Duration::seconds(self.token_secs),
            refresh_token: Some(SecretString::from(format!("refresh-{issued}"))),
        })
    }
}

impl crate::sso::SsoPortal for FakeSso {
    async fn list_accounts(
        &self,
        _: &Region,
        token: &crate::sso::Token,
        next: Option<&str>,
    ) -> Result<crate::sso::Page<crate::sso::PortalAccount>, crate::sso::SsoError> {
        self.call("ListAccounts");
        self.check(token)?;
        let accounts: Vec<_> = self
            .accounts
            .lock()
            .expect("fake lock")
            .iter()
            .map(|(id, name, _)| crate::sso::PortalAccount { id: id.clone(), name: name.clone(), email: None })
            .collect();
        Ok(page(&accounts, self.page_size, next))
    }

    async fn list_account_roles(
        &self,
        _: &Region,
        token: &crate::sso::Token,
        account_id: &str,
        next: Option<&str>,
    ) -> Result<crate::sso::Page<String>, crate::sso::SsoError> {
        self.call("ListAccountRoles");
        self.check(token)?;
        let accounts = self.accounts.lock().expect("fake lock");
        let Some((_, _, roles)) = accounts.iter().find(|(id, _, _)| id == account_id) else {
            return Err(Self::fail(crate::sso::SsoErrorKind::NoAccess, "roles"));
        };
        Ok(page(roles, self.page_size, next))
    }

    async fn role_credentials(
        &self,
        _: &Region,
        token: &crate::sso::Token,
        account_id: &str,
        role_name: &str,
    ) -> Result<SessionCredentials, crate::sso::SsoError> {
        self.call("GetRoleCredentials");
        self.check(token)?;
        let assigned = self
            .accounts
            .lock()
            .expect("fake lock")
            .iter()
            .any(|(id, _, roles)| id == account_id && roles.iter().any(|r| r == role_name));
        if !assigned {
            return Err(Self::fail(crate::sso::SsoErrorKind::NoAccess, "role credentials"));
        }
        let n = self.count("GetRoleCredentials");
        Ok(SessionCredentials {
            access_key_id: AccessKeyId::parse(&format!("ASIAPORTAL000000{n:04}")).expect("a valid key id"),
            secret_access_key: SecretString::from(format!("portal-secret{n}")),
            session_token: SecretString::from(format!("portal-token{n}")),
            expiration: t0() + chrono::Duration::hours(1),
        })
    }
}
