//! The browser step of the authorization-code flow, pure apart from the randomness: a PKCE code
//! verifier and its S256 challenge (RFC 7636), a random `state`, and the authorize URL the
//! browser opens.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use rolecall_core::sso::{SsoError, SsoErrorKind};
use rolecall_core::validate::Region;

/// The scope rolecall asks for: the portal's accounts and roles.
pub const SCOPE: &str = "sso:account:access";

/// How many random bytes a verifier holds: 64, which base64url writes as 86 characters (RFC 7636
/// allows 43 to 128).
const VERIFIER_BYTES: usize = 64;
/// How many random bytes a `state` holds (32: 43 characters).
const STATE_BYTES: usize = 32;

/// base64url without padding (RFC 4648 section 5), the encoding of PKCE values.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// `len` bytes from the OS's CSPRNG, as base64url.
fn random(len: usize) -> Result<String, SsoError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| SsoError {
        kind: SsoErrorKind::Other,
        subject: "sign in".to_owned(),
        detail: Some(format!("no random numbers from the operating system: {e}")),
    })?;
    Ok(base64url(&bytes))
}

/// A PKCE pair: the secret verifier (sent with the token request) and its challenge (sent with
/// the authorize request).
#[derive(Debug)]
pub struct Pkce {
    /// The code verifier: 86 base64url characters from the OS's CSPRNG.
    pub verifier: SecretString,
    /// Its S256 challenge.
    pub challenge: String,
}

impl Pkce {
    /// A new random pair.
    pub fn new() -> Result<Pkce, SsoError> {
        let verifier = random(VERIFIER_BYTES)?;
        let challenge = s256(&verifier);
        Ok(Pkce { verifier: SecretString::from(verifier), challenge })
    }

    /// A pair from a given verifier (tests, and checking a challenge).
    pub fn from_verifier(verifier: &str) -> Pkce {
        Pkce { verifier: SecretString::from(verifier.to_owned()), challenge: s256(verifier) }
    }

    /// The verifier's text.
    pub fn verifier(&self) -> &str {
        self.verifier.expose_secret()
    }
}

/// The S256 challenge of `verifier`: base64url without padding of its SHA-256.
pub fn s256(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// A random `state` for one authorize request (43 base64url characters): the callback must carry
/// it back, so a request the browser did not get from this sign-in is told apart.
pub fn new_state() -> Result<String, SsoError> {
    random(STATE_BYTES)
}

/// Percent-encodes `s` for a query value: everything but RFC 3986's unreserved characters.
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The sign-in service's base URL for `region`: `endpoint` (an override, see
/// [`crate::endpoint_override`]) or AWS's own, `https://oidc.REGION.amazonaws.com` (`.com.cn` in
/// the China regions).
pub fn oidc_base(region: &Region, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None => {
            let suffix = if region.as_str().starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
            format!("https://oidc.{region}.{suffix}")
        }
    }
}

/// The URL the browser opens to sign in: the sign-in service's `/authorize` with the client, the
/// loopback redirect URI, `state`, the S256 challenge and the scope (as `scopes`, the name the
/// AWS CLI v2 sends).
pub fn authorize_url(
    region: &Region,
    endpoint: Option<&str>,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge={}&code_challenge_method=S256&scopes={}",
        oidc_base(region, endpoint),
        encode_query_value(client_id),
        encode_query_value(redirect_uri),
        encode_query_value(state),
        encode_query_value(challenge),
        encode_query_value(SCOPE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn base64url_has_no_padding_and_the_url_alphabet() {
        // RFC 4648 section 10's vectors, padding removed.
        for (raw, want) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(raw.as_bytes()), want, "{raw:?}");
        }
        assert_eq!(base64url(&[0xfb, 0xff, 0xbf]), "-_-_");
    }

    #[test]
    fn verifiers_and_states_are_random_and_of_the_allowed_length() {
        let (a, b) = (Pkce::new().unwrap(), Pkce::new().unwrap());
        assert_ne!(a.verifier(), b.verifier());
        assert!((43..=128).contains(&a.verifier().len()), "{}", a.verifier().len());
        assert!(a.verifier().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(a.challenge, s256(a.verifier()));
        let (s, t) = (new_state().unwrap(), new_state().unwrap());
        assert_ne!(s, t);
        assert_eq!(s.len(), 43);
    }

    #[test]
    fn the_authorize_url_encodes_every_value() {
        let region = Region::parse("eu-west-1").unwrap();
        let url = authorize_url(&region, None, "id/+=", "http://127.0.0.1:5000/oauth/callback", "st", "ch");
        assert_eq!(
            url,
            "https://oidc.eu-west-1.amazonaws.com/authorize?response_type=code&client_id=id%2F%2B%3D\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Foauth%2Fcallback&state=st&code_challenge=ch\
             &code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess"
        );
        let cn = Region::parse("cn-north-1").unwrap();
        assert!(
            authorize_url(&cn, None, "c", "r", "s", "x")
                .starts_with("https://oidc.cn-north-1.amazonaws.com.cn/authorize?")
        );
        let local = authorize_url(&region, Some("http://127.0.0.1:4000/"), "c", "r", "s", "x");
        assert!(local.starts_with("http://127.0.0.1:4000/authorize?response_type=code&"), "{local}");
        assert_eq!(encode_query_value("a b~é"), "a%20b~%C3%A9");
    }
}
