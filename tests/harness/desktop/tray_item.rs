//! The tray item on a [`Desktop`]'s bus, found through the StatusNotifierWatcher: its menu read
//! with dbusmenu `GetLayout` and clicked with `Event` (`busctl`).

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::{Desktop, TOOL_TIMEOUT};
use crate::util::{apply_envs, poll, run_with_timeout, wait_for};

/// D-Bus reply timeout given to busctl, in seconds.
const DBUS_REPLY_TIMEOUT_SECS: u32 = 5;

impl Desktop {
    /// The tray items registered with the watcher: (bus name, object path) each.
    ///
    /// The names come from the standard `RegisteredStatusNotifierItems`; an entry of the form
    /// `NAME/PATH` carries its path, otherwise the path is taken from the watcher's
    /// `RegisteredSNIEntries` (gtk-sni-tray's watcher has it), else the standard
    /// `/StatusNotifierItem`.
    pub fn tray_items(&self) -> Vec<(String, String)> {
        let watcher = |property: &str| {
            self.get_property(
                "org.kde.StatusNotifierWatcher",
                "/StatusNotifierWatcher",
                "org.kde.StatusNotifierWatcher",
                property,
            )
        };
        let Ok(Value::Array(names)) = watcher("RegisteredStatusNotifierItems") else { return Vec::new() };
        let entries: Vec<(String, String)> = match watcher("RegisteredSNIEntries") {
            Ok(Value::Array(pairs)) => {
                pairs.iter().filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned()))).collect()
            }
            _ => Vec::new(),
        };
        names
            .iter()
            .filter_map(Value::as_str)
            .map(|entry| match entry.split_once('/') {
                Some((name, path)) => (name.to_owned(), format!("/{path}")),
                None => {
                    let path = entries.iter().find(|(n, _)| n == entry).map(|(_, p)| p.clone());
                    (entry.to_owned(), path.unwrap_or_else(|| "/StatusNotifierItem".to_owned()))
                }
            })
            .collect()
    }

    /// Waits until exactly one tray item is registered and returns it, with its menu's path.
    ///
    /// # Panics
    /// After `timeout`, or if more than one item registers.
    pub fn wait_for_tray_item(&self, timeout: Duration) -> TrayItem {
        let (name, path) = wait_for("a tray item to register", timeout, || {
            let items = self.tray_items();
            assert!(items.len() <= 1, "more than one tray item registered: {items:?}");
            items.into_iter().next()
        });
        self.tray_item(&name, &path)
    }

    /// The tray item at bus name `name`, object path `path`: reads its `Menu` property.
    ///
    /// # Panics
    /// If the property cannot be read.
    pub fn tray_item(&self, name: &str, path: &str) -> TrayItem {
        let menu = self
            .get_property(name, path, "org.kde.StatusNotifierItem", "Menu")
            .unwrap_or_else(|e| panic!("reading the Menu of tray item {name} {path}: {e}"));
        let menu = menu.as_str().unwrap_or_else(|| panic!("Menu is not an object path: {menu}")).to_owned();
        TrayItem { bus: self.bus.clone(), name: name.to_owned(), path: path.to_owned(), menu }
    }
    /// One D-Bus property, as JSON.
    pub fn get_property(&self, dest: &str, path: &str, interface: &str, property: &str) -> Result<Value, String> {
        busctl(&self.bus, &["get-property", dest, path, interface, property]).map(|v| v["data"].clone())
    }
}

/// A tray item on the bus: its menu read with dbusmenu `GetLayout` and clicked with `Event`.
#[derive(Clone, Debug)]
pub struct TrayItem {
    bus: String,
    /// The item's unique bus name, as the watcher gave it (`:1.6`).
    pub name: String,
    /// The item's object path (`/org/ayatana/NotificationItem/…`).
    pub path: String,
    /// The menu's object path (the item's `Menu` property).
    pub menu: String,
}

/// One entry of a tray menu, as dbusmenu exports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuItem {
    /// The runtime id (changes whenever the app rebuilds its menu).
    pub id: i64,
    /// The label, as shown (empty for a separator).
    pub label: String,
    /// Whether it can be clicked.
    pub enabled: bool,
    /// Whether it is shown.
    pub visible: bool,
    /// Whether it is a separator.
    pub separator: bool,
    /// Its submenu's entries.
    pub children: Vec<MenuItem>,
}

impl MenuItem {
    /// This entry and every entry below it, depth first.
    pub fn flatten(&self) -> Vec<&MenuItem> {
        let mut all = vec![self];
        for child in &self.children {
            all.extend(child.flatten());
        }
        all
    }

    /// The labels of the entries directly below this one (separators left out).
    pub fn child_labels(&self) -> Vec<String> {
        self.children.iter().filter(|c| !c.separator).map(|c| c.label.clone()).collect()
    }

    fn from_layout(value: &Value) -> Option<MenuItem> {
        // (ia{sv}av): id, properties, children (each a variant {"type", "data"}).
        let id = value[0].as_i64()?;
        let props = value[1].as_object()?;
        let prop = |name: &str| props.get(name).map(|v| &v["data"]);
        let children = value[2].as_array()?.iter().filter_map(|c| MenuItem::from_layout(&c["data"])).collect();
        Some(MenuItem {
            id,
            label: prop("label").and_then(Value::as_str).unwrap_or_default().to_owned(),
            enabled: prop("enabled").and_then(Value::as_bool).unwrap_or(true),
            visible: prop("visible").and_then(Value::as_bool).unwrap_or(true),
            separator: prop("type").and_then(Value::as_str) == Some("separator"),
            children,
        })
    }
}

impl std::fmt::Display for MenuItem {
    /// The menu as an indented outline, for messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn write(item: &MenuItem, depth: usize, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for child in &item.children {
                let label = if child.separator { "----".to_owned() } else { format!("{:?}", child.label) };
                let state = if child.enabled { "" } else { " (disabled)" };
                writeln!(f, "{}{label}{state}", "  ".repeat(depth))?;
                write(child, depth + 1, f)?;
            }
            Ok(())
        }
        write(self, 0, f)
    }
}

impl TrayItem {
    /// The whole menu (`GetLayout(0, -1, [])`): the root entry, whose children are the menu.
    ///
    /// # Panics
    /// If the call fails.
    pub fn menu(&self) -> MenuItem {
        self.try_menu().unwrap_or_else(|e| panic!("GetLayout on {} {}: {e}", self.name, self.menu))
    }

    /// As [`menu`](Self::menu), or the error.
    pub fn try_menu(&self) -> Result<MenuItem, String> {
        let reply = busctl(
            &self.bus,
            &["call", &self.name, &self.menu, "com.canonical.dbusmenu", "GetLayout", "--", "iias", "0", "-1", "0"],
        )?;
        // u(ia{sv}av): revision, root.
        MenuItem::from_layout(&reply["data"][1]).ok_or_else(|| format!("unexpected GetLayout reply: {reply}"))
    }

    /// The labels of the top-level entries (separators left out).
    pub fn labels(&self) -> Vec<String> {
        self.menu().child_labels()
    }

    /// The first entry anywhere in the menu whose label is exactly `label`.
    pub fn find(&self, label: &str) -> Option<MenuItem> {
        self.menu().flatten().into_iter().find(|i| !i.separator && i.label == label).cloned()
    }

    /// Clicks the first entry anywhere in the menu whose label is exactly `label` (dbusmenu
    /// `Event(id, "clicked", <"">, 0)`), as a tray host does.
    ///
    /// # Panics
    /// If there is no such entry, or the call fails.
    pub fn click(&self, label: &str) {
        let menu = self.menu();
        let item = menu
            .flatten()
            .into_iter()
            .find(|i| !i.separator && i.label == label)
            .unwrap_or_else(|| panic!("no menu entry labelled {label:?} in:\n{menu}"))
            .clone();
        self.click_id(item.id).unwrap_or_else(|e| panic!("clicking {label:?} (id {}): {e}", item.id));
    }

    /// Sends `clicked` to the entry with runtime id `id`.
    pub fn click_id(&self, id: i64) -> Result<(), String> {
        let id = id.to_string();
        busctl(
            &self.bus,
            &[
                "call",
                &self.name,
                &self.menu,
                "com.canonical.dbusmenu",
                "Event",
                "--",
                "isvu",
                &id,
                "clicked",
                "s",
                "",
                "0",
            ],
        )
        .map(drop)
    }

    /// Waits until an entry anywhere in the menu satisfies `predicate`; returns it.
    ///
    /// # Panics
    /// After `timeout`, with `what` and the last menu seen.
    pub fn wait_for_label(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        self.try_wait_for_label(what, timeout, predicate).unwrap_or_else(|e| panic!("{e}"))
    }

    /// As [`wait_for_label`](Self::wait_for_label), with the timeout as an error.
    pub fn try_wait_for_label(
        &self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&MenuItem) -> bool,
    ) -> Result<MenuItem, String> {
        self.poll_menu(what, timeout, |menu| menu.flatten().into_iter().find(|i| !i.separator && predicate(i)).cloned())
    }

    /// Waits until `predicate` holds for the whole menu (e.g. an entry is gone); returns the menu.
    ///
    /// # Panics
    /// After `timeout`, with `what` and the last menu seen.
    pub fn wait_for_menu(&self, what: &str, timeout: Duration, predicate: impl Fn(&MenuItem) -> bool) -> MenuItem {
        self.try_wait_for_menu(what, timeout, predicate).unwrap_or_else(|e| panic!("{e}"))
    }

    /// As [`wait_for_menu`](Self::wait_for_menu), with the timeout as an error.
    pub fn try_wait_for_menu(
        &self,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&MenuItem) -> bool,
    ) -> Result<MenuItem, String> {
        self.poll_menu(what, timeout, |menu| predicate(menu).then(|| menu.clone()))
    }

    fn poll_menu<T>(&self, what: &str, timeout: Duration, f: impl Fn(&MenuItem) -> Option<T>) -> Result<T, String> {
        let mut last = String::new();
        let found = poll(timeout, || match self.try_menu() {
            Ok(menu) => {
                last = menu.to_string();
                f(&menu)
            }
            Err(e) => {
                last = e;
                None
            }
        });
        found.ok_or_else(|| {
            format!("timed out after {:.1}s waiting for {what}; the menu:\n{last}", timeout.as_secs_f64())
        })
    }
}

/// `busctl --address=BUS --json=short ARGS`: its JSON output (`null` when it prints nothing), or
/// its error.
pub fn busctl(bus: &str, args: &[&str]) -> Result<Value, String> {
    let mut cmd = Command::new("busctl");
    apply_envs(&mut cmd, &[])
        .arg(format!("--address={bus}"))
        .arg("--json=short")
        .arg(format!("--timeout={DBUS_REPLY_TIMEOUT_SECS}"))
        .args(args);
    let out = run_with_timeout(&mut cmd, None, TOOL_TIMEOUT);
    if !out.status.success() {
        return Err(format!("busctl {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| format!("busctl {args:?}: bad JSON ({e}): {text}"))
}
