//! The sign-in page: a private local file that sends the browser on to the login URL.
//!
//! The login URL is a bearer secret, and a program's arguments are not private: every local user
//! can read them (`/proc/PID/cmdline`, `ps`) for as long as the opener and, when it was not running
//! yet, the browser run. So the browser is given `file:///…/signin-RANDOM.html` instead, and that
//! page redirects (a `<meta http-equiv="refresh">` and `location.replace`) to the login URL.
//!
//! - **Where**: `$XDG_RUNTIME_DIR/rolecall` (a per-user tmpfs, emptied at logout) when that
//!   directory exists, else `signin` in rolecall's cache directory (`$XDG_CACHE_HOME/rolecall` or
//!   `~/.cache/rolecall`; `~/Library/Caches/rolecall` on macOS; `%LOCALAPPDATA%\rolecall` on
//!   Windows).
//! - **How**: the directory is created 0700 and opened without following a symbolic link; one owned
//!   by another user is refused and a looser mode tightened. The page is created inside it through
//!   that handle, 0600, exclusively (never over an existing file or link), named with 128 random
//!   bits from the OS's CSPRNG.
//! - **How long**: the browser reads the page some time after the opener hands it over (a browser
//!   that was not running has to start first), and rolecall cannot tell when. The page is removed
//!   [`PAGE_LIFETIME`] after the hand-over by a small detached `sh` (Unix), so that it goes even
//!   when the CLI exits at once or the tray quits; elsewhere, or if that cannot start, by a thread
//!   of this process. Every sign-in first sweeps pages older than that, which catches any a
//!   remover did not get to (a logout, a crash).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long a page stays after it was handed to the browser.
pub const PAGE_LIFETIME: Duration = Duration::from_secs(60);

/// Page names: `signin-` + 32 hex digits + `.html`.
const PREFIX: &str = "signin-";
const SUFFIX: &str = ".html";

/// A private directory for pages: `parent/leaf`. `create_parent` says whether `parent` may be
/// created (rolecall's cache directory) or must already exist (the runtime directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageDir {
    /// The directory that holds the private one.
    pub parent: PathBuf,
    /// The private directory's name.
    pub leaf: &'static str,
    /// Whether `parent` may be created.
    pub create_parent: bool,
}

impl PageDir {
    /// The private directory's path.
    pub fn path(&self) -> PathBuf {
        self.parent.join(self.leaf)
    }
}

/// Where pages go, from the environment variables `var` gives (see the module's documentation):
/// the runtime directory when it exists, else the cache directory.
pub fn page_dir_from(var: impl Fn(&str) -> Option<String>) -> Option<PageDir> {
    let get = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from).filter(|p| p.is_absolute());
    // A runtime directory that is gone (a variable carried over by `su`, say) is passed over.
    if !cfg!(windows)
        && let Some(runtime) = get("XDG_RUNTIME_DIR").filter(|p| p.is_dir())
    {
        return Some(PageDir { parent: runtime, leaf: "rolecall", create_parent: false });
    }
    let home = get("HOME").or_else(|| get("USERPROFILE"));
    let cache = if cfg!(windows) {
        get("LOCALAPPDATA").or_else(|| home.map(|h| h.join("AppData").join("Local")))
    } else if cfg!(target_os = "macos") {
        home.map(|h| h.join("Library").join("Caches"))
    } else {
        get("XDG_CACHE_HOME").or_else(|| home.map(|h| h.join(".cache")))
    }?;
    Some(PageDir { parent: cache.join("rolecall"), leaf: "signin", create_parent: true })
}

/// A page on disk.
#[derive(Debug)]
pub struct Page {
    /// Its path.
    pub path: PathBuf,
}

impl Page {
    /// The `file://` URL the browser is given.
    pub fn url(&self) -> String {
        file_url(&self.path)
    }
}

/// Writes a page that redirects to `login` in `dir` (created as needed), after sweeping pages
/// older than `lifetime` out of it. Errors are in words for a `(detail)`: they name the directory,
/// never the URL.
pub fn write(dir: &PageDir, login: &str, lifetime: Duration) -> Result<Page, String> {
    let path = dir.path();
    if dir.create_parent {
        std::fs::create_dir_all(&dir.parent)
            .map_err(|e| format!("cannot create {}: {}", dir.parent.display(), io_reason(&e)))?;
    }
    let handle = private::open_dir(&dir.parent, dir.leaf).map_err(|e| format!("{}: {e}", path.display()))?;
    sweep(&path, SystemTime::now(), lifetime);
    let name = random_name().map_err(|e| format!("no random name for the sign-in page: {e}"))?;
    let mut file = private::create_file(&handle, &name)
        .map_err(|e| format!("cannot create the sign-in page in {}: {}", path.display(), io_reason(&e)))?;
    let page = Page { path: path.join(&name) };
    if let Err(e) = file.write_all(html(login).as_bytes()).and_then(|()| file.flush()) {
        let _ = std::fs::remove_file(&page.path);
        return Err(format!("cannot write the sign-in page in {}: {}", path.display(), io_reason(&e)));
    }
    Ok(page)
}

/// Removes the pages in `dir` last modified more than `lifetime` before `now` (or in the future
/// by more than that: a clock set back). Other files are left alone.
pub fn sweep(dir: &Path, now: SystemTime, lifetime: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_page_name(name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta.modified().ok().map(|m| now.duration_since(m).unwrap_or_else(|e| e.duration()));
        if meta.is_file() && age.is_some_and(|a| a > lifetime) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes `page` after `delay`, whether or not this process is still running then (see the
/// module's documentation).
pub fn remove_later(page: Page, delay: Duration) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        // Its own process group: a Ctrl-C in the terminal the CLI ran in does not reach it. Its
        // arguments are the delay and the page's path, never the URL.
        let spawned = Command::new("/bin/sh")
            .arg("-c")
            .arg("sleep \"$1\"; rm -f -- \"$2\"")
            .arg("rolecall-signin-cleanup")
            .arg(delay.as_secs().max(1).to_string())
            .arg(&page.path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        if let Ok(mut child) = spawned {
            // Reaped by this process if it lives that long, else by the system.
            std::thread::spawn(move || child.wait());
            return;
        }
    }
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let _ = std::fs::remove_file(&page.path);
    });
}

fn is_page_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `signin-` + 128 bits from the OS's CSPRNG in hex + `.html`.
fn random_name() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{PREFIX}{hex}{SUFFIX}"))
}

/// The page: a meta refresh and a script to the same URL, and a link for a browser that follows
/// neither. It loads nothing else.
pub fn html(login: &str) -> String {
    let attr = html_attribute(login);
    let js = js_string(login);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={attr}\">\n\
         <title>rolecall: AWS console sign-in</title>\n\
         <script>location.replace({js});</script>\n</head>\n\
         <body><p><a href=\"{attr}\">Continue to the AWS console</a></p></body>\n</html>\n"
    )
}

/// `s` for a double-quoted HTML attribute value: `& < > " '` as character references.
pub fn html_attribute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as a double-quoted JavaScript string literal that is also safe inside `<script>`: every
/// character but letters, digits and `-._~:/?=&%+,;@!*()$#` as a `\uXXXX` escape (so no quote,
/// backslash, `<`, line terminator or non-ASCII character appears raw).
pub fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-._~:/?=&%+,;@!*()$#".contains(c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('"');
    out
}

/// `file://` + the absolute path, percent-encoded (letters, digits, `-._~/` stay; on Windows `\`
/// becomes `/` and the drive's `:` stays).
pub fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = if cfg!(windows) { text.replace('\\', "/") } else { text.into_owned() };
    let mut out = String::from(if text.starts_with('/') { "file://" } else { "file:///" });
    for (i, b) in text.bytes().enumerate() {
        let drive_colon = cfg!(windows) && i == 1 && b == b':';
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || drive_colon {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An IO error without its "(os error N)" suffix: "Permission denied".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.split_once(" (os error") {
        Some((reason, _)) => reason.to_lowercase(),
        None => text.to_lowercase(),
    }
}

/// Why an existing directory may not hold pages, given its owner and this process's user:
/// `None` when it may.
pub fn refuse_dir(owner: u32, me: u32) -> Option<String> {
    (owner != me).then(|| format!("is owned by another user (uid {owner}); remove it"))
}

#[cfg(unix)]
mod private {
    //! The directory and the file through `openat`, never following a link.

    use std::fs::{File, Permissions};
    use std::io;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    use rustix::fs::{Mode, OFlags};

    /// `parent/leaf`, created 0700 if absent, opened without following a link, checked to be a
    /// directory of this user's, and made 0700 if it is looser.
    pub fn open_dir(parent: &Path, leaf: &str) -> Result<File, String> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let parent_fd = rustix::fs::open(parent, flags, Mode::empty())
            .map_err(|e| format!("cannot open its parent directory: {}", super::io_reason(&e.into())))?;
        match rustix::fs::mkdirat(&parent_fd, leaf, Mode::RWXU) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(format!("cannot create it: {}", super::io_reason(&e.into()))),
        }
        let fd = rustix::fs::openat(&parent_fd, leaf, flags | OFlags::NOFOLLOW, Mode::empty()).map_err(|e| {
            if matches!(e, rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR) {
                "is a symbolic link or not a directory; remove it".to_owned()
            } else {
                format!("cannot open it: {}", super::io_reason(&e.into()))
            }
        })?;
        let dir = File::from(fd);
        let meta = dir.metadata().map_err(|e| format!("cannot read it: {}", super::io_reason(&e)))?;
        if let Some(why) = super::refuse_dir(meta.uid(), rustix::process::geteuid().as_raw()) {
            return Err(why);
        }
        if meta.mode() & 0o077 != 0 {
            dir.set_permissions(Permissions::from_mode(0o700))
                .map_err(|e| format!("cannot make it private: {}", super::io_reason(&e)))?;
        }
        Ok(dir)
    }

    /// A new file `name` in `dir`, 0600; never an existing file or a link.
    pub fn create_file(dir: &File, name: &str) -> io::Result<File> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(dir, name, flags, Mode::RUSR | Mode::WUSR)?;
        Ok(File::from(fd))
    }
}

#[cfg(not(unix))]
mod private {
    //! Elsewhere: the directory inherits the user profile's access rules.

    use std::fs::File;
    use std::io;
    use std::path::{Path, PathBuf};

    /// The directory, created if absent; a link is refused.
    pub fn open_dir(parent: &Path, leaf: &str) -> Result<PathBuf, String> {
        let path = parent.join(leaf);
        match std::fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create it: {}", super::io_reason(&e))),
        }
        let meta = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read it: {}", super::io_reason(&e)))?;
        if !meta.is_dir() {
            return Err("is a symbolic link or not a directory; remove it".to_owned());
        }
        Ok(path)
    }

    /// A new file `name` in `dir`; never an existing one.
    pub fn create_file(dir: &Path, name: &str) -> io::Result<File> {
        std::fs::OpenOptions::new().write(true).create_new(true).open(dir.join(name))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A login URL with every character that could break out of an attribute or a script.
    const HOSTILE: &str = "http://127.0.0.1:1/f'ed\"e<r>a&t\\ion</script><!--\u{2028}é?Action=login&SigninToken=a%2Bb";

    fn dir_in(tmp: &tempfile::TempDir) -> PageDir {
        PageDir { parent: tmp.path().join("run"), leaf: "rolecall", create_parent: true }
    }

    #[test]
    fn the_page_redirects_to_exactly_the_url_and_nothing_breaks_out() {
        let page = html(HOSTILE);
        // The script's string literal: no raw quote, backslash, `<` or line terminator inside.
        let start = page.find("location.replace(\"").unwrap() + "location.replace(\"".len();
        let literal = &page[start..start + page[start..].find("\")").unwrap()];
        assert!(!literal.contains(['"', '<', '>', '\'', '\u{2028}', '\n']), "{literal}");
        let mut units = Vec::new();
        let mut rest = literal;
        while !rest.is_empty() {
            if let Some(hex) = rest.strip_prefix("\\u") {
                units.push(u16::from_str_radix(&hex[..4], 16).unwrap());
                rest = &hex[4..];
            } else {
                let c = rest.chars().next().unwrap();
                assert!(c.is_ascii() && c != '\\', "{c:?} raw in {literal}");
                units.push(c as u16);
                rest = &rest[1..];
            }
        }
        assert_eq!(String::from_utf16(&units).unwrap(), HOSTILE);
        // The attributes: quotes and markup as character references, decoding back to the URL.
        let attr = html_attribute(HOSTILE);
        assert!(!attr.contains(['"', '<', '>', '\'']), "{attr}");
        let decoded = attr
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert_eq!(decoded, HOSTILE);
        assert!(page.contains(&format!("content=\"0;url={attr}\"")) && page.contains(&format!("href=\"{attr}\"")));
        assert_eq!(page.matches("<script>").count(), 1, "{page}");
        assert!(!page.contains("src=") && !page.contains("<link"), "loads nothing: {page}");
    }

    #[test]
    fn pages_are_private_random_and_hold_the_redirect() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir_in(&tmp);
        std::fs::create_dir_all(&dir.parent).unwrap();
        let a = write(&dir, "https://signin.example/federation?SigninToken=one", PAGE_LIFETIME).unwrap();
        let b = write(&dir, "https://signin.example/federation?SigninToken=two", PAGE_LIFETIME).unwrap();
        assert_ne!(a.path, b.path);
        for (page, token) in [(&a, "one"), (&b, "two")] {
            assert_eq!(page.path.parent(), Some(dir.path().as_path()));
            assert!(is_page_name(page.path.file_name().unwrap().to_str().unwrap()), "{:?}", page.path);
            let meta = std::fs::symlink_metadata(&page.path).unwrap();
            assert!(meta.is_file());
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
            assert!(std::fs::read_to_string(&page.path).unwrap().contains(&format!("SigninToken={token}")));
        }
        assert_eq!(std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(a.url(), format!("file://{}", a.path.display()));
        assert_eq!(file_url(Path::new("/run/user/1 000/ro%le")), "file:///run/user/1%20000/ro%25le");
    }

    #[test]
    fn a_link_or_a_file_in_place_of_the_directory_is_refused_and_a_loose_one_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir_in(&tmp);
        std::fs::create_dir_all(&dir.parent).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path()).unwrap();
        let e = write(&dir, "https://x/?SigninToken=t", PAGE_LIFETIME).unwrap_err();
        assert!(e.ends_with("is a symbolic link or not a directory; remove it"), "{e}");
        assert!(!e.contains("SigninToken"), "{e}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing through the link");

        std::fs::remove_file(dir.path()).unwrap();
        std::fs::write(dir.path(), "").unwrap();
        let e = write(&dir, "https://x/", PAGE_LIFETIME).unwrap_err();
        assert!(e.ends_with("is a symbolic link or not a directory; remove it"), "{e}");

        std::fs::remove_file(dir.path()).unwrap();
        std::fs::create_dir(dir.path()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        write(&dir, "https://x/", PAGE_LIFETIME).unwrap();
        assert_eq!(std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777, 0o700);

        // The runtime directory itself is never created.
        let missing = PageDir { parent: tmp.path().join("no-runtime"), leaf: "rolecall", create_parent: false };
        let e = write(&missing, "https://x/", PAGE_LIFETIME).unwrap_err();
        assert!(e.contains("cannot open its parent directory: no such file or directory"), "{e}");
        assert!(!missing.parent.exists());
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        assert_eq!(refuse_dir(1000, 1000), None);
        assert_eq!(refuse_dir(0, 1000).as_deref(), Some("is owned by another user (uid 0); remove it"));
        assert!(refuse_dir(1001, 1000).is_some());
    }

    #[test]
    fn the_sweep_removes_only_stale_pages() {
        let tmp = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let stale = tmp.path().join(format!("signin-{}.html", "a".repeat(32)));
        let fresh = tmp.path().join(format!("signin-{}.html", "b".repeat(32)));
        let future = tmp.path().join(format!("signin-{}.html", "c".repeat(32)));
        let other = tmp.path().join("signin-notes.html");
        for (path, at) in [
            (&stale, now - Duration::from_secs(61)),
            (&fresh, now - Duration::from_secs(30)),
            (&future, now + Duration::from_secs(3600)),
            (&other, now - Duration::from_secs(3600)),
        ] {
            std::fs::write(path, "x").unwrap();
            std::fs::File::options().write(true).open(path).unwrap().set_modified(at).unwrap();
        }
        sweep(tmp.path(), now, PAGE_LIFETIME);
        assert!(!stale.exists() && !future.exists(), "stale pages go");
        assert!(fresh.exists(), "a page the browser may still read stays");
        assert!(other.exists(), "only rolecall's pages are swept");
    }

    #[test]
    fn a_page_is_removed_after_its_delay() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = dir_in(&tmp);
        std::fs::create_dir_all(&dir.parent).unwrap();
        let page = write(&dir, "https://x/", PAGE_LIFETIME).unwrap();
        let path = page.path.clone();
        remove_later(page, Duration::from_secs(1));
        assert!(path.exists(), "not at once");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while path.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!path.exists(), "removed after the delay");
    }

    #[test]
    fn the_directory_is_the_runtime_dir_else_the_cache() {
        let lookup = |vars: &'static [(&'static str, &'static str)]| {
            page_dir_from(move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned()))
        };
        if cfg!(target_os = "linux") {
            let runtime = tempfile::tempdir().unwrap();
            let dir = runtime.path().to_str().unwrap().to_owned();
            let d = page_dir_from(|k| match k {
                "XDG_RUNTIME_DIR" => Some(dir.clone()),
                "HOME" => Some("/h".to_owned()),
                _ => None,
            })
            .unwrap();
            assert_eq!((d.path(), d.create_parent), (runtime.path().join("rolecall"), false));
            let d = lookup(&[("XDG_RUNTIME_DIR", "/nonexistent/run/user/1000"), ("HOME", "/h")]).unwrap();
            assert_eq!((d.path(), d.create_parent), (PathBuf::from("/h/.cache/rolecall/signin"), true));
            let d = lookup(&[("XDG_RUNTIME_DIR", "relative"), ("HOME", "/h")]).unwrap();
            assert_eq!((d.path(), d.create_parent), (PathBuf::from("/h/.cache/rolecall/signin"), true));
            let d = lookup(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")]).unwrap();
            assert_eq!(d.path(), PathBuf::from("/c/rolecall/signin"));
            assert_eq!(lookup(&[]), None);
        }
    }
}
