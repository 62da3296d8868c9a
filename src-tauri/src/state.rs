//! The app's shared state: the use cases, the MFA broker, what the tray shows about work in
//! flight, and the channel every user action goes through.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rolecall_app::Services;
use rolecall_core::ErrorDto;
use rolecall_core::renew::Memory;
use rolecall_core::validate::Name;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::mfa::MfaBroker;
use crate::notifications::{Button, Notifications};

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
    /// Show the settings window.
    OpenSettings,
    /// Turn start-at-login on or off.
    SetStartAtLogin(bool),
    /// Quit the app.
    Quit,
}

impl From<Button> for Action {
    /// What a notification's button does: *Renew* renews its favourite (a failure is notified
    /// too), *Open rolecall* shows the settings window.
    fn from(button: Button) -> Action {
        match button {
            Button::Renew(name) => Action::Renew(name),
            Button::Open => Action::OpenSettings,
        }
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
    pub schedule: Mutex<HashMap<Name, Memory>>,
    /// Wakes the scheduler: something changed.
    pub schedule_changed: Arc<Notify>,
    /// Bounds the automatic renewals running at once.
    pub renewals: Arc<tokio::sync::Semaphore>,
    /// The clock offset (seconds) last warned about, so a skewed clock is told once, not per call.
    pub skew_warned: Mutex<Option<i64>>,
    /// The use cases.
    pub services: Services,
    /// MFA requests waiting for the MFA window.
    pub mfa: MfaBroker,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn notification_buttons_become_actions() {
        assert!(matches!(Action::from(Button::Renew(name("prod"))), Action::Renew(f) if f.as_str() == "prod"));
        assert!(matches!(Action::from(Button::Open), Action::OpenSettings));
    }
}
