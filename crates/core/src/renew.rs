//! When to warn, renew or mark a session expired: one pure function of `now`, the sessions and
//! their settings. The app's single scheduler asks [`plan`] what to do now and when to wake next.
//!
//! Expiry always comes from STS's answer (the profile's recorded expiry), never "start + duration".
//! Wall-clock jumps and suspend are safe by construction: the plan depends only on `now`, so a
//! laptop that slept through an expiry gets the right step the moment the scheduler runs again,
//! and the scheduler never sleeps longer than `max_sleep` (a monotonic sleep does not count time
//! asleep, so it re-checks the wall clock at least that often).
//!
//! Never back to back: a lead (renew before, notify before) never exceeds half of the lifetime
//! STS granted the session ([`effective_lead`]), whatever the settings say, so a fresh session is
//! never due at once; and a favourite renewed at some moment is not renewed again before half
//! its lifetime (at least [`MIN_RENEWAL_INTERVAL`]) has passed on this computer's clock
//! ([`Tracked::renewed_at`]), so a clock that runs ahead of AWS's, which makes every fresh session
//! look old, cannot turn the scheduler into a loop either.

use chrono::{DateTime, Duration, Utc};

use crate::config::{Config, ConfigError, ExpirySettings};
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
    /// How long STS granted the session for (its expiry less the moment it was issued): leads
    /// are clamped to a fraction of it.
    pub lifetime: Duration,
    /// When this computer last renewed it (its own clock): the next renewal waits at least
    /// [`min_interval`] from then.
    pub renewed_at: Option<DateTime<Utc>>,
}

/// The share of a session's lifetime a lead may take at most: one half. A session is warned
/// about or renewed no sooner than halfway through its life.
pub const MAX_LEAD_SHARE: i32 = 2;

/// The shortest time between two automatic renewals of one favourite, whatever its lifetime.
pub const MIN_RENEWAL_INTERVAL: Duration = Duration::seconds(30);

/// The lead that applies to a session of `lifetime`: `lead`, clamped to half the lifetime.
pub fn effective_lead(lead: Duration, lifetime: Duration) -> Duration {
    lead.min(lifetime / MAX_LEAD_SHARE).max(Duration::zero())
}

/// The shortest time between two automatic renewals of a session of `lifetime`: half of it, and
/// at least [`MIN_RENEWAL_INTERVAL`].
pub fn min_interval(lifetime: Duration) -> Duration {
    (lifetime / MAX_LEAD_SHARE).max(MIN_RENEWAL_INTERVAL)
}

/// The lifetime STS granted a session that ends at `expires`: from the moment it was issued
/// (as recorded with it, in STS's clock), else `configured` (the duration asked for, which STS
/// never exceeds). The issue time is read from a clock with whole seconds, so a lifetime within
/// five seconds of a whole minute is that minute. Never more than `configured`, never less than
/// a second.
pub fn granted_lifetime(issued: Option<DateTime<Utc>>, expires: DateTime<Utc>, configured: Duration) -> Duration {
    let measured = |i: DateTime<Utc>| {
        let secs = (expires - i).num_seconds();
        let minute = (secs + 30).div_euclid(60) * 60;
        Duration::seconds(if (secs - minute).abs() <= 5 { minute } else { secs })
    };
    issued.map_or(configured, |i| measured(i).min(configured)).max(Duration::seconds(1))
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
        // Renewed here not long ago: not again before the interval is over (a clock that went
        // back since does not hold it).
        let too_soon = s.renewed_at.filter(|&r| r <= now).map(|r| r + min_interval(s.lifetime)).filter(|&g| now < g);
        let renew_from = s.expires - effective_lead(s.renew_before, s.lifetime);
        let warn_from = s.expires - effective_lead(s.notify_before, s.lifetime);
        if can_renew_silently {
            if let Some(g) = too_soon {
                later(g);
            } else if now >= renew_from && retry_ok {
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

/// What the scheduler remembers about one favourite between plans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// The expiry the user was warned about.
    pub warned_for: Option<DateTime<Utc>>,
    /// The expiry reported as expired.
    pub expired_noted_for: Option<DateTime<Utc>>,
    /// After a failed renewal: not before this.
    pub retry_at: Option<DateTime<Utc>>,
    /// Renewals failed in a row.
    pub failures: u32,
    /// When the last renewal (or any assume) succeeded, on this computer's clock.
    pub renewed_at: Option<DateTime<Utc>>,
}

impl Memory {
    /// A renewal failed at `now`: the next try waits [`backoff`]. Returns whether this is the
    /// first failure in a row (the one to tell the user about).
    pub fn renewal_failed(&mut self, now: DateTime<Utc>) -> bool {
        self.failures += 1;
        self.retry_at = Some(now + backoff(self.failures));
        self.failures == 1
    }
    /// A renewal (or any assume) succeeded at `now`.
    pub fn renewed(&mut self, now: DateTime<Utc>) {
        self.failures = 0;
        self.retry_at = None;
        self.renewed_at = Some(now);
    }
}

/// How long to wait after `failures` renewals failed in a row: 30 s, doubling, at most 10 min.
/// STS throttling and network errors are already retried within one renewal; this spaces out
/// whole renewals.
pub fn backoff(failures: u32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << failures.saturating_sub(1).min(10));
    Duration::seconds(secs.min(600))
}

/// A session as the scheduler sees it: when it ends and how long STS granted it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifespan {
    /// When STS said the session ends.
    pub expires: DateTime<Utc>,
    /// How long it was granted for (see [`granted_lifetime`]).
    pub lifetime: Duration,
}

/// The scheduler's view of one favourite's session.
pub fn track(favourite: Name, span: Lifespan, settings: ExpirySettings, needs_mfa: bool, memory: &Memory) -> Tracked {
    Tracked {
        favourite,
        expires: span.expires,
        auto_renew: settings.auto_renew,
        notify_before: settings.notify_before.duration(),
        renew_before: settings.renew_before.duration(),
        needs_mfa,
        warned_for: memory.warned_for,
        expired_noted_for: memory.expired_noted_for,
        retry_at: memory.retry_at,
        lifetime: span.lifetime,
        renewed_at: memory.renewed_at,
    }
}

/// A lead the settings ask for that is longer than the session allows: it applies clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clamped {
    /// What the settings ask for.
    pub asked: Duration,
    /// What applies: half the lifetime.
    pub applies: Duration,
    /// The session's lifetime.
    pub lifetime: Duration,
}

impl Clamped {
    /// `lead` for a session of `lifetime`, if it is clamped.
    pub fn check(lead: Duration, lifetime: Duration) -> Option<Clamped> {
        let applies = effective_lead(lead, lifetime);
        (applies < lead).then_some(Clamped { asked: lead, applies, lifetime })
    }
}

/// The leads of `settings` that a session of `lifetime` clamps, named as the settings name them
/// (`notify before`, and `renew before` when it auto-renews).
pub fn clamped_leads(settings: &ExpirySettings, lifetime: Duration) -> Vec<(&'static str, Clamped)> {
    let renew = settings.auto_renew.then_some(("renew before", settings.renew_before));
    [Some(("notify before", settings.notify_before)), renew]
        .into_iter()
        .flatten()
        .filter_map(|(what, lead)| Clamped::check(lead.duration(), lifetime).map(|c| (what, c)))
        .collect()
}

/// What to tell the user about favourite `name`'s leads that its configured session length
/// clamps: `notify before 20m applies as 7m30s (half of its 15m session)`.
pub fn lead_notes(config: &Config, name: &Name) -> Result<Vec<String>, ConfigError> {
    let lifetime = Duration::seconds(i64::from(config.favourite(name)?.duration.as_secs()));
    Ok(clamped_leads(&config.expiry_settings(name)?, lifetime)
        .into_iter()
        .map(|(what, c)| format!("{what} {c}"))
        .collect())
}

impl std::fmt::Display for Clamped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = |d: Duration| crate::time::human_duration_exact(d.num_seconds());
        write!(f, "{} applies as {} (half of its {} session)", h(self.asked), h(self.applies), h(self.lifetime))
    }
}

/// When a session will next be renewed or warned about (for `rolecall status` and the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTimes {
    /// The silent renewal (auto-renew without an MFA code needed).
    pub renew_at: Option<DateTime<Utc>>,
    /// The notification (sessions that will not renew themselves).
    pub notify_at: Option<DateTime<Utc>>,
}

/// When `t` will next be renewed or warned about, seen at `now`: moments already past are `now`
/// (due at once), a warning already given is none, an expired session that does not renew has
/// neither.
pub fn next_times(t: &Tracked, now: DateTime<Utc>) -> NextTimes {
    let silent = t.auto_renew && !t.needs_mfa;
    let not_before = t.renewed_at.filter(|&r| r <= now).map_or(now, |r| r + min_interval(t.lifetime));
    let renew_at = silent.then(|| {
        (t.expires - effective_lead(t.renew_before, t.lifetime)).max(t.retry_at.unwrap_or(now)).max(not_before).max(now)
    });
    let notify_at = (!silent && now < t.expires && t.warned_for != Some(t.expires))
        .then(|| (t.expires - effective_lead(t.notify_before, t.lifetime)).max(now));
    NextTimes { renew_at, notify_at }
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
            lifetime: Duration::hours(1),
            renewed_at: None,
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

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        let secs: Vec<i64> = (1..=8).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(backoff(u32::MAX).num_seconds(), 600);
        let mut m = Memory::default();
        assert!(m.renewal_failed(t0()), "the first failure is told");
        assert!(!m.renewal_failed(t0() + min(1)), "later ones in a row are not");
        assert_eq!(m.retry_at, Some(t0() + min(2)));
        m.renewed(t0() + min(3));
        assert_eq!((m.failures, m.retry_at, m.renewed_at), (0, None, Some(t0() + min(3))));
    }

    #[test]
    fn failing_renewals_are_retried_later_with_backoff() {
        // An auto-renewing session whose renewals fail: each plan after the retry moment renews
        // again, the waits grow, and the warning comes once.
        let mut memory = Memory::default();
        let mut now = t0();
        let expires = t0() + min(5);
        let mut renewals = Vec::new();
        let mut warnings = 0;
        while now < t0() + min(30) {
            let t = Tracked {
                retry_at: memory.retry_at,
                warned_for: memory.warned_for,
                expired_noted_for: memory.expired_noted_for,
                ..session(true, min(5))
            };
            let p = plan(now, &[t], min(1));
            for step in &p.steps {
                match step {
                    Step::Renew(_) => {
                        renewals.push((now - t0()).num_seconds());
                        memory.renewal_failed(now);
                    }
                    Step::Warn { .. } => {
                        warnings += 1;
                        memory.warned_for = Some(expires);
                    }
                    Step::NoteExpired(_) => memory.expired_noted_for = Some(expires),
                }
            }
            // The scheduler plans again as soon as steps have run (their outcome changes the
            // memory), and sleeps only when nothing is due.
            if p.steps.is_empty() {
                now = p.wake_at;
            }
        }
        assert_eq!(renewals, vec![0, 30, 90, 210, 450, 930, 1530], "retried with growing waits, also after expiry");
        assert_eq!(warnings, 1, "the user is warned once while renewals fail");
        assert_eq!(memory.expired_noted_for, Some(expires), "and told when it expired");
    }

    #[test]
    fn next_times_for_status() {
        let s = session(true, min(30));
        assert_eq!(next_times(&s, t0()), NextTimes { renew_at: Some(t0() + min(25)), notify_at: None });
        let manual = session(false, min(30));
        assert_eq!(next_times(&manual, t0()), NextTimes { renew_at: None, notify_at: Some(t0() + min(20)) });
        let inside = session(false, min(3));
        assert_eq!(next_times(&inside, t0()).notify_at, Some(t0()), "due now");
        let warned = Tracked { warned_for: Some(inside.expires), ..inside };
        assert_eq!(next_times(&warned, t0()).notify_at, None);
        let mfa = Tracked { needs_mfa: true, ..session(true, min(30)) };
        assert_eq!(next_times(&mfa, t0()), NextTimes { renew_at: None, notify_at: Some(t0() + min(20)) });
        let retry = Tracked { retry_at: Some(t0() + min(2)), ..session(true, min(4)) };
        assert_eq!(next_times(&retry, t0()).renew_at, Some(t0() + min(2)));
        assert_eq!(next_times(&session(false, -min(1)), t0()), NextTimes { renew_at: None, notify_at: None });
        let settings = ExpirySettings {
            auto_renew: true,
            notify_before: crate::validate::Lead::parse("14m55s").unwrap(),
            renew_before: crate::validate::Lead::parse("1m").unwrap(),
        };
        let span = Lifespan { expires: t0() + min(15), lifetime: min(15) };
        let t = track(n(), span, settings, false, &Memory::default());
        assert_eq!((t.notify_before.num_seconds(), t.renew_before.num_seconds(), t.auto_renew), (895, 60, true));
        // What status shows is what the plan does: the 14m55s lead applies as 7m30s.
        let manual = Tracked { auto_renew: false, ..t.clone() };
        assert_eq!(next_times(&manual, t0()).notify_at, Some(t0() + Duration::seconds(450)));
        assert_eq!(next_times(&t, t0()).renew_at, Some(t0() + min(14)), "the 1m lead is short enough");
        let renewed = Tracked { renewed_at: Some(t0()), renew_before: Duration::seconds(890), ..t };
        assert_eq!(next_times(&renewed, t0()).renew_at, Some(t0() + Duration::seconds(450)));
    }

    #[test]
    fn leads_never_exceed_half_the_granted_lifetime() {
        let cases = [
            // (lead, lifetime, applies)
            (min(5), min(60), min(5)),
            (min(20), min(15), Duration::seconds(450)),
            (min(20), min(60), min(20)),
            (min(60), min(60), min(30)),
            (Duration::hours(12), Duration::hours(1), min(30)),
            (min(1), Duration::seconds(60), Duration::seconds(30)),
        ];
        for (lead, lifetime, applies) in cases {
            assert_eq!(effective_lead(lead, lifetime), applies, "{lead} of {lifetime}");
            assert_eq!(Clamped::check(lead, lifetime).is_some(), applies < lead);
        }
        assert_eq!(
            Clamped::check(min(20), min(15)).unwrap().to_string(),
            "20m applies as 7m30s (half of its 15m session)"
        );
        // The lifetime STS granted: from the recorded issue time, never more than asked for.
        let exp = t0() + min(60);
        assert_eq!(granted_lifetime(Some(t0()), exp, Duration::hours(12)), min(60), "a chained role's 1h");
        assert_eq!(granted_lifetime(None, exp, min(15)), min(15), "unrecorded: the duration asked for");
        assert_eq!(granted_lifetime(Some(t0() - Duration::hours(5)), exp, min(15)), min(15), "never above it");
        assert_eq!(granted_lifetime(Some(exp + min(1)), exp, min(15)), Duration::seconds(1), "nonsense: a second");
        let jitter = |s: i64| granted_lifetime(Some(t0() + Duration::seconds(s)), exp, Duration::hours(12));
        assert_eq!(
            (jitter(-1), jitter(2), jitter(10)),
            (min(60), min(60), Duration::seconds(3590)),
            "read to the second"
        );
        assert_eq!(min_interval(Duration::seconds(1)), MIN_RENEWAL_INTERVAL);
        let lead = |m: u32| crate::validate::Lead::from_secs("lead", m * 60).unwrap();
        let settings = ExpirySettings { auto_renew: true, notify_before: lead(10), renew_before: lead(20) };
        let clamped: Vec<_> = clamped_leads(&settings, min(15)).into_iter().map(|(w, c)| format!("{w} {c}")).collect();
        assert_eq!(
            clamped,
            [
                "notify before 10m applies as 7m30s (half of its 15m session)",
                "renew before 20m applies as 7m30s (half of its 15m session)"
            ]
        );
        let manual = ExpirySettings { auto_renew: false, ..settings };
        assert_eq!(clamped_leads(&manual, min(30)).len(), 0, "renew before does not apply without auto-renew");
    }

    #[test]
    fn the_renew_before_preference_longer_than_the_session_does_not_renew_a_fresh_one() {
        // The review's case: renew before 20 min, a 15-minute session just written.
        let fresh = Tracked { renew_before: min(20), lifetime: min(15), ..session(true, min(15)) };
        let p = plan(t0(), std::slice::from_ref(&fresh), min(1));
        assert!(p.steps.is_empty(), "{:?}", p.steps);
        assert_eq!(plan(t0() + Duration::seconds(450), &[fresh], min(1)).steps, vec![Step::Renew(n())]);
        // The same for the notification: not at once, halfway through.
        let manual = Tracked { notify_before: min(20), lifetime: min(15), ..session(false, min(15)) };
        assert!(plan(t0(), std::slice::from_ref(&manual), min(1)).steps.is_empty());
        assert_eq!(plan(t0() + Duration::seconds(450), &[manual], min(1)).steps.len(), 1);
        // A clock 13 minutes ahead of STS's: a 15-minute session renewed here 10 s ago already
        // looks due. It is not renewed again until half its lifetime has passed here.
        let skewed = Tracked {
            renewed_at: Some(t0() - Duration::seconds(10)),
            lifetime: min(15),
            expired_noted_for: Some(t0() + min(2)),
            ..session(true, min(2))
        };
        let p = plan(t0(), std::slice::from_ref(&skewed), min(1));
        assert!(p.steps.is_empty(), "{:?}", p.steps);
        assert!(plan(t0() + Duration::seconds(439), std::slice::from_ref(&skewed), min(10)).steps.is_empty());
        let p = plan(t0() + Duration::seconds(430), std::slice::from_ref(&skewed), min(10));
        assert_eq!(p.wake_at, t0() + Duration::seconds(440), "wakes when the interval is over");
        assert_eq!(plan(t0() + Duration::seconds(440), &[skewed], min(1)).steps, vec![Step::Renew(n())]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        use crate::test_support::proptest_cases as cases;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(cases(256)))]

            /// Whatever the leads, the lifetime STS grants and how far this computer's clock is
            /// off, a scheduler that runs every step the plan gives (and plans again at once after
            /// steps, as the app does) renews one favourite no more often than once per half
            /// lifetime, and warns about each session at most once.
            #[test]
            fn renew_prop_no_loop_whatever_the_settings_and_clock(
                lifetime_secs in prop_oneof![60i64..=900, 900i64..=43_200],
                renew_secs in 1i64..=43_200,
                notify_secs in 1i64..=43_200,
                offset_secs in -7_200i64..=7_200,
                auto in any::<bool>(),
            ) {
                let lifetime = Duration::seconds(lifetime_secs);
                // This computer's clock is `offset` ahead of STS's.
                let offset = Duration::seconds(offset_secs);
                let start = t0();
                let end = start + Duration::hours(12);
                let mut local = start;
                let mut expires = start - offset + lifetime;
                let mut memory = Memory::default();
                let mut renewals: Vec<DateTime<Utc>> = Vec::new();
                let mut warnings = 0u32;
                let mut steps_run = 0u32;
                while local < end {
                    let t = Tracked {
                        auto_renew: auto,
                        renew_before: Duration::seconds(renew_secs),
                        notify_before: Duration::seconds(notify_secs),
                        lifetime,
                        expires,
                        ..session(auto, lifetime)
                    };
                    let t = Tracked {
                        warned_for: memory.warned_for,
                        expired_noted_for: memory.expired_noted_for,
                        retry_at: memory.retry_at,
                        renewed_at: memory.renewed_at,
                        ..t
                    };
                    let p = plan(local, &[t], min(1));
                    prop_assert!(p.wake_at > local || !p.steps.is_empty(), "the plan must move time on");
                    for step in &p.steps {
                        steps_run += 1;
                        match step {
                            Step::Renew(_) => {
                                renewals.push(local);
                                memory.renewed(local);
                                expires = local - offset + lifetime;
                            }
                            Step::Warn { .. } => {
                                warnings += 1;
                                memory.warned_for = Some(expires);
                            }
                            Step::NoteExpired(_) => memory.expired_noted_for = Some(expires),
                        }
                    }
                    prop_assert!(steps_run < 10_000, "back-to-back steps: {} renewals", renewals.len());
                    if p.steps.is_empty() {
                        local = p.wake_at;
                    }
                }
                let gap = min_interval(lifetime);
                for w in renewals.windows(2) {
                    prop_assert!(w[1] - w[0] >= gap, "renewed {}s apart (lifetime {}s)", (w[1] - w[0]).num_seconds(), lifetime_secs);
                }
                prop_assert!(i64::from(warnings) <= 1 + (Duration::hours(12).num_seconds() / lifetime_secs.max(1)) + 1);
            }
        }
    }
}
