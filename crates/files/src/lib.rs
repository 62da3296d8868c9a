//! rolecall's file adapter: where files live, and locked, atomic, private edits of them.
//!
//! - [`paths`]: the config dir, the data dir and the AWS files, from the environment, resolved once.
//! - [`guard`]: what is refused: non-regular and huge files, symlinked lock files, directories
//!   of another user.
//! - [`atomic`]: read–edit–write under an advisory lock; temp file, fsync, rename; mode 0600.
//! - [`backups`]: the sections `--force` took over, kept privately in the data dir and pruned.
//! - [`discovery`]: the last listing of each IAM Identity Center source's accounts and roles.
//! - [`store`]: `config.toml` and the AWS credentials/config files, on top of the above and
//!   the core's pure edits.
#![deny(missing_docs)]

pub mod atomic;
pub mod backups;
pub mod discovery;
pub mod guard;
pub mod paths;
pub mod store;

pub use backups::{Backup, Backups};
pub use discovery::DiscoveryCache;
pub use guard::FileKind;
pub use paths::Paths;
pub use store::{AwsFiles, ConfigStore};

/// Fault injection for unit tests: a hook called at named steps of a write, which can fail the
/// step or change files at that moment (an outside edit). Per thread; a no-op outside tests.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::RefCell;

    type Hook = Box<dyn FnMut(&str) -> std::io::Result<()>>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Calls `f` at every step on this thread until [`clear`].
    pub fn set(f: impl FnMut(&str) -> std::io::Result<()> + 'static) {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    /// Removes the hook.
    pub fn clear() {
        HOOK.with(|h| *h.borrow_mut() = None);
    }

    /// The step `step` is reached.
    pub fn hit(step: &str) -> std::io::Result<()> {
        HOOK.with(|h| h.borrow_mut().as_mut().map_or(Ok(()), |f| f(step)))
    }
}

/// Outside tests no fault is ever injected.
#[cfg(not(test))]
pub(crate) mod fault {
    /// The step `step` is reached: nothing happens.
    #[inline(always)]
    pub fn hit(_step: &str) -> std::io::Result<()> {
        Ok(())
    }
}
