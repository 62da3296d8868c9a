//! IAM Identity Center role discovery: every account the source's access portal offers, with
//! its name and the roles the user may use in it (ListAccounts, then ListAccountRoles for each
//! account, paged), at most [`PORTAL_CONCURRENCY`] requests in flight; and the last listing kept
//! on disk per source (the data dir's `sso-roles/NAME.json`: account ids, names, e-mail
//! addresses and role names, never a token), so a front end shows the roles at once and lists
//! afresh on demand or once the listing is older than [`DISCOVERY_MAX_AGE`].

use chrono::{DateTime, Utc};
use rolecall_core::Error;
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
        let roles =
            self.list_roles(name, &src.region, &token, &progress).await.map_err(|e| self.signed_out(name, e))?;
        let discovery = Discovery { roles, fetched_at: Utc::now() };
        let json = serde_json::to_vec_pretty(&CacheFile::new(&discovery, &src.start_url, &src.region))
            .expect("a listing renders as JSON");
        if let Err(e) = self.discovery_cache().write(name, &json) {
            tracing::warn!(source = %name, code = %e.code(), error = %e, "the role listing is not kept for the next start");
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

    /// The listing itself: the accounts page by page, then each account's roles, at most
    /// [`PORTAL_CONCURRENCY`] requests in flight.
    async fn list_roles(
        &self,
        name: &Name,
        region: &Region,
        token: &Token,
        progress: &(impl Fn(&DiscoveryProgress) + Send + Sync),
    ) -> Result<Vec<AccountRoles>, Error> {
        let mut seen = DiscoveryProgress::default();
        let sso = &self.inner.sso;
        let accounts = all_pages(|next| async move { sso.list_accounts(region, token, next.as_deref()).await })
            .await
            .map_err(subject(name, "list accounts"))?;
        seen.requests += accounts.pages;
        seen.accounts_listed = accounts.items.len();
        seen.all_accounts_listed = true;
        progress(&seen);

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PORTAL_CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for account in accounts.items {
            let (this, slots, token, region, name, tx) =
                (self.clone(), slots.clone(), token.clone(), region.clone(), name.clone(), tx.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
                let listed = all_pages(|next| {
                    let (sso, region, token, id) = (&this.inner.sso, &region, &token, &account.id);
                    async move { sso.list_account_roles(region, token, id, next.as_deref()).await }
                })
                .await
                .map_err(subject(&name, &format!("list the roles of account {}", account.id)))?;
                let _ = tx.send(listed.pages);
                let mut roles = listed.items;
                roles.sort();
                Ok::<_, Error>(AccountRoles { account, roles })
            });
        }
        drop(tx);
        while let Some(pages) = rx.recv().await {
            seen.requests += pages;
            seen.accounts_done += 1;
            progress(&seen);
        }
        let mut out = Vec::new();
        for listing in tasks.join_all().await {
            out.push(listing?);
        }
        out.sort_by(|a, b| (&a.account.name, &a.account.id).cmp(&(&b.account.name, &b.account.id)));
        Ok(out)
    }
}

/// The most pages one listing may take (100 items a page: far more than any organisation has).
const MAX_PAGES: usize = 1_000;

/// A listing's items and how many pages it took.
struct Listed<T> {
    items: Vec<T>,
    pages: usize,
}

/// Every item of a paged portal listing, `page(next)` asked once per page, one after the other. A
/// page token the portal already gave (a listing that would never end), or more than
/// [`MAX_PAGES`] pages, is refused instead of asked again and again.
async fn all_pages<T, Fut>(mut page: impl FnMut(Option<String>) -> Fut) -> Result<Listed<T>, SsoError>
where
    Fut: std::future::Future<Output = Result<Page<T>, SsoError>>,
{
    let mut items = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let p = page(seen.last().cloned()).await?;
        items.extend(p.items);
        let Some(token) = p.next else { return Ok(Listed { items, pages: seen.len() + 1 }) };
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
        .err()
        .unwrap();
        assert_eq!(e.kind, SsoErrorKind::Malformed);
        assert_eq!(asked, vec![None, Some("again".to_owned())], "two pages asked, then refused");

        let mut n = 0;
        let listed = all_pages(|_| {
            n += 1;
            let next = (n < 3).then(|| n.to_string());
            async move { Ok::<_, SsoError>(Page { items: vec![n], next }) }
        })
        .await
        .ok()
        .unwrap();
        assert_eq!((listed.items, listed.pages), (vec![1, 2, 3], 3));
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
}
