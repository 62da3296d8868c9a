//! Long-running helper processes (moto, dbus-daemon, gnome-keyring-daemon) that die with the
//! test, even when the test process itself is killed.
//!
//! Each program runs under a tiny `sh` watchdog that is our direct child:
//! the watchdog starts the program, and a second shell reads the watchdog's standard input, a
//! pipe whose only writer is this test process. When that pipe closes (the [`Supervised`] is
//! dropped, or the test process dies for any reason, even SIGKILL) the reader kills the program
//! with SIGTERM. The watchdog exits with the program's status and reaps everything it started,
//! so no orphan or zombie is left behind.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::util::{describe, kill_and_reap, poll, read_lossy};

/// The watchdog: `$0` is a name for `ps`, `$@` the program and its arguments; the program's
/// stdin is `$WATCHDOG_STDIN` (default /dev/null). (A background job's stdin is /dev/null unless
/// redirected explicitly, hence fd 4; fd 3 is the pipe from the test process.)
const WATCHDOG: &str = r#"
exec 3<&0 4<"${WATCHDOG_STDIN:-/dev/null}" 0</dev/null
unset WATCHDOG_STDIN
"$@" <&4 3<&- 4<&- &
child=$!
exec 4<&-
( read -r _ <&3; kill "$child" 2>/dev/null ) &
reader=$!
exec 3<&-
wait "$child"; status=$?
kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null
exit "$status"
"#;

/// A program running under the watchdog; stopped (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Supervised {
    what: String,
    program: std::ffi::OsString,
    child: Child,
    guard: Option<ChildStdin>,
    log: PathBuf,
}

impl Supervised {
    /// Starts `program` (its arguments, environment and working directory are taken from it)
    /// with stdout and stderr appended to `log`, and stdin read from `stdin_file` if given.
    pub(crate) fn spawn(what: &str, program: &Command, log: &Path, stdin_file: Option<&Path>) -> Supervised {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(WATCHDOG).arg(format!("harness-watchdog[{what}]"));
        cmd.arg(program.get_program()).args(program.get_args());
        for (name, value) in program.get_envs() {
            match value {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
        if let Some(dir) = program.get_current_dir() {
            cmd.current_dir(dir);
        }
        if let Some(path) = stdin_file {
            cmd.env("WATCHDOG_STDIN", path);
        }
        let out = File::options().create(true).append(true).open(log).expect("open process log");
        let err = out.try_clone().expect("clone log handle");
        cmd.stdin(Stdio::piped()).stdout(out).stderr(err);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {what} ({}): {e}", describe(program)));
        let guard = child.stdin.take();
        Supervised {
            what: what.to_owned(),
            program: program.get_program().to_owned(),
            child,
            guard,
            log: log.to_owned(),
        }
    }

    /// The exit status, if the program has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait")
    }

    /// The process id of the program itself (not its watchdog's), while it runs.
    pub(crate) fn program_pid(&self) -> Option<u32> {
        let watchdog = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{watchdog}/task/{watchdog}/children")).ok()?;
        let program = Path::new(self.program.as_os_str()).file_name()?.to_string_lossy().into_owned();
        // The kernel keeps 15 bytes of the name in `comm`.
        let comm: String = program.chars().take(15).collect();
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
            .find(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == comm))
    }

    /// Everything the program printed so far (stdout and stderr).
    pub(crate) fn log(&self) -> String {
        read_lossy(&self.log)
    }

    /// Stops the program: closes the watchdog's pipe (SIGTERM to the program) and waits up to
    /// 5 s for it to exit, then SIGKILLs the watchdog. Idempotent.
    pub(crate) fn stop(&mut self) {
        drop(self.guard.take());
        if poll(Duration::from_secs(5), || self.child.try_wait().ok().flatten()).is_none() {
            eprintln!("harness: {} ignored SIGTERM for 5 s; killing its watchdog", self.what);
            kill_and_reap(&mut self.child);
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}
