//! [`TauriDriver`]: `tauri-driver` (in front of WebKitGTK's `WebKitWebDriver`) on a [`Desktop`];
//! [`WebDriver`]: a minimal W3C WebDriver client for the app's webviews, over the harness's
//! HTTP ([`crate::http`]) with serde_json: sessions, elements by CSS selector, clicks, keys, text,
//! attributes, windows, scripts, page source and screenshots.
//!
//! A session launches the app itself (`tauri:options.application` and `args`), with
//! tauri-driver's environment: the sandbox's and the desktop's. The capabilities carry no
//! `browserName` (WebKitWebDriver would then fail to match). Deleting the session (done when the
//! [`WebDriver`] is dropped) ends the app.
//!
//! The new session is asked of tauri-driver (which turns `tauri:options` into WebKitGTK's
//! `webkitgtk:browserOptions`); the session's commands then go to the WebKitWebDriver that
//! tauri-driver started on the native port, because tauri-driver's relay now and then closed a
//! connection without an answer (see [`TauriDriver::session`]). A window the app opens later (the
//! MFA window) shows up in [`WebDriver::window_handles`] and can be switched to.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::desktop::{Desktop, tray_envs};
use crate::http::{self, Request};
use crate::keychain::Keychain;
use crate::moto::Moto;
use crate::process::Supervised;
use crate::sandbox::Sandbox;
use crate::util::{apply_envs, free_port, poll, tail};

/// How long tauri-driver may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one WebDriver request may take (a new session starts the app).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The key of an element reference in W3C WebDriver JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The Enter key, for [`WebDriver::send_keys`].
pub const ENTER: &str = "\u{E007}";
/// The Tab key, for [`WebDriver::send_keys`].
pub const TAB: &str = "\u{E004}";

/// An error a WebDriver endpoint answered with (or a transport failure, with `error` "io").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WdError {
    /// The HTTP status (0 for a transport failure).
    pub status: u16,
    /// The W3C error code (`no such element`, `stale element reference`…).
    pub error: String,
    /// The driver's message.
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.error, self.status, self.message)
    }
}

/// tauri-driver on a free port (and WebKitWebDriver on another); stopped when dropped.
pub struct TauriDriver {
    port: u16,
    native: u16,
    process: Supervised,
    _dir: TempDir,
}

impl TauriDriver {
    /// Starts `tauri-driver --port P --native-port Q` with the sandbox's environment against
    /// `moto` and `keychain` plus the desktop's, and waits until it answers `GET /status`.
    ///
    /// # Panics
    /// If it exits or does not answer within 20 s (after three tries on other ports).
    pub fn start(sandbox: &Sandbox, moto: &Moto, keychain: &Keychain, desktop: &Desktop) -> TauriDriver {
        TauriDriver::start_with_envs(sandbox, &tray_envs(sandbox, moto, keychain, desktop))
    }

    /// As [`start`](Self::start), with exactly `envs` (e.g. [`tray_envs`] plus `ROLECALL_LOG`, or
    /// with `AWS_ENDPOINT_URL` at a recording proxy): the app it launches inherits them.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn start_with_envs(sandbox: &Sandbox, envs: &[(String, String)]) -> TauriDriver {
        let dir = tempfile::Builder::new().prefix("rc-wd-").tempdir().expect("temp dir");
        for attempt in 1..=3 {
            let (port, native) = (free_port(), free_port());
            let mut cmd = Command::new(tauri_driver_bin());
            apply_envs(&mut cmd, envs)
                .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
                .current_dir(sandbox.home());
            let log = dir.path().join(format!("tauri-driver-{port}.log"));
            let mut process = Supervised::spawn("tauri-driver", &cmd, &log, None);
            let ready = poll(START_TIMEOUT, || {
                if let Some(status) = process.exited() {
                    return Some(Err(status));
                }
                // Ready once the WebKitWebDriver it started answers. Asked directly, so that
                // tauri-driver's relay keeps no connection that WebKitWebDriver may have closed
                // by the time the session is asked for.
                let ready = request(native, "GET", "/status", None)
                    .ok()
                    .and_then(|(status, body)| (status == 200).then_some(body))
                    .and_then(|body| serde_json::from_slice::<Value>(&body).ok())
                    .is_some_and(|v| v["value"]["ready"] == Value::Bool(true));
                ready.then_some(Ok(()))
            });
            match ready {
                Some(Ok(())) => return TauriDriver { port, native, process, _dir: dir },
                Some(Err(status)) if attempt < 3 => {
                    eprintln!("harness: tauri-driver exited with {status} on port {port}; trying another port")
                }
                Some(Err(status)) => {
                    panic!("tauri-driver exited with {status}; its output:\n{}", tail(&process.log(), 4000))
                }
                None => panic!("tauri-driver did not answer within {START_TIMEOUT:?}:\n{}", tail(&process.log(), 4000)),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// A new session that launches `application` with `args` (e.g. `["--settings"]`).
    ///
    /// # Panics
    /// If the driver refuses, with its log.
    pub fn session(&self, application: &Path, args: &[&str]) -> WebDriver {
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application.to_string_lossy(), "args": args }
                }
            }
        });
        let value = call(self.port, "POST", "/session", Some(&caps)).unwrap_or_else(|e| {
            panic!("new WebDriver session failed: {e}\ntauri-driver:\n{}", tail(&self.log(), 4000))
        });
        let session = value["sessionId"].as_str().unwrap_or_else(|| panic!("no sessionId in {value}")).to_owned();
        // Every later command goes straight to WebKitWebDriver (tauri-driver only translates the
        // capabilities of a new session, then relays): through tauri-driver's relay, one command
        // in a few dozen failed with the connection closed and no answer ("client error
        // (Connect)": connection refused, or "(SendRequest)" in its log), which cannot be retried
        // safely for a click; straight to WebKitWebDriver, none did.
        WebDriver { port: self.native, session, deleted: false }
    }

    /// What tauri-driver and WebKitWebDriver (and the app, whose output they pass on) printed.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// `tauri-driver`: on PATH, else in `$CARGO_HOME/bin` or `~/.cargo/bin` (where
/// `cargo install tauri-driver` puts it).
pub fn tauri_driver_bin() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("tauri-driver")).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    on_path
        .into_iter()
        .chain(cargo_home.map(|c| c.join("bin").join("tauri-driver")))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("tauri-driver not found on PATH nor in ~/.cargo/bin: `cargo install tauri-driver --locked`")
        })
}

/// A reference to an element of the current window's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element(String);

/// One WebDriver session (one launched app); deleted when dropped.
pub struct WebDriver {
    port: u16,
    session: String,
    deleted: bool,
}

impl WebDriver {
    /// `[data-testid="ID"]`, the selector of the UI's test ids.
    pub fn testid(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    /// One command of this session: `METHOD /session/ID/PATH` with `body`; its `value`.
    pub fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, WdError> {
        call(self.port, method, &format!("/session/{}{path}", self.session), body)
    }

    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.command(method, path, body).unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// The first element matching the CSS selector `css`.
    pub fn find(&self, css: &str) -> Result<Element, WdError> {
        let value = self.command("POST", "/element", Some(&json!({"using": "css selector", "value": css})))?;
        element(&value).ok_or_else(|| WdError { status: 200, error: "bad reply".into(), message: value.to_string() })
    }

    /// Every element matching `css`.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self.ok("POST", "/elements", Some(&json!({"using": "css selector", "value": css})));
        value.as_array().map(|a| a.iter().filter_map(element).collect()).unwrap_or_default()
    }

    /// Waits until an element matches `css` and returns it.
    ///
    /// # Panics
    /// After `timeout`.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let mut last = None;
        poll(timeout, || match self.find(css) {
            Ok(e) => Some(e),
            Err(e) => {
                last = Some(e);
                None
            }
        })
        .unwrap_or_else(|| panic!("no element {css:?} after {:.1}s (last: {last:?})", timeout.as_secs_f64()))
    }

    /// Waits until `f` returns `Some` (errors count as not yet); returns the value.
    ///
    /// # Panics
    /// After `timeout`, with `what`.
    pub fn wait_until<T>(&self, what: &str, timeout: Duration, mut f: impl FnMut(&WebDriver) -> Option<T>) -> T {
        poll(timeout, || f(self))
            .unwrap_or_else(|| panic!("timed out after {:.1}s waiting for {what}", timeout.as_secs_f64()))
    }

    /// Waits until the element matching `css` has a rendered text (WebDriver "Get Element
    /// Text") for which `predicate` holds; the text.
    ///
    /// WebKitWebDriver gives "" for an element styled `overflow: hidden` (a table cell, a line
    /// cut with an ellipsis) even when its text shows: use
    /// [`wait_for_text_content`](Self::wait_for_text_content) for those.
    ///
    /// # Panics
    /// After `timeout`, with the last text seen.
    pub fn wait_for_text(&self, css: &str, timeout: Duration, predicate: impl Fn(&str) -> bool) -> String {
        self.wait_text(css, timeout, predicate, |wd, e| wd.try_text(e))
    }

    /// As [`wait_for_text`](Self::wait_for_text), with the element's `textContent`.
    pub fn wait_for_text_content(&self, css: &str, timeout: Duration, predicate: impl Fn(&str) -> bool) -> String {
        self.wait_text(css, timeout, predicate, |wd, e| {
            wd.command("GET", &format!("/element/{}/property/textContent", e.0), None)
                .map(|v| v.as_str().unwrap_or_default().to_owned())
        })
    }

    fn wait_text(
        &self,
        css: &str,
        timeout: Duration,
        predicate: impl Fn(&str) -> bool,
        read: impl Fn(&WebDriver, &Element) -> Result<String, WdError>,
    ) -> String {
        let mut last = String::new();
        poll(timeout, || {
            let text = self.find(css).and_then(|e| read(self, &e)).ok()?;
            let hit = predicate(&text);
            last = text;
            hit.then(|| last.clone())
        })
        .unwrap_or_else(|| panic!("{css:?}: text still {last:?} after {:.1}s", timeout.as_secs_f64()))
    }

    /// Clicks `element` (scrolled into view, as a user would).
    ///
    /// # Panics
    /// If the driver refuses (e.g. the element is hidden, covered or gone).
    pub fn click(&self, element: &Element) {
        self.try_click(element).unwrap_or_else(|e| panic!("WebDriver click: {e}"));
    }

    /// Clicks `element`, or says why the driver refused.
    pub fn try_click(&self, element: &Element) -> Result<(), WdError> {
        self.command("POST", &format!("/element/{}/click", element.0), Some(&json!({}))).map(drop)
    }

    /// Finds `css` and clicks it, finding it again while the page replaces it (a list the
    /// window re-renders on every change event) or it cannot be clicked yet, for up to 10 s.
    ///
    /// # Panics
    /// After 10 s, with the last refusal.
    pub fn click_css(&self, css: &str) {
        let mut last = None;
        let done = poll(Duration::from_secs(10), || match self.find(css).and_then(|e| self.try_click(&e)) {
            Ok(()) => Some(()),
            Err(e) => {
                last = Some(e);
                None
            }
        });
        assert!(done.is_some(), "could not click {css:?} in 10 s: {last:?}");
    }

    /// Types `text` into `element` (WebDriver "send keys": `ENTER`, `TAB` are keys).
    pub fn send_keys(&self, element: &Element, text: &str) {
        self.ok("POST", &format!("/element/{}/value", element.0), Some(&json!({ "text": text })));
    }

    /// Empties an input.
    pub fn clear(&self, element: &Element) {
        self.ok("POST", &format!("/element/{}/clear", element.0), Some(&json!({})));
    }

    /// Finds `css` (waiting up to 10 s), brings it into view (WebKit's driver refuses to clear
    /// a field scrolled out of a form's view as "not interactable"), empties it and types `text`.
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.wait_for(css, Duration::from_secs(10));
        self.execute("arguments[0].scrollIntoView({block: 'center'});", &[json!({ ELEMENT_KEY: e.0 })]);
        self.clear(&e);
        self.send_keys(&e, text);
    }

    /// The element's `textContent` (its text whether or not WebKit counts it as rendered).
    pub fn text_content(&self, element: &Element) -> String {
        self.property(element, "textContent").as_str().unwrap_or_default().to_owned()
    }

    /// The element's rendered text (WebDriver "Get Element Text").
    pub fn text(&self, element: &Element) -> String {
        self.try_text(element).unwrap_or_else(|e| panic!("WebDriver text: {e}"))
    }

    fn try_text(&self, element: &Element) -> Result<String, WdError> {
        let v = self.command("GET", &format!("/element/{}/text", element.0), None)?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// An attribute of the element, `None` when absent.
    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.try_attribute(element, name).unwrap_or_else(|e| panic!("WebDriver attribute {name}: {e}"))
    }

    /// An attribute of the element, or the driver's error (e.g. a stale element).
    pub fn try_attribute(&self, element: &Element, name: &str) -> Result<Option<String>, WdError> {
        let v = self.command("GET", &format!("/element/{}/attribute/{name}", element.0), None)?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// An attribute of the element matching `css`, found again while the page replaces it, for
    /// up to 10 s (`None` when the attribute is absent).
    ///
    /// # Panics
    /// If no element matches for 10 s.
    pub fn attribute_of(&self, css: &str, name: &str) -> Option<String> {
        poll(Duration::from_secs(10), || self.find(css).and_then(|e| self.try_attribute(&e, name)).ok())
            .unwrap_or_else(|| panic!("no element {css:?} to read {name} from in 10 s"))
    }

    /// A DOM property of the element (`value`, `checked`, `disabled`…).
    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.ok("GET", &format!("/element/{}/property/{name}", element.0), None)
    }

    /// Whether the element is enabled (not `disabled`).
    pub fn is_enabled(&self, element: &Element) -> bool {
        self.try_is_enabled(element).unwrap_or_else(|e| panic!("WebDriver enabled: {e}"))
    }

    /// Whether the element is enabled, or the driver's error (e.g. a stale element).
    pub fn try_is_enabled(&self, element: &Element) -> Result<bool, WdError> {
        let v = self.command("GET", &format!("/element/{}/enabled", element.0), None)?;
        Ok(v.as_bool().unwrap_or(false))
    }

    /// Whether the element is displayed.
    pub fn is_displayed(&self, element: &Element) -> bool {
        self.ok("GET", &format!("/element/{}/displayed", element.0), None).as_bool().unwrap_or(false)
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page; its return value.
    pub fn execute(&self, script: &str, args: &[Value]) -> Value {
        self.ok("POST", "/execute/sync", Some(&json!({ "script": script, "args": args })))
    }

    /// Runs `script` asynchronously: it finishes by calling `arguments[arguments.length - 1]`
    /// with its result.
    pub fn execute_async(&self, script: &str, args: &[Value]) -> Value {
        self.ok("POST", "/execute/async", Some(&json!({ "script": script, "args": args })))
    }

    /// The page's source (the DOM serialised now).
    pub fn page_source(&self) -> String {
        self.ok("GET", "/source", None).as_str().unwrap_or_default().to_owned()
    }

    /// The current window's title.
    pub fn title(&self) -> String {
        self.ok("GET", "/title", None).as_str().unwrap_or_default().to_owned()
    }

    /// The current page's URL.
    pub fn url(&self) -> String {
        self.ok("GET", "/url", None).as_str().unwrap_or_default().to_owned()
    }

    /// The handles of every window of the session.
    pub fn window_handles(&self) -> Vec<String> {
        let v = self.ok("GET", "/window/handles", None);
        v.as_array().map(|a| a.iter().filter_map(|h| h.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    }

    /// The current window's handle.
    pub fn window_handle(&self) -> Result<String, WdError> {
        self.command("GET", "/window", None).map(|v| v.as_str().unwrap_or_default().to_owned())
    }

    /// Makes `handle` the current window.
    pub fn switch_to_window(&self, handle: &str) {
        self.ok("POST", "/window", Some(&json!({ "handle": handle })));
    }

    /// Saves a PNG of the current window's page to `path`, creating its directory, once the page
    /// has painted what it shows (two animation frames): WebKit's snapshot can otherwise be a
    /// frame old.
    pub fn screenshot(&self, path: &Path) {
        self.execute_async(
            "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            &[],
        );
        let data = self.ok("GET", "/screenshot", None);
        let png = base64_decode(data.as_str().unwrap_or_default()).expect("the screenshot is base64");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create screenshot dir");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Ends the session (and the app). Also done on drop.
    pub fn delete(&mut self) {
        if !self.deleted {
            self.deleted = true;
            if let Err(e) = self.command("DELETE", "", None) {
                eprintln!("harness: deleting the WebDriver session failed: {e}");
            }
        }
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        self.delete();
    }
}

fn element(value: &Value) -> Option<Element> {
    value.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| Element(id.to_owned()))
}

/// One WebDriver call: the reply's `value`, or its error.
///
/// A request that has no side effect (a GET, finding elements, switching windows) is sent again,
/// up to five times in 2 s, when the connection closes without an answer: tauri-driver does that
/// now and then while the app opens a new window.
fn call(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, WdError> {
    let retry = method == "GET" || ["/window", "/element", "/elements"].iter().any(|p| path.ends_with(p));
    let mut attempt = 0;
    let (status, body) = loop {
        attempt += 1;
        match request(port, method, path, body) {
            Ok(reply) => break reply,
            Err(e) if retry && attempt < 5 => {
                eprintln!("harness: WebDriver {method} {path}: {e}; sending it again");
                std::thread::sleep(Duration::from_millis(400));
            }
            Err(e) => {
                return Err(WdError { status: 0, error: "io".into(), message: format!("{method} {path}: {e}") });
            }
        }
    };
    let reply: Value = serde_json::from_slice(&body).map_err(|e| WdError {
        status,
        error: "bad reply".into(),
        message: format!("{e}: {}", String::from_utf8_lossy(&body)),
    })?;
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(value);
    }
    Err(WdError {
        status,
        error: value["error"].as_str().unwrap_or("unknown error").to_owned(),
        message: value["message"].as_str().unwrap_or_default().to_owned(),
    })
}

/// One HTTP/1.1 request to 127.0.0.1:`port` with a JSON body ([`http::request`]): the status and
/// the body.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<(u16, Vec<u8>)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = Request::new(method, path)
        .header_line("Accept", "application/json")
        .header_line("Content-Type", "application/json; charset=utf-8")
        .body(body);
    let response = http::request(port, &request, REQUEST_TIMEOUT)?;
    Ok((response.status, response.body))
}

/// Decodes standard base64 (padding and whitespace allowed).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=\n").unwrap(), b"hi");
        assert_eq!(base64_decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
        assert!(base64_decode("a*b").is_none());
    }
}
