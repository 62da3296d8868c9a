//! Desktop notifications: shows the core's [`Notice`]s, keeps at most one per favourite and one per
//! IAM Identity Center source's sign-in (a new one replaces the last), closes a favourite's
//! notification once its session is renewed (a source's once it is signed in again), and tells
//! which [`Button`] the user clicked (the app turns it into an action). The desktop backends are
//! in `desktop.rs` ([`Desktop`]), the Linux D-Bus listeners in [`linux`].
//!
//! - **Linux** (and other freedesktop systems): notify-rust over D-Bus with the *Renew* and *Open
//!   rolecall* buttons. One listener connection, subscribed before the first notification is
//!   shown, receives every `ActionInvoked` and `NotificationClosed` signal (no thread per
//!   notification, no click lost to a late subscription). Any program on the session bus can
//!   emit those signals, so only those sent by the connection that owns
//!   `org.freedesktop.Notifications` count (and, for logind's `PrepareForSleep`, the owner of
//!   `org.freedesktop.login1`); see [`linux`]. Bodies are escaped ([`escape_markup`]) for a server
//!   that announces the `body-markup` capability, and sent as they are to one that shows text.
//! - **macOS and Windows**: notify-rust with the same buttons (a toast's buttons on Windows; on
//!   macOS the main button and an *Options* menu); each notification's click comes back on a
//!   thread of its own. Untested here (the suite runs on Linux).

use std::collections::HashMap;
use std::sync::Mutex;

use rolecall_core::notice::{ACTION_DEFAULT, ACTION_OPEN, ACTION_RENEW, ACTION_SIGN_IN, Notice};
use rolecall_core::validate::Name;

mod desktop;
#[cfg(target_os = "linux")]
pub mod linux;

pub use desktop::{Desktop, escape_markup};

/// A button the user clicked on one of rolecall's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    /// *Renew* on a favourite's notification.
    Renew(Name),
    /// *Open rolecall*, or the notification itself.
    Open,
    /// *Sign in* on an IAM Identity Center source's notification (its sign-in ended or ends soon).
    SignIn(Name),
}

/// Where notifications go: the desktop, or a recorder in tests.
pub trait Backend: Send + Sync {
    /// Shows `notice` (replacing notification `replaces`, if given); returns its id.
    fn show(&self, notice: &Notice, replaces: Option<u32>) -> Result<u32, String>;
    /// Closes notification `id`.
    fn close(&self, id: u32);
}

/// What a notification is about: a favourite, or an IAM Identity Center source's sign-in (a
/// source and a favourite may share a name, so each has its own notification).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Favourite(Name),
    Source(Name),
}

impl Subject {
    fn of(notice: &Notice) -> Option<Subject> {
        match (&notice.favourite, &notice.source) {
            (Some(f), _) => Some(Subject::Favourite(f.clone())),
            (None, Some(s)) => Some(Subject::Source(s.clone())),
            (None, None) => None,
        }
    }
}

/// The notifications shown, by id and by subject.
#[derive(Default)]
struct Shown {
    by_id: HashMap<u32, Option<Subject>>,
    by_subject: HashMap<Subject, u32>,
}

/// Shows notifications and tells which of their buttons was clicked.
pub struct Notifications {
    backend: Box<dyn Backend>,
    shown: Mutex<Shown>,
}

impl Notifications {
    /// Over `backend`.
    pub fn new(backend: Box<dyn Backend>) -> Notifications {
        Notifications { backend, shown: Mutex::default() }
    }

    /// Shows `notice`, replacing the previous notification of its favourite (or source) if it is
    /// still open.
    pub fn show(&self, notice: &Notice) {
        let mut shown = self.shown.lock().expect("notifications lock");
        let subject = Subject::of(notice);
        let replaces = subject.as_ref().and_then(|s| shown.by_subject.get(s).copied());
        match self.backend.show(notice, replaces) {
            Ok(id) => {
                if let Some(old) = replaces.filter(|old| *old != id) {
                    shown.by_id.remove(&old);
                }
                shown.by_id.insert(id, subject.clone());
                if let Some(s) = subject {
                    shown.by_subject.insert(s, id);
                }
                tracing::info!(id, summary = %notice.summary, "notified");
            }
            Err(e) => tracing::warn!(error = %e, summary = %notice.summary, "cannot show a notification"),
        }
    }

    /// Closes the favourite's notification, if one is open (its session was renewed).
    pub fn dismiss(&self, favourite: &Name) {
        self.close(Subject::Favourite(favourite.clone()));
    }

    /// Closes the source's sign-in notification, if one is open (it was signed in).
    pub fn dismiss_source(&self, source: &Name) {
        self.close(Subject::Source(source.clone()));
    }

    fn close(&self, subject: Subject) {
        let id = {
            let mut shown = self.shown.lock().expect("notifications lock");
            let id = shown.by_subject.remove(&subject);
            if let Some(id) = id {
                shown.by_id.remove(&id);
            }
            id
        };
        if let Some(id) = id {
            self.backend.close(id);
        }
    }

    /// The server says the user clicked `key` on notification `id`: which button it was.
    pub fn on_action(&self, id: u32, key: &str) -> Option<Button> {
        let subject = self.forget(id)?;
        match (key, subject) {
            (ACTION_RENEW, Some(Subject::Favourite(f))) => Some(Button::Renew(f)),
            (ACTION_SIGN_IN, Some(Subject::Source(s))) => Some(Button::SignIn(s)),
            (ACTION_OPEN | ACTION_DEFAULT, _) => Some(Button::Open),
            _ => None,
        }
    }

    /// The server closed notification `id` (expired, dismissed).
    pub fn on_closed(&self, id: u32) {
        self.forget(id);
    }

    /// Removes notification `id`; `None` if it is not one of ours.
    fn forget(&self, id: u32) -> Option<Option<Subject>> {
        let mut shown = self.shown.lock().expect("notifications lock");
        let subject = shown.by_id.remove(&id)?;
        if let Some(s) = &subject
            && shown.by_subject.get(s) == Some(&id)
        {
            shown.by_subject.remove(s);
        }
        Some(subject)
    }
}

/// What the notification server (and, on Linux, logind) reports.
#[derive(Debug)]
pub enum Signal {
    /// A notification's button (or the notification itself) was clicked.
    Action(u32, String),
    /// A notification was closed.
    Closed(u32),
    /// The machine woke from sleep.
    Resumed,
}

/// The key notify-rust reports for a notification dismissed without a click (macOS, Windows).
const CLOSED_KEY: &str = "__closed";

impl Signal {
    /// A click report from notify-rust's handle: a button's key, or [`CLOSED_KEY`].
    pub fn from_handle(id: u32, key: &str) -> Signal {
        if key == CLOSED_KEY { Signal::Closed(id) } else { Signal::Action(id, key.to_owned()) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use rolecall_core::notice::{Event, notice};

    use super::*;

    /// What the recorder saw: each show (summary, replaced id), each close, the last id given.
    #[derive(Default)]
    struct Seen {
        shows: Vec<(String, Option<u32>)>,
        closes: Vec<u32>,
        last_id: u32,
    }

    #[derive(Default, Clone)]
    struct Recorder(Arc<Mutex<Seen>>);
    impl Backend for Recorder {
        fn show(&self, n: &Notice, replaces: Option<u32>) -> Result<u32, String> {
            let mut r = self.0.lock().unwrap();
            r.shows.push((n.summary.clone(), replaces));
            r.last_id += 1;
            Ok(replaces.unwrap_or(r.last_id))
        }
        fn close(&self, id: u32) {
            self.0.lock().unwrap().closes.push(id);
        }
    }

    fn expiring(f: &str) -> Notice {
        notice(&Event::Expiring {
            favourite: Name::parse(f).unwrap(),
            account: "123456789012".into(),
            seconds_left: 300,
            needs_mfa: false,
        })
    }

    #[test]
    fn one_notification_per_favourite_and_buttons_become_actions() {
        let rec = Recorder::default();
        let n = Notifications::new(Box::new(rec.clone()));
        n.show(&expiring("prod"));
        n.show(&expiring("dev"));
        n.show(&expiring("prod"));
        let shows = rec.0.lock().unwrap().shows.clone();
        assert_eq!(shows[2], ("prod expires in 5m".into(), Some(1)), "the second prod notice replaces the first");
        assert_eq!(shows[1].1, None);

        assert!(matches!(n.on_action(1, "renew"), Some(Button::Renew(f)) if f.as_str() == "prod"));
        assert!(n.on_action(1, "renew").is_none(), "a notification acts once");
        assert!(matches!(n.on_action(2, "open"), Some(Button::Open)));
        assert!(n.on_action(99, "renew").is_none(), "not ours");

        n.show(&expiring("ops"));
        n.dismiss(&Name::parse("ops").unwrap());
        n.dismiss(&Name::parse("ops").unwrap());
        assert_eq!(rec.0.lock().unwrap().closes, vec![4], "renewed: closed once");
        n.show(&expiring("qa"));
        n.on_closed(5);
        n.dismiss(&Name::parse("qa").unwrap());
        assert_eq!(rec.0.lock().unwrap().closes, vec![4], "closed by the server: nothing left to close");
    }

    #[test]
    fn a_source_has_its_own_notification_and_its_button_signs_in() {
        let rec = Recorder::default();
        let n = Notifications::new(Box::new(rec.clone()));
        let corp = Name::parse("corp").unwrap();
        n.show(&expiring("corp"));
        n.show(&notice(&Event::SignInEnding { source: corp.clone(), seconds_left: 600 }));
        n.show(&notice(&Event::SignInEnded { source: corp.clone() }));
        let shows = rec.0.lock().unwrap().shows.clone();
        assert_eq!(shows[1], ("corp's sign-in ends in 10m".into(), None), "a favourite of the same name is another");
        assert_eq!(shows[2], ("Sign in to corp again".into(), Some(2)), "the ended notice replaces the warning");
        assert!(n.on_action(2, "renew").is_none(), "a source's notification has no Renew");
        n.show(&notice(&Event::SignInEnded { source: corp.clone() }));
        // The recorder gives each new notification the next number: this one is the fourth.
        assert!(matches!(n.on_action(4, "sign-in"), Some(Button::SignIn(s)) if s == corp));
        assert!(n.on_action(1, "sign-in").is_none(), "a favourite's notification has no Sign in");
        n.show(&notice(&Event::SignInEnded { source: corp.clone() }));
        n.dismiss(&corp);
        assert!(rec.0.lock().unwrap().closes.is_empty(), "the favourite corp has no notification open");
        n.dismiss_source(&corp);
        assert_eq!(rec.0.lock().unwrap().closes, vec![5], "signed in: the source's notification closes");
    }

    #[test]
    fn handle_reports_become_signals() {
        assert!(matches!(Signal::from_handle(3, "renew"), Signal::Action(3, k) if k == "renew"));
        assert!(matches!(Signal::from_handle(3, "default"), Signal::Action(3, k) if k == "default"));
        assert!(matches!(Signal::from_handle(4, "__closed"), Signal::Closed(4)));
    }
}
