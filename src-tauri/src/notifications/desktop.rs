//! The desktop's notifications through notify-rust ([`Desktop`]), and the escaping of bodies for
//! servers that read markup ([`escape_markup`]).

use std::borrow::Cow;

use rolecall_core::notice::Notice;

use super::{Backend, Signal};

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
        if let Err(e) = super::linux::close(id) {
            tracing::debug!(error = %e, id, "cannot close a notification");
        }
        #[cfg(not(target_os = "linux"))]
        let _ = id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
