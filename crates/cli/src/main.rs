//! The `rolecall` command: favourite AWS roles, one command away. All logic lives in the library
//! crates; this binary parses arguments, wires adapters and prints.

mod args;
mod commands;
mod hints;
mod output;
mod prompt;

fn main() -> std::process::ExitCode {
    commands::run(<args::Cli as clap::Parser>::parse())
}
