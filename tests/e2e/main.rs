//! End-to-end tests: the real rolecall binary against moto, gnome-keyring and the AWS CLI.
//! One module per area; the harness is the `rolecall_e2e` library.

mod aws_profile;
mod cli;
mod clipboard;
mod console;
mod credentials;
mod dbus;
mod exec;
mod faults;
mod harness;
mod hygiene;
mod import;
mod install;
mod reliability;
mod renewal;
mod served;
mod sources;
mod sso;
mod sso_discovery;
mod sso_fake;
mod sso_settings;
mod sso_tray;
mod tray;
mod windows;
