//! IAM Identity Center sources: adding one, signing in (the device code here; the browser flow
//! with its loopback redirect in the front ends' shared `sign_in_browser`), the token refreshed
//! silently while the portal session lasts, the roles the portal offers, and the first session of
//! an SSO favourite's chain (GetRoleCredentials).

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::config::{Source, SourceKind};
use rolecall_core::keychain::SecretStore;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::sso::{
    ClientRegistration, DeviceAuthorization, Grant, PortalAccount, SsoError, SsoErrorKind, SsoPortal, SsoSecrets,
    SsoSignIn, StartUrl, Token,
};
use rolecall_core::validate::{Name, Region, RoleArn};

use crate::{Ports, Services};

/// How many portal listings run at once (the portal throttles at about 20 requests a second).
pub const PORTAL_CONCURRENCY: usize = 4;

/// A token is refreshed when less than this is left of it.
pub const REFRESH_LEAD: chrono::Duration = chrono::Duration::minutes(5);

/// An account the portal offers, with the roles the user may use in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRoles {
    /// The account.
    pub account: PortalAccount,
    /// The role names (permission sets), sorted.
    pub roles: Vec<String>,
}

/// What an SSO source is, from `config.toml`.
struct SsoSource {
    start_url: StartUrl,
    region: Region,
}

fn sso_source(source: &Source, name: &Name) -> Result<SsoSource, Error> {
    match &source.kind {
        SourceKind::Sso { sso_start_url, sso_region, .. } => {
            Ok(SsoSource { start_url: sso_start_url.clone(), region: sso_region.clone() })
        }
        _ => Err(Error::NeedsInput {
            subject: format!("source {name}"),
            what: "is not an IAM Identity Center source".into(),
        }),
    }
}

fn subject(name: &Name, what: &str) -> impl Fn(SsoError) -> Error {
    let subject = format!("source {name}: {what}");
    move |e| Error::Sso(SsoError { subject: subject.clone(), ..e })
}

impl<P: Ports> Services<P> {
    /// Adds an IAM Identity Center source (its sign-in comes next: [`Services::sso_sign_in_device`]
    /// or the browser flow).
    pub fn add_sso_source(
        &self,
        name: &Name,
        start_url: StartUrl,
        region: Region,
        sso_session: Option<String>,
    ) -> Result<Source, Error> {
        self.check_source_name_free(name)?;
        let source = Source {
            kind: SourceKind::Sso { sso_start_url: start_url, sso_region: region, sso_session },
            mfa_serial: None,
            identity: None,
        };
        // A sign-in left behind under this name belongs to another portal: never reuse it.
        self.noting().delete_sso(name)?;
        self.inner.config.update(|c| Ok(c.add_source(name.clone(), source.clone())?))?;
        Ok(source)
    }

    /// The source's client registration: the kept one while it lasts, else a new one.
    async fn registration(
        &self,
        name: &Name,
        src: &SsoSource,
        kept: Option<&SsoSecrets>,
        now: DateTime<Utc>,
    ) -> Result<ClientRegistration, Error> {
        if let Some(r) = kept.map(|k| &k.registration).filter(|r| r.usable_at(now)) {
            return Ok(r.clone());
        }
        self.inner
            .sso
            .register_client(&src.region, &src.start_url, None)
            .await
            .map_err(subject(name, "register with IAM Identity Center"))
    }

    /// Signs in to the source's access portal with the device-code flow: `show` is handed the
    /// code the user confirms in a browser (anywhere); the sign-in service is asked at its
    /// interval (longer when it says to slow down) until the user confirms, denies, or the code
    /// expires. The tokens go to the keychain.
    pub async fn sso_sign_in_device(&self, name: &Name, show: impl FnOnce(&DeviceAuthorization)) -> Result<(), Error> {
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let kept = self.noting().load_sso(name)?;
        let now = Utc::now();
        let registration = self.registration(name, &src, kept.as_ref(), now).await?;
        let sso = &self.inner.sso;
        let auth = sso
            .start_device_authorization(&src.region, &registration, &src.start_url, now)
            .await
            .map_err(subject(name, "sign in"))?;
        show(&auth);
        let grant = Grant::DeviceCode(auth.device_code.clone());
        let mut interval = auth.interval.max(chrono::Duration::milliseconds(1));
        let token = loop {
            tokio::time::sleep(interval.to_std().unwrap_or_default()).await;
            if Utc::now() > auth.expires_at {
                return Err(subject(name, "sign in")(SsoError {
                    kind: SsoErrorKind::Expired,
                    subject: String::new(),
                    detail: None,
                }));
            }
            match sso.create_token(&src.region, &registration, &grant, Utc::now()).await {
                Ok(token) => break token,
                Err(e) if e.kind == SsoErrorKind::Pending => {}
                // RFC 8628: wait five seconds more from now on.
                Err(e) if e.kind == SsoErrorKind::SlowDown => interval += chrono::Duration::seconds(5),
                Err(e) => return Err(subject(name, "sign in")(e)),
            }
        };
        self.keep_sign_in(name, registration, token, Some(Utc::now()))
    }

    /// Keeps a sign-in in the keychain.
    pub(crate) fn keep_sign_in(
        &self,
        name: &Name,
        registration: ClientRegistration,
        token: Token,
        signed_in_at: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let secrets = SsoSecrets { registration, token: Some(token), signed_in_at };
        Ok(self.noting().store_sso(name, &secrets)?)
    }

    /// The source's access token at `now`: the kept one until it is due for a refresh, then a
    /// refreshed one (no browser, no prompt while the portal session lasts). A refused refresh
    /// (the portal session ended) is `sso.signed_out`: sign in again.
    pub async fn sso_token(&self, name: &Name, now: DateTime<Utc>) -> Result<Token, Error> {
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let signed_out = |what: &str| {
            subject(name, what)(SsoError { kind: SsoErrorKind::SignedOut, subject: String::new(), detail: None })
        };
        let Some(kept) = self.noting().load_sso(name)? else { return Err(signed_out("not signed in")) };
        let Some(token) = kept.token.clone() else { return Err(signed_out("not signed in")) };
        if now < token.expires_at - REFRESH_LEAD {
            return Ok(token);
        }
        let Some(refresh) = token.refresh_token.clone() else {
            return if token.expires_at > now { Ok(token) } else { Err(signed_out("sign-in expired")) };
        };
        let fresh = self
            .inner
            .sso
            .create_token(&src.region, &kept.registration, &Grant::RefreshToken(refresh.clone()), now)
            .await
            .map_err(subject(name, "refresh the sign-in"))?;
        // A service that does not rotate refresh tokens keeps the old one working.
        let fresh = Token { refresh_token: fresh.refresh_token.or(Some(refresh)), ..fresh };
        self.keep_sign_in(name, kept.registration, fresh.clone(), kept.signed_in_at)?;
        Ok(fresh)
    }

    /// Every account the source's portal offers, with the roles the user may use in each, at most
    /// [`PORTAL_CONCURRENCY`] listings at once (the SDK retries a throttled one with backoff).
    pub async fn sso_roles(&self, name: &Name) -> Result<Vec<AccountRoles>, Error> {
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let token = self.sso_token(name, Utc::now()).await?;
        let mut accounts = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .inner
                .sso
                .list_accounts(&src.region, &token, next.as_deref())
                .await
                .map_err(subject(name, "list accounts"))?;
            accounts.extend(page.items);
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PORTAL_CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, account) in accounts.into_iter().enumerate() {
            let (this, slots, token, region, name) =
                (self.clone(), slots.clone(), token.clone(), src.region.clone(), name.clone());
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
                let mut roles = Vec::new();
                let mut next: Option<String> = None;
                loop {
                    let page = this
                        .inner
                        .sso
                        .list_account_roles(&region, &token, &account.id, next.as_deref())
                        .await
                        .map_err(subject(&name, &format!("list the roles of account {}", account.id)))?;
                    roles.extend(page.items);
                    match page.next {
                        Some(n) => next = Some(n),
                        None => break,
                    }
                }
                roles.sort();
                Ok::<_, Error>((i, AccountRoles { account, roles }))
            });
        }
        let mut out = Vec::new();
        for listing in tasks.join_all().await {
            out.push(listing?.1);
        }
        out.sort_by(|a, b| (&a.account.name, &a.account.id).cmp(&(&b.account.name, &b.account.id)));
        Ok(out)
    }

    /// The first session of favourite `name`'s chain from its IAM Identity Center source: the
    /// role credentials the portal gives for the first link's account and role.
    pub(crate) async fn portal_session(
        &self,
        config: &rolecall_core::config::Config,
        source: &Name,
        first: (&Name, &RoleArn),
    ) -> Result<SessionCredentials, Error> {
        let src = sso_source(config.source(source)?, source)?;
        let token = self.sso_token(source, Utc::now()).await?;
        let (fav, arn) = first;
        self.inner
            .sso
            .role_credentials(&src.region, &token, arn.account(), arn.role_name())
            .await
            .map_err(|e| Error::Sso(SsoError { subject: format!("favourite {fav}: role {arn}"), ..e }))
    }
}

impl<P: Ports> Services<P> {
    /// The start URL and region of the `[sso-session NAME]` block of `~/.aws/config`.
    pub fn sso_session_settings(&self, session: &str) -> Result<(StartUrl, Region), Error> {
        let doc = self.inner.files.read_config()?;
        let section = format!("sso-session {session}");
        let missing = |key: &str| Error::NeedsInput {
            subject: format!("sso-session {session}"),
            what: format!("has no {key} in the AWS config file; add it there, or give the start URL and region"),
        };
        let url = doc.get(&section, "sso_start_url").ok_or_else(|| missing("sso_start_url"))?;
        let region = doc.get(&section, "sso_region").ok_or_else(|| missing("sso_region"))?;
        Ok((StartUrl::parse(&url)?, Region::parse(&region)?))
    }
}
