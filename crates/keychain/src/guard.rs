//! Keychain calls that cannot hang the app: each runs on a thread of its own and is waited for
//! at most a timeout. A locked Secret Service collection answers a read with an unlock prompt and
//! the call waits on the user (keyring would wait up to a year); rolecall stops waiting after the
//! timeout, and while such a call is still out it sends no other: later calls fail at once with
//! `keychain.locked` instead of raising one prompt each.
//!
//! The wait does not hold up an async runtime either: inside a multi-threaded tokio runtime it
//! runs through `block_in_place`, so the worker's other tasks move elsewhere meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rolecall_core::keychain::{KeychainError, KeychainErrorKind};

/// How long one keychain call may take by default: enough to type a password into an unlock
/// prompt, short enough that a prompt nobody answers does not hold anything for long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs keychain calls with a timeout; cheap to clone (clones share the count of calls still out).
#[derive(Debug, Clone)]
pub struct Guard {
    timeout: Duration,
    /// Calls that outlived their timeout and have not finished yet.
    hung: Arc<AtomicUsize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Running,
    Abandoned,
    Done,
}

impl Guard {
    /// A guard that waits at most `timeout` for each call.
    pub fn new(timeout: Duration) -> Guard {
        Guard { timeout, hung: Arc::default() }
    }

    /// Whether a call is still out after its timeout (an unlock prompt waiting, most likely).
    pub fn waiting(&self) -> bool {
        self.hung.load(Ordering::SeqCst) > 0
    }

    /// Runs `f` (a keychain call for `subject`) on a thread of its own and waits for it at most
    /// the timeout.
    pub fn run<T: Send + 'static>(
        &self,
        subject: &str,
        f: impl FnOnce() -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        let locked = |detail: &str| KeychainError {
            kind: KeychainErrorKind::Locked,
            source_name: subject.to_owned(),
            detail: Some(detail.to_owned()),
        };
        if self.waiting() {
            return Err(locked("still waiting for the keychain to answer an earlier request (unlock it)"));
        }
        let (tx, rx) = mpsc::channel();
        let state = Arc::new(Mutex::new(Call::Running));
        let (thread_state, hung) = (state.clone(), self.hung.clone());
        let spawned = std::thread::Builder::new().name("rolecall-keychain".into()).spawn(move || {
            let result = f();
            let mut s = thread_state.lock().unwrap_or_else(|e| e.into_inner());
            if *s == Call::Abandoned {
                hung.fetch_sub(1, Ordering::SeqCst);
            }
            *s = Call::Done;
            // Nobody listens any more after a timeout.
            let _ = tx.send(result);
        });
        if spawned.is_err() {
            return Err(KeychainError {
                kind: KeychainErrorKind::Other,
                source_name: subject.to_owned(),
                detail: Some("cannot start a thread for the keychain".into()),
            });
        }
        let wait = || rx.recv_timeout(self.timeout);
        let in_async_runtime = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let answer = if in_async_runtime { tokio::task::block_in_place(wait) } else { wait() };
        match answer {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                if *s == Call::Done {
                    drop(s);
                    // It finished just now.
                    return rx.recv().unwrap_or_else(|_| Err(locked("the keychain call ended without an answer")));
                }
                *s = Call::Abandoned;
                self.hung.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(subject, timeout_secs = self.timeout.as_secs(), "the keychain did not answer in time");
                Err(locked(&format!("no answer within {:.0?} (is an unlock prompt waiting?)", self.timeout)))
            }
            Err(RecvTimeoutError::Disconnected) => Err(locked("the keychain call ended without an answer")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::Sender;
    use std::time::Instant;

    fn ok() -> Result<u32, KeychainError> {
        Ok(7)
    }

    /// A call that hangs until the test lets it go (an unlock prompt nobody answers).
    fn hanging(release: mpsc::Receiver<()>, started: Sender<()>) -> impl FnOnce() -> Result<u32, KeychainError> {
        move || {
            let _ = started.send(());
            let _ = release.recv();
            Ok(1)
        }
    }

    #[test]
    fn a_call_that_hangs_times_out_and_holds_back_the_next_ones_until_it_ends() {
        let guard = Guard::new(Duration::from_millis(200));
        assert_eq!(guard.run("source work", ok).unwrap(), 7);
        let (release_tx, release_rx) = mpsc::channel();
        let (started_tx, started_rx) = mpsc::channel();
        let t = Instant::now();
        let e = guard.run("source work", hanging(release_rx, started_tx)).unwrap_err();
        started_rx.recv().unwrap();
        assert!(t.elapsed() >= Duration::from_millis(200) && t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert_eq!(e.code(), "keychain.locked");
        assert!(e.to_string().contains("no answer within 200ms (is an unlock prompt waiting?)"), "{e}");
        assert!(guard.waiting());
        // While it is out, nothing else is sent: the next call fails at once, never running.
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let t = Instant::now();
        let e = guard
            .clone()
            .run("source work", move || {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(0)
            })
            .unwrap_err();
        assert!(t.elapsed() < Duration::from_millis(100));
        assert!(e.to_string().contains("still waiting"), "{e}");
        assert_eq!(ran.load(Ordering::SeqCst), 0, "the second call never reached the keychain");
        // The prompt is answered: calls go through again.
        release_tx.send(()).unwrap();
        let t = Instant::now();
        while guard.waiting() {
            assert!(t.elapsed() < Duration::from_secs(5), "the hung call was never counted back");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(guard.run("source work", ok).unwrap(), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_does_not_hold_up_the_async_runtime() {
        let guard = Guard::new(Duration::from_millis(500));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, _started_rx) = mpsc::channel();
        let ticks = Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        let g = guard.clone();
        let blocked = tokio::spawn(async move { g.run("source work", hanging(release_rx, started_tx)) });
        let other = tokio::spawn(async { 1 + 1 });
        assert_eq!(other.await.unwrap(), 2);
        ticker.await.unwrap();
        assert_eq!(ticks.load(Ordering::SeqCst), 10, "other tasks ran while the keychain call was waited for");
        assert!(blocked.await.unwrap().is_err());
        drop(release_tx);
    }
}
