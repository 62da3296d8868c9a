//! What the tray shows, as a pure function of the config, what the credentials file says and `now`:
//! one line per favourite and the overall state behind the icon and tooltip.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::profile::Holder;
use crate::time::{SessionState, human_duration};
use crate::validate::Name;

/// One favourite as the tray lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FavouriteLine {
    /// The favourite.
    pub name: Name,
    /// Its session.
    pub state: SessionState,
    /// `prod-admin · 42m left`, `staging · expired`, `dev`.
    pub label: String,
}

/// The icon's state, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    /// The last action failed.
    Error,
    /// An assume is in flight.
    Busy,
    /// Some session ends within the notification lead time.
    ExpiringSoon,
    /// Every session in use is fresh.
    Fresh,
    /// No session is active.
    Idle,
}

impl TrayState {
    /// The tooltip's first words.
    pub fn describe(self) -> &'static str {
        match self {
            TrayState::Error => "something went wrong",
            TrayState::Busy => "working…",
            TrayState::ExpiringSoon => "a session expires soon",
            TrayState::Fresh => "sessions fresh",
            TrayState::Idle => "no active session",
        }
    }
}

/// The label for a favourite in `state`.
pub fn label(name: &Name, state: &SessionState) -> String {
    match state {
        SessionState::Active { seconds_left, .. } => format!("{name} · {} left", human_duration(*seconds_left)),
        SessionState::Expired { .. } => format!("{name} · expired"),
        SessionState::Never => name.to_string(),
    }
}

/// The session state of each favourite, from who holds its profile.
pub fn lines(config: &Config, holder_of: impl Fn(&Name) -> Holder, now: DateTime<Utc>) -> Vec<FavouriteLine> {
    config
        .favourites
        .keys()
        .map(|name| {
            let state = match holder_of(name) {
                Holder::Rolecall { favourite, expires, .. } if favourite == name.as_str() => {
                    SessionState::at(now, expires)
                }
                _ => SessionState::Never,
            };
            FavouriteLine { label: label(name, &state), name: name.clone(), state }
        })
        .collect()
}

/// The overall state from the lines, whether work is in flight, and whether the last action failed.
pub fn tray_state(lines: &[FavouriteLine], lead_seconds: i64, busy: bool, failed: bool) -> TrayState {
    if failed {
        return TrayState::Error;
    }
    if busy {
        return TrayState::Busy;
    }
    let active: Vec<i64> = lines
        .iter()
        .filter_map(|l| match l.state {
            SessionState::Active { seconds_left, .. } => Some(seconds_left),
            _ => None,
        })
        .collect();
    match active.iter().min() {
        None => TrayState::Idle,
        Some(left) if *left <= lead_seconds => TrayState::ExpiringSoon,
        Some(_) => TrayState::Fresh,
    }
}

/// Seconds until some label or the tray state next changes (a minute boundary of a countdown, an
/// expiry, or a session entering the lead time), so the tray wakes only then. `None`: nothing changes.
pub fn next_change(lines: &[FavouriteLine], lead_seconds: i64) -> Option<i64> {
    lines
        .iter()
        .filter_map(|l| match l.state {
            SessionState::Active { seconds_left, .. } => {
                // Labels show minutes above a minute and seconds below it.
                let tick = if seconds_left > 60 { (seconds_left - 60) % 60 + 1 } else { 1 };
                let lead = seconds_left - lead_seconds;
                Some(if lead > 0 { tick.min(lead) } else { tick })
            }
            _ => None,
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Favourite, Source, SourceKind};
    use crate::validate::RoleArn;
    use chrono::TimeZone;

    fn config() -> Config {
        let mut c = Config::default();
        c.add_source(
            Name::parse("work").unwrap(),
            Source { kind: SourceKind::Keychain { key_hint: None }, mfa_serial: None, identity: None },
        )
        .unwrap();
        for n in ["dev", "prod-admin", "staging"] {
            let f = Favourite::new(
                RoleArn::parse("arn:aws:iam::123456789012:role/R").unwrap(),
                Name::parse("work").unwrap(),
                n.parse().unwrap(),
            );
            c.put_favourite(Name::parse(n).unwrap(), f, false).unwrap();
        }
        c
    }

    #[test]
    fn labels_and_states() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let c = config();
        let lines = lines(
            &c,
            |n| match n.as_str() {
                "prod-admin" => Holder::Rolecall {
                    favourite: "prod-admin".into(),
                    expires: Some(now + chrono::Duration::seconds(42 * 60 + 30)),
                    issued: None,
                },
                "staging" => Holder::Rolecall {
                    favourite: "staging".into(),
                    expires: Some(now - chrono::Duration::seconds(5)),
                    issued: None,
                },
                _ => Holder::Foreign,
            },
            now,
        );
        let labels: Vec<&str> = lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["dev", "prod-admin · 42m left", "staging · expired"]);
        assert_eq!(tray_state(&lines, 600, false, false), TrayState::Fresh);
        assert_eq!(tray_state(&lines, 3600, false, false), TrayState::ExpiringSoon);
        assert_eq!(tray_state(&lines, 600, true, false), TrayState::Busy);
        assert_eq!(tray_state(&lines, 600, true, true), TrayState::Error);
        assert_eq!(tray_state(&lines[..1], 600, false, false), TrayState::Idle);
        // 42m30s left: the label turns to "41m left" in 31 s.
        assert_eq!(next_change(&lines, 600), Some(31));
        // ...unless the lead time starts sooner.
        assert_eq!(next_change(&lines, 42 * 60 + 20), Some(10));
        assert_eq!(next_change(&lines[..1], 600), None);
    }
}
