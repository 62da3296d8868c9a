//! IAM Identity Center sources: adding one, signing in (in the browser with PKCE and a loopback
//! redirect, or with a device code), the token refreshed silently while the portal session lasts,
//! and the first session of an SSO favourite's chain
//! (GetRoleCredentials).

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::config::{Source, SourceKind};
use rolecall_core::keychain::SecretStore;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::sso::{
    ClientRegistration, DeviceAuthorization, Grant, SsoError, SsoErrorKind, SsoPortal, SsoSecrets, SsoSignIn, StartUrl,
    Token,
};
use rolecall_core::validate::{Name, Region, RoleArn};

use crate::{Browser, Ports, Services};

/// A token is refreshed when less than this is left of it.
pub const REFRESH_LEAD: chrono::Duration = chrono::Duration::minutes(5);

/// How long the browser sign-in waits for the browser to come back to the loopback redirect:
/// 5 minutes, then `sso.expired`.
pub const BROWSER_SIGN_IN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// How the browser step of a sign-in began.
#[derive(Debug)]
pub enum BrowserStep<'a> {
    /// The default browser was handed the sign-in page.
    Opened,
    /// No browser could be opened (`why`): the user opens `url` in a browser on this machine
    /// (it holds no secret, but its `state` guards this sign-in: show it only to the user).
    OpenByHand {
        /// The authorize URL.
        url: &'a str,
        /// Why the browser could not be opened.
        why: Error,
    },
}

/// What a new IAM Identity Center source is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSourceSettings {
    /// The access portal's start URL.
    pub start_url: StartUrl,
    /// The region of the organisation's IAM Identity Center.
    pub region: Region,
    /// The `[sso-session NAME]` of `~/.aws/config` it comes from, if any.
    pub sso_session: Option<String>,
    /// Whether the sign-in is shared with the AWS CLI and SDKs (the token cache).
    pub share_with_aws_cli: bool,
    /// How long a portal session lasts, in minutes (none: AWS's default of 8 hours).
    pub session_minutes: Option<u32>,
}

/// Whether an IAM Identity Center source is signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoStatus {
    /// No sign-in, or the portal session has ended: sign in again.
    SignedOut,
    /// Signed in; the portal session should last until `ends_at` (unknown for a sign-in kept
    /// before sign-in times were recorded).
    SignedIn {
        /// When the user signed in.
        since: Option<DateTime<Utc>>,
        /// When the portal session should end.
        ends_at: Option<DateTime<Utc>>,
    },
}

/// What an SSO source is, from `config.toml`.
pub(crate) struct SsoSource {
    pub(crate) start_url: StartUrl,
    pub(crate) region: Region,
}

pub(crate) fn sso_source(source: &Source, name: &Name) -> Result<SsoSource, Error> {
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

pub(crate) fn subject(name: &Name, what: &str) -> impl Fn(SsoError) -> Error {
    let subject = format!("source {name}: {what}");
    move |e| Error::Sso(SsoError { subject: subject.clone(), ..e })
}

impl<P: Ports> Services<P> {
    /// Adds an IAM Identity Center source (its sign-in comes next: [`Services::sso_sign_in_browser`]
    /// or [`Services::sso_sign_in_device`]).
    pub fn add_sso_source(&self, name: &Name, settings: SsoSourceSettings) -> Result<Source, Error> {
        self.check_source_name_free(name)?;
        let SsoSourceSettings { start_url, region, sso_session, share_with_aws_cli, session_minutes } = settings;
        if let Some(m) = session_minutes {
            rolecall_core::config::check_sso_session_minutes(m)?;
        }
        let source = Source {
            kind: SourceKind::Sso {
                sso_start_url: start_url,
                sso_region: region,
                sso_session,
                share_with_aws_cli,
                sso_session_minutes: session_minutes,
            },
            mfa_serial: None,
            identity: None,
        };
        // A sign-in left behind under this name belongs to another portal: never reuse it.
        self.noting().delete_sso(name)?;
        self.inner.config.update(|c| Ok(c.add_source(name.clone(), source.clone())?))?;
        Ok(source)
    }

    /// Whether source `name` is signed in to its portal at `now`, and until when the portal
    /// session should last (its sign-in time plus the source's session length). Reads the
    /// keychain only: no network.
    pub fn sso_status(&self, name: &Name, now: DateTime<Utc>) -> Result<SsoStatus, Error> {
        let config = self.inner.config.load()?;
        let source = config.source(name)?;
        sso_source(source, name)?;
        let length = source.kind.sso_session_length().expect("an sso source has a session length");
        let Some(kept) = self.noting().load_sso(name)? else { return Ok(SsoStatus::SignedOut) };
        let Some(token) = &kept.token else { return Ok(SsoStatus::SignedOut) };
        let ends_at = kept.signed_in_at.map(|at| at + length);
        // Without a refresh token the sign-in lasts as long as its access token.
        let lasts = token.refresh_token.is_some() || token.expires_at > now;
        if !lasts || ends_at.is_some_and(|end| end <= now) {
            return Ok(SsoStatus::SignedOut);
        }
        Ok(SsoStatus::SignedIn { since: kept.signed_in_at, ends_at })
    }

    /// Forgets source `name`'s tokens after the portal said its session ended (the client
    /// registration stays for the next sign-in), so its state shows signed out at once.
    pub(crate) fn signed_out(&self, name: &Name, e: Error) -> Error {
        let Error::Sso(sso) = &e else { return e };
        if !sso.needs_sign_in() {
            return e;
        }
        let forgot = match self.noting().load_sso(name) {
            // A registration the sign-in service no longer knows is no use to the next sign-in.
            Ok(Some(_)) if sso.kind == SsoErrorKind::InvalidClient => self.noting().delete_sso(name).map(|_| ()),
            Ok(Some(kept)) if kept.token.is_some() => {
                self.noting().store_sso(name, &SsoSecrets { token: None, signed_in_at: None, ..kept })
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(why) = forgot {
            tracing::warn!(source = %name, code = %why.code(), error = %why, "the ended sign-in stays in the keychain");
        }
        e
    }

    /// The source's client registration for a flow: the kept one while it lasts and was made for
    /// the same flow (with a loopback redirect URI for the browser, `redirect`; without one for
    /// the device code), else a new one. A kept browser registration serves any port of the
    /// loopback redirect (RFC 8252 section 7.3).
    async fn registration(
        &self,
        name: &Name,
        src: &SsoSource,
        kept: Option<&SsoSecrets>,
        now: DateTime<Utc>,
        redirect: Option<&str>,
    ) -> Result<ClientRegistration, Error> {
        let same_flow = |r: &&ClientRegistration| r.redirect_uri.is_some() == redirect.is_some();
        if let Some(r) = kept.map(|k| &k.registration).filter(|r| r.usable_at(now)).filter(same_flow) {
            return Ok(r.clone());
        }
        self.inner
            .sso
            .register_client(&src.region, &src.start_url, redirect)
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
        let registration = self.registration(name, &src, kept.as_ref(), now, None).await?;
        let sso = &self.inner.sso;
        let auth = sso
            .start_device_authorization(&src.region, &registration, &src.start_url, now)
            .await
            .map_err(subject(name, "sign in"))?;
        show(&auth);
        let grant = Grant::DeviceCode(auth.device_code.clone());
        // Never faster than once a second, whatever the service (or a fake of it) says.
        let mut interval = auth.interval.max(chrono::Duration::seconds(1));
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

    /// Signs in to the source's access portal in the default browser, as the AWS CLI v2 does by
    /// default: OAuth 2.0's authorization code with PKCE (S256) and a random `state`, the browser
    /// sent back to a loopback redirect on 127.0.0.1 at a port the OS picks. `step` is told
    /// whether the browser was handed the sign-in page (through a private page, never a command
    /// line) or the user must open its URL by hand. The wait ends when the browser comes back
    /// with this sign-in's `state` (`sso.cancelled` when the user denied) or after
    /// [`BROWSER_SIGN_IN_TIMEOUT`] (`sso.expired`). The tokens go to the keychain; nothing is
    /// kept before they are in.
    pub async fn sso_sign_in_browser(&self, name: &Name, step: impl FnOnce(BrowserStep<'_>)) -> Result<(), Error> {
        use rolecall_sso::pkce::{Pkce, authorize_url, new_state};
        let config = self.inner.config.load()?;
        let src = sso_source(config.source(name)?, name)?;
        let kept = self.noting().load_sso(name)?;
        let sign_in = subject(name, "sign in");
        let redirect = rolecall_sso::LoopbackRedirect::bind().map_err(&sign_in)?;
        let redirect_uri = redirect.redirect_uri();
        let registration = self.registration(name, &src, kept.as_ref(), Utc::now(), Some(&redirect_uri)).await?;
        let pkce = Pkce::new().map_err(&sign_in)?;
        let state = new_state().map_err(&sign_in)?;
        let endpoint = rolecall_sso::endpoint_from_env(rolecall_sso::Service::SignIn);
        let url = authorize_url(
            &src.region,
            endpoint.as_deref(),
            &registration.client_id,
            &redirect_uri,
            &state,
            &pkce.challenge,
        );
        // Listening before the browser is handed the page: a quick browser finds the port bound.
        let wait = tokio::task::spawn_blocking(move || redirect.wait(&state, BROWSER_SIGN_IN_TIMEOUT));
        let (this, page, what) = (self.clone(), url.clone(), format!("source {name}: sign in in the browser"));
        let opened = tokio::task::spawn_blocking(move || this.inner.browser.open_url(&page, &what)).await;
        match opened {
            Ok(Ok(())) => step(BrowserStep::Opened),
            Ok(Err(why)) => step(BrowserStep::OpenByHand { url: &url, why }),
            Err(e) => step(BrowserStep::OpenByHand { url: &url, why: Error::Cancelled(e.to_string()) }),
        }
        let code = match wait.await {
            Ok(code) => code.map_err(&sign_in)?,
            Err(e) => {
                return Err(sign_in(SsoError {
                    kind: SsoErrorKind::Other,
                    subject: String::new(),
                    detail: Some(format!("the wait for the browser stopped: {e}")),
                }));
            }
        };
        let grant = Grant::AuthorizationCode { code, redirect_uri, code_verifier: pkce.verifier };
        let token =
            self.inner.sso.create_token(&src.region, &registration, &grant, Utc::now()).await.map_err(&sign_in)?;
        self.keep_sign_in(name, registration, token, Some(Utc::now()))
    }

    /// Keeps a sign-in in the keychain, and, when the source shares it, in the AWS CLI's token
    /// cache too (a cache that cannot be written is a warning: the sign-in stands).
    pub(crate) fn keep_sign_in(
        &self,
        name: &Name,
        registration: ClientRegistration,
        token: Token,
        signed_in_at: Option<DateTime<Utc>>,
    ) -> Result<(), Error> {
        let secrets = SsoSecrets { registration, token: Some(token), signed_in_at };
        self.noting().store_sso(name, &secrets)?;
        if let Err(e) = self.share_sign_in(name, &secrets) {
            tracing::warn!(source = %name, code = %e.code(), error = %e, "the sign-in is not shared with the AWS CLI");
        }
        Ok(())
    }

    /// Writes the AWS CLI's and SDKs' token cache file of source `name` when it shares its
    /// sign-in (`share_with_aws_cli`); nothing otherwise.
    fn share_sign_in(&self, name: &Name, secrets: &SsoSecrets) -> Result<(), Error> {
        let config = self.inner.config.load()?;
        let SourceKind::Sso { sso_start_url, sso_region, sso_session, share_with_aws_cli: true, .. } =
            &config.source(name)?.kind
        else {
            return Ok(());
        };
        let Some(token) = &secrets.token else { return Ok(()) };
        let json = rolecall_core::sso::token_cache_json(&secrets.registration, token, sso_region, sso_start_url);
        let key = rolecall_core::sso::token_cache_key(sso_session.as_deref(), sso_start_url);
        let path = self.inner.files.write_sso_cache(key, &json)?;
        tracing::debug!(source = %name, path = %path.display(), "shared the sign-in with the AWS CLI");
        Ok(())
    }

    /// Removes the token cache file a source of `kind` shared, if rolecall wrote it (a sign-in
    /// to the same start URL); a file that cannot be removed is a warning.
    pub(crate) fn forget_shared_sign_in(&self, name: &Name, kind: &SourceKind) {
        let SourceKind::Sso { sso_start_url, sso_session, share_with_aws_cli: true, .. } = kind else { return };
        let key = rolecall_core::sso::token_cache_key(sso_session.as_deref(), sso_start_url);
        if let Err(e) = self.inner.files.remove_sso_cache(key, sso_start_url.as_str()) {
            tracing::warn!(source = %name, code = %e.code(), error = %e, "the AWS CLI's token cache file stays");
        }
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
        let kept_token = || -> Result<(SsoSecrets, Token), Error> {
            let Some(kept) = self.noting().load_sso(name)? else { return Err(signed_out("not signed in")) };
            let Some(token) = kept.token.clone() else { return Err(signed_out("not signed in")) };
            Ok((kept, token))
        };
        let (_, seen) = kept_token()?;
        if now < seen.expires_at - REFRESH_LEAD {
            return Ok(seen);
        }
        // One refresh at a time, in this process and across rolecall's processes: whoever waited
        // uses the token refreshed meanwhile (by this process, another rolecall process, or
        // another tool sharing the sign-in) instead of refreshing it again.
        let _one = self.inner.sso_refresh.lock().await;
        let files = self.inner.files.clone();
        let held = name.clone();
        let _across = tokio::task::spawn_blocking(move || files.hold_sso_refresh(&held))
            .await
            .expect("taking the refresh lock does not panic")?;
        let (kept, mut token) = kept_token()?;
        if let Some(shared) = self.refreshed_elsewhere(name, config.source(name)?, &kept, &token) {
            tracing::debug!(source = %name, "took up the sign-in another tool refreshed");
            self.noting().store_sso(name, &SsoSecrets { token: Some(shared.clone()), ..kept.clone() })?;
            token = shared;
        }
        let refreshed_meanwhile = token.expires_at > seen.expires_at && token.expires_at > now;
        if refreshed_meanwhile || now < token.expires_at - REFRESH_LEAD {
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
            .map_err(|e| self.signed_out(name, subject(name, "refresh the sign-in")(e)))?;
        // A service that does not rotate refresh tokens keeps the old one working.
        let fresh = Token { refresh_token: fresh.refresh_token.or(Some(refresh)), ..fresh };
        self.keep_sign_in(name, kept.registration, fresh.clone(), kept.signed_in_at)?;
        Ok(fresh)
    }

    /// The token of a shared sign-in (`share_with_aws_cli`) that another tool refreshed since
    /// `token` (the same client and portal, ending later), if any: taken up rather than refreshed
    /// again with a refresh token the service may have retired. A file that cannot be read is a
    /// warning, and rolecall refreshes as it would without one.
    fn refreshed_elsewhere(&self, name: &Name, source: &Source, kept: &SsoSecrets, token: &Token) -> Option<Token> {
        let SourceKind::Sso { sso_start_url, sso_session, share_with_aws_cli: true, .. } = &source.kind else {
            return None;
        };
        let key = rolecall_core::sso::token_cache_key(sso_session.as_deref(), sso_start_url);
        match self.inner.files.read_sso_cache(key) {
            Ok(Some(shared)) if shared.supersedes(&kept.registration, sso_start_url, token) => Some(shared.token),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(source = %name, code = %e.code(), error = %e, "cannot read the shared sign-in");
                None
            }
        }
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
        self.inner.sso.role_credentials(&src.region, &token, arn.account(), arn.role_name()).await.map_err(|e| {
            self.signed_out(source, Error::Sso(SsoError { subject: format!("favourite {fav}: role {arn}"), ..e }))
        })
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
