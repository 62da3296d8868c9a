//! When to warn, renew or mark a session expired: one pure function of `now`, the sessions and
//! their settings. The app's single scheduler asks [`plan`] what to do now and when to wake next.
//!
//! Expiry always comes from STS's answer (the profile's recorded expiry), never "start + duration".
//! Wall-clock jumps and suspend are safe by construction: the plan depends only on `now`, so a
//! laptop that slept through an expiry gets the right step the moment the scheduler runs again,
//! and the scheduler never sleeps longer than `max_sleep` (a monotonic sleep does not count time
//! asleep, so it re-checks the wall clock at least that often).

use chrono::{DateTime, Duration, Utc};

use crate::validate::Name;

/// One active or recently expired session the scheduler watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The favourite.
    pub favourite: Name,
    /// When STS said the session ends.
    pub expires: DateTime<Utc>,
    /// Whether it renews itself.
    pub auto_renew: bool,
    /// How long before expiry to warn.
    pub notify_before: Duration,
    /// How long before expiry to renew (auto-renew only).
    pub renew_before: Duration,
    /// Whether renewing needs an MFA code the app does not have (so it cannot be silent).
    pub needs_mfa: bool,
    /// The expiry the user was already warned about (one warning per session).
    pub warned_for: Option<DateTime<Utc>>,
    /// The expiry already reported as expired.
    pub expired_noted_for: Option<DateTime<Utc>>,
    /// After a failed renewal: not before this.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Something to do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Renew silently.
    Renew(Name),
    /// Warn the user (with a Renew action); `seconds_left` for the message.
    Warn {
        /// The favourite.
        favourite: Name,
        /// Seconds until expiry.
        seconds_left: i64,
    },
    /// Tell the user the session expired and its profile is stale.
    NoteExpired(Name),
}

/// What to do now, and when to look again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The steps due now, in the order of the sessions given.
    pub steps: Vec<Step>,
    /// When the next step falls due (at most `now + max_sleep`).
    pub wake_at: DateTime<Utc>,
}

/// The steps due at `now` and the next moment something will be.
pub fn plan(now: DateTime<Utc>, sessions: &[Tracked], max_sleep: Duration) -> Plan {
    let mut steps = Vec::new();
    let mut wake_at = now + max_sleep;
    let mut later = |t: DateTime<Utc>| {
        if t > now && t < wake_at {
            wake_at = t;
        }
    };
    for s in sessions {
        let can_renew_silently = s.auto_renew && !s.needs_mfa;
        let retry_ok = s.retry_at.is_none_or(|r| now >= r);
        let renew_from = s.expires - s.renew_before;
        let warn_from = s.expires - s.notify_before;
        if can_renew_silently {
            if now >= renew_from && retry_ok {
                // Also after expiry: a laptop that slept through it catches up on wake.
                steps.push(Step::Renew(s.favourite.clone()));
                continue;
            }
            later(renew_from);
            if let Some(r) = s.retry_at {
                later(r);
            }
        }
        // Warnings are for sessions that will not renew themselves (or whose renewal is failing).
        let will_renew = can_renew_silently && s.retry_at.is_none();
        if now >= s.expires {
            if s.expired_noted_for != Some(s.expires) {
                steps.push(Step::NoteExpired(s.favourite.clone()));
            }
        } else if !will_renew && now >= warn_from {
            if s.warned_for != Some(s.expires) {
                steps
                    .push(Step::Warn { favourite: s.favourite.clone(), seconds_left: (s.expires - now).num_seconds() });
            }
            later(s.expires);
        } else {
            if !will_renew {
                later(warn_from);
            }
            later(s.expires);
        }
    }
    Plan { steps, wake_at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }
    fn min(m: i64) -> Duration {
        Duration::minutes(m)
    }
    fn session(auto: bool, expires_in: Duration) -> Tracked {
        Tracked {
            favourite: Name::parse("prod").unwrap(),
            expires: t0() + expires_in,
            auto_renew: auto,
            notify_before: min(10),
            renew_before: min(5),
            needs_mfa: false,
            warned_for: None,
            expired_noted_for: None,
            retry_at: None,
        }
    }
    fn n() -> Name {
        Name::parse("prod").unwrap()
    }

    #[test]
    fn the_policy_table() {
        let max = min(1);
        // (description, session, now offset from t0, expected steps, expected wake offset from t0 in seconds)
        let warned = Tracked { warned_for: Some(t0() + min(8)), ..session(false, min(8)) };
        let noted = Tracked { expired_noted_for: Some(t0() - min(1)), ..session(false, -min(1)) };
        let failing = Tracked { retry_at: Some(t0() + Duration::seconds(30)), ..session(true, min(4)) };
        let mfa = Tracked { needs_mfa: true, ..session(true, min(8)) };
        let cases: Vec<(&str, Tracked, Duration, Vec<Step>, i64)> = vec![
            ("fresh, manual: sleep until the minute cap", session(false, min(60)), Duration::zero(), vec![], 60),
            (
                "manual, 20 s before the warning: wake then",
                session(false, min(10) + Duration::seconds(20)),
                Duration::zero(),
                vec![],
                20,
            ),
            (
                "manual, inside the lead: warn",
                session(false, min(8)),
                Duration::zero(),
                vec![Step::Warn { favourite: n(), seconds_left: 480 }],
                60,
            ),
            ("already warned: nothing", warned, Duration::zero(), vec![], 60),
            (
                "manual, 30 s before expiry, warned: wake at expiry",
                Tracked { warned_for: Some(t0() + Duration::seconds(30)), ..session(false, Duration::seconds(30)) },
                Duration::zero(),
                vec![],
                30,
            ),
            ("manual, expired: note it", session(false, -min(1)), Duration::zero(), vec![Step::NoteExpired(n())], 60),
            ("expired and noted: nothing", noted, Duration::zero(), vec![], 60),
            (
                "auto, before its window: no warning, wake at renew time",
                session(true, min(5) + Duration::seconds(10)),
                Duration::zero(),
                vec![],
                10,
            ),
            ("auto, in its window: renew", session(true, min(4)), Duration::zero(), vec![Step::Renew(n())], 60),
            (
                "auto, slept through the expiry: renew on wake",
                session(true, -min(30)),
                Duration::zero(),
                vec![Step::Renew(n())],
                60,
            ),
            (
                "auto, renewal failing: warn, retry later",
                failing,
                Duration::zero(),
                vec![Step::Warn { favourite: n(), seconds_left: 240 }],
                30,
            ),
            (
                "auto but needs an MFA code: warn instead",
                mfa,
                Duration::zero(),
                vec![Step::Warn { favourite: n(), seconds_left: 480 }],
                60,
            ),
        ];
        for (what, s, offset, steps, wake) in cases {
            let p = plan(t0() + offset, std::slice::from_ref(&s), max);
            assert_eq!(p.steps, steps, "{what}");
            assert_eq!((p.wake_at - t0()).num_seconds(), wake, "{what}: wake");
        }
    }

    #[test]
    fn suspend_spanning_the_expiry_and_clock_jumps() {
        let s = session(false, min(15));
        // Before suspend: nothing due, wake in at most a minute.
        assert!(plan(t0(), std::slice::from_ref(&s), min(1)).steps.is_empty());
        // The machine wakes two hours later: the warning moment passed unseen; the expiry is reported.
        let after = plan(t0() + Duration::hours(2), std::slice::from_ref(&s), min(1));
        assert_eq!(after.steps, vec![Step::NoteExpired(n())]);
        // The clock jumps backwards after a warning: no second warning for the same session.
        let warned = Tracked { warned_for: Some(s.expires), ..s.clone() };
        assert!(plan(t0() + min(6), std::slice::from_ref(&warned), min(1)).steps.is_empty());
        assert!(plan(t0() - Duration::hours(3), std::slice::from_ref(&warned), min(1)).steps.is_empty());
        // A renewed session (a new expiry) is warned about again.
        let renewed = Tracked { expires: s.expires + Duration::hours(1), ..warned };
        assert_eq!(plan(t0() + min(66), &[renewed], min(1)).steps.len(), 1);
    }

    #[test]
    fn several_sessions_wake_for_the_soonest() {
        let a = session(false, min(30));
        let b = Tracked { favourite: Name::parse("dev").unwrap(), ..session(true, min(5) + Duration::seconds(7)) };
        let p = plan(t0(), &[a, b], min(1));
        assert!(p.steps.is_empty());
        assert_eq!((p.wake_at - t0()).num_seconds(), 7);
    }
}
