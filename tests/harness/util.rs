//! Small helpers shared by the harness and the tests: free ports, bounded waiting, running a
//! child process with a time limit, finding the test venv's tools, and applying a test
//! environment to a [`Command`].

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Ports handed out by [`free_port`] in this process, never handed out twice.
static PORTS_GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A TCP port on 127.0.0.1 that was free a moment ago and that no other caller in this test
/// process has been given.
///
/// The kernel picks it (bind to port 0); the listener is closed before returning, so a process
/// outside this one could still take it: servers started on it must check that they really
/// bound it ([`crate::Moto::start`] does, and retries on another port).
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        let mut given = PORTS_GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("free_port: the kernel kept returning ports already handed out");
}

/// Polls `f` until it returns `Some`, and returns that value; `None` once `timeout` has passed.
///
/// Polls often at first (every 5 ms) and backs off to every 50 ms. `f` is always called at
/// least once, and once more after the deadline.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(value) = f() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Waits until `f` returns true, polling as [`poll`] does.
///
/// # Panics
/// After `timeout`, with "timed out after …s waiting for {what}".
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    wait_for(what, timeout, || f().then_some(()));
}

/// Waits until `f` returns `Some`, and returns that value, polling as [`poll`] does.
///
/// # Panics
/// After `timeout`, with "timed out after …s waiting for {what}".
pub fn wait_for<T>(what: &str, timeout: Duration, f: impl FnMut() -> Option<T>) -> T {
    match poll(timeout, f) {
        Some(value) => value,
        None => panic!("timed out after {:.1}s waiting for {what}", timeout.as_secs_f64()),
    }
}

/// Runs `cmd` to completion, with `input` (if any) written to its standard input and then
/// closed, and returns its exit status and everything it printed.
///
/// Standard input is empty (`/dev/null`) when `input` is `None`; stdout and stderr are captured.
///
/// # Panics
/// If the program cannot be started, or if it has not exited after `timeout`: it is then
/// killed, and the message shows the command and what it printed so far.
pub fn run_with_timeout(cmd: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Output {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = describe(cmd);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let writer = child.stdin.take().map(|mut stdin| {
        let data = input.unwrap_or_default().to_vec();
        // A child that exits without reading its input gives EPIPE: not our concern here.
        thread::spawn(move || drop(stdin.write_all(&data)))
    });
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let status = poll(timeout, || child.try_wait().expect("try_wait"));
    let Some(status) = status else {
        kill_and_reap(&mut child);
        let out = String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
        let err = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
        panic!(
            "{shown} did not finish within {:.1}s (killed)\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
            timeout.as_secs_f64()
        );
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

/// Kills a child (SIGKILL) and reaps it, ignoring "already exited".
pub(crate) fn kill_and_reap(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A command as a shell-like string, for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// The last `max` bytes of a text (at a char boundary), for panic messages.
pub(crate) fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The test venv (moto server, AWS CLI, boto3), if it exists.
///
/// Looked for in order at: `$ROLECALL_TEST_VENV`; `$XDG_CACHE_HOME/rolecall/venv`, or
/// `$HOME/.cache/rolecall/venv` when `XDG_CACHE_HOME` is unset or empty (where `scripts/setup`
/// creates it). The first of these that is set is the only one tried; `None` if that directory
/// does not exist.
pub fn test_venv() -> Option<PathBuf> {
    let nonempty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let venv = nonempty("ROLECALL_TEST_VENV").or_else(|| {
        nonempty("XDG_CACHE_HOME")
            .or_else(|| nonempty("HOME").map(|home| home.join(".cache")))
            .map(|cache| cache.join("rolecall").join("venv"))
    })?;
    venv.is_dir().then_some(venv)
}

/// The path of a tool of the test venv (`<venv>/bin/NAME`, see [`test_venv`]), or just `NAME`
/// (found on `PATH` when run) when there is no venv or it lacks that tool.
pub fn venv_tool(name: &str) -> PathBuf {
    test_venv()
        .map(|venv| venv.join("bin").join(name))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// libfaketime's thread-safe library (`libfaketimeMT.so.1`, Debian package `libfaketime`, which
/// `scripts/setup --test` installs), to load with `LD_PRELOAD` into one process whose wall clock
/// a test moves (`FAKETIME_TIMESTAMP_FILE` holding an offset such as `+8m`): `$ROLECALL_LIBFAKETIME`
/// if set, else the first found in `/usr/lib/<multiarch>/faketime/`, `/usr/lib/faketime/` and
/// `/usr/local/lib/faketime/`; `None` if there is none.
pub fn libfaketime() -> Option<PathBuf> {
    const NAME: &str = "libfaketimeMT.so.1";
    if let Some(path) = std::env::var_os("ROLECALL_LIBFAKETIME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let multiarch = std::fs::read_dir("/usr/lib").into_iter().flatten().flatten().map(|e| e.path().join("faketime"));
    [PathBuf::from("/usr/lib/faketime"), PathBuf::from("/usr/local/lib/faketime")]
        .into_iter()
        .chain(multiarch)
        .map(|dir| dir.join(NAME))
        .find(|lib| lib.is_file())
}

/// Prefixes of inherited environment variables that [`apply_envs`] removes from a child's
/// environment before setting the test's own: any AWS setting (credentials, `AWS_PROFILE`,
/// `AWS_DEFAULT_PROFILE`, region, endpoints, CA bundle, config file paths…) and any rolecall
/// setting of the developer's session.
pub const REMOVED_ENV_PREFIXES: &[&str] = &["AWS_", "ROLECALL_"];

/// Inherited environment variables that [`apply_envs`] removes outright: the developer's
/// session bus and display (a test must never reach the real keychain or show a prompt).
pub const REMOVED_ENV_VARS: &[&str] = &["DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"];

/// Gives `cmd` a test environment: removes every inherited variable matching
/// [`REMOVED_ENV_PREFIXES`] or [`REMOVED_ENV_VARS`], then sets each of `envs` (as given by
/// [`crate::Sandbox::envs`]; later entries win). Everything else (PATH, LANG, RUST_LOG…) is
/// inherited.
pub fn apply_envs<'a>(cmd: &'a mut Command, envs: &[(String, String)]) -> &'a mut Command {
    for (name, _) in std::env::vars_os() {
        let Some(text) = name.to_str() else { continue };
        if REMOVED_ENV_PREFIXES.iter().any(|p| text.starts_with(p)) || REMOVED_ENV_VARS.contains(&text) {
            cmd.env_remove(&name);
        }
    }
    cmd.envs(envs.iter().map(|(k, v)| (OsStr::new(k), OsStr::new(v))))
}

/// Reads a file into a string, empty if it cannot be read (for logs in panic messages).
pub(crate) fn read_lossy(path: &Path) -> String {
    std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
}

/// A finished command's status, stdout and stderr, for assertion messages.
pub fn output_text(o: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
