//! Assuming a favourite: resolve its chain, fetch the root credentials, ask for MFA codes when
//! needed, and call AssumeRole for each link. IO happens only behind the [`Sts`] and
//! [`SecretStore`] ports; the result is handed back for an adapter to write.

use std::future::Future;

use crate::config::{Config, Favourite, SourceKind};
use crate::error::Error;
use crate::keychain::SecretStore;
use crate::secret::SessionCredentials;
use crate::sts::{AssumeRoleRequest, Caller, Sts, StsError};
use crate::validate::{MfaCode, MfaSerial, Name, ProfileName, Region, SessionName};

/// A favourite's fresh session, ready to be written.
#[derive(Debug, Clone)]
pub struct Assumed {
    /// The favourite.
    pub favourite: Name,
    /// The profile to write.
    pub profile: ProfileName,
    /// The region to record in the config file, if the favourite sets one.
    pub region: Option<Region>,
    /// The credentials.
    pub credentials: SessionCredentials,
    /// The assumed identity.
    pub assumed_role_arn: String,
}

/// Asks the user for an MFA code for `device` (the favourite that needs it is named): a terminal
/// prompt in the CLI, a window in the app.
pub trait MfaPrompt: Send {
    /// A code, or an error (cancelled, no terminal…).
    fn code(&mut self, favourite: &Name, device: &MfaSerial) -> impl Future<Output = Result<MfaCode, Error>> + Send;
}

/// The STS region for a favourite: its own, else the caller's default, else its partition's default.
pub fn sts_region(fav: &Favourite, default_region: Option<&Region>) -> Region {
    fav.region
        .clone()
        .or_else(|| default_region.filter(|r| fav.arn.partition().contains(r)).cloned())
        .unwrap_or_else(|| fav.arn.partition().default_region())
}

/// Builds the AssumeRole request for one favourite (without an MFA code).
pub fn request(fav: &Favourite, root_identity: Option<&str>, default_region: Option<&Region>) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: fav.arn.clone(),
        session_name: fav.session_name.clone().unwrap_or_else(|| SessionName::traceable_from(root_identity)),
        duration: fav.duration,
        external_id: fav.external_id.clone(),
        mfa: None,
        tags: fav.tags.as_slice().to_vec(),
        transitive_tag_keys: fav.transitive_tags.clone(),
        source_identity: fav.source_identity.clone(),
        policy_arns: fav.policy_arns.clone(),
        region: sts_region(fav, default_region),
    }
}

/// Assumes favourite `name` (and every favourite it chains through).
pub async fn assume<S: Sts, K: SecretStore>(
    config: &Config,
    name: &Name,
    sts: &S,
    keychain: &K,
    default_region: Option<&Region>,
    mfa: &mut impl MfaPrompt,
) -> Result<Assumed, Error> {
    let (root, chain) = config.chain(name)?;
    let mut caller = match &root.source.kind {
        SourceKind::Keychain { .. } => Caller::Keys(keychain.load(root.name)?),
        SourceKind::AwsProfile { aws_profile } => Caller::AwsProfile(aws_profile.clone()),
    };
    let mut last = None;
    for (fav_name, fav) in chain {
        let mut req = request(fav, root.source.identity.as_deref(), default_region);
        if fav.mfa {
            let device = root.source.mfa_serial.clone().ok_or_else(|| Error::NeedsInput {
                subject: format!("favourite {fav_name}"),
                what: format!("needs an MFA device on source {}", root.name),
            })?;
            let code = mfa.code(fav_name, &device).await?;
            req.mfa = Some((device, code));
        }
        let assumed = sts
            .assume_role(&caller, &req)
            .await
            .map_err(|e| StsError { subject: format!("favourite {fav_name}: assume {}", fav.arn), ..e })?;
        caller = Caller::Session(assumed.credentials.clone());
        last = Some((fav_name, fav, assumed));
    }
    let (fav_name, fav, assumed) = last.expect("a chain always has at least one favourite");
    Ok(Assumed {
        favourite: fav_name.clone(),
        profile: fav.profile.clone(),
        region: fav.region.clone(),
        credentials: assumed.credentials,
        assumed_role_arn: assumed.assumed_role_arn,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::Mutex;

    use chrono::{DateTime, Utc};
    use secrecy::SecretString;

    use super::*;
    use crate::config::{Source, SourceKind};
    use crate::keychain::{KeychainError, KeychainErrorKind};
    use crate::secret::{AccessKeyId, SourceKeys};
    use crate::sts::{AssumedRole, StsErrorKind};
    use crate::validate::RoleArn;

    /// An in-memory STS that records every call and hands out numbered sessions.
    #[derive(Default)]
    struct FakeSts {
        calls: Mutex<Vec<(String, AssumeRoleRequest)>>,
        deny: Option<&'static str>,
    }

    impl Sts for FakeSts {
        async fn assume_role(&self, caller: &Caller, req: &AssumeRoleRequest) -> Result<AssumedRole, StsError> {
            let who = match caller {
                Caller::Keys(k) => k.access_key_id.as_str().to_owned(),
                Caller::Session(s) => s.access_key_id.as_str().to_owned(),
                Caller::AwsProfile(p) => format!("profile:{p}"),
            };
            if self.deny == Some(req.role_arn.role_name()) {
                return Err(StsError { kind: StsErrorKind::AccessDenied, subject: "assume".into(), aws_message: None });
            }
            let mut calls = self.calls.lock().unwrap();
            calls.push((who, req.clone()));
            let n = calls.len();
            Ok(AssumedRole {
                credentials: SessionCredentials {
                    access_key_id: AccessKeyId::parse(&format!("ASIAFAKE00000000{n:04}")).unwrap(),
                    secret_access_key: SecretString::from(format!("secret{n}")),
                    session_token: SecretString::from(format!("token{n}")),
                    expiration: DateTime::<Utc>::from_timestamp(1_800_000_000 + i64::from(req.duration.as_secs()), 0)
                        .unwrap(),
                },
                assumed_role_arn: format!(
                    "arn:aws:sts::{}:assumed-role/{}/{}",
                    req.role_arn.account(),
                    req.role_arn.role_name(),
                    req.session_name
                ),
            })
        }
        async fn federation_token(
            &self,
            _: &Caller,
            _: &crate::sts::FederationTokenRequest,
        ) -> Result<crate::sts::FederatedUser, StsError> {
            Err(StsError { kind: StsErrorKind::Other, subject: "not used here".into(), aws_message: None })
        }
        async fn caller_identity(&self, _: &Caller, _: &Region) -> Result<String, StsError> {
            Ok("arn:aws:iam::123456789012:user/alice".into())
        }
    }

    #[derive(Default)]
    struct MemoryKeychain(RefCell<HashMap<String, SourceKeys>>);
    impl SecretStore for MemoryKeychain {
        fn load(&self, source: &Name) -> Result<SourceKeys, KeychainError> {
            self.0.borrow().get(source.as_str()).cloned().ok_or(KeychainError {
                kind: KeychainErrorKind::NoEntry,
                source_name: source.to_string(),
                detail: None,
            })
        }
        fn store(&self, source: &Name, keys: &SourceKeys) -> Result<(), KeychainError> {
            self.0.borrow_mut().insert(source.to_string(), keys.clone());
            Ok(())
        }
        fn delete(&self, source: &Name) -> Result<bool, KeychainError> {
            Ok(self.0.borrow_mut().remove(source.as_str()).is_some())
        }
    }

    struct Codes(Vec<(String, String)>);
    impl MfaPrompt for Codes {
        async fn code(&mut self, favourite: &Name, device: &MfaSerial) -> Result<MfaCode, Error> {
            self.0.push((favourite.to_string(), device.to_string()));
            Ok(MfaCode::parse("123456").unwrap())
        }
    }

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn setup() -> (Config, MemoryKeychain) {
        let mut c = Config::default();
        c.add_source(
            n("work"),
            Source {
                kind: SourceKind::Keychain { key_hint: None },
                mfa_serial: Some(MfaSerial::parse("arn:aws:iam::123456789012:mfa/alice").unwrap()),
                identity: Some("arn:aws:iam::123456789012:user/alice".into()),
            },
        )
        .unwrap();
        let mut outer = Favourite::new(
            RoleArn::parse("arn:aws:iam::111111111111:role/Outer").unwrap(),
            n("work"),
            "outer".parse().unwrap(),
        );
        outer.mfa = true;
        outer.duration = crate::validate::SessionDuration::parse("2h").unwrap();
        c.put_favourite(n("outer"), outer, false).unwrap();
        let mut inner = Favourite::new(
            RoleArn::parse("arn:aws:iam::222222222222:role/Inner").unwrap(),
            n("outer"),
            "inner".parse().unwrap(),
        );
        inner.region = Some(Region::parse("eu-west-1").unwrap());
        inner.session_name = Some(SessionName::parse("chained").unwrap());
        c.put_favourite(n("inner"), inner, false).unwrap();
        let k = MemoryKeychain::default();
        k.store(
            &n("work"),
            &SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap(),
        )
        .unwrap();
        (c, k)
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        // The fakes never suspend, so one poll completes the future.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("fake future suspended"),
        }
    }

    #[test]
    fn chained_favourite_assumes_each_link_with_the_previous_session() {
        let (c, k) = setup();
        let sts = FakeSts::default();
        let mut codes = Codes(Vec::new());
        let out = block_on(assume(&c, &n("inner"), &sts, &k, Some(&Region::parse("us-west-2").unwrap()), &mut codes))
            .unwrap();
        let calls = sts.calls.lock().unwrap();
        assert_eq!(calls.len(), 2);
        let (who1, r1) = &calls[0];
        assert_eq!(who1, "AKIAIOSFODNN7EXAMPLE", "the first link is signed with the keychain keys");
        assert_eq!(r1.role_arn.role_name(), "Outer");
        assert_eq!(r1.session_name.as_str(), "alice", "the default session name is traceable to the user");
        assert_eq!(r1.region.as_str(), "us-west-2", "no region of its own: the caller's default");
        assert_eq!(
            r1.mfa.as_ref().map(|(d, c)| (d.as_str(), c.as_str())),
            Some(("arn:aws:iam::123456789012:mfa/alice", "123456"))
        );
        let (who2, r2) = &calls[1];
        assert_eq!(who2, "ASIAFAKE000000000001", "the second link is signed with the first session");
        assert_eq!(r2.session_name.as_str(), "chained");
        assert_eq!(r2.region.as_str(), "eu-west-1");
        assert!(r2.mfa.is_none());
        assert_eq!(codes.0, vec![("outer".to_owned(), "arn:aws:iam::123456789012:mfa/alice".to_owned())]);
        assert_eq!(out.profile.as_str(), "inner");
        assert_eq!(out.assumed_role_arn, "arn:aws:sts::222222222222:assumed-role/Inner/chained");
        assert_eq!(out.credentials.access_key_id.as_str(), "ASIAFAKE000000000002");
    }

    #[test]
    fn failures_name_the_favourite_and_stop_the_chain() {
        let (c, k) = setup();
        let sts = FakeSts { deny: Some("Outer"), ..Default::default() };
        let e = block_on(assume(&c, &n("inner"), &sts, &k, None, &mut Codes(Vec::new()))).unwrap_err();
        assert_eq!(e.code(), "sts.access_denied");
        assert!(
            e.to_string().starts_with("favourite outer: assume arn:aws:iam::111111111111:role/Outer: access denied"),
            "{e}"
        );
        k.delete(&n("work")).unwrap();
        let e = block_on(assume(&c, &n("inner"), &FakeSts::default(), &k, None, &mut Codes(Vec::new()))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "source work: no source credentials in the keychain; store them with `rolecall source add`"
        );
    }

    #[test]
    fn region_falls_back_within_the_partition() {
        let fav = Favourite::new(
            RoleArn::parse("arn:aws-cn:iam::123456789012:role/R").unwrap(),
            n("s"),
            "p".parse().unwrap(),
        );
        assert_eq!(sts_region(&fav, Some(&Region::parse("us-east-1").unwrap())).as_str(), "cn-north-1");
        assert_eq!(sts_region(&fav, Some(&Region::parse("cn-northwest-1").unwrap())).as_str(), "cn-northwest-1");
        assert_eq!(sts_region(&fav, None).as_str(), "cn-north-1");
    }
}
