//! The `rolecall-tray` binary: see the library crate.
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    rolecall_tray::run();
}
