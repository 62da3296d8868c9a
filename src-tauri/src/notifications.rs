//! Desktop notifications: shows the core's [`Notice`]s, keeps at most one per favourite (a new one
//! replaces the last), closes a favourite's notification once its session is renewed, and turns
//! the buttons the user clicks into [`Action`]s.
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

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use rolecall_core::notice::{ACTION_DEFAULT, ACTION_OPEN, ACTION_RENEW, Notice};
use rolecall_core::validate::Name;

use crate::state::Action;

/// Where notifications go: the desktop, or a recorder in tests.
pub trait Backend: Send + Sync {
    /// Shows `notice` (replacing notification `replaces`, if given); returns its id.
    fn show(&self, notice: &Notice, replaces: Option<u32>) -> Result<u32, String>;
    /// Closes notification `id`.
    fn close(&self, id: u32);
}

/// The notifications shown, by id and by favourite.
#[derive(Default)]
struct Shown {
    by_id: HashMap<u32, Option<Name>>,
    by_favourite: HashMap<Name, u32>,
}

/// Shows notifications and maps their buttons to actions.
pub struct Notifications {
    backend: Box<dyn Backend>,
    shown: Mutex<Shown>,
}

impl Notifications {
    /// Over `backend`.
    pub fn new(backend: Box<dyn Backend>) -> Notifications {
        Notifications { backend, shown: Mutex::default() }
    }

    /// Shows `notice`, replacing the favourite's previous notification if it is still open.
    pub fn show(&self, notice: &Notice) {
        let mut shown = self.shown.lock().expect("notifications lock");
        let replaces = notice.favourite.as_ref().and_then(|f| shown.by_favourite.get(f).copied());
        match self.backend.show(notice, replaces) {
            Ok(id) => {
                if let Some(old) = replaces.filter(|old| *old != id) {
                    shown.by_id.remove(&old);
                }
                shown.by_id.insert(id, notice.favourite.clone());
                if let Some(f) = &notice.favourite {
                    shown.by_favourite.insert(f.clone(), id);
                }
                tracing::info!(id, summary = %notice.summary, "notified");
            }
            Err(e) => tracing::warn!(error = %e, summary = %notice.summary, "cannot show a notification"),
        }
    }

    /// Closes the favourite's notification, if one is open (its session was renewed).
    pub fn dismiss(&self, favourite: &Name) {
        let id = {
            let mut shown = self.shown.lock().expect("notifications lock");
            let id = shown.by_favourite.remove(favourite);
            if let Some(id) = id {
                shown.by_id.remove(&id);
            }
            id
        };
        if let Some(id) = id {
            self.backend.close(id);
        }
    }

    /// The server says the user clicked `key` on notification `id`: what to do.
    pub fn on_action(&self, id: u32, key: &str) -> Option<Action> {
        let favourite = self.forget(id)?;
        match (key, favourite) {
            (ACTION_RENEW, Some(f)) => Some(Action::Renew(f)),
            (ACTION_OPEN | ACTION_DEFAULT, _) => Some(Action::OpenSettings),
            _ => None,
        }
    }

    /// The server closed notification `id` (expired, dismissed).
    pub fn on_closed(&self, id: u32) {
        self.forget(id);
    }

    /// Removes notification `id`; `None` if it is not one of ours.
    fn forget(&self, id: u32) -> Option<Option<Name>> {
        let mut shown = self.shown.lock().expect("notifications lock");
        let favourite = shown.by_id.remove(&id)?;
        if let Some(f) = &favourite
            && shown.by_favourite.get(f) == Some(&id)
        {
            shown.by_favourite.remove(f);
        }
        Some(favourite)
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

/// `text` for a notification body that the server reads as markup (the freedesktop
/// notification spec's small HTML-like subset): `&`, `<` and `>` as entities, so text that holds
/// them (an AWS message, a path) shows as written and cannot add tags or links. Quotes need no
/// escaping outside tags, and some servers show `&apos;` literally, so they stay.
pub fn escape_markup(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The desktop's notifications through notify-rust.
///
/// On Linux the notification server numbers the notifications and the app's one D-Bus listener
/// ([`linux::listen_notifications`]) reports their clicks. On macOS and Windows each notification
/// gets a number here and a thread that waits for its click (or dismissal) on notify-rust's
/// handle and reports it on `clicks`.
pub struct Desktop {
    #[cfg_attr(all(unix, not(target_os = "macos")), allow(dead_code))]
    clicks: tokio::sync::mpsc::UnboundedSender<Signal>,
    #[cfg_attr(all(unix, not(target_os = "macos")), allow(dead_code))]
    next_id: std::sync::atomic::AtomicU32,
}

impl Desktop {
    /// Reports clicks (on macOS and Windows) on `clicks`.
    pub fn new(clicks: tokio::sync::mpsc::UnboundedSender<Signal>) -> Desktop {
        Desktop { clicks, next_id: std::sync::atomic::AtomicU32::new(1) }
    }
}

impl Backend for Desktop {
    fn show(&self, notice: &Notice, replaces: Option<u32>) -> Result<u32, String> {
        // The spec: a server without `body-markup` shows the body as it is (escaping would show
        // `&amp;`); one with it reads markup, so the text is escaped. Asked at each notification:
        // the server can change (another desktop, D-Bus activation).
        #[cfg(all(unix, not(target_os = "macos")))]
        let body = if notify_rust::get_capabilities().is_ok_and(|caps| caps.iter().any(|c| c == "body-markup")) {
            escape_markup(&notice.body)
        } else {
            Cow::Borrowed(notice.body.as_str())
        };
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let body = Cow::Borrowed(notice.body.as_str());
        let mut n = notify_rust::Notification::new();
        n.appname("rolecall").summary(&notice.summary).body(&body).icon("rolecall");
        for (key, label) in &notice.actions {
            n.action(key, label);
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            if let Some(id) = replaces {
                n.id(id);
            }
            let handle = n.show().map_err(|e| e.to_string())?;
            Ok(handle.id())
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            // No replacing there: the previous notification of the favourite is forgotten (its
            // click is ignored) by `Notifications::show`.
            let _ = replaces;
            let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let clicks = self.clicks.clone();
            std::thread::Builder::new()
                .name("rolecall notification".into())
                .spawn(move || match n.show() {
                    Ok(handle) => handle.wait_for_action(|key| {
                        let _ = clicks.send(Signal::from_handle(id, key));
                    }),
                    Err(e) => tracing::warn!(error = %e, "cannot show a notification"),
                })
                .map_err(|e| e.to_string())?;
            Ok(id)
        }
    }

    fn close(&self, id: u32) {
        #[cfg(target_os = "linux")]
        if let Err(e) = linux::close(id) {
            tracing::debug!(error = %e, id, "cannot close a notification");
        }
        #[cfg(not(target_os = "linux"))]
        let _ = id;
    }
}

/// The notification signals and logind's resume signal, over D-Bus.
///
/// Any connection on a bus may emit any signal, under any path and interface, broadcast or sent to
/// one connection directly (a signal with a destination reaches it whatever its match rules say).
/// So each listener follows the owner of the name it trusts (`org.freedesktop.Notifications`,
/// `org.freedesktop.login1`) through the bus's own `GetNameOwner` and `NameOwnerChanged` (which
/// only the bus itself can send), subscribes with `sender=` that name (the bus then forwards
/// only broadcasts of its owner), and checks each signal's sender against the owner it follows
/// before acting: the rest are logged and ignored. A name with no owner yet (a notification
/// server started later by D-Bus activation, logind restarting) is picked up when it is taken.
#[cfg(target_os = "linux")]
pub mod linux {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use dbus::Message;
    use dbus::blocking::Connection;
    use dbus::channel::MatchingReceiver;
    use dbus::message::MatchRule;
    use tokio::sync::mpsc::UnboundedSender;

    use super::Signal;

    const IFACE: &str = "org.freedesktop.Notifications";
    const PATH: &str = "/org/freedesktop/Notifications";
    const LOGIND: &str = "org.freedesktop.login1";
    const LOGIND_PATH: &str = "/org/freedesktop/login1";
    const LOGIND_MANAGER: &str = "org.freedesktop.login1.Manager";
    /// The bus itself: its name, interface and path.
    const BUS: &str = "org.freedesktop.DBus";
    const BUS_PATH: &str = "/org/freedesktop/DBus";
    /// How long a call to the bus or the notification server may take.
    const TIMEOUT: Duration = Duration::from_secs(2);

    /// Closes notification `id`.
    pub fn close(id: u32) -> Result<(), dbus::Error> {
        let conn = Connection::new_session()?;
        conn.with_proxy(IFACE, PATH, TIMEOUT).method_call::<(), _, _, _>(IFACE, "CloseNotification", (id,))
    }

    /// The connection that owns a well-known name on one bus, as that bus says.
    #[derive(Clone)]
    struct Owner {
        name: &'static str,
        unique: Arc<Mutex<Option<String>>>,
    }

    impl Owner {
        /// Follows the owner of `name` on `conn`: subscribes to the bus's `NameOwnerChanged` for
        /// it, then asks `GetNameOwner` (changes that come in between are handled after, in order,
        /// so the last one wins). No owner yet is fine.
        fn follow(conn: &Connection, name: &'static str) -> Result<Owner, dbus::Error> {
            let owner = Owner { name, unique: Arc::default() };
            let rule = MatchRule::new_signal(BUS, "NameOwnerChanged").with_sender(BUS).with_path(BUS_PATH);
            conn.add_match_no_cb(&format!("{},arg0='{name}'", rule.match_str()))?;
            let follower = owner.clone();
            conn.start_receive(
                rule,
                Box::new(move |msg: Message, _: &Connection| {
                    // Only the bus sends as `org.freedesktop.DBus`; a look-alike sent directly to
                    // this connection by anyone else carries that one's unique name.
                    if msg.sender().as_deref() == Some(BUS)
                        && let Ok((changed, _old, new)) = msg.read3::<String, String, String>()
                        && changed == name
                    {
                        tracing::debug!(name, owner = new, "D-Bus name owner changed");
                        follower.set(new);
                    }
                    true
                }),
            );
            let current: Result<(String,), _> =
                conn.with_proxy(BUS, BUS_PATH, TIMEOUT).method_call(BUS, "GetNameOwner", (name,));
            match current {
                Ok((unique,)) => owner.set(unique),
                Err(e) if e.name() == Some("org.freedesktop.DBus.Error.NameHasNoOwner") => {
                    tracing::debug!(name, "no owner on the bus yet");
                }
                Err(e) => return Err(e),
            }
            Ok(owner)
        }

        /// Records the owner's unique name (empty: none).
        fn set(&self, unique: String) {
            *self.unique.lock().expect("owner lock") = (!unique.is_empty()).then_some(unique);
        }

        /// Whether `msg` comes from the owner; logs a signal that does not.
        fn sent(&self, msg: &Message) -> bool {
            let sender = msg.sender();
            let sent = {
                let owner = self.unique.lock().expect("owner lock");
                sender.is_some() && sender.as_deref() == owner.as_deref()
            };
            if !sent {
                tracing::warn!(
                    sender = sender.as_deref().unwrap_or("?"),
                    signal = msg.member().as_deref().unwrap_or("?"),
                    "ignored a signal not sent by {}",
                    self.name
                );
            }
            sent
        }
    }

    /// A signal rule for `member` of `interface` at `path`, from the owner of `name`.
    fn from_owner(
        name: &'static str,
        path: &'static str,
        interface: &'static str,
        member: &'static str,
    ) -> MatchRule<'static> {
        MatchRule::new_signal(interface, member).with_sender(name).with_path(path)
    }

    /// Subscribes to the notification signals on the session bus now, then serves them on a
    /// thread of its own for the life of the app.
    pub fn listen_notifications(tx: UnboundedSender<Signal>) -> Result<(), dbus::Error> {
        let conn = Connection::new_session()?;
        let owner = Owner::follow(&conn, IFACE)?;
        let (server, actions) = (owner.clone(), tx.clone());
        conn.add_match(
            from_owner(IFACE, PATH, IFACE, "ActionInvoked"),
            move |(id, key): (u32, String), _: &Connection, msg: &Message| {
                !server.sent(msg) || actions.send(Signal::Action(id, key)).is_ok()
            },
        )?;
        conn.add_match(
            from_owner(IFACE, PATH, IFACE, "NotificationClosed"),
            move |(id, _reason): (u32, u32), _: &Connection, msg: &Message| {
                !owner.sent(msg) || tx.send(Signal::Closed(id)).is_ok()
            },
        )?;
        serve(conn, "notification signals");
        Ok(())
    }

    /// Subscribes to logind's `PrepareForSleep` on the system bus (`ROLECALL_LOGIND_BUS=session`:
    /// the session bus, for tests) and reports each wake-up.
    pub fn listen_resume(tx: UnboundedSender<Signal>) -> Result<(), dbus::Error> {
        let conn = match std::env::var("ROLECALL_LOGIND_BUS").as_deref() {
            Ok("session") => Connection::new_session()?,
            _ => Connection::new_system()?,
        };
        let logind = Owner::follow(&conn, LOGIND)?;
        conn.add_match(
            from_owner(LOGIND, LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep"),
            move |(going_to_sleep,): (bool,), _: &Connection, msg: &Message| {
                !logind.sent(msg) || going_to_sleep || tx.send(Signal::Resumed).is_ok()
            },
        )?;
        serve(conn, "logind signals");
        Ok(())
    }

    fn serve(conn: Connection, what: &'static str) {
        let spawned = std::thread::Builder::new().name(format!("rolecall {what}")).spawn(move || {
            loop {
                if let Err(e) = conn.process(Duration::from_secs(3600)) {
                    tracing::warn!(error = %e, "D-Bus connection for {what} lost");
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the thread for {what}");
        }
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

        assert!(matches!(n.on_action(1, "renew"), Some(Action::Renew(f)) if f.as_str() == "prod"));
        assert!(n.on_action(1, "renew").is_none(), "a notification acts once");
        assert!(matches!(n.on_action(2, "open"), Some(Action::OpenSettings)));
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
    fn markup_characters_are_escaped_and_nothing_else() {
        assert!(matches!(escape_markup("The session of prod ends in 5m."), Cow::Borrowed(_)));
        assert_eq!(
            escape_markup("STS refused the request (AWS said: value <b>x</b> & y)"),
            "STS refused the request (AWS said: value &lt;b&gt;x&lt;/b&gt; &amp; y)"
        );
        assert_eq!(escape_markup("/home/a&b/<x>/it's \"here\""), "/home/a&amp;b/&lt;x&gt;/it's \"here\"");
        assert_eq!(escape_markup("&amp;"), "&amp;amp;", "an entity in the text stays text");
        assert_eq!(escape_markup("ünï <ok>"), "ünï &lt;ok&gt;");
    }

    #[test]
    fn handle_reports_become_signals() {
        assert!(matches!(Signal::from_handle(3, "renew"), Signal::Action(3, k) if k == "renew"));
        assert!(matches!(Signal::from_handle(3, "default"), Signal::Action(3, k) if k == "default"));
        assert!(matches!(Signal::from_handle(4, "__closed"), Signal::Closed(4)));
    }
}
