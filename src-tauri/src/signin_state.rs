//! What the tray knows of IAM Identity Center sign-ins, with no behaviour of its own (the flows
//! are in `signin.rs`): the sign-ins under way ([`SignIns`]: at most one per source), each
//! source's remembered sign-in state, whether its ended session was told and which session end
//! was warned about, and what the sign-in window shows ([`DeviceSignIn`]). A module of its own so
//! that the app state can hold it without depending on the flows.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rolecall_app::SsoStatus;
use rolecall_core::ErrorDto;
use rolecall_core::validate::Name;
use serde::Serialize;
use tokio::sync::watch;

/// Where a device-code sign-in shown in the sign-in window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeviceSignInState {
    /// Waiting for the user to confirm the code in a browser.
    Waiting,
    /// Signed in (the window closes).
    Done,
    /// The code was denied in the browser.
    Denied,
    /// The code expired before it was confirmed.
    Expired,
    /// Cancelled from the window.
    Cancelled,
    /// Anything else went wrong (see the message).
    Failed,
}

/// What the sign-in window shows (`signin_pending`, the `rolecall://signin` event): the code the
/// user confirms and where. The device code, the tokens and the client secret never leave Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DeviceSignIn {
    /// Identifies this sign-in for the window's buttons.
    pub request_id: String,
    /// The IAM Identity Center source.
    pub source: String,
    /// The code to confirm (meant to be shown).
    pub user_code: String,
    /// The page where it is confirmed.
    pub verification_uri: String,
    /// When the code stops working (RFC 3339).
    pub expires_at: String,
    /// Where the sign-in is.
    pub state: DeviceSignInState,
    /// What went wrong, for a sign-in that ended without signing in.
    pub message: Option<String>,
}

/// A device-code sign-in as shown, and the page that confirms its code at once.
pub(crate) struct Shown {
    pub(crate) view: DeviceSignIn,
    pub(crate) open_url: String,
}

/// How often the tray looks at the keychain again for a source remembered as signed out (on the
/// refresher's wake-ups, at least once a minute; nothing else reads it).
pub const RECHECK_SIGNED_OUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How a sign-in asks the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The default browser, back to a loopback redirect.
    Browser,
    /// A device code the user confirms in any browser.
    DeviceCode,
}

/// What a sign-in under way waits for (the menu says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Registering with the sign-in service, handing the browser its page.
    Starting,
    /// The browser was handed the sign-in page.
    Browser,
    /// The sign-in window shows the device code.
    Code,
}

/// The menu's view of a sign-in under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Underway {
    /// The source.
    pub source: Name,
    /// What it waits for.
    pub waiting: Waiting,
}

/// How a sign-in ended, once it has (what its joiners wait for).
pub(crate) type Outcome = Option<Result<(), ErrorDto>>;

pub(crate) struct InFlight {
    pub(crate) id: u64,
    pub(crate) flow: Flow,
    pub(crate) waiting: Waiting,
    pub(crate) done: watch::Sender<Outcome>,
    pub(crate) task: Option<tauri::async_runtime::JoinHandle<()>>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) in_flight: HashMap<Name, InFlight>,
    pub(crate) status: HashMap<Name, SsoStatus>,
    pub(crate) checked: HashMap<Name, std::time::Instant>,
    pub(crate) ended_told: HashSet<Name>,
    pub(crate) warned_for: HashMap<Name, DateTime<Utc>>,
    pub(crate) device: Option<Shown>,
    pub(crate) next: u64,
}

/// The sign-ins under way and what is known of each IAM Identity Center source's sign-in.
#[derive(Default)]
pub struct SignIns {
    inner: Mutex<Inner>,
}

impl SignIns {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("sign-ins lock")
    }

    /// The sign-ins under way, by source name.
    pub fn underway(&self) -> Vec<Underway> {
        let inner = self.lock();
        let mut v: Vec<Underway> =
            inner.in_flight.iter().map(|(s, f)| Underway { source: s.clone(), waiting: f.waiting }).collect();
        v.sort_by(|a, b| a.source.cmp(&b.source));
        v
    }

    /// Whether a sign-in of `source` is under way.
    pub fn is_underway(&self, source: &Name) -> bool {
        self.lock().in_flight.contains_key(source)
    }

    /// The remembered sign-in state of `source` at `now` (`None`: not looked at yet). A sign-in
    /// whose portal session should have ended by `now` reads as signed out.
    pub fn known(&self, source: &Name, now: DateTime<Utc>) -> Option<SsoStatus> {
        self.lock().status.get(source).map(|s| match *s {
            SsoStatus::SignedIn { ends_at: Some(end), .. } if end <= now => SsoStatus::SignedOut,
            s => s,
        })
    }

    /// The sign-in state of `source` as remembered, whatever the time.
    pub fn remembered(&self, source: &Name) -> Option<SsoStatus> {
        self.lock().status.get(source).copied()
    }

    /// Whether the end of `source`'s portal session was told (until the next sign-in).
    pub fn ended_told(&self, source: &Name) -> bool {
        self.lock().ended_told.contains(source)
    }

    /// Remembers `source`'s sign-in state (read from the keychain by the caller).
    pub fn remember(&self, source: &Name, status: SsoStatus) {
        let mut inner = self.lock();
        inner.status.insert(source.clone(), status);
        inner.checked.insert(source.clone(), std::time::Instant::now());
    }

    /// Whether `source`, remembered as signed out, is due for another look at the keychain (once
    /// per [`RECHECK_SIGNED_OUT`]: a sign-in made elsewhere, with the CLI, shows in the tray).
    pub fn recheck_due(&self, source: &Name) -> bool {
        let inner = self.lock();
        inner.status.get(source) == Some(&SsoStatus::SignedOut)
            && inner.checked.get(source).is_none_or(|at| at.elapsed() >= RECHECK_SIGNED_OUT)
    }

    /// Forgets `source`'s remembered state: the next look reads the keychain again.
    pub fn invalidate(&self, source: &Name) {
        self.lock().status.remove(source);
    }

    /// `source`'s portal session ended: remembered as signed out. Returns whether this is the
    /// first time this session's end is noted (the one the user is told of).
    pub fn ended(&self, source: &Name) -> bool {
        let mut inner = self.lock();
        inner.status.insert(source.clone(), SsoStatus::SignedOut);
        inner.checked.insert(source.clone(), std::time::Instant::now());
        inner.ended_told.insert(source.clone())
    }

    /// Whether automatic renewals of `source`'s favourites wait for a sign-in (its session
    /// ended, or it is known to be signed out).
    pub fn paused(&self, source: &Name, now: DateTime<Utc>) -> bool {
        self.lock().ended_told.contains(source) || self.known(source, now) == Some(SsoStatus::SignedOut)
    }

    /// Which portal session end of `source` the user was warned about.
    pub fn warned_for(&self, source: &Name) -> Option<DateTime<Utc>> {
        self.lock().warned_for.get(source).copied()
    }

    /// The user was warned that `source`'s portal session ends at `ends_at`.
    pub fn warned(&self, source: &Name, ends_at: DateTime<Utc>) {
        self.lock().warned_for.insert(source.clone(), ends_at);
    }

    /// `source` is signed in (a sign-in succeeded, or an assume through it did): its state is
    /// read anew, its next end told again.
    pub fn signed_in(&self, source: &Name) {
        let mut inner = self.lock();
        inner.status.remove(source);
        inner.ended_told.remove(source);
    }

    pub(crate) fn set_waiting(&self, source: &Name, id: u64, waiting: Waiting) {
        if let Some(f) = self.lock().in_flight.get_mut(source).filter(|f| f.id == id) {
            f.waiting = waiting;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn corp() -> Name {
        Name::parse("corp").unwrap()
    }

    fn at(mins: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap() + chrono::Duration::minutes(mins)
    }

    #[test]
    fn a_remembered_sign_in_reads_as_signed_out_once_its_portal_session_should_have_ended() {
        let s = SignIns::default();
        assert_eq!(s.known(&corp(), at(0)), None, "not looked at yet");
        assert!(!s.paused(&corp(), at(0)), "unknown is not paused: the first renewal finds out");
        s.remember(&corp(), SsoStatus::SignedIn { since: Some(at(0)), ends_at: Some(at(480)) });
        assert!(matches!(s.known(&corp(), at(479)), Some(SsoStatus::SignedIn { .. })));
        assert_eq!(s.known(&corp(), at(480)), Some(SsoStatus::SignedOut));
        assert!(s.paused(&corp(), at(480)), "past its end: renewals wait");
        assert!(matches!(s.remembered(&corp()), Some(SsoStatus::SignedIn { .. })), "the plan sees the end itself");
        assert!(!s.recheck_due(&corp()), "only a remembered sign-out is looked at again");
    }

    #[test]
    fn an_ended_session_is_told_once_and_a_sign_in_resumes() {
        let s = SignIns::default();
        s.remember(&corp(), SsoStatus::SignedIn { since: None, ends_at: None });
        assert!(s.ended(&corp()), "the first end is told");
        assert!(!s.ended(&corp()), "the same end is not told again");
        assert!(s.paused(&corp(), at(0)) && s.ended_told(&corp()));
        assert_eq!(s.known(&corp(), at(0)), Some(SsoStatus::SignedOut));
        assert!(!s.recheck_due(&corp()), "just looked at");
        s.signed_in(&corp());
        assert!(!s.paused(&corp(), at(0)), "signed in: renewals resume");
        assert_eq!(s.known(&corp(), at(0)), None, "read anew");
        assert!(s.ended(&corp()), "the next end is told again");
        let other = Name::parse("other").unwrap();
        assert!(!s.paused(&other, at(0)), "one source's end pauses only its own favourites");
    }

    #[test]
    fn warnings_are_remembered_per_end() {
        let s = SignIns::default();
        assert_eq!(s.warned_for(&corp()), None);
        s.warned(&corp(), at(480));
        assert_eq!(s.warned_for(&corp()), Some(at(480)));
        assert!(s.underway().is_empty() && !s.is_underway(&corp()));
    }
}
