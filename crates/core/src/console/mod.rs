//! The AWS console through a federated sign-in link: the hosts each partition signs in on and
//! serves its console from, the getSigninToken request (the Session JSON, and `SessionDuration`
//! only where AWS allows it), the login URL, and the [`SigninClient`] port to the federation
//! endpoint.
//!
//! The protocol is the "custom identity broker" one of the IAM User Guide ("Enable custom identity
//! broker access to the AWS console"): temporary credentials go to
//! `https://SIGNIN_HOST/federation?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}`,
//! which answers `{"SigninToken": …}`; the browser then opens
//! `…/federation?Action=login&Issuer=…&Destination=…&SigninToken=…`.
//!
//! Secrets: the Session JSON, the sign-in token and the login URL are bearer secrets. They live in
//! [`SecretString`](secrecy::SecretString)s behind types whose `Debug` shows nothing of them, and no error carries them.
//!
//! One job per file, everything re-exported here: `hosts.rs` (the sign-in and console hosts per
//! partition and region, the federation endpoint), `target.rs` (where the session lands: the page,
//! the region, the `Destination`) and `flow.rs` (when `SessionDuration` may be sent, the
//! getSigninToken request, the login URL, sign-out first, the port and [`ConsoleError`]).

mod flow;
mod hosts;
mod target;

pub use flow::{
    ALLOW_ALL_SESSION_POLICY, ConsoleError, ConsoleErrorKind, ISSUER, LoginUrl, SessionOrigin, SigninClient,
    SigninToken, SigninTokenRequest, TokenMethod, federated_user_name, login_url, session_duration, session_origin,
    sign_in, sign_out_endpoint, sign_out_first, token_method,
};
pub use hosts::{FederationEndpoint, console_host, signin_host};
pub use target::{ConsoleService, ConsoleTarget, GLOBAL_SERVICES};
