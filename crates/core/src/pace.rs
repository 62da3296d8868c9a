//! The pace of a burst of requests to a service that throttles (IAM Identity Center's access
//! portal answers `TooManyRequestsException` above about 20 requests a second), pure: the caller
//! passes the times in, as the time since the burst began.
//!
//! Two rules together, so a listing runs close to the limit and a refused request is not refused
//! again when it is asked again:
//!
//! - **An adaptive rate.** Requests start at most one per `1 / rate`; the rate starts fast
//!   ([`PaceSettings::initial_rate`]), creeps up with each accepted request, and on a refusal drops
//!   below the rate the service was seen to accept over the last window (at most halved by one
//!   refusal).
//! - **The service's window, mirrored.** A refusal shows how many requests the service accepted
//!   in its window (the `window`, one second for the portal): from then on no request starts
//!   while that many accepted ones, and those still in flight, fall in the last window (widened by
//!   the spread of the latencies seen, since the service counts them when they arrive). Now and
//!   then the learned limit is probed one higher.
//!
//! A refused request is asked again before any new one, after a pause that doubles with each
//! refusal in a row (a storm of refusals backs off instead of hammering); the caller gives up on
//! one refused [`MAX_REFUSALS`] times.

use std::collections::VecDeque;
use std::time::Duration;

/// A request refused this many times fails its listing (`sso.throttled`).
pub const MAX_REFUSALS: u32 = 5;

/// How a [`Pacer`] behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct PaceSettings {
    /// Requests per second at the start.
    pub initial_rate: f64,
    /// The most requests per second, ever.
    pub max_rate: f64,
    /// The fewest requests per second after refusals.
    pub min_rate: f64,
    /// On a refusal the rate becomes this share of the rate accepted over the last window.
    pub decrease: f64,
    /// Each accepted request adds this divided by the rate (so about this much per second).
    pub increase: f64,
    /// The service's throttling window.
    pub window: Duration,
    /// The learned limit is probed one higher after this many times its value of accepted
    /// requests in a row.
    pub probe_after: usize,
    /// The pause after a refusal (doubled for each further refusal in a row).
    pub pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
    /// The widest latency spread the window is widened by.
    pub max_spread: Duration,
}

impl PaceSettings {
    /// For IAM Identity Center's access portal: about 20 requests a second over one second.
    pub fn portal() -> PaceSettings {
        PaceSettings {
            initial_rate: 30.0,
            max_rate: 100.0,
            min_rate: 0.5,
            decrease: 0.9,
            increase: 0.5,
            window: Duration::from_secs(1),
            probe_after: 10,
            pause: Duration::from_millis(50),
            max_pause: Duration::from_secs(4),
            max_spread: Duration::from_millis(250),
        }
    }
}

/// The pace of one burst of requests (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Pacer {
    settings: PaceSettings,
    rate: f64,
    /// The earliest start of the next request.
    next: Duration,
    /// The limit the service showed: accepted requests in one window.
    limit: Option<usize>,
    /// When the accepted requests of the last windows started.
    accepted: VecDeque<Duration>,
    in_flight: usize,
    /// Refused requests waiting to be asked again (they go first).
    retries: usize,
    /// Refusals in a row (any request), for the pause.
    refusals_in_a_row: u32,
    /// Accepted requests since the last refusal or probe.
    since_change: usize,
    /// The shortest and longest latency of an accepted request.
    latency: Option<(Duration, Duration)>,
}

impl Pacer {
    /// A pacer at the start of a burst.
    pub fn new(settings: PaceSettings) -> Pacer {
        Pacer {
            rate: settings.initial_rate,
            settings,
            next: Duration::ZERO,
            limit: None,
            accepted: VecDeque::new(),
            in_flight: 0,
            retries: 0,
            refusals_in_a_row: 0,
            since_change: 0,
            latency: None,
        }
    }

    /// The current rate, requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The limit the service showed (accepted requests per window), once it refused one.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Requests started and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The window widened by the latency spread seen.
    fn widened_window(&self) -> Duration {
        let spread = self.latency.map_or(Duration::ZERO, |(lo, hi)| hi.saturating_sub(lo));
        self.settings.window + spread.min(self.settings.max_spread)
    }

    fn forget_old(&mut self, now: Duration) {
        let keep = self.widened_window();
        while self.accepted.front().is_some_and(|&t| now.saturating_sub(t) >= keep) {
            self.accepted.pop_front();
        }
    }

    /// Asks to start a request at `now` (`retry`: one the service refused, which goes before
    /// new ones). `Ok`: start it now (it counts as in flight until [`Pacer::accepted`],
    /// [`Pacer::refused`] or [`Pacer::failed`]); `Err(at)`: ask again at `at`.
    pub fn try_start(&mut self, now: Duration, retry: bool) -> Result<(), Duration> {
        self.forget_old(now);
        if now < self.next {
            return Err(self.next);
        }
        let spacing = Duration::from_secs_f64(1.0 / self.rate);
        if !retry && self.retries > 0 {
            return Err(now + spacing);
        }
        if let Some(limit) = self.limit {
            let used = self.accepted.len() + self.in_flight;
            if used >= limit {
                // Ask again when enough of the accepted ones have left the window (the rest are
                // in flight: a little later).
                let at = match self.accepted.get(used - limit) {
                    Some(&t) => t + self.widened_window(),
                    None => now + spacing,
                };
                return Err(at.max(now + Duration::from_micros(100)));
            }
        }
        if retry {
            self.retries = self.retries.saturating_sub(1);
        }
        self.in_flight += 1;
        self.next = now + spacing;
        Ok(())
    }

    /// The request started at `started` was answered at `now`.
    pub fn accepted(&mut self, started: Duration, now: Duration) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let took = now.saturating_sub(started);
        self.latency = Some(match self.latency {
            None => (took, took),
            Some((lo, hi)) => (lo.min(took), hi.max(took)),
        });
        let at = self.accepted.partition_point(|&t| t <= started);
        self.accepted.insert(at, started);
        self.forget_old(now);
        self.refusals_in_a_row = 0;
        self.rate = (self.rate + self.settings.increase / self.rate).min(self.settings.max_rate);
        self.since_change += 1;
        if let Some(limit) = self.limit
            && self.since_change >= self.settings.probe_after * limit
        {
            self.limit = Some(limit + 1);
            self.since_change = 0;
        }
    }

    /// The request started at `started` was refused as too many at `now`; the caller asks it
    /// again (it goes first) or gives up with [`Pacer::gave_up`].
    pub fn refused(&mut self, started: Duration, now: Duration) {
        let _ = started;
        self.in_flight = self.in_flight.saturating_sub(1);
        self.forget_old(now);
        let window = self.settings.window;
        let seen = self.accepted.iter().filter(|&&t| now.saturating_sub(t) < window).count();
        self.limit = Some(seen.max(1));
        let accepted_rate = seen as f64 / window.as_secs_f64();
        // Below what was accepted, but at most halved by one refusal (a storm halves it again
        // and again).
        let lower = (accepted_rate * self.settings.decrease).max(self.rate / 2.0);
        self.rate = lower.clamp(self.settings.min_rate, self.rate.max(self.settings.min_rate));
        self.refusals_in_a_row += 1;
        self.since_change = 0;
        let doubling = 2u32.saturating_pow(self.refusals_in_a_row.saturating_sub(1).min(16));
        let pause = self.settings.pause.saturating_mul(doubling).min(self.settings.max_pause);
        self.next = self.next.max(now + pause);
        self.retries += 1;
    }

    /// The caller gives up on a refused request (it will not be asked again).
    pub fn gave_up(&mut self) {
        self.retries = self.retries.saturating_sub(1);
    }

    /// The request failed otherwise (not a refusal).
    pub fn failed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A service that accepts `limit` requests in any window of a second, counted when they
    /// arrive; each request takes `latency(i)`.
    struct Window {
        limit: usize,
        arrivals: VecDeque<Duration>,
    }

    impl Window {
        fn admit(&mut self, at: Duration) -> bool {
            while self.arrivals.front().is_some_and(|&t| at.saturating_sub(t) >= Duration::from_secs(1)) {
                self.arrivals.pop_front();
            }
            if self.arrivals.len() >= self.limit {
                return false;
            }
            self.arrivals.push_back(at);
            true
        }
    }

    /// (time, worker, request, refusals so far, started at (`Some`: in flight)).
    type Event = (Duration, usize, Option<usize>, u32, Option<Duration>);

    /// Simulates `n` requests from `workers` workers against `service`, latencies from
    /// `latency`; returns (the end, the most refusals of one request in a row, refusals).
    fn simulate(
        n: usize,
        workers: usize,
        mut service: impl FnMut(Duration) -> bool,
        mut latency: impl FnMut() -> Duration,
    ) -> (Duration, u32, usize) {
        let mut pacer = Pacer::new(PaceSettings::portal());
        let mut events: Vec<Event> = (0..workers).map(|w| (Duration::ZERO, w, None, 0, None)).collect();
        let (mut next_request, mut worst, mut refusals, mut end) = (0, 0, 0, Duration::ZERO);
        while !events.is_empty() {
            events.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
            let (now, w, request, tries, started) = events.pop().unwrap();
            end = end.max(now);
            match started {
                None => {
                    let request = match request {
                        Some(r) => r,
                        None if next_request < n => {
                            next_request += 1;
                            next_request - 1
                        }
                        None => continue,
                    };
                    match pacer.try_start(now, tries > 0) {
                        Ok(()) => events.push((now + latency(), w, Some(request), tries, Some(now))),
                        Err(at) => {
                            assert!(at > now, "the pacer asks for a later time");
                            events.push((at, w, Some(request), tries, None));
                        }
                    }
                }
                Some(at) if service(now) => {
                    pacer.accepted(at, now);
                    events.push((now, w, None, 0, None));
                }
                Some(at) => {
                    pacer.refused(at, now);
                    refusals += 1;
                    worst = worst.max(tries + 1);
                    assert!(tries + 1 < MAX_REFUSALS, "a request was refused {MAX_REFUSALS} times");
                    events.push((now, w, Some(request.unwrap()), tries + 1, None));
                }
            }
        }
        (end, worst, refusals)
    }

    /// A small deterministic generator of latencies between `lo` and `hi` milliseconds.
    fn latencies(seed: u64, lo: u64, hi: u64) -> impl FnMut() -> Duration {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ms(lo + (x >> 33) % (hi - lo + 1))
        }
    }

    #[test]
    fn near_a_one_second_window_of_20_it_runs_above_90_percent_and_never_refuses_one_request_twice() {
        for seed in 0..20 {
            let mut window = Window { limit: 20, arrivals: VecDeque::new() };
            let (end, worst, refusals) = simulate(606, 4, |t| window.admit(t), latencies(seed, 20, 50));
            let share = 606.0 / 20.0 / end.as_secs_f64();
            assert!(share >= 0.9, "seed {seed}: {:.1} % of the limit ({end:?})", share * 100.0);
            assert!(worst <= 1, "seed {seed}: a request was refused {worst} times in a row");
            assert!(refusals <= 10, "seed {seed}: {refusals} refusals");
        }
    }

    #[test]
    fn a_token_bucket_service_is_paced_too() {
        // 20 a second, a burst of 20: what a service with a bucket (not a window) does.
        let (mut tokens, mut at) = (20.0_f64, Duration::ZERO);
        let bucket = |now: Duration| {
            tokens = (tokens + (now - at).as_secs_f64() * 20.0).min(20.0);
            at = now;
            (tokens >= 1.0).then(|| tokens -= 1.0).is_some()
        };
        let (end, worst, _) = simulate(606, 4, bucket, latencies(7, 20, 50));
        assert!(606.0 / 20.0 / end.as_secs_f64() >= 0.9, "{end:?}");
        assert!(worst <= 2, "{worst}");
    }

    #[test]
    fn in_a_storm_of_refusals_the_waits_grow_and_the_request_is_given_up() {
        let mut pacer = Pacer::new(PaceSettings::portal());
        let mut now = Duration::ZERO;
        let mut waits = Vec::new();
        for tries in 0..MAX_REFUSALS {
            let asked = now;
            let start = loop {
                match pacer.try_start(now, tries > 0) {
                    Ok(()) => break now,
                    Err(at) => now = at,
                }
            };
            waits.push(start - asked);
            now = start + ms(30);
            pacer.refused(start, now);
        }
        pacer.gave_up();
        assert_eq!(waits[0], Duration::ZERO);
        for (k, pair) in waits[1..].windows(2).enumerate() {
            assert!(pair[1] > pair[0], "the waits grow: {waits:?}");
            assert!(pair[1] >= ms(50) * 2u32.pow(k as u32 + 1), "at least the doubled pause: {waits:?}");
        }
        assert!(now < Duration::from_secs(10), "given up within seconds: {now:?}");
        assert_eq!(pacer.in_flight(), 0);
        assert!(pacer.rate() < 2.0, "the rate fell: {}", pacer.rate());
        // The next request (another account) waits for its own turn, not forever.
        let Err(at) = pacer.try_start(now, false) else { panic!("paused") };
        assert!(at - now <= PaceSettings::portal().max_pause + Duration::from_secs(2), "{:?}", at - now);
    }

    #[test]
    fn a_new_request_waits_while_a_refused_one_is_due_again_and_the_limit_holds() {
        let mut pacer = Pacer::new(PaceSettings::portal());
        pacer.try_start(ms(0), false).unwrap();
        pacer.try_start(ms(40), false).unwrap();
        pacer.accepted(ms(0), ms(30));
        pacer.refused(ms(40), ms(70));
        assert_eq!(pacer.limit(), Some(1), "one accepted in the window when it refused");
        let t = ms(1_000);
        assert!(pacer.try_start(t, false).is_err(), "the refused one goes first");
        pacer.try_start(t, true).unwrap();
        assert_eq!(
            pacer.try_start(t + ms(200), false),
            Err(t + ms(200) + Duration::from_secs_f64(1.0 / pacer.rate())),
            "one in flight fills the limit"
        );
        pacer.accepted(t, t + ms(30));
        assert_eq!(
            pacer.try_start(t + ms(100), false),
            Err(t + Duration::from_secs(1)),
            "until the accepted one leaves the window"
        );
        assert!(pacer.try_start(t + Duration::from_secs(1), false).is_ok());
    }
}
