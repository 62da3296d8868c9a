//! [`Hygiene`]: the secret-hygiene check of the end-to-end tests. Given the sensitive values a
//! test knows (secret keys, session tokens, MFA codes, external ids, sign-in tokens and links),
//! it looks for each of them in every output the test collected (stdout, stderr, a tray app's
//! log, `--json` output, the notifications a fake server recorded, a window's page source), in
//! every form a leak could take:
//!
//! - raw;
//! - percent-encoded as in a URL or a signed query (every byte but `A-Z a-z 0-9 - . _ ~` as
//!   `%XX`, upper- and lower-case hex), and twice over (a link inside another link's parameter);
//! - form-urlencoded (`application/x-www-form-urlencoded`: a space is `+`, `* - . _` stay);
//! - JSON-escaped (`"` and `\` escaped, `/` as `\/`);
//! - the raw, percent- and form-encoded bytes as a list of numbers, as `Debug` prints a byte
//!   buffer (`Bytes([84, 111, …])`: how the AWS SDK's trace lines print a request body).
//!
//! A short all-digit value (an MFA code, see [`Hygiene::code`]) can occur by chance inside
//! other numbers (timestamps' microseconds, durations, ports), so it counts only where it
//! stands alone: not next to a letter or a digit and not right after a decimal point. That
//! still catches every form a code is sent or printed in (`TokenCode=246813&…`,
//! `"token_code":"246813"`, `code 246813`), and the tests pick codes such as `246813` whose
//! encodings are the code itself.

/// One value that must never show, and what it is (for the failure message, which never
/// repeats the value itself).
#[derive(Clone, Debug)]
struct Sensitive {
    what: String,
    value: String,
    standalone_only: bool,
}

/// The sensitive values of one test; [`Hygiene::assert_clean`] checks outputs against them.
#[derive(Clone, Debug, Default)]
pub struct Hygiene {
    values: Vec<Sensitive>,
}

impl Hygiene {
    /// No values yet.
    pub fn new() -> Hygiene {
        Hygiene::default()
    }

    /// A secret (a secret key, a session token, a sign-in token or link, an external id): found
    /// anywhere, in any encoding.
    ///
    /// # Panics
    /// If `value` is shorter than 8 characters: too short to tell a leak from chance.
    pub fn secret(&mut self, what: &str, value: &str) -> &mut Hygiene {
        assert!(value.len() >= 8, "{what}: a value of {} characters is too short for this check", value.len());
        self.values.push(Sensitive { what: what.to_owned(), value: value.to_owned(), standalone_only: false });
        self
    }

    /// Several secrets of one kind (e.g. every session token a fake issued), numbered.
    pub fn secrets<S: AsRef<str>>(&mut self, what: &str, values: impl IntoIterator<Item = S>) -> &mut Hygiene {
        for (i, v) in values.into_iter().enumerate() {
            self.secret(&format!("{what} #{}", i + 1), v.as_ref());
        }
        self
    }

    /// A one-time code of digits: found only where it stands alone (see the module doc).
    ///
    /// # Panics
    /// If `code` is not 6 to 8 ASCII digits.
    pub fn code(&mut self, what: &str, code: &str) -> &mut Hygiene {
        assert!((6..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()), "{what}: not a code");
        self.values.push(Sensitive { what: what.to_owned(), value: code.to_owned(), standalone_only: true });
        self
    }

    /// These values but those whose description starts with one of `whats`: for an output that
    /// shows some values on purpose (`env` prints the session, `console --print` the link).
    pub fn except(&self, whats: &[&str]) -> Hygiene {
        let values = self.values.iter().filter(|s| !whats.iter().any(|w| s.what.starts_with(w))).cloned().collect();
        Hygiene { values }
    }

    /// How many values are checked.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is checked.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every leak in `outputs` (name, text): one line per value, form and output, with the line
    /// it is in and the value itself replaced by `<what>`. Empty when clean.
    pub fn leaks(&self, outputs: &[(&str, &str)]) -> Vec<String> {
        let mut found = Vec::new();
        for s in &self.values {
            for (form, encoded) in encodings(&s.value) {
                for (name, text) in outputs {
                    if let Some(at) = find(text, &encoded, s.standalone_only) {
                        let line = line_at(text, at).replace(&encoded, &format!("<{}>", s.what));
                        found.push(format!("{} ({form}) in {name}: {}", s.what, clip(&line, 400)));
                    }
                }
            }
        }
        found
    }

    /// Panics, listing each leak, if any value shows in any of `outputs` (name, text); returns
    /// the number of (value, form, output) combinations checked.
    ///
    /// # Panics
    /// If `outputs` is empty or a leak is found.
    pub fn assert_clean(&self, outputs: &[(&str, &str)]) -> usize {
        assert!(!outputs.is_empty() && !self.values.is_empty(), "nothing to check");
        let leaks = self.leaks(outputs);
        assert!(leaks.is_empty(), "{} leak(s) of sensitive values:\n{}", leaks.len(), leaks.join("\n"));
        self.values.iter().map(|s| encodings(&s.value).len()).sum::<usize>() * outputs.len()
    }
}

/// The distinct forms `value` may take in an output: (name, text).
pub fn encodings(value: &str) -> Vec<(&'static str, String)> {
    let once = percent(value, false);
    let candidates = [
        ("raw", value.to_owned()),
        ("percent-encoded", once.clone()),
        ("percent-encoded, lower-case hex", percent(value, true)),
        ("percent-encoded twice", percent(&once, false)),
        ("form-urlencoded", form(value)),
        ("JSON-escaped", json_escaped(value)),
    ];
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (name, text) in candidates {
        if !out.iter().any(|(_, t)| *t == text) {
            out.push((name, text));
        }
    }
    // A body printed as `Debug` of its bytes: `[84, 111, 107, …]`.
    let lists: Vec<(&'static str, String)> = out
        .iter()
        .filter(|(name, _)| matches!(*name, "raw" | "percent-encoded" | "form-urlencoded"))
        .map(|(name, text)| {
            let list = text.bytes().map(|b| b.to_string()).collect::<Vec<_>>().join(", ");
            let name = match *name {
                "raw" => "bytes as numbers",
                "percent-encoded" => "percent-encoded bytes as numbers",
                _ => "form-urlencoded bytes as numbers",
            };
            (name, list)
        })
        .collect();
    for (name, list) in lists {
        if !out.iter().any(|(_, t)| *t == list) {
            out.push((name, list));
        }
    }
    out
}

fn percent(value: &str, lower: bool) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn form(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn json_escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('/', "\\/")
}

/// The first place `needle` occurs in `text` (standing alone, if asked).
fn find(text: &str, needle: &str, standalone_only: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(needle).map(|i| i + from) {
        let end = i + needle.len();
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(end).copied();
        let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
        if !standalone_only || !(glued(before) || glued(after) || before == Some(b'.')) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

fn line_at(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let end = (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_a_secret_is_found_and_named() {
        let secret = "abc/DEF+ghi=jkl mno";
        let mut h = Hygiene::new();
        h.secret("the secret", secret);
        for (form, text) in [
            ("raw", format!("x {secret} y")),
            ("percent-encoded", "Key=abc%2FDEF%2Bghi%3Djkl%20mno&x".to_owned()),
            ("lower-case hex", "abc%2fDEF%2bghi%3djkl%20mno".to_owned()),
            ("twice", "redirect_uri=abc%252FDEF%252Bghi%253Djkl%2520mno".to_owned()),
            ("form-urlencoded", "Session=abc%2FDEF%2Bghi%3Djkl+mno".to_owned()),
            ("JSON-escaped", r#"{"k":"abc\/DEF+ghi=jkl mno"}"#.to_owned()),
            (
                "bytes as numbers",
                "body: Bytes([38, 97, 98, 99, 37, 50, 70, 68, 69, 70, 37, 50, 66, 103, 104, 105, 37, 51, 68, 106, 107, \
                 108, 37, 50, 48, 109, 110, 111, 38])"
                    .to_owned(),
            ),
        ] {
            let leaks = h.leaks(&[("stderr", &text)]);
            assert_eq!(leaks.len(), 1, "{form}: {leaks:?}");
            assert!(leaks[0].starts_with("the secret (") && leaks[0].contains("in stderr"), "{leaks:?}");
            assert!(!leaks[0].contains(secret) && leaks[0].contains("<the secret>"), "{leaks:?}");
        }
        assert!(h.leaks(&[("stderr", "abc/DEF+ghi=jkl"), ("stdout", "")]).is_empty());
        assert!(h.assert_clean(&[("a", "nothing"), ("b", "here")]) >= 12);
        assert!(h.except(&["the secret"]).is_empty() && h.except(&["other"]).len() == 1);
    }

    #[test]
    fn a_code_counts_only_where_it_stands_alone() {
        let mut h = Hygiene::new();
        h.code("the MFA code", "246813");
        for clean in [
            "2026-01-01T00:00:00.246813Z INFO x",
            "elapsed=1.246813s",
            "port 12468130",
            "time.busy=246813ns",
            "id=a246813",
        ] {
            assert!(h.leaks(&[("log", clean)]).is_empty(), "{clean}");
        }
        for leak in [
            "TokenCode=246813&Version",
            "\"token_code\":\"246813\"",
            "code 246813",
            "246813",
            "[61, 50, 52, 54, 56, 49, 51]",
        ] {
            assert_eq!(h.leaks(&[("log", leak)]).len(), 1, "{leak}");
        }
    }
}
