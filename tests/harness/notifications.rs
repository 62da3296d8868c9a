//! [`FakeNotifications`]: a fake desktop notification server (`org.freedesktop.Notifications`)
//! on a private session bus (e.g. a [`crate::Keychain`]'s), for tests of the app's notifications;
//! and [`FakeLogind`]: the owner of `org.freedesktop.login1` there, which emits logind's
//! `PrepareForSleep` signal on request (the app listens to the session bus for it with
//! `ROLECALL_LOGIND_BUS=session`).
//!
//! It is `notifications.py` (embedded here, run with the test venv's python and its `dbus-next`)
//! that owns the name `org.freedesktop.Notifications` and serves the interface at
//! `/org/freedesktop/Notifications` as a notification daemon would: `Notify` (ids from 1;
//! `replaces_id` ≠ 0 keeps that id), `CloseNotification` (emits `NotificationClosed(id, 3)`),
//! `GetCapabilities` (`actions`, `body`, `persistence` by default, or the list given to
//! [`FakeNotifications::start_with_capabilities`], e.g. with `body-markup`) and
//! `GetServerInformation`. It records every `Notify` and `CloseNotification` call
//! ([`FakeNotifications::notifications`], [`FakeNotifications::closed`]) and plays the user on
//! request: a click on an action ([`FakeNotifications::invoke_action`]) or a notification going
//! away ([`FakeNotifications::close`]). Its signals come from the connection that owns the name,
//! as a real server's do ([`FakeNotifications::unique_name`]); a test that wants a signal from
//! anyone else sends it itself (e.g. `gdbus emit`).
//!
//! Signals and races: [`invoke_action`](FakeNotifications::invoke_action) returns once the bus has
//! received the signals, not once the app has handled them. A client that subscribes to
//! `ActionInvoked` only after its `Notify` call returned can miss an action invoked at once
//! (seen with notify-rust's `wait_for_action`), so wait for the app to be listening first, or
//! never depend on that ordering.
//!
//! The script is a direct child whose standard input is a pipe from this process: it exits when
//! that pipe closes, so when the [`FakeNotifications`] (or [`FakeLogind`]) is dropped and also
//! when the test process dies; and when its bus goes away. Dropping one releases its name, so a
//! test can replace a server by another (a new owner).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::util::{describe, kill_and_reap, poll, read_lossy, tail, venv_tool};

/// The server script, run with the venv's python.
const SCRIPT: &str = include_str!("notifications.py");
/// The capabilities the fake notification server announces unless told otherwise.
pub const NOTIFICATION_CAPABILITIES: &[&str] = &["actions", "body", "persistence"];
/// How long the server may take to own its name.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a command written to the server may take to be acknowledged.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to exit once its standard input is closed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// One `Notify` call the fake server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The id the server returned (the `replaces_id` when that was not 0).
    pub id: u32,
    /// `app_name`.
    pub app: String,
    /// `summary`.
    pub summary: String,
    /// `body`.
    pub body: String,
    /// The actions as (key, label) pairs, in the order sent.
    pub actions: Vec<(String, String)>,
    /// `replaces_id` as sent (0: a new notification).
    pub replaces: u32,
    /// The hints: string, integer and boolean ones as JSON values (`urgency` is a number), any
    /// other (image data…) as the text of its Python `repr`.
    pub hints: BTreeMap<String, Value>,
    /// `expire_timeout` in milliseconds (-1: the server's default, 0: never).
    pub timeout: i32,
}

impl Notification {
    /// Whether the notification has an action with key `key`.
    pub fn has_action(&self, key: &str) -> bool {
        self.actions.iter().any(|(k, _)| k == key)
    }
}

/// One run of `notifications.py` on one bus, private to one test; stopped when dropped.
struct Service {
    child: Child,
    /// The service's command pipe. Also serialises commands.
    stdin: Mutex<Option<ChildStdin>>,
    /// The JSON-lines events log the service writes.
    events: PathBuf,
    /// What the service printed (stdout and stderr).
    output: PathBuf,
    /// Which service this is, for messages: `notification server`, `logind`.
    what: &'static str,
    /// The unique name of its connection, the owner of its well-known name.
    unique_name: String,
    _dir: TempDir,
}

impl Service {
    /// Runs the script with `args` (after the events log) on the bus at `bus_address` and waits
    /// until it owns `name`, up to 15 s.
    fn start(bus_address: &str, args: &[&str], what: &'static str, name: &str) -> Service {
        let dir = tempfile::Builder::new().prefix("rolecall-notify-").tempdir().expect("temp dir");
        let events = dir.path().join("events.jsonl");
        let output = dir.path().join("output.log");
        std::fs::write(&events, "").expect("create events log");
        let out = std::fs::File::create(&output).expect("create output log");
        let err = out.try_clone().expect("clone log handle");
        let mut cmd = Command::new(venv_tool("python"));
        cmd.arg("-u")
            .arg("-c")
            .arg(SCRIPT)
            .arg(&events)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err);
        // The script itself is long: show the command without it.
        let shown = describe(&cmd).replace(SCRIPT, "<notifications.py>");
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start the fake {what} ({shown}): {e}"));
        let stdin = child.stdin.take();
        let mut service =
            Service { child, stdin: Mutex::new(stdin), events, output, what, unique_name: String::new(), _dir: dir };
        let ready = poll(START_TIMEOUT, || {
            if let Some(status) = service.child.try_wait().expect("try_wait") {
                return Some(Err(status));
            }
            service.event_lines().into_iter().find(|e| e["event"] == "ready").map(Ok)
        });
        match ready {
            Some(Ok(ready)) => {
                service.unique_name = ready["name"].as_str().expect("ready record with the unique name").to_owned();
                service
            }
            Some(Err(status)) => {
                let output = read_lossy(&service.output);
                let hint = if output.contains("No module named 'dbus_next'") {
                    " (the test venv lacks dbus-next: `pip install -r tests/requirements.txt` with its pip)"
                } else {
                    ""
                };
                panic!(
                    "the fake {what} ({shown}) exited with {status} on bus {bus_address}{hint}; its output:\n{}",
                    tail(&output, 4000)
                )
            }
            None => panic!(
                "the fake {what} ({shown}) did not own {name} on bus {bus_address} within {START_TIMEOUT:?}; its \
                 output:\n{}",
                tail(&read_lossy(&service.output), 4000)
            ),
        }
    }

    /// Everything recorded so far: the events log and what the service printed.
    fn log(&self) -> String {
        format!(
            "--- fake {} events ---\n{}--- its output ---\n{}",
            self.what,
            read_lossy(&self.events),
            tail(&read_lossy(&self.output), 4000)
        )
    }

    /// Writes `command` to the service and waits until it logs its acknowledgement.
    fn command(&self, command: &str) {
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        let acks = || self.event_lines().iter().filter(|e| e["event"] == "ack" && e["command"] == command).count();
        let before = acks();
        let pipe = stdin.as_mut().expect("the fake service's stdin is open until it is dropped");
        if let Err(e) = writeln!(pipe, "{command}").and_then(|()| pipe.flush()) {
            panic!("cannot send {command:?} to the fake {} ({e}); it has stopped?\n{}", self.what, self.log());
        }
        if poll(COMMAND_TIMEOUT, || (acks() > before).then_some(())).is_none() {
            panic!("the fake {} did not acknowledge {command:?} within {COMMAND_TIMEOUT:?}\n{}", self.what, self.log());
        }
    }

    /// The complete lines of the events log, parsed (a line being written is left out).
    fn event_lines(&self) -> Vec<Value> {
        let text = read_lossy(&self.events);
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("bad line in the fake {}'s events log ({e}): {line}", self.what))
            })
            .collect()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Closing stdin makes the service exit; kill it if it does not.
        drop(self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take());
        if poll(STOP_TIMEOUT, || self.child.try_wait().ok().flatten()).is_none() {
            eprintln!("harness: the fake {} did not exit when its stdin closed; killing it", self.what);
            kill_and_reap(&mut self.child);
        }
    }
}

/// A fake notification server on one bus, private to one test; stopped when dropped.
pub struct FakeNotifications {
    service: Service,
}

impl FakeNotifications {
    /// Starts the fake server on the bus at `bus_address` (e.g. [`crate::Keychain::address`])
    /// and waits until it owns `org.freedesktop.Notifications`, up to 15 s. It announces
    /// [`NOTIFICATION_CAPABILITIES`] (no `body-markup`: bodies are plain text to it).
    ///
    /// # Panics
    /// If the server exits (the name is taken, `dbus-next` is not in the test venv, the bus is
    /// not there…) or is not ready in time, with its output.
    pub fn start(bus_address: &str) -> FakeNotifications {
        FakeNotifications::start_with_capabilities(bus_address, NOTIFICATION_CAPABILITIES)
    }

    /// As [`start`](Self::start), with `GetCapabilities` answering `capabilities` (e.g. with
    /// `body-markup`, a server that reads markup in bodies).
    ///
    /// # Panics
    /// As [`start`](Self::start); and if a capability is empty or holds a comma or whitespace.
    pub fn start_with_capabilities(bus_address: &str, capabilities: &[&str]) -> FakeNotifications {
        assert!(
            capabilities.iter().all(|c| !c.is_empty() && !c.contains(|ch: char| ch == ',' || ch.is_whitespace())),
            "capabilities must be single words: {capabilities:?}"
        );
        let list = capabilities.join(",");
        let service = Service::start(
            bus_address,
            &["notifications", &list],
            "notification server",
            "org.freedesktop.Notifications",
        );
        FakeNotifications { service }
    }

    /// The unique name (`:1.N`) of the server's connection: the owner of
    /// `org.freedesktop.Notifications`, which its signals come from.
    pub fn unique_name(&self) -> &str {
        &self.service.unique_name
    }

    /// Every `Notify` call received so far, in order.
    ///
    /// # Panics
    /// If the events log holds a `notify` record it cannot read (a harness bug).
    pub fn notifications(&self) -> Vec<Notification> {
        self.service.event_lines().iter().filter(|e| e["event"] == "notify").map(notification).collect()
    }

    /// The ids of every `CloseNotification` call received so far (the app closing its own
    /// notifications), in order.
    pub fn closed(&self) -> Vec<u32> {
        self.service.event_lines().iter().filter(|e| e["event"] == "close").map(|e| number(e, "id")).collect()
    }

    /// Waits until a notification matching `pred` has been received, and returns the first one.
    ///
    /// # Panics
    /// After `timeout`, with `what` and everything recorded so far.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&Notification) -> bool) -> Notification {
        poll(timeout, || self.notifications().into_iter().find(|n| pred(n))).unwrap_or_else(|| {
            panic!("timed out after {:.1}s waiting for a notification: {what}\n{}", timeout.as_secs_f64(), self.log())
        })
    }

    /// Plays a click on action `key` of notification `id`: the server emits
    /// `ActionInvoked(id, key)`, then `NotificationClosed(id, 2)` (dismissed by the user), as
    /// notification daemons do. Returns once the bus has received both signals.
    ///
    /// `id` and `key` need not belong to a notification received (to test how the app takes a
    /// stray signal); `key` must have no whitespace.
    ///
    /// # Panics
    /// If the server does not acknowledge within 10 s, with everything recorded so far.
    pub fn invoke_action(&self, id: u32, key: &str) {
        assert!(
            !key.is_empty() && !key.contains(char::is_whitespace),
            "invoke_action: an action key with whitespace cannot be sent: {key:?}"
        );
        self.service.command(&format!("action {id} {key}"));
    }

    /// Plays notification `id` going away: the server emits `NotificationClosed(id, reason)`
    /// (1: expired, 2: dismissed by the user, 3: closed by CloseNotification, 4: other). Returns
    /// once the bus has received it.
    ///
    /// # Panics
    /// If the server does not acknowledge within 10 s, with everything recorded so far.
    pub fn close(&self, id: u32, reason: u32) {
        self.service.command(&format!("closed {id} {reason}"));
    }

    /// Everything recorded so far: the events log (one JSON object a line) and what the server
    /// printed; handy in assertion messages.
    pub fn log(&self) -> String {
        self.service.log()
    }
}

/// A fake logind on one bus, private to one test: it owns `org.freedesktop.login1` and emits
/// `org.freedesktop.login1.Manager.PrepareForSleep` at `/org/freedesktop/login1` on request, as
/// logind does around a suspend. Stopped (and the name released) when dropped.
pub struct FakeLogind {
    service: Service,
}

impl FakeLogind {
    /// Starts it on the bus at `bus_address` and waits until it owns `org.freedesktop.login1`,
    /// up to 15 s.
    ///
    /// # Panics
    /// As [`FakeNotifications::start`].
    pub fn start(bus_address: &str) -> FakeLogind {
        FakeLogind { service: Service::start(bus_address, &["logind"], "logind", "org.freedesktop.login1") }
    }

    /// The unique name (`:1.N`) of its connection, the owner of `org.freedesktop.login1`.
    pub fn unique_name(&self) -> &str {
        &self.service.unique_name
    }

    /// Emits `PrepareForSleep(going_to_sleep)` (`false`: the machine woke up). Returns once the
    /// bus has received it.
    ///
    /// # Panics
    /// If it does not acknowledge within 10 s, with its log.
    pub fn prepare_for_sleep(&self, going_to_sleep: bool) {
        self.service.command(&format!("sleep {going_to_sleep}"));
    }
}

/// A `notify` record of the events log as a [`Notification`].
fn notification(event: &Value) -> Notification {
    let text = |field: &str| {
        event[field].as_str().unwrap_or_else(|| panic!("notify record without string {field}: {event}")).to_owned()
    };
    let actions = event["actions"]
        .as_array()
        .unwrap_or_else(|| panic!("notify record without actions: {event}"))
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(key), Value::String(label)]) => (key.clone(), label.clone()),
            _ => panic!("notify record with a bad action {pair}: {event}"),
        })
        .collect();
    let hints = event["hints"]
        .as_object()
        .unwrap_or_else(|| panic!("notify record without hints: {event}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let timeout = event["timeout"]
        .as_i64()
        .and_then(|t| i32::try_from(t).ok())
        .unwrap_or_else(|| panic!("notify record without timeout: {event}"));
    Notification {
        id: number(event, "id"),
        app: text("app"),
        summary: text("summary"),
        body: text("body"),
        actions,
        replaces: number(event, "replaces"),
        hints,
        timeout,
    }
}

/// A `u32` field of an events log record.
fn number(event: &Value, field: &str) -> u32 {
    event[field]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("event record without u32 {field}: {event}"))
}
