//! Assuming a favourite: resolve its chain, fetch the root credentials, ask for MFA codes when
//! needed, and call AssumeRole for each link. IO happens only behind the [`Sts`] and
//! [`SecretStore`] ports; the result is handed back for an adapter to write.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::config::{Config, Favourite, Link, Root, SourceKind};
use crate::error::Error;
use crate::keychain::SecretStore;
use crate::secret::SessionCredentials;
use crate::sts::{AssumeRoleRequest, Caller, SessionTokenRequest, Sts, StsError, StsErrorKind};
use crate::validate::{MfaCode, MfaSerial, Name, ProfileName, Region, RoleArn, SessionName};

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
    // Every field named: a new favourite field fails to compile here until it is sent or said
    // not to be.
    let Favourite {
        arn,
        source: _,
        profile: _,
        duration,
        session_name,
        external_id,
        mfa: _,
        region: _,
        tags,
        transitive_tags,
        source_identity,
        policy_arns,
        auto_renew: _,
        notify_before: _,
        renew_before: _,
        delivery: _,
    } = fav;
    AssumeRoleRequest {
        role_arn: arn.clone(),
        session_name: session_name.clone().unwrap_or_else(|| SessionName::traceable_from(root_identity)),
        duration: *duration,
        external_id: external_id.clone(),
        // The MFA code is asked for by the flow, for the links that need it.
        mfa: None,
        tags: tags.as_slice().to_vec(),
        transitive_tag_keys: transitive_tags.clone(),
        source_identity: source_identity.clone(),
        policy_arns: policy_arns.clone(),
        // The favourite's own region, else the default.
        region: sts_region(fav, default_region),
    }
}

/// How long a kept MFA session must still last to be used for a new AssumeRole.
pub const MFA_SESSION_MIN_LEFT_SECS: i64 = 300;

/// Whether assuming favourite `name` at `now` would ask for an MFA code: a link asks for MFA and
/// no kept MFA session (expiring at `mfa_session_expires`) covers it.
pub fn needs_mfa_code(
    config: &Config,
    name: &Name,
    mfa_session_expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let (_, chain) = config.chain(name)?;
    let covered = config.uses_mfa_session(name)?
        && mfa_session_expires.is_some_and(|e| (e - now).num_seconds() > MFA_SESSION_MIN_LEFT_SECS);
    Ok(chain.iter().enumerate().any(|(i, (_, f))| f.mfa && !(i == 0 && covered)))
}

/// Assumes favourite `name` (and every favourite it chains through) at `now`.
///
/// When its first link asks for MFA and its source holds an IAM user's keys, the first AssumeRole
/// is signed with the source's MFA session (GetSessionToken, kept in the keychain for
/// `preferences.mfa_session_hours`): one code serves every favourite of that source until the
/// session ends, and the source's keys are not even read meanwhile. A kept session STS no longer
/// accepts is forgotten and a new one asked for, once.
pub async fn assume<S: Sts, K: SecretStore>(
    config: &Config,
    name: &Name,
    sts: &S,
    keychain: &K,
    default_region: Option<&Region>,
    mfa: &mut impl MfaPrompt,
    now: DateTime<Utc>,
) -> Result<Assumed, Error> {
    let (root, chain) = config.chain(name)?;
    let links = Links { root: &root, chain: &chain, sts, default_region };
    if !config.uses_mfa_session(name)? {
        let caller = match &root.source.kind {
            SourceKind::Keychain { .. } => Caller::Keys(keychain.load(root.name)?),
            SourceKind::AwsProfile { aws_profile } => Caller::AwsProfile(aws_profile.clone()),
            SourceKind::Sso { .. } => return Err(portal_first(name, root.name)),
        };
        return links.assume(caller, false, mfa).await.map_err(|(_, e)| e);
    }
    let key_hint = match &root.source.kind {
        SourceKind::Keychain { key_hint } => key_hint.as_deref(),
        SourceKind::AwsProfile { .. } => None,
        SourceKind::Sso { .. } => return Err(portal_first(name, root.name)),
    };
    let kept = match keychain.load_mfa_session(root.name)? {
        // One minted with other keys (a source of the same name before) is never used.
        Some(k) if !k.minted_by_hint(key_hint) => {
            keychain.delete_mfa_session(root.name)?;
            None
        }
        k => k.map(|k| k.session).filter(|s| (s.expiration - now).num_seconds() > MFA_SESSION_MIN_LEFT_SECS),
    };
    if let Some(kept) = kept {
        match links.assume(Caller::Session(kept), true, mfa).await {
            // Revoked, or ended early: forget it and get a new one below.
            Err((0, Error::Sts(e))) if matches!(e.kind, StsErrorKind::Expired | StsErrorKind::UnknownKey) => {
                keychain.delete_mfa_session(root.name)?;
            }
            other => return other.map_err(|(_, e)| e),
        }
    }
    let (first_name, first) = chain[0];
    let device = root.source.mfa_serial.clone().expect("Config::uses_mfa_session checked the device");
    let code = mfa.code(first_name, &device).await?;
    let req = SessionTokenRequest {
        duration_secs: config.preferences.mfa_session_hours * 3600,
        mfa: (device, code),
        region: sts_region(first, default_region),
    };
    let keys = keychain.load(root.name)?;
    let minted_by = keys.access_key_id.clone();
    let session = sts
        .session_token(&Caller::Keys(keys), &req)
        .await
        .map_err(|e| StsError { subject: format!("source {}: MFA session", root.name), ..e })?;
    keychain.store_mfa_session(root.name, &session, &minted_by)?;
    links.assume(Caller::Session(session), true, mfa).await.map_err(|(_, e)| e)
}

/// The error for a chain whose first session the access portal hands out, asked of [`assume`].
fn portal_first(name: &Name, source: &Name) -> Error {
    Error::NeedsInput {
        subject: format!("favourite {name}"),
        what: format!("starts at IAM Identity Center source {source}, whose portal hands out the first session"),
    }
}

/// The first link of favourite `name`'s chain when its source is IAM Identity Center: the
/// account and the role name the access portal is asked for (GetRoleCredentials), from the
/// link's role ARN (`arn:aws:iam::ACCOUNT:role/NAME`, NAME being the permission set's name).
pub fn portal_role<'a>(config: &'a Config, name: &Name) -> Result<Option<(&'a Name, &'a RoleArn)>, Error> {
    let (root, chain) = config.chain(name)?;
    let SourceKind::Sso { .. } = root.source.kind else { return Ok(None) };
    let (first_name, first) = chain[0];
    Ok(Some((first_name, &first.arn)))
}

/// Assumes favourite `name`, whose chain starts at an IAM Identity Center source, at `now`: the
/// first link's session is `first` (what GetRoleCredentials gave for its account and role);
/// each next link is an AssumeRole signed with the previous session.
pub async fn assume_from_portal<S: Sts>(
    config: &Config,
    name: &Name,
    sts: &S,
    first: SessionCredentials,
    default_region: Option<&Region>,
    mfa: &mut impl MfaPrompt,
) -> Result<Assumed, Error> {
    let (root, chain) = config.chain(name)?;
    let links = Links { root: &root, chain: &chain, sts, default_region };
    links.assume_after(first, mfa).await.map_err(|(_, e)| e)
}

/// A favourite's chain, assumed link by link.
struct Links<'a, S> {
    root: &'a Root<'a>,
    chain: &'a [Link<'a>],
    sts: &'a S,
    default_region: Option<&'a Region>,
}

impl<S: Sts> Links<'_, S> {
    /// The chain after its first link, whose session is `first`.
    async fn assume_after(
        &self,
        first: SessionCredentials,
        mfa: &mut impl MfaPrompt,
    ) -> Result<Assumed, (usize, Error)> {
        let (first_name, first_fav) = self.chain[0];
        let rest =
            Links { root: self.root, chain: &self.chain[1..], sts: self.sts, default_region: self.default_region };
        if rest.chain.is_empty() {
            return Ok(Assumed {
                favourite: first_name.clone(),
                profile: first_fav.profile.clone(),
                region: first_fav.region.clone(),
                // The portal names no session: the role it stands for.
                assumed_role_arn: first_fav.arn.to_string(),
                credentials: first,
            });
        }
        rest.assume(Caller::Session(first), false, mfa).await.map_err(|(i, e)| (i + 1, e))
    }

    /// One AssumeRole per link, the first signed as `caller` (`mfa_session`: an MFA session,
    /// so the first link sends no code), each next one with the previous session. A failure
    /// comes with the index of the link it stopped at.
    async fn assume(
        &self,
        mut caller: Caller,
        mfa_session: bool,
        mfa: &mut impl MfaPrompt,
    ) -> Result<Assumed, (usize, Error)> {
        let root = self.root;
        let mut last = None;
        for (i, &(fav_name, fav)) in self.chain.iter().enumerate() {
            let mut req = request(fav, root.source.identity.as_deref(), self.default_region);
            if fav.mfa && !(i == 0 && mfa_session) {
                let device = root.source.mfa_serial.clone().ok_or_else(|| {
                    (
                        i,
                        Error::NeedsInput {
                            subject: format!("favourite {fav_name}"),
                            what: format!("needs an MFA device on source {}", root.name),
                        },
                    )
                })?;
                let code = mfa.code(fav_name, &device).await.map_err(|e| (i, e))?;
                req.mfa = Some((device, code));
            }
            let assumed = self.sts.assume_role(&caller, &req).await.map_err(|e| {
                (i, Error::Sts(StsError { subject: format!("favourite {fav_name}: assume {}", fav.arn), ..e }))
            })?;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Source, SourceKind};
    use crate::secret::SourceKeys;
    use crate::testing::{Codes, FakeSts, MemoryKeychain, t0};
    use crate::validate::RoleArn;

    /// A prompt that answers every request with 123456 (and records who asked).
    fn codes() -> Codes {
        Codes::new(&["123456"; 16])
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
        let mut codes = codes();
        let out =
            block_on(assume(&c, &n("inner"), &sts, &k, Some(&Region::parse("us-west-2").unwrap()), &mut codes, t0()))
                .unwrap();
        let calls = sts.calls.lock().unwrap();
        assert_eq!(calls.len(), 2);
        let (who1, r1) = &calls[0];
        assert_eq!(who1, "ASIAMFASESSION000001", "the first link is signed with the source's MFA session");
        assert_eq!(r1.role_arn.role_name(), "Outer");
        assert_eq!(r1.session_name.as_str(), "alice", "the default session name is traceable to the user");
        assert_eq!(r1.region.as_str(), "us-west-2", "no region of its own: the caller's default");
        assert!(r1.mfa.is_none(), "the MFA session carries the MFA context; no code is sent again");
        assert_eq!(
            *sts.session_calls.lock().unwrap(),
            vec![(
                "AKIAIOSFODNN7EXAMPLE".to_owned(),
                "arn:aws:iam::123456789012:mfa/alice".to_owned(),
                "123456".to_owned(),
                12 * 3600
            )],
            "GetSessionToken is signed with the keychain keys, with the device, the code and the preference's hours"
        );
        let (who2, r2) = &calls[1];
        assert_eq!(who2, "ASIAFAKE000000000001", "the second link is signed with the first session");
        assert_eq!(r2.session_name.as_str(), "chained");
        assert_eq!(r2.region.as_str(), "eu-west-1");
        assert!(r2.mfa.is_none());
        assert_eq!(codes.asked, vec![("outer".to_owned(), "arn:aws:iam::123456789012:mfa/alice".to_owned())]);
        assert_eq!(out.profile.as_str(), "inner");
        assert_eq!(out.assumed_role_arn, "arn:aws:sts::222222222222:assumed-role/Inner/chained");
        assert_eq!(out.credentials.access_key_id.as_str(), "ASIAFAKE000000000002");
    }

    #[test]
    fn failures_name_the_favourite_and_stop_the_chain() {
        let (c, k) = setup();
        let sts = FakeSts::default();
        sts.deny.lock().unwrap().push("Outer".into());
        let e = block_on(assume(&c, &n("inner"), &sts, &k, None, &mut codes(), t0())).unwrap_err();
        assert_eq!(e.code(), "sts.access_denied");
        assert!(
            e.to_string().starts_with("favourite outer: assume arn:aws:iam::111111111111:role/Outer: access denied"),
            "{e}"
        );
        k.delete(&n("work")).unwrap();
        let e = block_on(assume(&c, &n("inner"), &FakeSts::default(), &k, None, &mut codes(), t0())).unwrap_err();
        assert_eq!(e.to_string(), "source work: no source credentials in the keychain; store the source's keys again");
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

    #[test]
    fn one_code_serves_every_favourite_of_the_source_until_the_mfa_session_ends() {
        let (mut c, k) = setup();
        let mut other = Favourite::new(
            RoleArn::parse("arn:aws:iam::333333333333:role/Other").unwrap(),
            n("work"),
            "other".parse().unwrap(),
        );
        other.mfa = true;
        c.put_favourite(n("other"), other, false).unwrap();
        c.preferences.mfa_session_hours = 2;
        let sts = FakeSts::default();
        let mut codes = codes();
        for (name, minutes) in [("outer", 0), ("other", 1), ("inner", 30), ("outer", 60), ("other", 114)] {
            let now = t0() + chrono::Duration::minutes(minutes);
            block_on(assume(&c, &n(name), &sts, &k, None, &mut codes, now)).unwrap();
        }
        assert_eq!(codes.asked.len(), 1, "one code for five assumes within the session: {:?}", codes.asked);
        assert_eq!(sts.session_calls.lock().unwrap().len(), 1);
        let signers: Vec<String> = sts.calls.lock().unwrap().iter().map(|(w, _)| w.clone()).collect();
        assert!(
            signers.iter().filter(|w| w.starts_with("ASIAMFASESSION")).count() == 5,
            "every first link used the kept session: {signers:?}"
        );

        // Less than five minutes left on the kept session: a new code, a new session.
        let late = t0() + chrono::Duration::minutes(116);
        assert!(needs_mfa_code(&c, &n("other"), Some(t0() + chrono::Duration::hours(2)), late).unwrap());
        block_on(assume(&c, &n("other"), &sts, &k, None, &mut codes, late)).unwrap();
        assert_eq!(codes.asked.len(), 2);
        assert_eq!(
            k.load_mfa_session(&n("work")).unwrap().unwrap().session.access_key_id.as_str(),
            "ASIAMFASESSION000002"
        );

        // While the kept session lasts, the source's keys are not read at all.
        k.keys.lock().unwrap().remove("work").unwrap();
        let within = t0() + chrono::Duration::minutes(100);
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, within)).unwrap();
        assert_eq!(codes.asked.len(), 2);
    }

    #[test]
    fn a_kept_session_minted_with_other_keys_is_never_used() {
        let (mut c, k) = setup();
        let sts = FakeSts::default();
        let mut codes = codes();
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap();
        let minted = k.load_mfa_session(&n("work")).unwrap().unwrap();
        let keys = k.load(&n("work")).unwrap();
        assert_eq!(minted.minted_by.as_ref(), Some(&keys.access_key_id), "bound to the keys that made it");
        // The source is now described by other keys (say, removed and added again).
        c.sources.get_mut(&n("work")).unwrap().kind = SourceKind::Keychain { key_hint: Some("****9999".into()) };
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap();
        assert_eq!(codes.asked.len(), 2, "a new code: the kept session was not used");
        assert_eq!(sts.session_calls.lock().unwrap().len(), 2);
        // An entry that does not say which keys minted it is not trusted either.
        let mut unbound = k.load_mfa_session(&n("work")).unwrap().unwrap();
        unbound.minted_by = None;
        k.mfa_sessions.lock().unwrap().insert("work".into(), unbound);
        c.sources.get_mut(&n("work")).unwrap().kind = SourceKind::Keychain { key_hint: None };
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap();
        assert_eq!(codes.asked.len(), 3);
    }

    #[test]
    fn a_kept_session_sts_refuses_is_forgotten_and_replaced_once() {
        let (c, k) = setup();
        let sts = FakeSts::default();
        let mut codes = codes();
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap();
        sts.revoked.lock().unwrap().push("ASIAMFASESSION000001".into());
        block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap();
        assert_eq!(codes.asked.len(), 2, "the refused session cost exactly one new code");
        assert_eq!(
            k.load_mfa_session(&n("work")).unwrap().unwrap().session.access_key_id.as_str(),
            "ASIAMFASESSION000002"
        );

        // A fresh session refused too is an error, not a loop.
        sts.revoked.lock().unwrap().push("ASIAMFASESSION000002".into());
        sts.revoked.lock().unwrap().push("ASIAMFASESSION000003".into());
        let e = block_on(assume(&c, &n("outer"), &sts, &k, None, &mut codes, t0())).unwrap_err();
        assert_eq!(e.code(), "sts.expired_token");
        assert!(e.to_string().starts_with("favourite outer: assume"), "{e}");
        assert_eq!(codes.asked.len(), 3);
    }

    #[test]
    fn who_needs_a_code() {
        let (mut c, _) = setup();
        let later = Some(t0() + chrono::Duration::hours(1));
        assert!(needs_mfa_code(&c, &n("outer"), None, t0()).unwrap());
        assert!(!needs_mfa_code(&c, &n("outer"), later, t0()).unwrap());
        assert!(!needs_mfa_code(&c, &n("inner"), later, t0()).unwrap(), "chained behind the MFA link");
        assert!(needs_mfa_code(&c, &n("outer"), later, t0() + chrono::Duration::minutes(56)).unwrap());
        // A later link asking for MFA always needs its own code.
        c.favourites.get_mut(&n("inner")).unwrap().mfa = true;
        assert!(needs_mfa_code(&c, &n("inner"), later, t0()).unwrap());
        c.favourites.get_mut(&n("outer")).unwrap().mfa = false;
        c.favourites.get_mut(&n("inner")).unwrap().mfa = false;
        assert!(!needs_mfa_code(&c, &n("inner"), None, t0()).unwrap());
    }
}
