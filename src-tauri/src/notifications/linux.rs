//! The notification signals and logind's resume signal, over D-Bus.
//!
//! Any connection on a bus may emit any signal, under any path and interface, broadcast or sent to
//! one connection directly (a signal with a destination reaches it whatever its match rules say).
//! So each listener follows the owner of the name it trusts (`org.freedesktop.Notifications`,
//! `org.freedesktop.login1`) through the bus's own `GetNameOwner` and `NameOwnerChanged` (which
//! only the bus itself can send), subscribes with `sender=` that name (the bus then forwards
//! only broadcasts of its owner), and checks each signal's sender against the owner it follows
//! before acting: the rest are logged and ignored. A name with no owner yet (a notification
//! server started later by D-Bus activation, logind restarting) is picked up when it is taken.

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
