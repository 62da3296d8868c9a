//! The use cases in-process: `Services` over the core's in-memory fakes of STS, the keychain and
//! the federation endpoint, and real files in a temporary directory. The end-to-end suite runs
//! the same use cases through the binaries against moto and a real keychain.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use rolecall_core::config::{Favourite, Preferences};
use rolecall_core::console::LoginUrl;
use rolecall_core::keychain::KeychainErrorKind;
use rolecall_core::profile::Holder;
use rolecall_core::secret::SourceKeys;
use rolecall_core::sts::{
    AssumeRoleRequest, AssumedRole, Caller, FederatedUser, FederationTokenRequest, SessionTokenRequest, Sts, StsError,
};
use rolecall_core::testing::{Codes, FakeSignin, FakeSso, FakeSts, MemoryKeychain, t0};
use rolecall_core::validate::{MfaSerial, Name, ProfileName, Region, RoleArn};
use rolecall_core::{Code, Error};

use super::*;

/// A browser that records what it was asked to open.
#[derive(Default)]
struct RecordingBrowser(Mutex<Vec<String>>);

impl Browser for RecordingBrowser {
    fn open(&self, _: &LoginUrl, subject: &str) -> Result<(), Error> {
        self.0.lock().unwrap().push(subject.to_owned());
        Ok(())
    }

    fn open_url(&self, _: &str, subject: &str) -> Result<(), Error> {
        self.0.lock().unwrap().push(subject.to_owned());
        Ok(())
    }
}

/// An STS that takes a moment over each AssumeRole and counts how many are in flight at once.
#[derive(Default)]
struct SlowSts {
    sts: FakeSts,
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

impl Sts for SlowSts {
    async fn assume_role(&self, caller: &Caller, req: &AssumeRoleRequest) -> Result<AssumedRole, StsError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let answer = self.sts.assume_role(caller, req).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        answer
    }
    async fn federation_token(&self, caller: &Caller, req: &FederationTokenRequest) -> Result<FederatedUser, StsError> {
        self.sts.federation_token(caller, req).await
    }
    async fn session_token(
        &self,
        caller: &Caller,
        req: &SessionTokenRequest,
    ) -> Result<rolecall_core::secret::SessionCredentials, StsError> {
        self.sts.session_token(caller, req).await
    }
    async fn caller_identity(&self, caller: &Caller, region: &Region) -> Result<String, StsError> {
        self.sts.caller_identity(caller, region).await
    }
}

struct Fakes;
impl Ports for Fakes {
    type Sts = FakeSts;
    type Secrets = MemoryKeychain;
    type Signin = FakeSignin;
    type Browser = RecordingBrowser;
    type Sso = FakeSso;
}

struct Slow;
impl Ports for Slow {
    type Sts = SlowSts;
    type Secrets = MemoryKeychain;
    type Signin = FakeSignin;
    type Browser = RecordingBrowser;
    type Sso = FakeSso;
}

fn paths(dir: &std::path::Path) -> Paths {
    Paths {
        config_dir: dir.join("config"),
        data_dir: dir.join("data"),
        credentials_file: dir.join(".aws/credentials"),
        aws_config_file: dir.join(".aws/config"),
        sso_cache_dir: dir.join(".aws/sso/cache"),
    }
}

fn services<P>(dir: &tempfile::TempDir, sts: P::Sts) -> Services<P>
where
    P: Ports<Secrets = MemoryKeychain, Signin = FakeSignin, Browser = RecordingBrowser, Sso = FakeSso>,
{
    let adapters = Adapters {
        sts,
        keychain: MemoryKeychain::default(),
        signin: FakeSignin::default(),
        browser: RecordingBrowser::default(),
        sso: FakeSso::default(),
    };
    Services::with_adapters(paths(dir.path()), adapters, Some(Region::parse("eu-west-1").unwrap()), None)
}

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn keys() -> SourceKeys {
    SourceKeys::parse("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").unwrap()
}

const DEVICE: &str = "arn:aws:iam::123456789012:mfa/alice";

/// Source `work` (keys in the keychain, MFA device when `mfa`), favourites `names` of it.
async fn with_favourites<P: Ports>(s: &Services<P>, names: &[&str], mfa: bool) {
    let device = mfa.then(|| MfaSerial::parse(DEVICE).unwrap());
    s.add_source(&n("work"), NewSource::Keys(keys()), device, true, None).await.unwrap();
    for (i, name) in names.iter().enumerate() {
        let mut fav = Favourite::new(
            RoleArn::parse(&format!("arn:aws:iam::1111111111{i:02}:role/Admin")).unwrap(),
            n("work"),
            ProfileName::parse(name).unwrap(),
        );
        fav.mfa = mfa;
        s.save_favourite(&n(name), fav, None).unwrap();
    }
}

fn names(list: &[&str]) -> Vec<Name> {
    list.iter().map(|s| n(s)).collect()
}

#[tokio::test]
async fn adding_a_source_verifies_it_and_keeps_its_keys_in_the_keychain_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &[], false).await;
    assert_eq!(s.inner.keychain.secret_of("work").as_deref(), Some("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
    let calls = s.inner.sts.other_calls.lock().unwrap().clone();
    assert_eq!(calls, vec![("GetCallerIdentity", "AKIAIOSFODNN7EXAMPLE".to_owned())]);
    let text = std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap();
    assert!(text.contains("****MPLE") && !text.contains("wJalrXUtnFEMI"), "{text}");
    // The same name again is refused before anything is asked or stored.
    let again = s.add_source(&n("work"), NewSource::Keys(keys()), None, true, None).await.unwrap_err();
    assert_eq!(again.code(), Code::ConfigExists, "{again}");
    assert_eq!(s.inner.sts.other_calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn renewing_many_runs_at_most_the_bound_at_once_and_keeps_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Slow>(&dir, SlowSts::default());
    let list: Vec<String> = (0..20).map(|i| format!("fav{i:02}")).collect();
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    with_favourites(&s, &list, false).await;
    let renewals = s.renew_many(&names(&list), &mut Codes::default(), Codes::default).await.unwrap();
    assert_eq!(renewals.iter().map(|r| r.favourite.as_str()).collect::<Vec<_>>(), list);
    assert!(renewals.iter().all(|r| r.outcome.is_ok()));
    assert_eq!(s.inner.sts.sts.assume_calls(), 20);
    let most = s.inner.sts.most.load(Ordering::SeqCst);
    assert_eq!(most, RENEW_CONCURRENCY, "renewals in flight at once");
    // Each profile now holds its favourite's session.
    let (_, holders) = s.holders().unwrap();
    assert!(holders.values().all(|h| matches!(h, Holder::Rolecall { .. })));
}

#[tokio::test]
async fn renewals_from_anywhere_share_the_one_bound() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Slow>(&dir, SlowSts::default());
    let list: Vec<String> = (0..12).map(|i| format!("fav{i:02}")).collect();
    let list: Vec<&str> = list.iter().map(String::as_str).collect();
    with_favourites(&s, &list, false).await;
    // As the tray's scheduler does: one task per due favourite, each calling `renew`.
    let mut tasks = tokio::task::JoinSet::new();
    for name in names(&list) {
        let s = s.clone();
        tasks.spawn(async move { s.renew(&name, &mut Codes::default()).await.map(|_| ()) });
    }
    assert!(tasks.join_all().await.into_iter().all(|r| r.is_ok()));
    assert_eq!(s.inner.sts.most.load(Ordering::SeqCst), RENEW_CONCURRENCY);
}

#[tokio::test]
async fn renewing_mfa_favourites_asks_once_one_at_a_time_and_a_cancelled_prompt_stops() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a", "b", "c"], true).await;
    let mut prompt = Codes::new(&["123456"]);
    let renewals = s.renew_many(&names(&["a", "b", "c"]), &mut prompt, Codes::default).await.unwrap();
    assert!(renewals.iter().all(|r| r.outcome.is_ok()));
    assert_eq!(prompt.asked.len(), 1, "one code serves the source's favourites");
    assert_eq!(s.inner.sts.session_calls.lock().unwrap().len(), 1);

    // With the MFA session forgotten, the prompt is asked again; dismissed, nothing more is renewed.
    s.forget_mfa_session(&n("work")).unwrap();
    let before = s.inner.sts.assume_calls();
    let renewals = s.renew_many(&names(&["a", "b", "c"]), &mut Codes::default(), Codes::default).await.unwrap();
    assert_eq!(renewals.len(), 1);
    assert_eq!(renewals[0].outcome.as_ref().unwrap_err().code(), Code::Cancelled);
    assert_eq!(s.inner.sts.assume_calls(), before);
}

#[tokio::test]
async fn renewing_an_unknown_favourite_renews_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a", "b"], false).await;
    let e = s.renew_many(&names(&["a", "nope", "b"]), &mut Codes::default(), Codes::default).await.unwrap_err();
    assert_eq!(e.code(), Code::ConfigNotFound, "{e}");
    assert_eq!(s.inner.sts.assume_calls(), 0);
}

#[tokio::test]
async fn a_failing_renewal_leaves_the_others_and_the_old_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a", "b"], false).await;
    s.assume(&n("a"), &mut Codes::default(), false).await.unwrap();
    let old = s.current_session(&n("a"), t0(), None).unwrap().unwrap();
    s.inner.sts.deny.lock().unwrap().push("Admin".into());
    let renewals = s.renew_many(&names(&["a", "b"]), &mut Codes::default(), Codes::default).await.unwrap();
    assert!(renewals.iter().all(|r| r.outcome.as_ref().is_err_and(|e| e.code() == Code::StsAccessDenied)));
    assert_eq!(renewals[0].previous_expiration, Some(old.expiration));
    let kept = s.current_session(&n("a"), t0(), None).unwrap().unwrap();
    assert_eq!(kept.access_key_id, old.access_key_id, "the old session stays");
}

#[tokio::test]
async fn a_session_is_reused_while_enough_of_it_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a"], false).await;
    let first = s.usable_session(&n("a"), t0(), &mut Codes::default()).await.unwrap();
    assert_eq!(s.inner.sts.assume_calls(), 1);
    let expires: DateTime<Utc> = first.expiration;
    let still = expires - REUSE_MIN_LEFT - Duration::seconds(1);
    let reused = s.usable_session(&n("a"), still, &mut Codes::default()).await.unwrap();
    assert_eq!(reused.access_key_id, first.access_key_id);
    assert_eq!(s.inner.sts.assume_calls(), 1);
    let renewed = s.usable_session(&n("a"), expires - REUSE_MIN_LEFT, &mut Codes::default()).await.unwrap();
    assert_ne!(renewed.access_key_id, first.access_key_id);
    assert_eq!(s.inner.sts.assume_calls(), 2);
}

#[tokio::test]
async fn the_default_profile_follows_its_favourite_and_goes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a", "b"], false).await;
    let creds = s.usable_session(&n("a"), t0(), &mut Codes::default()).await.unwrap();
    s.make_default(&n("a"), &creds).unwrap();
    assert!(s.holds_default(&n("a")).unwrap());
    let renewed = s.assume(&n("a"), &mut Codes::default(), false).await.unwrap();
    let text = std::fs::read_to_string(dir.path().join(".aws/credentials")).unwrap();
    let id = renewed.assumed.credentials.access_key_id.as_str().to_owned();
    assert_eq!(text.matches(&id).count(), 2, "[a] and [default] hold the new session:\n{text}");
    s.remove_favourite(&n("a")).unwrap();
    let text = std::fs::read_to_string(dir.path().join(".aws/credentials")).unwrap();
    assert!(!text.contains("[default]") && !text.contains(&id), "{text}");
}

#[tokio::test]
async fn a_process_favourite_never_becomes_the_default_profile() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a"], false).await;
    let creds = s.credentials(&n("a"), &mut Codes::default()).await.unwrap();
    let toml = dir.path().join("config/config.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("[roles.a]\n", "[roles.a]\ndelivery = \"process\"\n")).unwrap();
    let e = s.make_default(&n("a"), &creds).unwrap_err();
    assert!(e.to_string().contains("served, never written"), "{e}");
    assert!(!dir.path().join(".aws/credentials").exists(), "nothing written");
}

#[tokio::test]
async fn preferences_are_checked_before_they_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    let good = Preferences { notify_before_minutes: 20, ..Preferences::default() };
    assert_eq!(s.set_preferences(good.clone()).unwrap().preferences, good);
    let bad = Preferences { notify_before_minutes: 0, ..Preferences::default() };
    assert!(s.set_preferences(bad).is_err());
    assert_eq!(s.config().unwrap().preferences, good, "a refused change writes nothing");
}

#[tokio::test]
async fn an_import_reports_what_it_added_and_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(
        dir.path().join(".aws/config"),
        "[profile base]\nregion = eu-west-1\n\n\
         [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n\n\
         [profile deep]\nrole_arn = arn:aws:iam::123456789012:role/Deep\nsource_profile = admin\n\n\
         [profile odd]\nrole_arn = arn:aws:iam::123456789012:role/Odd\ncredential_source = Ec2InstanceMetadata\n",
    )
    .unwrap();
    let report = s.import(&ImportChoice::All).unwrap();
    let got: Vec<(&str, &str, bool)> =
        report.favourites.iter().map(|f| (f.name.as_str(), f.from_profile.as_str(), f.chained)).collect();
    assert_eq!(got, vec![("admin", "admin", false), ("deep", "deep", true)]);
    assert!(
        matches!(&report.sources[..], [ImportedSource::Added { name, aws_profile, .. }] if name.as_str() == "base" && aws_profile.as_str() == "base"),
        "{:?}",
        report.sources
    );
    assert_eq!(report.skipped.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), vec!["odd"]);
    // Once imported, nothing is left to import and nothing changes.
    let before = std::fs::read(dir.path().join("config/config.toml")).unwrap();
    let again = s.import(&ImportChoice::All).unwrap();
    assert!(again.favourites.is_empty() && again.sources.is_empty());
    assert_eq!(std::fs::read(dir.path().join("config/config.toml")).unwrap(), before);
}

#[tokio::test]
async fn removing_a_source_says_when_its_keys_stay_behind() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &[], false).await;
    *s.inner.keychain.fail_with.lock().unwrap() = Some(KeychainErrorKind::Locked);
    assert_eq!(s.keychain_locked(), Some(true));
    let left = s.remove_source(&n("work")).unwrap().expect("the keychain refused");
    assert_eq!(left.error().kind, KeychainErrorKind::Locked);
    assert!(matches!(left, LeftBehind::Keys(_)));
    assert_eq!(left.message(&n("work")), keys_left_behind(&n("work"), left.error()));
    assert!(left.message(&n("work")).contains("source:work"));
    assert!(s.config().unwrap().sources.is_empty(), "config.toml no longer has it");
}

#[tokio::test]
async fn removing_an_sso_source_deletes_its_sign_in_or_says_it_stays() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_sso_favourites(&s);
    s.remove_favourite(&n("deep")).unwrap();
    s.remove_favourite(&n("prod")).unwrap();
    s.sso_sign_in_device(&n("corp"), |_| {}).await.unwrap();
    assert!(s.inner.keychain.sso.lock().unwrap().contains_key("corp"));
    assert!(s.remove_source(&n("corp")).unwrap().is_none());
    assert!(!s.inner.keychain.sso.lock().unwrap().contains_key("corp"), "the sign-in went with it");

    with_sso_favourites(&s);
    *s.inner.keychain.fail_with.lock().unwrap() = Some(KeychainErrorKind::Locked);
    s.remove_favourite(&n("deep")).unwrap();
    s.remove_favourite(&n("prod")).unwrap();
    let left = s.remove_source(&n("corp")).unwrap().expect("the keychain refused");
    assert!(matches!(left, LeftBehind::SignIn(_)));
    assert!(left.message(&n("corp")).contains("sso:corp and sso-token:corp"), "{}", left.message(&n("corp")));
}

#[tokio::test]
async fn the_console_link_goes_to_the_browser_and_a_source_signs_in_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a"], false).await;
    let url = s.console_url(&n("a"), None, None, &mut Codes::default(), t0(), false).await.unwrap();
    assert!(url.expose().contains("SigninToken=issued"));
    s.open_in_browser(&url, "favourite a: console").unwrap();
    assert_eq!(*s.inner.browser.0.lock().unwrap(), vec!["favourite a: console".to_owned()]);
    s.console_url_for_source(&n("work"), None, None, false).await.unwrap();
    let calls = s.inner.sts.other_calls.lock().unwrap().clone();
    assert_eq!(calls.last(), Some(&("GetFederationToken", "AKIAIOSFODNN7EXAMPLE".to_owned())));
    assert_eq!(s.inner.signin.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn sessions_never_read_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a"], true).await;
    s.assume(&n("a"), &mut Codes::new(&["123456"]), false).await.unwrap();
    let calls = *s.inner.keychain.calls.lock().unwrap();
    let sessions = s.sessions(t0()).unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(!sessions[0].needs_mfa, "the kept MFA session covers it, as this process saw");
    assert!(sessions[0].uses_keychain);
    assert_eq!(*s.inner.keychain.calls.lock().unwrap(), calls);
}

/// Source `corp` (IAM Identity Center) and favourite `prod` of its Production account's
/// AdministratorAccess role, then `deep` chained from it.
fn with_sso_favourites(s: &Services<Fakes>) {
    let url = rolecall_core::sso::StartUrl::parse("https://d-1234567890.awsapps.com/start").unwrap();
    let settings = crate::SsoSourceSettings {
        start_url: url,
        region: Region::parse("eu-west-1").unwrap(),
        sso_session: None,
        share_with_aws_cli: false,
        session_minutes: None,
    };
    s.add_sso_source(&n("corp"), settings).unwrap();
    let prod = Favourite::new(
        RoleArn::parse("arn:aws:iam::111111111111:role/AdministratorAccess").unwrap(),
        n("corp"),
        ProfileName::parse("prod").unwrap(),
    );
    s.save_favourite(&n("prod"), prod, None).unwrap();
    let deep = Favourite::new(
        RoleArn::parse("arn:aws:iam::222222222222:role/Deep").unwrap(),
        n("prod"),
        ProfileName::parse("deep").unwrap(),
    );
    s.save_favourite(&n("deep"), deep, None).unwrap();
}

#[tokio::test]
async fn an_sso_source_signs_in_with_a_device_code_and_its_favourites_assume_through_the_portal() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_sso_favourites(&s);
    // Before any sign-in: a clear error, nothing asked of the portal.
    let e = s.assume(&n("prod"), &mut Codes::default(), false).await.unwrap_err();
    assert_eq!(e.code(), Code::SsoSignedOut, "{e}");
    assert_eq!(s.inner.sso.count("GetRoleCredentials"), 0);

    let mut shown = Vec::new();
    s.sso_sign_in_device(&n("corp"), |auth| shown.push(auth.user_code.clone())).await.unwrap();
    assert_eq!(shown, vec!["ABCD-EFGH".to_owned()]);
    assert_eq!(s.inner.sso.count("CreateToken:urn:ietf:params:oauth:grant-type:device_code"), 2, "pending once");
    let kept = s.inner.keychain.sso.lock().unwrap().get("corp").cloned().expect("the sign-in is kept");
    assert!(kept.token.is_some());

    let prod = s.assume(&n("prod"), &mut Codes::default(), false).await.unwrap();
    assert_eq!(prod.assumed.credentials.access_key_id.as_str(), "ASIAPORTAL0000000001");
    assert_eq!(s.inner.sts.assume_calls(), 0, "the portal's session is the first link");
    let text = std::fs::read_to_string(dir.path().join(".aws/credentials")).unwrap();
    assert!(text.contains("[prod]") && text.contains("ASIAPORTAL0000000001"), "{text}");

    // A chain from an SSO role: AssumeRole signed with the portal's session.
    s.assume(&n("deep"), &mut Codes::default(), false).await.unwrap();
    let calls = s.inner.sts.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "ASIAPORTAL0000000002");
    assert_eq!(calls[0].1.role_arn.as_str(), "arn:aws:iam::222222222222:role/Deep");
}

#[tokio::test]
async fn the_sign_in_is_refreshed_silently_and_an_ended_portal_session_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_sso_favourites(&s);
    assert_eq!(s.sso_status(&n("corp"), chrono::Utc::now()).unwrap(), crate::SsoStatus::SignedOut);
    s.sso_sign_in_device(&n("corp"), |_| {}).await.unwrap();
    let now = chrono::Utc::now();
    let crate::SsoStatus::SignedIn { since: Some(since), ends_at: Some(ends_at) } =
        s.sso_status(&n("corp"), now).unwrap()
    else {
        panic!("signed in, with its times")
    };
    assert!(since <= now);
    assert_eq!(ends_at - since, chrono::Duration::hours(8), "AWS's default portal session");
    assert_eq!(s.sso_status(&n("corp"), ends_at).unwrap(), crate::SsoStatus::SignedOut, "past its length");
    let first = s.sso_token(&n("corp"), now).await.unwrap();
    assert_eq!(s.inner.sso.count("CreateToken:refresh_token"), 0, "a fresh token is used as it is");
    // Five minutes before it ends: refreshed, with no browser and no device code.
    let later = first.expires_at - REFRESH_LEAD;
    let second = s.sso_token(&n("corp"), later).await.unwrap();
    assert_eq!(s.inner.sso.count("CreateToken:refresh_token"), 1);
    assert_eq!(s.inner.sso.count("StartDeviceAuthorization"), 1);
    assert!(second.expires_at > first.expires_at);
    // The refreshed token is kept: asking again at the same moment does not refresh again.
    s.sso_token(&n("corp"), later).await.unwrap();
    assert_eq!(s.inner.sso.count("CreateToken:refresh_token"), 1);

    *s.inner.sso.signed_out.lock().unwrap() = true;
    let e = s.sso_token(&n("corp"), second.expires_at).await.unwrap_err();
    assert_eq!(e.code(), Code::SsoSignedOut, "{e}");
    assert!(e.to_string().starts_with("source corp: refresh the sign-in: the access portal session has ended"), "{e}");
    // The portal said so: the tokens are forgotten (the state shows it at once), the registration kept.
    assert_eq!(s.sso_status(&n("corp"), second.expires_at).unwrap(), crate::SsoStatus::SignedOut);
    let kept = s.inner.keychain.sso.lock().unwrap().get("corp").cloned().expect("the registration stays");
    assert!(kept.token.is_none() && kept.signed_in_at.is_none());
    let before = std::fs::read(dir.path().join(".aws/credentials")).ok();
    let e = s.assume(&n("prod"), &mut Codes::default(), false).await.unwrap_err();
    assert_eq!(e.code(), Code::SsoSignedOut);
    assert_eq!(std::fs::read(dir.path().join(".aws/credentials")).ok(), before, "nothing written");
}

#[tokio::test]
async fn the_portal_roles_are_listed_page_by_page_and_an_unassigned_role_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    *s.inner.sso.accounts.lock().unwrap() = (0..5)
        .map(|i| (format!("10000000000{i}"), format!("Account {i}"), vec!["B".into(), "A".into(), "C".into()]))
        .collect();
    with_sso_favourites(&s);
    s.sso_sign_in_device(&n("corp"), |_| {}).await.unwrap();
    let roles = s.sso_roles(&n("corp")).await.unwrap();
    assert_eq!(roles.len(), 5);
    assert!(roles.iter().all(|r| r.roles == ["A", "B", "C"]), "{roles:?}");
    assert_eq!(s.inner.sso.count("ListAccounts"), 3, "pages of two");
    assert_eq!(s.inner.sso.count("ListAccountRoles"), 10, "two pages per account");
    // prod's account is not among them now.
    let e = s.assume(&n("prod"), &mut Codes::default(), false).await.unwrap_err();
    assert_eq!(e.code(), Code::SsoNoAccess, "{e}");
    assert!(
        e.to_string().starts_with("favourite prod: role arn:aws:iam::111111111111:role/AdministratorAccess"),
        "{e}"
    );
}

fn portal_pick(id: &str, account: &str, role: &str) -> rolecall_core::portal_names::PortalPick {
    rolecall_core::portal_names::PortalPick {
        account_id: id.into(),
        account_name: account.into(),
        role_name: role.into(),
    }
}

#[tokio::test]
async fn portal_roles_become_favourites_all_at_once_named_by_the_pattern_or_none_do() {
    use rolecall_core::portal_names::NamePattern;
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    with_sso_favourites(&s);
    // A profile another tool wrote: no new favourite takes its name.
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(dir.path().join(".aws/credentials"), "[Dev-ReadOnly]\naws_access_key_id = AKIAOTHER\n").unwrap();
    std::fs::write(dir.path().join(".aws/config"), "[profile Dev-Admin]\nregion = eu-west-1\n").unwrap();
    let picks = [
        portal_pick("333333333333", "Dev", "ReadOnly"),
        portal_pick("333333333333", "Dev", "Admin"),
        portal_pick("444444444444", "Zürich Ops", "Admin"),
        portal_pick("555555555555", "prod", "X"),
    ];
    let pattern = NamePattern::parse("ACCOUNTNAME-ROLENAME").unwrap();
    let preview = s.portal_favourite_names(&n("corp"), &picks, &pattern).unwrap();
    let before = std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap();
    let added = s.add_portal_favourites(&n("corp"), &picks, &pattern).unwrap();
    assert_eq!(added, names(&["Dev-ReadOnly-2", "Dev-Admin-2", "Zurich-Ops-Admin", "prod-X"]));
    assert_eq!(preview, added, "the preview is what is added");
    let config = s.config().unwrap();
    let fav = &config.favourites[&n("Zurich-Ops-Admin")];
    assert_eq!(fav.arn.as_str(), "arn:aws:iam::444444444444:role/Admin");
    assert_eq!((fav.source.as_str(), fav.profile.as_str()), ("corp", "Zurich-Ops-Admin"));
    assert_ne!(std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap(), before);
    let known = s.portal_favourites(&n("corp")).unwrap();
    assert_eq!(known[&("111111111111".into(), "AdministratorAccess".into())], n("prod"));
    assert_eq!(known.len(), 5, "prod and the four new ones; deep is chained, not a portal role: {known:?}");

    // All or nothing: one bad pick, named, and config.toml stays as it was.
    let before = std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap();
    let bad = [portal_pick("666666666666", "Sandbox", "Admin"), portal_pick("12345", "Broken", "Admin")];
    let e = s.add_portal_favourites(&n("corp"), &bad, &pattern).unwrap_err();
    assert_eq!(e.code(), Code::InputInvalid);
    assert_eq!(e.to_string(), "portal role: Admin in account 12345: the account id must be 12 digits");
    let again = [portal_pick("666666666666", "Sandbox", "Admin"), portal_pick("333333333333", "Dev", "Admin")];
    let e = s.add_portal_favourites(&n("corp"), &again, &pattern).unwrap_err();
    assert_eq!(
        e.to_string(),
        "portal role: Admin in account 333333333333: already is favourite Dev-Admin-2; pick the roles that are not"
    );
    let twice = [portal_pick("666666666666", "Sandbox", "Admin"), portal_pick("666666666666", "Sandbox", "Admin")];
    let e = s.add_portal_favourites(&n("corp"), &twice, &pattern).unwrap_err();
    assert!(e.to_string().ends_with("is picked twice; pick each role once"), "{e}");
    assert_eq!(std::fs::read_to_string(dir.path().join("config/config.toml")).unwrap(), before, "nothing added");
    // Only an IAM Identity Center source has portal roles.
    with_favourites(&s, &[], false).await;
    let e = s.add_portal_favourites(&n("work"), &bad[..1], &pattern).unwrap_err();
    assert_eq!(e.to_string(), "source work: is not an IAM Identity Center source");
}

#[tokio::test]
async fn the_sso_session_blocks_of_the_aws_config_are_offered() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    assert!(s.sso_session_blocks().unwrap().is_empty(), "no AWS config file: none");
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(
        dir.path().join(".aws/config"),
        "[profile a]\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n[sso-session half]\nsso_region = us-east-1\n[sso-sessionx]\n",
    )
    .unwrap();
    let blocks = s.sso_session_blocks().unwrap();
    assert_eq!(
        blocks,
        [
            crate::SsoSessionBlock {
                name: "corp".into(),
                start_url: Some("https://corp.awsapps.com/start".into()),
                region: Some("eu-west-1".into())
            },
            crate::SsoSessionBlock { name: "half".into(), start_url: None, region: Some("us-east-1".into()) },
        ]
    );
}

#[tokio::test]
async fn a_discovery_is_kept_private_shown_from_disk_and_removed_with_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let s = services::<Fakes>(&dir, FakeSts::default());
    *s.inner.sso.accounts.lock().unwrap() =
        (0..3).map(|i| (format!("10000000000{i}"), format!("Account {i}"), vec!["B".into(), "A".into()])).collect();
    with_sso_favourites(&s);
    assert_eq!(s.sso_roles_cached(&n("corp")).unwrap(), None, "nothing listed yet");
    s.sso_sign_in_device(&n("corp"), |_| {}).await.unwrap();
    let progress = std::sync::Mutex::new(Vec::new());
    let listed = s.sso_discover(&n("corp"), |p| progress.lock().unwrap().push(p.clone())).await.unwrap();
    assert_eq!(listed.roles.len(), 3);
    let last = progress.into_inner().unwrap().pop().unwrap();
    assert_eq!((last.accounts_listed, last.accounts_done, last.all_accounts_listed), (3, 3, true));
    let calls = s.inner.sso.count("ListAccountRoles");

    let cached = s.sso_roles_cached(&n("corp")).unwrap().expect("kept");
    assert_eq!(cached, listed, "the same listing, fetched_at too");
    assert_eq!(s.inner.sso.count("ListAccountRoles"), calls, "from disk: no portal call");
    let file = dir.path().join("data/sso-roles/corp.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("Account 1") && !text.contains("access-"), "names, no token: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Not a listing to show: corrupt, from a newer rolecall, of another portal.
    for (bad, why) in [
        ("{not json".to_owned(), "corrupt"),
        (text.replace("\"version\": 1", "\"version\": 2"), "newer"),
        (text.replace("d-1234567890", "d-0000000000"), "another portal"),
    ] {
        assert_ne!(bad, text, "{why}");
        std::fs::write(&file, &bad).unwrap();
        assert_eq!(s.sso_roles_cached(&n("corp")).unwrap(), None, "{why}");
    }
    std::fs::write(&file, &text).unwrap();
    assert!(s.sso_roles_cached(&n("corp")).unwrap().is_some());

    s.remove_favourite(&n("deep")).unwrap();
    s.remove_favourite(&n("prod")).unwrap();
    s.remove_source(&n("corp")).unwrap();
    assert!(!file.exists(), "removed with the source");
}

/// Source `work` and favourite `name` with `delivery = "process"`, its line naming a stand-in CLI.
async fn with_process_favourite<P: Ports>(s: &Services<P>, name: &str) {
    with_favourites(s, &[], false).await;
    let mut fav = Favourite::new(
        RoleArn::parse("arn:aws:iam::111111111100:role/Admin").unwrap(),
        n("work"),
        ProfileName::parse(name).unwrap(),
    );
    fav.delivery = rolecall_core::config::Delivery::Process;
    s.save_favourite(&n(name), fav, None).unwrap();
}

fn process_services<P>(dir: &tempfile::TempDir, sts: P::Sts) -> Services<P>
where
    P: Ports<Secrets = MemoryKeychain, Signin = FakeSignin, Browser = RecordingBrowser, Sso = FakeSso>,
{
    services::<P>(dir, sts).with_cli(dir.path().join("bin/rolecall"))
}

#[tokio::test]
async fn a_process_favourites_session_is_held_tracked_and_served_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Fakes>(&dir, FakeSts::default());
    with_process_favourite(&s, "p").await;
    // The first request assumes; the session is held, not written.
    let first = s.serve(&n("p"), &mut Codes::default()).await.unwrap();
    assert!(first.renewed);
    assert_eq!(s.inner.sts.assume_calls(), 1);
    let creds = std::fs::read_to_string(dir.path().join(".aws/credentials")).unwrap_or_default();
    assert!(!creds.contains(first.credentials.access_key_id.as_str()), "{creds}");
    let config = std::fs::read_to_string(dir.path().join(".aws/config")).unwrap();
    assert!(config.contains("credential_process = ") && config.contains("rolecall credentials p"), "{config}");
    // Later requests answer from memory, with no STS call and no keychain read.
    let keychain_calls = *s.inner.keychain.calls.lock().unwrap();
    for _ in 0..5 {
        let again = s.serve(&n("p"), &mut Codes::default()).await.unwrap();
        assert!(!again.renewed);
        assert_eq!(again.credentials.access_key_id, first.credentials.access_key_id);
    }
    assert_eq!(s.inner.sts.assume_calls(), 1);
    assert_eq!(*s.inner.keychain.calls.lock().unwrap(), keychain_calls);
    // Tracked like a written session: the scheduler, the menu and the console see it.
    let sessions = s.sessions(Utc::now()).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].span.expires, first.credentials.expiration);
    let (_, holders) = s.holders().unwrap();
    assert!(matches!(&holders[&n("p")], Holder::Rolecall { favourite, .. } if favourite == "p"));
    let reused = s.reusable_session(&n("p"), Utc::now()).unwrap().expect("held");
    assert_eq!(reused.access_key_id, first.credentials.access_key_id);
    // A renewal (the scheduler's) replaces what is held.
    let renewed = s.renew(&n("p"), &mut Codes::default()).await.unwrap();
    let served = s.serve(&n("p"), &mut Codes::default()).await.unwrap();
    assert_eq!(served.credentials.access_key_id, renewed.assumed.credentials.access_key_id);
    assert_eq!(s.inner.sts.assume_calls(), 2);
    // Switched back to `file`: nothing held counts any more.
    let toml = dir.path().join("config/config.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("delivery = \"process\"\n", "")).unwrap();
    assert!(s.sessions(Utc::now()).unwrap().is_empty());
    assert!(s.current_session(&n("p"), Utc::now(), None).unwrap().is_none());
}

#[tokio::test]
async fn a_burst_of_requests_makes_one_renewal_and_a_failed_one_is_not_retried_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Slow>(&dir, SlowSts::default());
    with_process_favourite(&s, "p").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let s = s.clone();
        tasks.spawn(async move { s.serve(&n("p"), &mut Codes::default()).await.map(|c| c.credentials.access_key_id) });
    }
    let ids: Vec<_> = tasks.join_all().await.into_iter().map(Result::unwrap).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "all ten got the one session");
    assert_eq!(s.inner.sts.sts.assume_calls(), 1);

    // Throttled: the failure is given again during the pause, with no new STS call.
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Fakes>(&dir, FakeSts::default());
    with_process_favourite(&s, "p").await;
    *s.inner.sts.fail_next.lock().unwrap() =
        vec![rolecall_core::sts::StsErrorKind::Throttled, rolecall_core::sts::StsErrorKind::Throttled];
    let first = s.serve(&n("p"), &mut Codes::default()).await.unwrap_err();
    assert_eq!(first.code(), Code::StsThrottled);
    for _ in 0..5 {
        assert_eq!(s.serve(&n("p"), &mut Codes::default()).await.unwrap_err().code(), Code::StsThrottled);
    }
    assert_eq!(s.inner.sts.fail_next.lock().unwrap().len(), 1, "STS was asked once");
}

#[tokio::test]
async fn serving_a_favourite_that_needs_a_code_asks_only_the_prompt_given() {
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["m"], true).await;
    let mut refuse = Codes::default();
    let e = s.serve(&n("m"), &mut refuse).await.unwrap_err();
    assert_eq!(e.code(), Code::Cancelled, "the prompt's refusal comes back: {e}");
    assert_eq!(refuse.asked.len(), 1);
    assert_eq!(s.inner.sts.assume_calls(), 0);
    assert_eq!(s.inner.sts.session_calls.lock().unwrap().len(), 0);
    // Asked again at once: the same answer, and the prompt is not asked again meanwhile.
    let mut refuse = Codes::default();
    assert_eq!(s.serve(&n("m"), &mut refuse).await.unwrap_err().code(), Code::Cancelled);
    assert!(refuse.asked.is_empty());
    // With a code, a click's assume holds the session, and the next request is served from it.
    let mut fav = s.config().unwrap().favourites[&n("m")].clone();
    fav.delivery = rolecall_core::config::Delivery::Process;
    s.save_favourite(&n("m"), fav, Some(&n("m"))).unwrap();
    let clicked = s.assume(&n("m"), &mut Codes::new(&["123456"]), false).await.unwrap();
    let served = s.serve(&n("m"), &mut Codes::default()).await.unwrap();
    assert_eq!(served.credentials.access_key_id, clicked.assumed.credentials.access_key_id);
}

/// Turns "Never write secrets to disk" on.
fn never_write_secrets<P: Ports>(s: &Services<P>) {
    let prefs = Preferences { never_write_secrets: true, ..s.config().unwrap().preferences };
    s.set_preferences(prefs).unwrap();
}

#[tokio::test]
async fn never_writing_secrets_makes_imported_and_portal_favourites_process_ones() {
    use rolecall_core::config::Delivery;
    use rolecall_core::portal_names::NamePattern;
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Fakes>(&dir, FakeSts::default());
    never_write_secrets(&s);
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    let user = "[profile base]\nregion = eu-west-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/Admin\nsource_profile = base\n";
    std::fs::write(dir.path().join(".aws/config"), user).unwrap();
    let report = s.import(&ImportChoice::All).unwrap();
    assert_eq!(report.favourites.len(), 1);
    let fav = &s.config().unwrap().favourites[&report.favourites[0].name];
    assert_eq!(fav.delivery, Delivery::Process);
    let config = std::fs::read_to_string(dir.path().join(".aws/config")).unwrap();
    assert!(config.starts_with(user), "the user's lines as they were:\n{config}");
    assert!(config.contains(&format!("rolecall credentials {}", report.favourites[0].name)), "{config}");

    with_sso_favourites(&s);
    let pattern = NamePattern::parse("ACCOUNTNAME-ROLENAME").unwrap();
    let added =
        s.add_portal_favourites(&n("corp"), &[portal_pick("333333333333", "Dev", "ReadOnly")], &pattern).unwrap();
    assert_eq!(s.config().unwrap().favourites[&added[0]].delivery, Delivery::Process);
    let config = std::fs::read_to_string(dir.path().join(".aws/config")).unwrap();
    assert!(config.contains("rolecall credentials Dev-ReadOnly"), "{config}");
}

#[tokio::test]
async fn converting_removes_the_secrets_from_the_credentials_file_and_leaves_the_default_profile_unless_named() {
    use rolecall_core::config::Delivery;
    let dir = tempfile::tempdir().unwrap();
    let s = process_services::<Fakes>(&dir, FakeSts::default());
    with_favourites(&s, &["a", "b", "c"], false).await;
    let mut keys = Vec::new();
    for name in ["a", "b", "c"] {
        keys.push(s.assume(&n(name), &mut Codes::default(), false).await.unwrap().assumed.credentials);
    }
    s.make_default(&n("a"), &keys[0]).unwrap();
    let credentials = dir.path().join(".aws/credentials");
    let mine = "[mine]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = keep\n";
    let text = std::fs::read_to_string(&credentials).unwrap();
    std::fs::write(&credentials, format!("{mine}\n{text}")).unwrap();
    assert_eq!(s.file_favourites().unwrap(), names(&["a", "b", "c"]));

    never_write_secrets(&s);
    let done = s.convert_to_process(&[]).unwrap();
    assert_eq!(done.converted, names(&["b", "c"]));
    assert_eq!(done.skipped.len(), 1);
    assert_eq!(done.skipped[0].0, n("a"));
    assert!(done.skipped[0].1.contains("default profile"), "{:?}", done.skipped);
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert!(text.starts_with(mine), "the user's section as it was:\n{text}");
    for (k, gone) in keys.iter().zip([false, true, true]) {
        assert_eq!(!text.contains(k.access_key_id.as_str()), gone, "{text}");
        assert_eq!(!text.contains(k.secret()), gone, "{text}");
    }
    let config = s.config().unwrap();
    assert_eq!(config.favourites[&n("b")].delivery, Delivery::Process);
    assert_eq!(config.favourites[&n("a")].delivery, Delivery::File);
    assert_eq!(s.file_favourites().unwrap(), names(&["a"]));
    // Named, the default profile's favourite goes too, and `[default]` with it.
    let done = s.convert_to_process(&names(&["a", "b"])).unwrap();
    assert_eq!(done.converted, names(&["a"]));
    assert_eq!(done.skipped, vec![(n("b"), "is served through credential_process already".to_owned())]);
    let text = std::fs::read_to_string(&credentials).unwrap();
    assert_eq!(text.trim_end(), mine.trim_end(), "only the user's section is left");
    assert_eq!(s.convert_to_process(&names(&["nope"])).unwrap_err().code(), Code::ConfigNotFound);
}
