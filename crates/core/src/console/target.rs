//! Where a console session lands: the page ([`ConsoleService`], with the services whose console
//! is global), the partition and region ([`ConsoleTarget`]), and the `Destination` of the login URL.

use std::fmt;

use super::flow::{TokenMethod, token_method};
use super::hosts::{FederationEndpoint, console_host, signin_host};
use crate::validate::{Partition, Region, ValidationError};

/// Services whose console is global: their destination names no region.
pub const GLOBAL_SERVICES: &[&str] =
    &["iam", "s3", "billing", "cloudfront", "route53", "organizations", "support", "costmanagement"];

/// A console page: a service (`s3`, `ec2`) or a path under the console (`ec2/home`,
/// `cloudwatch/home#alarms`). A bare service name opens its `home` page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleService(String);

impl ConsoleService {
    /// Validates a service or path: a lowercase service name first, then path segments of
    /// letters, digits, `-`, `_` and `.`, an optional `#fragment`; no query, no `..`.
    pub fn parse(raw: &str) -> Result<ConsoleService, ValidationError> {
        let err = |reason: &str| ValidationError::new("service", reason.to_owned());
        if raw.is_empty() || raw.len() > 256 {
            return Err(err("must be 1 to 256 characters, like s3, ec2/home or cloudwatch/home#alarms"));
        }
        let (path, fragment) = raw.split_once('#').unwrap_or((raw, ""));
        let service = path.split('/').next().unwrap_or("");
        if service.is_empty() || !service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(err("must start with a service name in lowercase letters, digits and '-', like s3 or ec2"));
        }
        if path.split('/').any(|s| s == "..") || !path.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            return Err(err("a path may hold letters, digits, '-', '_', '.' and '/' (no query, no '..')"));
        }
        if fragment.chars().any(|c| c.is_whitespace() || c.is_control() || "\"<>\\^`{|}".contains(c)) {
            return Err(err("the #fragment must not hold spaces or quotes"));
        }
        Ok(ConsoleService(raw.to_owned()))
    }

    /// The service name (the first path segment).
    pub fn name(&self) -> &str {
        self.0.split(['/', '#']).next().unwrap_or("")
    }

    /// Whether the service's console is global (no region in its destination).
    pub fn is_global(&self) -> bool {
        GLOBAL_SERVICES.contains(&self.name())
    }

    /// The path and fragment under the console host: `s3/home`, `ec2/home`, `cloudwatch/home#alarms`.
    fn path_and_fragment(&self) -> (String, &str) {
        let (path, fragment) = self.0.split_once('#').unwrap_or((&self.0, ""));
        let path = path.trim_end_matches('/');
        let path = if path.contains('/') { path.to_owned() } else { format!("{path}/home") };
        (path, fragment)
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConsoleService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ConsoleService {
    type Err = ValidationError;
    fn from_str(raw: &str) -> Result<Self, ValidationError> {
        Self::parse(raw)
    }
}

/// Where a console session lands: the partition, the region it opens in and the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleTarget {
    /// The partition (from the role or the source's identity).
    pub partition: Partition,
    /// The region: the console's and the sign-in host's.
    pub region: Option<Region>,
    /// The page, or the console home.
    pub service: Option<ConsoleService>,
}

impl ConsoleTarget {
    /// A target; the region must belong to the partition.
    pub fn new(
        partition: Partition,
        region: Option<Region>,
        service: Option<ConsoleService>,
    ) -> Result<ConsoleTarget, ValidationError> {
        if let Some(r) = &region
            && !partition.contains(r)
        {
            return Err(ValidationError::new(
                "region",
                format!("{r} is not a region of partition {}", partition.as_str()),
            ));
        }
        Ok(ConsoleTarget { partition, region, service })
    }

    /// The `Destination`: the console home in the region, or the service's page (global services
    /// on the global console host, without a region).
    pub fn destination(&self) -> String {
        let region = self.region.as_ref();
        match &self.service {
            None => match region {
                Some(r) => format!("https://{}/console/home?region={r}", console_host(self.partition, Some(r))),
                None => format!("https://{}/console/home", console_host(self.partition, None)),
            },
            Some(s) => {
                let (path, fragment) = s.path_and_fragment();
                let fragment = if fragment.is_empty() { String::new() } else { format!("#{fragment}") };
                match region.filter(|_| !s.is_global()) {
                    Some(r) => {
                        format!("https://{}/{path}?region={r}{fragment}", console_host(self.partition, Some(r)))
                    }
                    None => format!("https://{}/{path}{fragment}", console_host(self.partition, None)),
                }
            }
        }
    }

    /// The federation endpoint of the partition and region.
    pub fn endpoint(&self) -> FederationEndpoint {
        FederationEndpoint::at_host(&signin_host(self.partition, self.region.as_ref()))
    }

    /// How the getSigninToken request is sent in this partition.
    pub fn method(&self) -> TokenMethod {
        token_method(self.partition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Region {
        Region::parse(s).unwrap()
    }

    fn svc(s: &str) -> ConsoleService {
        ConsoleService::parse(s).unwrap()
    }

    #[test]
    fn destinations_golden() {
        // (partition, region, service, destination)
        let table: &[(Partition, Option<&str>, Option<&str>, &str)] = &[
            (
                Partition::Aws,
                Some("eu-west-1"),
                None,
                "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1",
            ),
            (Partition::Aws, None, None, "https://console.aws.amazon.com/console/home"),
            (Partition::Aws, Some("eu-west-1"), Some("s3"), "https://console.aws.amazon.com/s3/home"),
            (Partition::Aws, Some("eu-west-1"), Some("iam"), "https://console.aws.amazon.com/iam/home"),
            (Partition::Aws, Some("us-east-1"), Some("billing"), "https://console.aws.amazon.com/billing/home"),
            (
                Partition::Aws,
                Some("eu-west-1"),
                Some("iam/home#/roles"),
                "https://console.aws.amazon.com/iam/home#/roles",
            ),
            (
                Partition::Aws,
                Some("eu-west-1"),
                Some("ec2"),
                "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1",
            ),
            (
                Partition::Aws,
                Some("eu-west-1"),
                Some("ec2/home"),
                "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1",
            ),
            (
                Partition::Aws,
                Some("us-west-2"),
                Some("cloudwatch/home#alarmsV2:"),
                "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#alarmsV2:",
            ),
            (Partition::Aws, None, Some("ec2"), "https://console.aws.amazon.com/ec2/home"),
            (
                Partition::Aws,
                Some("eu-west-1"),
                Some("lambda/home/"),
                "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1",
            ),
            (
                Partition::AwsUsGov,
                Some("us-gov-west-1"),
                None,
                "https://us-gov-west-1.console.amazonaws-us-gov.com/console/home?region=us-gov-west-1",
            ),
            (Partition::AwsUsGov, Some("us-gov-east-1"), Some("s3"), "https://console.amazonaws-us-gov.com/s3/home"),
            (
                Partition::AwsUsGov,
                Some("us-gov-east-1"),
                Some("ec2/home"),
                "https://us-gov-east-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-east-1",
            ),
            (
                Partition::AwsCn,
                Some("cn-north-1"),
                None,
                "https://cn-north-1.console.amazonaws.cn/console/home?region=cn-north-1",
            ),
            (Partition::AwsCn, Some("cn-northwest-1"), Some("iam"), "https://console.amazonaws.cn/iam/home"),
            (
                Partition::AwsCn,
                Some("cn-northwest-1"),
                Some("rds"),
                "https://cn-northwest-1.console.amazonaws.cn/rds/home?region=cn-northwest-1",
            ),
        ];
        for (p, region, service, want) in table {
            let t = ConsoleTarget::new(*p, region.map(r), service.map(svc)).unwrap();
            assert_eq!(t.destination(), *want, "{p:?} {region:?} {service:?}");
        }
    }

    #[test]
    fn regions_must_belong_to_the_partition() {
        let e = ConsoleTarget::new(Partition::AwsCn, Some(r("eu-west-1")), None).unwrap_err();
        assert_eq!(e.to_string(), "region: eu-west-1 is not a region of partition aws-cn");
        assert!(ConsoleTarget::new(Partition::Aws, Some(r("us-gov-west-1")), None).is_err());
        assert!(ConsoleTarget::new(Partition::AwsUsGov, Some(r("us-gov-east-1")), None).is_ok());
    }

    #[test]
    fn service_validation() {
        for ok in ["s3", "ec2/home", "cloudwatch/home#alarmsV2:alarm/x", "iam/home#/roles", "lambda/home/", "sso"] {
            assert!(ConsoleService::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "S3", "/ec2", "ec2/../iam", "ec2?region=x", "ec2/home#a b", "ec2 home", "https://evil.example/"]
        {
            assert!(ConsoleService::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(svc("iam/home#/roles").name(), "iam");
        assert!(svc("iam/home#/roles").is_global() && !svc("ec2").is_global());
    }
}
