//! Where the console lives: the sign-in and console hosts of each partition and region, and the
//! federation endpoint's URL (AWS's own or a validated override).
//!
//! Sign-in hosts follow AWS's Sign-In endpoint table: the partition's home region (us-east-1,
//! us-gov-west-1, cn-north-1) and "no region" use the global host, any other region its regional
//! form `REGION.signin.DOMAIN`. Console hosts are `REGION.console.DOMAIN`, or `console.DOMAIN`
//! without a region.

use crate::validate::{Partition, Region, ValidationError};

/// The partition's DNS suffix for sign-in and console hosts.
pub(super) fn domain(partition: Partition) -> &'static str {
    match partition {
        Partition::Aws => "aws.amazon.com",
        Partition::AwsUsGov => "amazonaws-us-gov.com",
        Partition::AwsCn => "amazonaws.cn",
    }
}

/// The sign-in host: global for no region or the partition's home region, else regional.
pub fn signin_host(partition: Partition, region: Option<&Region>) -> String {
    match region {
        Some(r) if *r != partition.default_region() => format!("{r}.signin.{}", domain(partition)),
        _ => format!("signin.{}", domain(partition)),
    }
}

/// The console host: `REGION.console.DOMAIN`, or `console.DOMAIN` without a region.
pub fn console_host(partition: Partition, region: Option<&Region>) -> String {
    match region {
        Some(r) => format!("{r}.console.{}", domain(partition)),
        None => format!("console.{}", domain(partition)),
    }
}

/// The federation endpoint's URL (`https://signin.aws.amazon.com/federation`), or an override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationEndpoint(String);

impl FederationEndpoint {
    /// Validates an override (`ROLECALL_FEDERATION_ENDPOINT`): an `https://` URL, or `http://` to
    /// a loopback host only (the request carries credentials); no query or fragment.
    pub fn parse(raw: &str) -> Result<FederationEndpoint, ValidationError> {
        let err = |reason: &str| ValidationError::new("federation endpoint", reason.to_owned());
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| err("must be a URL like https://HOST/federation"))?;
        let authority = rest.split('/').next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        if host.is_empty() || authority.contains('@') || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("must be a URL like https://HOST/federation, without user info or spaces"));
        }
        if raw.contains(['?', '#']) {
            return Err(err("must not hold a query or a fragment"));
        }
        let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        match scheme {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(err("must use https (plain http is allowed to a loopback host only)")),
            _ => return Err(err("must be an https:// URL")),
        }
        Ok(FederationEndpoint(raw.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The endpoint on a sign-in host: `https://HOST/federation`.
    pub(super) fn at_host(host: &str) -> FederationEndpoint {
        FederationEndpoint(format!("https://{host}/federation"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ConsoleTarget;

    fn r(s: &str) -> Region {
        Region::parse(s).unwrap()
    }

    #[test]
    fn sign_in_and_console_hosts_per_partition_and_region() {
        // (partition, region, sign-in host, console host)
        let table: &[(Partition, Option<&str>, &str, &str)] = &[
            (Partition::Aws, None, "signin.aws.amazon.com", "console.aws.amazon.com"),
            (Partition::Aws, Some("us-east-1"), "signin.aws.amazon.com", "us-east-1.console.aws.amazon.com"),
            (Partition::Aws, Some("eu-west-1"), "eu-west-1.signin.aws.amazon.com", "eu-west-1.console.aws.amazon.com"),
            (
                Partition::Aws,
                Some("ap-southeast-5"),
                "ap-southeast-5.signin.aws.amazon.com",
                "ap-southeast-5.console.aws.amazon.com",
            ),
            (Partition::AwsUsGov, None, "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"),
            (
                Partition::AwsUsGov,
                Some("us-gov-west-1"),
                "signin.amazonaws-us-gov.com",
                "us-gov-west-1.console.amazonaws-us-gov.com",
            ),
            (
                Partition::AwsUsGov,
                Some("us-gov-east-1"),
                "us-gov-east-1.signin.amazonaws-us-gov.com",
                "us-gov-east-1.console.amazonaws-us-gov.com",
            ),
            (Partition::AwsCn, None, "signin.amazonaws.cn", "console.amazonaws.cn"),
            (Partition::AwsCn, Some("cn-north-1"), "signin.amazonaws.cn", "cn-north-1.console.amazonaws.cn"),
            (
                Partition::AwsCn,
                Some("cn-northwest-1"),
                "cn-northwest-1.signin.amazonaws.cn",
                "cn-northwest-1.console.amazonaws.cn",
            ),
        ];
        for (p, region, signin, console) in table {
            let region = region.map(r);
            assert_eq!(signin_host(*p, region.as_ref()), *signin, "{p:?} {region:?}");
            assert_eq!(console_host(*p, region.as_ref()), *console, "{p:?} {region:?}");
            let target = ConsoleTarget::new(*p, region.clone(), None).unwrap();
            assert_eq!(target.endpoint().as_str(), format!("https://{signin}/federation"));
        }
    }

    #[test]
    fn endpoint_overrides() {
        for ok in [
            "https://signin.example.com/federation",
            "http://127.0.0.1:8080/federation",
            "http://localhost:1/f",
            "http://[::1]:9/federation",
        ] {
            assert_eq!(FederationEndpoint::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "signin.aws.amazon.com",
            "http://example.com/federation",
            "http://127.0.0.1.evil.example/f",
            "ftp://x/y",
            "https://u:p@x/federation",
            "https://x/f?a=b",
        ] {
            assert!(FederationEndpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
