//! The log setup both front ends install: the user's filter (`ROLECALL_LOG`, a tracing filter,
//! else the front end's default for its verbosity) under a cap that no filter can lift.
//!
//! At their most detailed level, the AWS SDK and the HTTP stack below it print what must never be
//! logged: the SDK's orchestrator prints each request (an in-memory body: STS's form with
//! `TokenCode`, `SerialNumber` and `ExternalId`) and, when `LOG_SENSITIVE_BODIES=true` is in the
//! environment, each response body (a session's secret key and token); aws-sigv4 prints the
//! request being signed (its body when `LOG_SIGNABLE_BODY=true`), the canonical request and the
//! string to sign; aws-runtime prints a payload-signing override with the body and profile values
//! it overwrites; aws-config prints `credential_process` commands unredacted; reqwest's verbose
//! connections print every byte; zbus prints D-Bus messages; tauri, built with its `tracing`
//! feature, records each IPC request's arguments (a source's secret key, an MFA code) and each
//! answer in trace spans. [`CAPS`] holds each of those crates
//! at debug at most, whatever `ROLECALL_LOG` says: the cap is a second filter that every line
//! must also pass, not a directive the user's could override.

use tracing::level_filters::LevelFilter;
use tracing::{Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The environment variable with the user's filter, e.g. `ROLECALL_LOG=trace`.
pub const LOG_ENV: &str = "ROLECALL_LOG";

/// Crate prefixes (a target matches when it starts with one) and the most detailed level of
/// theirs ever shown, whatever the user's filter says. Debug still shows each call's phases,
/// attempts, retries and connections.
pub const CAPS: &[(&str, Level)] = &[
    ("aws_smithy_runtime", Level::DEBUG),
    ("aws_smithy_http_client", Level::DEBUG),
    ("aws_smithy_types", Level::DEBUG),
    ("aws_sigv4", Level::DEBUG),
    ("aws_runtime", Level::DEBUG),
    ("aws_config", Level::DEBUG),
    ("aws_sdk_sts", Level::DEBUG),
    ("aws_sdk_sso", Level::DEBUG),
    ("aws_sdk_ssooidc", Level::DEBUG),
    ("hyper", Level::DEBUG),
    ("h2", Level::DEBUG),
    ("rustls", Level::DEBUG),
    ("reqwest", Level::DEBUG),
    ("zbus", Level::DEBUG),
    ("tauri", Level::DEBUG),
];

/// The cap as a filter: every target at any level, but those of [`CAPS`] at their level at most.
pub fn cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPS.iter().map(|(target, level)| (*target, LevelFilter::from_level(*level))))
}

/// The user's filter from [`LOG_ENV`], else `default` (e.g. `rolecall_cli=warn,error`).
pub fn user_filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default))
}

/// What a line must pass to be logged: the user's filter and the [`cap`].
pub fn capped<S>(user: EnvFilter) -> impl Filter<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    user.and(cap())
}

/// Installs the global subscriber: lines on stderr (coloured on a terminal) that pass
/// [`user_filter`]`(default)` under the [`cap`]. A second call changes nothing.
pub fn init(default: &str) {
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .with_filter(capped(user_filter(default)));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What one line per target and level logs under the user's `directives` and the cap.
    fn logged(directives: &str) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_filter(capped(EnvFilter::new(directives)));
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "body=TokenCode=246813");
            tracing::trace!(target: "aws_sigv4::http_request::sign", "canonical request");
            tracing::trace!(target: "aws_smithy_runtime_api::client", "runtime api trace");
            tracing::trace!(target: "hyper_util::client::legacy", "hyper_util trace");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "entering phase");
            tracing::info!(target: "aws_config::profile", "profile info");
            tracing::trace!(target: "rolecall_sts", "ours at trace");
            tracing::trace!(target: "tao::platform", "other trace");
        });
        String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn trace_shows_everything_but_the_capped_crates_detail() {
        let out = logged("trace");
        for shown in ["entering phase", "profile info", "ours at trace", "other trace"] {
            assert!(out.contains(shown), "{shown}: {out}");
        }
        for hidden in ["TokenCode", "canonical request", "runtime api trace", "hyper_util trace"] {
            assert!(!out.contains(hidden), "{hidden}: {out}");
        }
    }

    #[test]
    fn no_directive_of_the_users_lifts_the_cap() {
        for directives in [
            "aws_smithy_runtime::client::orchestrator=trace,aws_sigv4=trace",
            "aws_smithy_runtime::client::orchestrator::http=trace,aws_sigv4::http_request::sign=trace,trace",
            "[{rpc.service=STS}]=trace,trace",
        ] {
            let out = logged(directives);
            assert!(!out.contains("TokenCode") && !out.contains("canonical request"), "{directives}: {out}");
            assert!(out.contains("ours at trace") || !directives.ends_with(",trace"), "{directives}: {out}");
        }
        // Lower levels still follow the user's filter.
        let out = logged("rolecall_sts=trace,warn");
        assert!(out.contains("ours at trace") && !out.contains("entering phase") && !out.contains("profile info"));
    }
}
