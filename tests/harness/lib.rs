//! The end-to-end harness of rolecall: starts, per test and isolated from every other test, the
//! real components the `rolecall` binary talks to, and runs an independent client against them.
//!
//! - [`Moto`]: a moto server (STS, IAM) on a free loopback port, with admin helpers
//!   ([`Moto::create_user`], [`Moto::create_role`], [`Moto::create_mfa_device`],
//!   [`Moto::set_trust`]) and [`Moto::enable_auth_mode`]; its module doc lists what moto's auth
//!   mode enforces and what it does not.
//! - [`Keychain`]: gnome-keyring on a private D-Bus session bus ([`Keychain::start_unlocked`],
//!   [`Keychain::start_locked`], [`Keychain::start_without_collection`]) or no bus at all
//!   ([`Keychain::absent`]).
//! - [`Sandbox`]: a temporary HOME and the environment ([`Sandbox::envs`]) that points rolecall
//!   and the AWS CLI at it, at a `Moto` and at a `Keychain`.
//! - [`aws_cli`]: the AWS CLI v1 of the test venv, to check what rolecall wrote;
//!   [`rolecall_bin`]: the binary under test; [`rust_sdk_bin`]: the AWS SDK for Rust as a reader
//!   (`sdk-rust/`, GetCallerIdentity through its default credentials chain).
//! - [`Desktop`]: Xvfb with a tray host (`gtk-sni-tray-standalone`) on a keychain's bus;
//!   [`TrayApp`]: `rolecall-tray` on it, with its [`TrayItem`] menu read and clicked over
//!   dbusmenu; screenshots of the screen, a window, or the tray menu opened with a right click.
//! - [`TauriDriver`] and [`WebDriver`]: tauri-driver and a small W3C WebDriver client for the
//!   settings and MFA windows.
//! - [`FakeFederation`]: a loopback fake of AWS's federation endpoint (console sign-in) that
//!   records each request.
//! - [`FakeSts`]: a scripted loopback STS for faults moto cannot produce (delays, `500`s,
//!   throttling, expired tokens, garbage, dropped connections) that counts requests.
//! - [`sso`]: a loopback fake of IAM Identity Center ([`sso::FakeSso`]: its sign-in service and
//!   access portal, minting real credentials through moto) and a stub browser for its sign-ins.
//! - [`FakeNotifications`]: a fake desktop notification server (`org.freedesktop.Notifications`)
//!   on a keychain's bus that records each [`Notification`] and plays a click on an action
//!   ([`FakeNotifications::invoke_action`]) or a notification being closed; [`FakeLogind`]: the
//!   owner of `org.freedesktop.login1` there, which emits logind's `PrepareForSleep`.
//! - [`World`]: one test's world of the parts above, built by [`WorldBuilder`], with the helpers
//!   the test files share (the environment, the CLI run and checked, the tray app started).
//! - [`Hygiene`]: the sensitive values a test knows (secrets, tokens, MFA codes, external ids,
//!   sign-in links), looked for raw and encoded in every output it collected.
//! - [`http`]: the one small HTTP/1.1 of the harness's loopback servers and clients.
//! - [`free_port`], [`wait_until`], [`wait_for`], [`run_with_timeout`], [`libfaketime`]: small helpers.
//!
//! Every process started here (moto_server, dbus-daemon, gnome-keyring-daemon, Xvfb, the tray
//! host, rolecall-tray, tauri-driver) is stopped when its owner is dropped, also when a test
//! panics, and runs under a watchdog that stops it if the test process dies (the fake
//! notification server needs none: it exits when its stdin, a pipe from the test, closes). Tests
//! run in parallel threads safely: nothing is shared but the machine.
//!
//! Needs: `dbus-daemon`, `gnome-keyring-daemon`, `dbus-send`, `secret-tool` (Debian packages
//! `dbus`, `gnome-keyring`, `libsecret-tools`); for the GUI tests `Xvfb`, `gtk-sni-tray-standalone`,
//! `busctl`, `xdotool`, ImageMagick, `WebKitWebDriver` and `tauri-driver`; and the test venv
//! (`moto_server`, `aws`, python with boto3 and dbus-next) that `scripts/setup` creates; see
//! [`test_venv`] for where it is looked for.
//!
//! ```no_run
//! use rolecall_e2e::{Keychain, Moto, Sandbox, aws_cli};
//!
//! let moto = Moto::start();
//! let user = moto.create_user("alice");
//! let role = moto.create_role("admin", &user.user_arn, None);
//! moto.enable_auth_mode();
//! let keychain = Keychain::start_unlocked();
//! let sandbox = Sandbox::new();
//! let out = sandbox.run_rolecall(&moto, &keychain, &["--help"], None);
//! assert!(out.status.success());
//! let envs = sandbox.envs(&moto, &keychain);
//! let out = aws_cli(&envs, &["sts", "get-caller-identity", "--profile", "admin", "--output", "json"]);
//! # let _ = (role, out);
//! ```

mod desktop;
mod fake_sts;
mod federation;
pub mod http;
mod hygiene;
mod keychain;
mod moto;
mod notifications;
mod process;
mod sandbox;
pub mod sso;
mod util;
mod webdriver;
mod world;

pub use desktop::{
    Desktop, MenuItem, REGISTER_TIMEOUT, SCREEN, TrayApp, TrayItem, busctl, screenshots_dir, tray_bin, tray_envs,
};
pub use fake_sts::{FAKE_EXPIRATION, FakeSts, Reply, StsRequest};
pub use federation::{FakeFederation, FederationRequest, SessionJson, form_decode, form_params};
pub use hygiene::{Hygiene, encodings};
pub use keychain::{KEYRING_PASSWORD, Keychain, KeychainKind};
pub use moto::{ACCOUNT_ID, Moto, ROLE_ACTIONS, USER_ACTIONS, UserKeys, assumed_role_arn};
pub use notifications::{FakeLogind, FakeNotifications, NOTIFICATION_CAPABILITIES, Notification};
pub use sandbox::{
    AWS_CLI_TIMEOUT, KEYCHAIN_SERVICE, REGION, ROLECALL_TIMEOUT, Sandbox, aws_cli, rolecall_bin, rust_sdk_bin,
};
pub use util::{
    REMOVED_ENV_PREFIXES, REMOVED_ENV_VARS, apply_envs, free_port, libfaketime, output_text, poll, run_with_timeout,
    test_venv, venv_tool, wait_for, wait_until,
};
pub use webdriver::{ENTER, Element, TAB, TauriDriver, WdError, WebDriver, tauri_driver_bin};
pub use world::{EXAMPLE_KEY_ID, EXAMPLE_SECRET, Files, World, WorldBuilder};
