//! Console sign-in links, for a favourite's session or a source's own identity.

use chrono::{DateTime, Utc};
use rolecall_core::Error;
use rolecall_core::assume::{self, MfaPrompt};
use rolecall_core::config::SourceKind;
use rolecall_core::console::{
    self, ALLOW_ALL_SESSION_POLICY, ConsoleService, ConsoleTarget, LoginUrl, SessionOrigin, SigninTokenRequest,
};
use rolecall_core::keychain::SecretStore;
use rolecall_core::secret::SessionCredentials;
use rolecall_core::sts::{Caller, FederationTokenRequest, Sts, StsError};
use rolecall_core::validate::{Name, Partition, Region, SessionDuration};

use crate::{Ports, Services};

impl<P: Ports> Services<P> {
    /// A console sign-in link for a favourite: its [reusable](Services::reusable_session) session
    /// at `now` (the config tells whether it was chained), else a new one (assumed and written
    /// first). `region` (default: the favourite's, else `AWS_REGION` in its partition, else the
    /// partition's default) and `service` choose the landing page. The link is a bearer secret.
    pub async fn console_url(
        &self,
        name: &Name,
        service: Option<ConsoleService>,
        region: Option<Region>,
        mfa: &mut impl MfaPrompt,
        now: DateTime<Utc>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let credentials = self.usable_session(name, now, mfa).await?;
        self.console_url_for_session(name, &credentials, service, region, sign_out_first).await
    }

    /// A console sign-in link for a favourite's session `credentials` (from its profile or a new
    /// assume): asks the federation endpoint for a sign-in token, with `SessionDuration` (the
    /// favourite's duration) only for a role assumed with long-term keys.
    pub async fn console_url_for_session(
        &self,
        name: &Name,
        credentials: &SessionCredentials,
        service: Option<ConsoleService>,
        region: Option<Region>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let config = self.inner.config.load()?;
        let fav = config.favourite(name)?;
        let origin = console::session_origin(&config, name)?;
        let region = region.unwrap_or_else(|| assume::sts_region(fav, self.inner.default_region.as_ref()));
        let target = ConsoleTarget::new(fav.arn.partition(), Some(region), service)?;
        let request = SigninTokenRequest::new(credentials, origin, fav.duration, target.method());
        self.sign_in(&request, &target, &format!("favourite {name}: console sign-in"), sign_out_first).await
    }

    /// A console sign-in link for a source's own identity (an IAM user's keys, no role): a
    /// GetFederationToken session (one hour) whose session policy allows everything, so the
    /// console may do what the user's own policies allow. Its partition comes from the source's
    /// verified identity, else from the region.
    pub async fn console_url_for_source(
        &self,
        source: &Name,
        service: Option<ConsoleService>,
        region: Option<Region>,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let inner = &self.inner;
        let config = inner.config.load()?;
        let src = config.source(source)?;
        let caller = match &src.kind {
            SourceKind::Keychain { .. } => Caller::Keys(inner.keychain.load(source)?),
            SourceKind::AwsProfile { aws_profile } => Caller::AwsProfile(aws_profile.clone()),
            // The portal hands out roles, not the user's own identity.
            SourceKind::Sso { .. } => {
                return Err(Error::NeedsInput {
                    subject: format!("source {source}: console"),
                    what: "is an IAM Identity Center source: open the console as one of its favourites".into(),
                });
            }
        };
        let partition = src
            .identity
            .as_deref()
            .and_then(|arn| arn.split(':').nth(1))
            .and_then(Partition::parse)
            .or_else(|| region.as_ref().or(inner.default_region.as_ref()).map(Partition::of_region))
            .unwrap_or(Partition::Aws);
        let region = region
            .or_else(|| inner.default_region.clone().filter(|r| partition.contains(r)))
            .unwrap_or_else(|| partition.default_region());
        let target = ConsoleTarget::new(partition, Some(region.clone()), service)?;
        let req = FederationTokenRequest {
            name: console::federated_user_name(src.identity.as_deref()),
            duration: SessionDuration::DEFAULT,
            policy: ALLOW_ALL_SESSION_POLICY.to_owned(),
            region,
        };
        let user = inner
            .sts
            .federation_token(&caller, &req)
            .await
            .map_err(|e| StsError { subject: format!("source {source}: {}", e.subject), ..e })?;
        let request =
            SigninTokenRequest::new(&user.credentials, SessionOrigin::FederatedUser, req.duration, target.method());
        self.sign_in(&request, &target, &format!("source {source}: console sign-in"), sign_out_first).await
    }

    /// Gets a sign-in token and builds the login URL; with `sign_out_first`, on a sign-in host
    /// whose sign-out honours a redirect, wrapped so the browser leaves its current console
    /// session first.
    async fn sign_in(
        &self,
        request: &SigninTokenRequest,
        target: &ConsoleTarget,
        subject: &str,
        sign_out_first: bool,
    ) -> Result<LoginUrl, Error> {
        let endpoint = self.inner.federation_endpoint.clone().unwrap_or_else(|| {
            if sign_out_first { console::sign_out_endpoint(target.partition) } else { target.endpoint() }
        });
        let url = console::sign_in(&self.inner.signin, &endpoint, request, target, subject).await?;
        tracing::info!(destination = %target.destination(), sign_out_first, "console sign-in link ready");
        Ok(if sign_out_first { console::sign_out_first(&url, &endpoint) } else { url })
    }
}
