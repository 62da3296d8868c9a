//! IAM Identity Center role discovery: every account the source's access portal offers, with
//! its name and the roles the user may use in it (ListAccounts, then ListAccountRoles for each
//! account, paged), at most [`PORTAL_CONCURRENCY`] requests in flight, paced close to the
//! portal's throttle ([`rolecall_core::pace`]: a refused request is asked again after a pause,
//! and fails the listing with `sso.throttled` after [`MAX_REFUSALS`]); and the last listing kept
//! on disk per source (the data dir's `sso-roles/NAME.json`: account ids, names, e-mail
//! addresses and role names, never a token), so a front end shows the roles at once and lists
//! afresh on demand or once the listing is older than [`DISCOVERY_MAX_AGE`].

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::pace::{MAX_REFUSALS, PaceSettings, Pacer};
use rolecall_core::sso::{Page, PortalAccount, SsoError, SsoErrorKind, SsoPortal, StartUrl, Token};
use rolecall_core::validate::{Name, Region};
use rolecall_files::DiscoveryCache;
use serde::{Deserialize, Serialize};

use crate::sso::{sso_source, subject};
use crate::{Ports, Services};

/// How many portal requests are in flight at once at most (the portal throttles at about 20
/// requests a second).
pub const PORTAL_CONCURRENCY: usize = 4;

/// A listing older than this is stale: front ends show it, and list afresh.
pub const DISCOVERY_MAX_AGE: chrono::Duration = chrono::Duration::hours(24);

/// The version of the cache file's format this build writes; a newer one is ignored.
const CACHE_VERSION: u32 = 1;

/// An account the portal offers, with the roles the user may use in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRoles {
    /// The account.
    pub account: PortalAccount,
    /// The role names (permission sets), sorted.
    pub roles: Vec<String>,
}

/// One listing of a source's accounts and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Every account with its roles, by account name, then id.
    pub roles: Vec<AccountRoles>,
    /// When the listing was made.
    pub fetched_at: DateTime<Utc>,
}

impl Discovery {
    /// Whether the listing is older than [`DISCOVERY_MAX_AGE`] at `now` (or made in the future
    /// of a clock that was set back): time to list afresh.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now - self.fetched_at >= DISCOVERY_MAX_AGE || self.fetched_at > now + chrono::Duration::minutes(5)
    }
}

/// How far a listing has come: what a progress bar needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryProgress {
    /// The accounts listed so far (the total once `all_accounts_listed`).
    pub accounts_listed: usize,
    /// Whether the last page of accounts came.
    pub all_accounts_listed: bool,
    /// The accounts whose roles are all listed.
    pub accounts_done: usize,
    /// Portal requests answered so far, refused ones included.
    pub requests: usize,
    /// Requests the portal refused as too many (each was asked again after a pause).
    pub throttled: usize,
}

/// The cache file's JSON.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    start_url: String,
    region: String,
    fetched_at: DateTime<Utc>,
    accounts: Vec<CachedAccount>,
}

#[derive(Serialize, Deserialize)]
struct CachedAccount {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    roles: Vec<String>,
}

impl CacheFile {
    fn new(discovery: &Discovery, start_url: &StartUrl, region: &Region) -> CacheFile {
        CacheFile {
            version: CACHE_VERSION,
            start_url: start_url.to_string(),
            region: region.to_string(),
            fetched_at: discovery.fetched_at,
            accounts: discovery
                .roles
                .iter()
                .map(|a| CachedAccount {
                    id: a.account.id.clone(),
                    name: a.account.name.clone(),
                    email: a.account.email.clone(),
                    roles: a.roles.clone(),
                })
                .collect(),
        }
    }

    fn into_discovery(self) -> Discovery {
        let roles = self
            .accounts
            .into_iter()
            .map(|a| AccountRoles { account: PortalAccount { id: a.id, name: a.name, email: a.email }, roles: a.roles })
            .collect();
        Discovery { roles, fetched_at: self.fetched_at }
    }
}

/// Why a cache file is not used, when it is not (`None`: used).
fn unusable(file: &serde_json::Value, start_url: &StartUrl, region: &Region) -> Option<String> {
    let version = file.get("version").and_then(serde_json::Value::as_u64);
    match version {
        Some(v) if v == u64::from(CACHE_VERSION) => {}
        Some(v) if v > u64::from(CACHE_VERSION) => return Some(format!("written by a newer rolecall (format {v})")),
        _ => return Some("not a listing this rolecall wrote".into()),
    }
    let same = |key: &str, want: String| file.get(key).and_then(serde_json::Value::as_str) == Some(want.as_str());
    if !same("start_url", start_url.to_string()) || !same("region", region.to_string()) {
        return Some("a listing of another portal".into());
    }
    None
}

impl<P: Ports> Services<P> {
    fn discovery_cache(&self) -> DiscoveryCache {
        DiscoveryCache::new(self.inner.files.paths())
    }

    /// Source `name`'s last listing of accounts and roles, from disk (no network): what a front
    /// end shows at once. `None` when there is none; a file that cannot be read, is corrupt, was
    /// written by a newer rolecall or lists another portal is ignored with a warning.
    pub fn sso_roles_cached(&self, name: &Name) -> Result<Option<Discovery>, Error> {
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let bytes = match self.discovery_cache().read(name) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::warn!(source = %name, code = %e.code(), error = %e, "the last role listing cannot be read; ignored");
                return Ok(None);
            }
        };
        let parsed =
            serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|e| e.to_string()).and_then(
                |v| match unusable(&v, &src.start_url, &src.region) {
                    Some(why) => Err(why),
                    None => serde_json::from_value::<CacheFile>(v).map_err(|e| e.to_string()),
                },
            );
        match parsed {
            Ok(file) => Ok(Some(file.into_discovery())),
            Err(why) => {
                tracing::warn!(source = %name, why = %why, "the last role listing is not usable; ignored");
                Ok(None)
            }
        }
    }

    /// Lists source `name`'s accounts and roles afresh, keeps the listing on disk (a listing that
    /// cannot be kept is a warning) and returns it. `progress` is told after each answer.
    pub async fn sso_discover(
        &self,
        name: &Name,
        progress: impl Fn(&DiscoveryProgress) + Send + Sync,
    ) -> Result<Discovery, Error> {
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let token = self.sso_token(name, Utc::now()).await?;
        let roles = list_all(&self.inner.sso, name, &src.region, &token, &progress)
            .await
            .map_err(|e| self.signed_out(name, e))?;
        let discovery = Discovery { roles, fetched_at: Utc::now() };
        let json = serde_json::to_vec_pretty(&CacheFile::new(&discovery, &src.start_url, &src.region))
            .expect("a listing renders as JSON");
        // Under config.toml's lock, and only while the source is still this portal's: a source
        // removed (or replaced) meanwhile leaves no listing behind.
        let kept = self.inner.config.read_locked(|c| {
            let same = c
                .source(name)
                .ok()
                .and_then(|s| sso_source(s, name).ok())
                .is_some_and(|now| now.start_url == src.start_url && now.region == src.region);
            if same { self.discovery_cache().write(name, &json).map(|()| true) } else { Ok(false) }
        });
        match kept {
            Ok(true) => {}
            Ok(false) => tracing::debug!(source = %name, "the source changed during the listing; not kept"),
            Err(e) => {
                tracing::warn!(source = %name, code = %e.code(), error = %e, "the role listing is not kept for the next start")
            }
        }
        Ok(discovery)
    }

    /// Every account the source's portal offers, with the roles the user may use in each
    /// (afresh; [`Services::sso_discover`] without progress).
    pub async fn sso_roles(&self, name: &Name) -> Result<Vec<AccountRoles>, Error> {
        Ok(self.sso_discover(name, |_| {}).await?.roles)
    }

    /// Removes source `name`'s kept listing (a file that cannot be removed is a warning).
    pub(crate) fn forget_discovery(&self, name: &Name) {
        if let Err(e) = self.discovery_cache().remove(name) {
            tracing::warn!(source = %name, code = %e.code(), error = %e, "the source's last role listing stays");
        }
    }
}

/// The pace of one listing, shared by its requests.
struct Pace<'a, F> {
    pacer: Mutex<Pacer>,
    began: tokio::time::Instant,
    seen: Mutex<DiscoveryProgress>,
    progress: &'a F,
}

impl<F: Fn(&DiscoveryProgress) + Sync> Pace<'_, F> {
    fn now(&self) -> Duration {
        self.began.elapsed()
    }

    /// Updates the progress and tells the caller.
    fn report(&self, change: impl FnOnce(&mut DiscoveryProgress)) {
        let seen = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            change(&mut seen);
            seen.clone()
        };
        (self.progress)(&seen);
    }

    /// `call` once the pacer lets it start; a refused one is asked again when the pacer says,
    /// and fails (`sso.throttled`) after [`MAX_REFUSALS`] refusals in a row.
    async fn run<T, Fut>(&self, mut call: impl FnMut() -> Fut) -> Result<T, SsoError>
    where
        Fut: std::future::Future<Output = Result<T, SsoError>>,
    {
        let mut refusals = 0;
        loop {
            loop {
                let now = self.now();
                let start = self.pacer.lock().unwrap_or_else(|e| e.into_inner()).try_start(now, refusals > 0);
                match start {
                    Ok(()) => break,
                    Err(at) => tokio::time::sleep_until(self.began + at).await,
                }
            }
            let started = self.now();
            let answer = call().await;
            let now = self.now();
            let throttled = matches!(&answer, Err(e) if e.kind == SsoErrorKind::Throttled);
            {
                let mut pacer = self.pacer.lock().unwrap_or_else(|e| e.into_inner());
                match &answer {
                    Ok(_) => pacer.accepted(started, now),
                    Err(_) if throttled => pacer.refused(started, now),
                    Err(_) => pacer.failed(),
                }
                if throttled && refusals + 1 >= MAX_REFUSALS {
                    pacer.gave_up();
                }
            }
            self.report(|p| {
                p.requests += 1;
                p.throttled += usize::from(throttled);
            });
            if !throttled {
                return answer;
            }
            refusals += 1;
            tracing::debug!(refusals, "the portal refused a listing as too many; asking again");
            if refusals >= MAX_REFUSALS {
                return answer.map_err(|e| SsoError {
                    detail: Some(format!("one request was refused {MAX_REFUSALS} times in a row")),
                    ..e
                });
            }
        }
    }
}

/// Every account `sso`'s portal offers, with the roles the user may use in each: the accounts
/// page by page, then each account's roles, [`PORTAL_CONCURRENCY`] at a time, every request
/// paced ([`Pacer`] with [`PaceSettings::portal`]); `progress` is told after each answer.
async fn list_all<S: SsoPortal>(
    sso: &S,
    name: &Name,
    region: &Region,
    token: &Token,
    progress: &(impl Fn(&DiscoveryProgress) + Sync),
) -> Result<Vec<AccountRoles>, Error> {
    let pace = Pace {
        pacer: Mutex::new(Pacer::new(PaceSettings::portal())),
        began: tokio::time::Instant::now(),
        seen: Mutex::new(DiscoveryProgress::default()),
        progress,
    };
    let pace = &pace;
    let accounts = all_pages(|next| async move {
        let page = pace.run(|| sso.list_accounts(region, token, next.as_deref())).await?;
        pace.report(|p| p.accounts_listed += page.items.len());
        Ok(page)
    })
    .await
    .map_err(subject(name, "list accounts"))?;
    pace.report(|p| p.all_accounts_listed = true);

    let queue = Mutex::new(accounts.into_iter().collect::<std::collections::VecDeque<_>>());
    let done = Mutex::new(Vec::new());
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let worker = || async {
        loop {
            if failed.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                return;
            }
            let Some(account) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front() else { return };
            let id = &account.id;
            let listed = all_pages(|next| async move {
                pace.run(|| sso.list_account_roles(region, token, id, next.as_deref())).await
            })
            .await;
            match listed {
                Ok(mut roles) => {
                    roles.sort();
                    done.lock().unwrap_or_else(|e| e.into_inner()).push(AccountRoles { account, roles });
                    pace.report(|p| p.accounts_done += 1);
                }
                Err(e) => {
                    let e = subject(name, &format!("list the roles of account {}", account.id))(e);
                    failed.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
                    return;
                }
            }
        }
    };
    // PORTAL_CONCURRENCY workers, each one request in flight at most.
    const _: () = assert!(PORTAL_CONCURRENCY == 4, "one worker per slot below");
    tokio::join!(worker(), worker(), worker(), worker());
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut out = done.into_inner().unwrap_or_else(|e| e.into_inner());
    out.sort_by(|a, b| (&a.account.name, &a.account.id).cmp(&(&b.account.name, &b.account.id)));
    Ok(out)
}

/// The most pages one listing may take (100 items a page: far more than any organisation has).
const MAX_PAGES: usize = 1_000;

/// Every item of a paged portal listing, `page(next)` asked once per page, one after the other. A
/// page token the portal already gave (a listing that would never end), or more than
/// [`MAX_PAGES`] pages, is refused instead of asked again and again.
async fn all_pages<T, Fut>(mut page: impl FnMut(Option<String>) -> Fut) -> Result<Vec<T>, SsoError>
where
    Fut: std::future::Future<Output = Result<Page<T>, SsoError>>,
{
    let mut items = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let p = page(seen.last().cloned()).await?;
        items.extend(p.items);
        let Some(token) = p.next else { return Ok(items) };
        if seen.contains(&token) || seen.len() >= MAX_PAGES {
            return Err(SsoError {
                kind: SsoErrorKind::Malformed,
                subject: String::new(),
                detail: Some("the portal's page tokens repeat; the listing would never end".into()),
            });
        }
        seen.push(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listing_whose_page_tokens_repeat_is_refused_not_asked_forever() {
        let mut asked = Vec::new();
        let e = all_pages(|next| {
            asked.push(next);
            async { Ok::<_, SsoError>(Page { items: vec![1], next: Some("again".to_owned()) }) }
        })
        .await
        .unwrap_err();
        assert_eq!(e.kind, SsoErrorKind::Malformed);
        assert_eq!(asked, vec![None, Some("again".to_owned())], "two pages asked, then refused");

        let mut n = 0;
        let items = all_pages(|_| {
            n += 1;
            let next = (n < 3).then(|| n.to_string());
            async move { Ok::<_, SsoError>(Page { items: vec![n], next }) }
        })
        .await
        .unwrap();
        assert_eq!(items, vec![1, 2, 3]);
    }

    fn discovery(at: DateTime<Utc>) -> Discovery {
        Discovery { roles: Vec::new(), fetched_at: at }
    }

    #[test]
    fn a_listing_is_stale_after_a_day_or_when_made_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T12:00:00Z").unwrap().to_utc();
        assert!(!discovery(now).is_stale(now));
        assert!(!discovery(now - chrono::Duration::hours(23)).is_stale(now));
        assert!(discovery(now - DISCOVERY_MAX_AGE).is_stale(now));
        assert!(discovery(now + chrono::Duration::hours(1)).is_stale(now));
    }

    /// A portal of `accounts` accounts with three roles each, answering after `latency`,
    /// refusing (`TooManyRequestsException`) above `limit` requests in any second, counted when
    /// they arrive as the e2e fake does; each request's key and whether it was refused, in order.
    struct ThrottledPortal {
        accounts: usize,
        page_size: usize,
        limit: Option<usize>,
        latency: Duration,
        arrivals: Mutex<std::collections::VecDeque<std::time::Instant>>,
        log: Mutex<Vec<(String, bool)>>,
    }

    impl ThrottledPortal {
        fn new(accounts: usize, limit: Option<usize>) -> ThrottledPortal {
            ThrottledPortal {
                accounts,
                page_size: 7,
                limit,
                latency: Duration::from_millis(3),
                arrivals: Mutex::default(),
                log: Mutex::default(),
            }
        }

        async fn answer<T>(&self, key: String, page: impl FnOnce() -> Page<T>) -> Result<Page<T>, SsoError> {
            tokio::time::sleep(self.latency).await;
            let refused = self.limit.is_some_and(|limit| {
                let now = std::time::Instant::now();
                let mut arrivals = self.arrivals.lock().unwrap();
                while arrivals.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
                    arrivals.pop_front();
                }
                let refused = arrivals.len() >= limit;
                if !refused {
                    arrivals.push_back(now);
                }
                refused
            });
            self.log.lock().unwrap().push((key, refused));
            if refused {
                return Err(SsoError { kind: SsoErrorKind::Throttled, subject: "list".into(), detail: None });
            }
            Ok(page())
        }

        fn paged<T: Clone>(&self, all: &[T], next: Option<&str>) -> Page<T> {
            let from: usize = next.map_or(0, |n| n.parse().unwrap());
            let to = (from + self.page_size).min(all.len());
            Page { items: all[from..to].to_vec(), next: (to < all.len()).then(|| to.to_string()) }
        }

        /// The most times one request was refused in a row.
        fn worst_refusals_in_a_row(&self) -> usize {
            let mut in_a_row = std::collections::HashMap::<&str, usize>::new();
            let log = self.log.lock().unwrap();
            let mut worst = 0;
            for (key, refused) in log.iter() {
                let n = in_a_row.entry(key).or_default();
                *n = if *refused { *n + 1 } else { 0 };
                worst = worst.max(*n);
            }
            worst
        }
    }

    fn account(i: usize) -> PortalAccount {
        PortalAccount { id: format!("{:012}", 100_000_000_000 + i), name: format!("Account {i:03}"), email: None }
    }

    impl SsoPortal for ThrottledPortal {
        async fn list_accounts(
            &self,
            _: &Region,
            _: &Token,
            next: Option<&str>,
        ) -> Result<Page<PortalAccount>, SsoError> {
            let all: Vec<_> = (0..self.accounts).map(account).collect();
            self.answer(format!("accounts {next:?}"), || self.paged(&all, next)).await
        }

        async fn list_account_roles(
            &self,
            _: &Region,
            _: &Token,
            id: &str,
            next: Option<&str>,
        ) -> Result<Page<String>, SsoError> {
            let roles = ["Read".to_owned(), "Admin".to_owned(), "Billing".to_owned()];
            self.answer(format!("roles {id} {next:?}"), || Page { items: roles.to_vec(), next: None }).await
        }

        async fn role_credentials(
            &self,
            _: &Region,
            _: &Token,
            _: &str,
            _: &str,
        ) -> Result<rolecall_core::secret::SessionCredentials, SsoError> {
            unreachable!("discovery lists only")
        }
    }

    fn token() -> Token {
        Token {
            access_token: "t".to_owned().into(),
            expires_at: DateTime::parse_from_rfc3339("2099-01-01T00:00:00Z").unwrap().to_utc(),
            refresh_token: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_throttled_portal_is_listed_whole_and_no_request_is_refused_twice_in_a_row() {
        let portal = ThrottledPortal::new(40, Some(20));
        let name = Name::parse("corp").unwrap();
        let region = Region::parse("eu-west-1").unwrap();
        let seen = Mutex::new(Vec::new());
        let roles =
            list_all(&portal, &name, &region, &token(), &|p: &DiscoveryProgress| seen.lock().unwrap().push(p.clone()))
                .await
                .unwrap();
        assert_eq!(roles.len(), 40);
        assert_eq!(roles[0].account, account(0), "by name");
        assert!(roles.iter().all(|a| a.roles == ["Admin", "Billing", "Read"]), "sorted: {roles:?}");
        let log = portal.log.lock().unwrap().clone();
        let refused = log.iter().filter(|(_, r)| *r).count();
        assert!(refused >= 1, "the limit was reached: {log:?}");
        assert!(refused <= 10, "{refused} refusals");
        assert_eq!(portal.worst_refusals_in_a_row(), 1, "{log:?}");
        // 6 pages of accounts, one page of roles each; every refused one asked again.
        assert_eq!(log.len() - refused, 6 + 40);
        let seen = seen.into_inner().unwrap();
        let last = seen.last().unwrap();
        assert_eq!((last.accounts_listed, last.accounts_done, last.all_accounts_listed), (40, 40, true));
        assert_eq!((last.requests, last.throttled), (log.len(), refused));
        assert!(seen.windows(2).all(|w| w[0].accounts_done <= w[1].accounts_done && w[0].requests <= w[1].requests));
        assert!(seen.iter().any(|p| p.accounts_listed == 7 && !p.all_accounts_listed), "accounts counted per page");
    }

    #[tokio::test]
    async fn a_portal_that_refuses_everything_fails_the_listing_as_throttled_after_five_tries() {
        let portal = ThrottledPortal::new(3, Some(0));
        let name = Name::parse("corp").unwrap();
        let region = Region::parse("eu-west-1").unwrap();
        let e = list_all(&portal, &name, &region, &token(), &|_: &DiscoveryProgress| {}).await.unwrap_err();
        assert_eq!(e.code(), rolecall_core::Code::SsoThrottled, "{e}");
        assert!(e.to_string().starts_with("source corp: list accounts: "), "{e}");
        assert!(e.to_string().contains("refused 5 times in a row"), "{e}");
        assert_eq!(portal.log.lock().unwrap().len(), MAX_REFUSALS as usize, "asked 5 times, then given up");
    }
}
