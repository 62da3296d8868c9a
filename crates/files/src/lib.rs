//! rolecall's file adapter: where files live, and locked, atomic, private edits of them.
//!
//! - [`paths`]: the config dir and the AWS files, from the environment, resolved once.
//! - [`atomic`]: read–edit–write under an advisory lock; temp file, fsync, rename; mode 0600.
//! - [`store`]: `config.toml` and the AWS credentials/config files, on top of the two above and
//!   the core's pure edits.
#![deny(missing_docs)]

pub mod atomic;
pub mod paths;
pub mod store;

pub use paths::Paths;
pub use store::{AwsFiles, ConfigStore};
