//! Time arithmetic on instants handed in by the caller: core never reads a clock.
//!
//! A session's state is a pure function of `now` and the expiry STS returned, never of
//! "start + duration".

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where a favourite's session stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SessionState {
    /// Valid for `seconds_left` more seconds.
    Active {
        /// When STS said the session ends.
        expires: DateTime<Utc>,
        /// Seconds from `now` to `expires` (> 0).
        seconds_left: i64,
    },
    /// Its credentials expired at `expires`.
    Expired {
        /// When STS said the session ends.
        expires: DateTime<Utc>,
    },
    /// No session written yet (or none we can read).
    Never,
}

impl SessionState {
    /// The state at `now` of a session ending at `expires`.
    pub fn at(now: DateTime<Utc>, expires: Option<DateTime<Utc>>) -> SessionState {
        match expires {
            None => SessionState::Never,
            Some(expires) => {
                let left = (expires - now).num_seconds();
                if left > 0 {
                    SessionState::Active { expires, seconds_left: left }
                } else {
                    SessionState::Expired { expires }
                }
            }
        }
    }
    /// A short label: `active`, `expired` or `never`.
    pub fn label(&self) -> &'static str {
        match self {
            SessionState::Active { .. } => "active",
            SessionState::Expired { .. } => "expired",
            SessionState::Never => "never",
        }
    }
}

/// `1h 05m`, `42m`, `59s`, `12h`: a compact human duration (negative values count as zero).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{sec}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m:02}m"),
    }
}

/// A duration to the second, as lead times are written: `7m30s`, `1h`, `14m55s`, `0s`.
pub fn human_duration_exact(secs: i64) -> String {
    let s = secs.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (sec, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn states() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let later = now + chrono::Duration::seconds(2520);
        assert_eq!(SessionState::at(now, None), SessionState::Never);
        assert_eq!(SessionState::at(now, Some(later)), SessionState::Active { expires: later, seconds_left: 2520 });
        assert_eq!(SessionState::at(later, Some(later)), SessionState::Expired { expires: later });
        assert_eq!(SessionState::at(later + chrono::Duration::hours(1), Some(later)).label(), "expired");
    }

    #[test]
    fn human() {
        let table = [
            (-5, "0s"),
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (2520, "42m"),
            (3600, "1h"),
            (3900, "1h 05m"),
            (43200, "12h"),
        ];
        for (s, want) in table {
            assert_eq!(human_duration(s), want, "{s}");
        }
    }
}
