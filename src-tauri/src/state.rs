//! The app's shared state: the use cases, the MFA broker, what the tray shows about work in
//! flight, the scheduler's memory of each favourite ([`Schedule`]), and the channel every user
//! action goes through.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rolecall_app::Services;
use rolecall_core::ErrorDto;
use rolecall_core::renew::Memory;
use rolecall_core::validate::Name;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::mfa::MfaBroker;
use crate::notifications::{Button, Notifications};
use crate::signin_state::SignIns;
use crate::tray::MenuId;

/// Something the user asked for, from the tray menu or a window.
#[derive(Debug)]
pub enum Action {
    /// Assume (or renew) a favourite; the reply, if any, gets the outcome.
    Assume(Name, Option<oneshot::Sender<Result<(), ErrorDto>>>),
    /// Renew a favourite from its notification's button (a failure is notified too).
    Renew(Name),
    /// Copy a favourite's `export` lines to the clipboard.
    CopyEnv(Name),
    /// Also write the favourite's session as the `default` profile.
    MakeDefault(Name),
    /// Open the AWS console as the favourite in the default browser (assuming it first if needed).
    Console(Name),
    /// Sign in to an IAM Identity Center source in the default browser (joins a sign-in of that
    /// source already under way).
    SignIn(Name),
    /// Sign in to an IAM Identity Center source with a device code shown in the sign-in window
    /// (replaces a browser sign-in of that source still waiting).
    SignInWithCode(Name),
    /// Show the settings window.
    OpenSettings,
    /// Turn start-at-login on or off.
    SetStartAtLogin(bool),
    /// Quit the app.
    Quit,
}

impl From<Button> for Action {
    /// What a notification's button does: *Renew* renews its favourite (a failure is notified
    /// too), *Open rolecall* shows the settings window, *Sign in* signs in to its source.
    fn from(button: Button) -> Action {
        match button {
            Button::Renew(name) => Action::Renew(name),
            Button::Open => Action::OpenSettings,
            Button::SignIn(source) => Action::SignIn(source),
        }
    }
}

impl Action {
    /// What clicking a tray menu item does (`None`: an informational line). A new menu item
    /// needs its `MenuId`, its `Action` here and the runner's handling: nothing else.
    pub fn from_menu(id: MenuId) -> Option<Action> {
        Some(match id {
            MenuId::Assume(n) | MenuId::Renew(n) => Action::Assume(n, None),
            MenuId::CopyEnv(n) => Action::CopyEnv(n),
            MenuId::MakeDefault(n) => Action::MakeDefault(n),
            MenuId::Console(n) => Action::Console(n),
            MenuId::SignIn(n) => Action::SignIn(n),
            MenuId::SignInWithCode(n) => Action::SignInWithCode(n),
            MenuId::Settings => Action::OpenSettings,
            MenuId::Quit => Action::Quit,
            MenuId::Info => return None,
        })
    }
}

/// Work in flight and the last failure, behind the tray icon.
#[derive(Debug, Default)]
pub struct Activity {
    /// Favourites being assumed now (at most one renewal in flight per favourite).
    pub in_flight: HashSet<Name>,
    /// The last action's failure, shown in the menu until the next success.
    pub last_error: Option<ErrorDto>,
    /// Since when an automatic renewal found the keychain locked (cleared when it answers again):
    /// meanwhile nothing automatic reads it.
    pub keychain_locked: Option<std::time::Instant>,
}

/// Managed state.
pub struct AppState {
    /// Desktop notifications.
    pub notifications: Notifications,
    /// What the scheduler remembers per favourite (warned, noted expired, failing renewals).
    pub schedule: Schedule,
    /// Wakes the scheduler: something changed.
    pub schedule_changed: Arc<Notify>,
    /// The clock offset (seconds) last warned about, so a skewed clock is told once, not per call.
    pub skew_warned: Mutex<Option<i64>>,
    /// The use cases.
    pub services: Services,
    /// MFA requests waiting for the MFA window.
    pub mfa: MfaBroker,
    /// IAM Identity Center sign-ins under way and what is known of each source's sign-in.
    pub sign_ins: SignIns,
    /// When the MFA window last opened for a favourite on a served request's behalf.
    pub prompted: Prompted,
    /// Work in flight and the last failure.
    pub activity: Mutex<Activity>,
    /// Wakes the refresher: something changed (config, files, activity).
    pub changed: Arc<Notify>,
    /// User actions, run by the action runner.
    pub actions: mpsc::UnboundedSender<Action>,
}

impl AppState {
    /// Tells the refresher to rebuild the tray and tell the windows.
    pub fn touch(&self) {
        self.changed.notify_one();
        self.schedule_changed.notify_one();
    }

    /// Queues an action.
    pub fn act(&self, action: Action) {
        // The runner lives as long as the app: a send can only fail while quitting.
        let _ = self.actions.send(action);
    }
}

/// What the scheduler remembers of each favourite between plans ([`Memory`]: warned, noted
/// expired, last renewed, failing renewals), shared by the scheduler and every assume. Each
/// method is one look under the lock; a favourite not seen yet has the default memory.
#[derive(Debug, Default)]
pub struct Schedule {
    memory: Mutex<HashMap<Name, Memory>>,
}

impl Schedule {
    /// Forgets every favourite not among `favourites` (they no longer have a session rolecall
    /// wrote) and returns what is remembered of each of these, in their order.
    pub fn recall<'a>(&self, favourites: impl IntoIterator<Item = &'a Name>) -> Vec<Memory> {
        let favourites: Vec<&Name> = favourites.into_iter().collect();
        let mut memory = self.lock();
        memory.retain(|name, _| favourites.contains(&name));
        favourites.into_iter().map(|name| memory.get(name).cloned().unwrap_or_default()).collect()
    }

    /// What is remembered of `name`.
    pub fn memory(&self, name: &Name) -> Memory {
        self.lock().get(name).cloned().unwrap_or_default()
    }

    /// An assume of `name` succeeded at `now`: no failures in a row, no backoff.
    pub fn renewed(&self, name: &Name, now: DateTime<Utc>) {
        self.update(name, |m| m.renewed(now));
    }

    /// An automatic renewal of `name` failed at `now`: the next waits its backoff. Returns whether
    /// this is the first failure in a row (the one the user hears of).
    pub fn renewal_failed(&self, name: &Name, now: DateTime<Utc>) -> bool {
        self.update(name, |m| m.renewal_failed(now))
    }

    /// The user was warned that `name`'s session ends at `expires`.
    pub fn warned(&self, name: &Name, expires: DateTime<Utc>) {
        self.update(name, |m| m.warned_for = Some(expires));
    }

    /// The user was told that `name`'s session, which ended at `expires`, has expired.
    pub fn expired_noted(&self, name: &Name, expires: DateTime<Utc>) {
        self.update(name, |m| m.expired_noted_for = Some(expires));
    }

    fn update<T>(&self, name: &Name, change: impl FnOnce(&mut Memory) -> T) -> T {
        change(self.lock().entry(name.clone()).or_default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Name, Memory>> {
        self.memory.lock().expect("schedule lock")
    }
}

/// The MFA window opens for a favourite on a served request's behalf (`serve.rs`) at most this
/// often.
pub const MFA_WINDOW_EVERY: Duration = Duration::from_secs(60);

/// When the MFA window last opened for each favourite on a request's behalf.
#[derive(Debug, Default)]
pub struct Prompted(Mutex<HashMap<Name, Instant>>);

impl Prompted {
    /// Whether to open the MFA window for `name` at `now` (and, if so, remembers it).
    pub fn due(&self, name: &Name, now: Instant) -> bool {
        let mut last = self.0.lock().expect("prompted lock");
        if last.get(name).is_some_and(|t| now.duration_since(*t) < MFA_WINDOW_EVERY) {
            return false;
        }
        last.insert(name.clone(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rolecall_core::renew::backoff;

    use super::*;

    #[test]
    fn the_mfa_window_opens_at_most_once_a_minute_per_favourite() {
        let p = Prompted::default();
        let (a, b) = (Name::parse("a").unwrap(), Name::parse("b").unwrap());
        let t = Instant::now();
        assert!(p.due(&a, t));
        assert!(!p.due(&a, t + Duration::from_secs(59)));
        assert!(p.due(&b, t + Duration::from_secs(1)), "another favourite has its own");
        assert!(p.due(&a, t + MFA_WINDOW_EVERY));
    }

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn failures_back_off_and_a_renewal_clears_them() {
        let schedule = Schedule::default();
        let prod = name("prod");
        assert_eq!(schedule.memory(&prod), Memory::default(), "not seen yet");
        assert!(schedule.renewal_failed(&prod, at(0)), "the first failure in a row is told");
        assert!(!schedule.renewal_failed(&prod, at(10)), "the second is not");
        let m = schedule.memory(&prod);
        assert_eq!(m.failures, 2);
        assert_eq!(m.retry_at, Some(at(10) + backoff(2)));
        assert_eq!(schedule.memory(&name("dev")), Memory::default(), "one memory per favourite");

        schedule.renewed(&prod, at(20));
        let m = schedule.memory(&prod);
        assert_eq!((m.failures, m.retry_at, m.renewed_at), (0, None, Some(at(20))));
        assert!(schedule.renewal_failed(&prod, at(30)), "after a success, a failure is the first again");
    }

    #[test]
    fn warnings_and_expiry_notes_are_remembered_per_session() {
        let schedule = Schedule::default();
        let prod = name("prod");
        schedule.warned(&prod, at(3600));
        schedule.expired_noted(&prod, at(1800));
        schedule.renewed(&prod, at(100));
        let m = schedule.memory(&prod);
        assert_eq!(m.warned_for, Some(at(3600)));
        assert_eq!(m.expired_noted_for, Some(at(1800)));
        assert_eq!(m.renewed_at, Some(at(100)), "a renewal keeps what was told");
        schedule.warned(&prod, at(7200));
        assert_eq!(schedule.memory(&prod).warned_for, Some(at(7200)), "a new session's warning replaces the last");
    }

    #[test]
    fn recall_forgets_favourites_without_a_session_and_keeps_order() {
        let schedule = Schedule::default();
        let (prod, dev, gone) = (name("prod"), name("dev"), name("gone"));
        schedule.warned(&prod, at(60));
        schedule.renewal_failed(&gone, at(0));
        let new = name("new");
        let recalled = schedule.recall([&new, &prod, &dev]);
        assert_eq!(recalled.len(), 3);
        assert_eq!(recalled[0], Memory::default(), "new: nothing remembered");
        assert_eq!(recalled[1].warned_for, Some(at(60)));
        assert_eq!(recalled[2], Memory::default());
        assert_eq!(schedule.memory(&gone), Memory::default(), "gone: forgotten");
        assert_eq!(schedule.memory(&prod).warned_for, Some(at(60)), "kept");
        assert!(schedule.recall([]).is_empty());
        assert_eq!(schedule.memory(&prod), Memory::default(), "no sessions: all forgotten");
    }

    #[test]
    fn menu_items_become_actions() {
        let assume = |id: &str| Action::from_menu(MenuId::parse(id).expect("a menu id"));
        assert!(matches!(assume("assume:prod"), Some(Action::Assume(f, None)) if f.as_str() == "prod"));
        assert!(matches!(assume("renew:prod"), Some(Action::Assume(f, None)) if f.as_str() == "prod"));
        assert!(matches!(assume("copy-env:prod"), Some(Action::CopyEnv(f)) if f.as_str() == "prod"));
        assert!(matches!(assume("make-default:prod"), Some(Action::MakeDefault(f)) if f.as_str() == "prod"));
        assert!(matches!(assume("console:prod"), Some(Action::Console(f)) if f.as_str() == "prod"));
        assert!(matches!(assume("sign-in:corp"), Some(Action::SignIn(s)) if s.as_str() == "corp"));
        assert!(matches!(assume("sign-in-code:corp"), Some(Action::SignInWithCode(s)) if s.as_str() == "corp"));
        assert!(matches!(assume("settings"), Some(Action::OpenSettings)));
        assert!(matches!(assume("quit"), Some(Action::Quit)));
        assert!(assume("info").is_none());
    }

    #[test]
    fn notification_buttons_become_actions() {
        assert!(matches!(Action::from(Button::Renew(name("prod"))), Action::Renew(f) if f.as_str() == "prod"));
        assert!(matches!(Action::from(Button::Open), Action::OpenSettings));
        assert!(matches!(Action::from(Button::SignIn(name("corp"))), Action::SignIn(s) if s.as_str() == "corp"));
    }
}
