//! What the desktop notifications say: one pure function from an event to a title, a body and
//! actions, so every wording is tested here and the app only shows them.
//!
//! Notifications name the favourite, the account and the time left, and never carry a secret.

use crate::time::human_duration;
use crate::validate::{Name, ProfileName};

/// The action key that renews the favourite.
pub const ACTION_RENEW: &str = "renew";
/// The action key that opens rolecall's settings window.
pub const ACTION_OPEN: &str = "open";
/// The action key that signs in to the notice's IAM Identity Center source.
pub const ACTION_SIGN_IN: &str = "sign-in";
/// The key a notification server sends for a click on the notification itself.
pub const ACTION_DEFAULT: &str = "default";

/// A clock offset worth telling the user about: beyond it, expiry times shown and planned are off
/// by that much, and further on STS refuses request signatures.
pub const CLOCK_SKEW_WARN_SECS: i64 = 60;

/// Something the user is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session ends soon and will not renew itself.
    Expiring {
        /// The favourite.
        favourite: Name,
        /// Its role's account.
        account: String,
        /// Seconds left.
        seconds_left: i64,
        /// Whether renewing asks for an MFA code.
        needs_mfa: bool,
    },
    /// A renewal failed; the old session is still in place.
    RenewFailed {
        /// The favourite.
        favourite: Name,
        /// Its role's account.
        account: String,
        /// The error, in plain words (no secret: errors never carry one).
        reason: String,
        /// Seconds left on the old session (negative: expired).
        seconds_left: i64,
    },
    /// A session has expired; its profile is stale.
    Expired {
        /// The favourite.
        favourite: Name,
        /// Its role's account.
        account: String,
        /// The stale profile.
        profile: ProfileName,
    },
    /// This computer's clock differs from STS's.
    ClockSkew {
        /// Local clock minus STS's, in seconds.
        offset_secs: i64,
    },
    /// The keychain is locked: automatic renewals wait until it is unlocked.
    KeychainLocked,
    /// An IAM Identity Center source's portal session ends soon.
    SignInEnding {
        /// The source.
        source: Name,
        /// Seconds left.
        seconds_left: i64,
    },
    /// An IAM Identity Center source's portal session has ended: its favourites wait for a
    /// sign-in (their profiles keep the last credentials until they expire).
    SignInEnded {
        /// The source.
        source: Name,
    },
}

/// The tray's line while the keychain is locked.
pub const KEYCHAIN_LOCKED: &str = "Keychain locked: unlock to renew";

/// A notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The title.
    pub summary: String,
    /// The text.
    pub body: String,
    /// Buttons: (key, label).
    pub actions: Vec<(&'static str, &'static str)>,
    /// The favourite a click concerns, if any.
    pub favourite: Option<Name>,
    /// The IAM Identity Center source a click concerns (its sign-in), if any.
    pub source: Option<Name>,
}

/// Whether a clock offset (local minus STS's) deserves a warning.
pub fn clock_skew_matters(offset_secs: i64) -> bool {
    offset_secs.abs() > CLOCK_SKEW_WARN_SECS
}

/// The notification for `event`.
pub fn notice(event: &Event) -> Notice {
    let renew_open = |renew: &'static str| vec![(ACTION_RENEW, renew), (ACTION_OPEN, "Open rolecall")];
    match event {
        Event::Expiring { favourite, account, seconds_left, needs_mfa } => Notice {
            summary: format!("{favourite} expires in {}", human_duration(*seconds_left)),
            body: format!(
                "The session of {favourite} (account {account}) ends in {}. {}",
                human_duration(*seconds_left),
                if *needs_mfa { "Renew it now: it needs an MFA code." } else { "Renew it now to keep working." }
            ),
            actions: renew_open("Renew"),
            favourite: Some(favourite.clone()),
            source: None,
        },
        Event::RenewFailed { favourite, account, reason, seconds_left } => Notice {
            summary: format!("Could not renew {favourite}"),
            body: format!(
                "{reason}\n{}",
                if *seconds_left > 0 {
                    format!(
                        "The current session (account {account}) stays in place for {}; rolecall tries again.",
                        human_duration(*seconds_left)
                    )
                } else {
                    format!("The session (account {account}) has expired; rolecall tries again.")
                }
            ),
            actions: renew_open("Try again"),
            favourite: Some(favourite.clone()),
            source: None,
        },
        Event::Expired { favourite, account, profile } => Notice {
            summary: format!("{favourite} has expired"),
            body: format!(
                "Profile {profile} now holds expired credentials (account {account}). Renew to keep using it."
            ),
            actions: renew_open("Renew"),
            favourite: Some(favourite.clone()),
            source: None,
        },
        Event::ClockSkew { offset_secs } => Notice {
            summary: format!(
                "This computer's clock is {} {}",
                // To the nearest minute: the server's Date header has whole seconds.
                human_duration((offset_secs.abs() + 30) / 60 * 60),
                if *offset_secs > 0 { "fast" } else { "slow" }
            ),
            body: "AWS's clock differs: expiry times are off by as much, and AWS refuses requests once it \
                   reaches 15 minutes. Turn on automatic time (NTP)."
                .to_owned(),
            actions: vec![(ACTION_OPEN, "Open rolecall")],
            favourite: None,
            source: None,
        },
        Event::KeychainLocked => Notice {
            summary: KEYCHAIN_LOCKED.to_owned(),
            body: "rolecall cannot read your source keys while the keychain is locked, so automatic renewals \
                   wait instead of asking again. Unlock it (log in to the desktop, or unlock the login keyring): \
                   renewals resume by themselves. Sessions already written keep working until they expire."
                .to_owned(),
            actions: vec![(ACTION_OPEN, "Open rolecall")],
            favourite: None,
            source: None,
        },
        Event::SignInEnding { source, seconds_left } => Notice {
            summary: format!("{source}'s sign-in ends in {}", human_duration(*seconds_left)),
            body: format!(
                "The IAM Identity Center session of {source} ends in {}; then its favourites stop renewing. \
                 Sign in again now to keep working.",
                human_duration(*seconds_left)
            ),
            actions: vec![(ACTION_SIGN_IN, "Sign in"), (ACTION_OPEN, "Open rolecall")],
            favourite: None,
            source: Some(source.clone()),
        },
        Event::SignInEnded { source } => Notice {
            summary: format!("Sign in to {source} again"),
            body: format!(
                "The IAM Identity Center session of {source} has ended, so its favourites do not renew. Their \
                 profiles keep the last credentials until they expire. Sign in to go on."
            ),
            actions: vec![(ACTION_SIGN_IN, "Sign in"), (ACTION_OPEN, "Open rolecall")],
            favourite: None,
            source: Some(source.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn wordings() {
        let acct = "123456789012".to_owned();
        let table: Vec<(Event, &str, &str, Vec<&str>)> = vec![
            (
                Event::Expiring { favourite: n("prod"), account: acct.clone(), seconds_left: 895, needs_mfa: false },
                "prod expires in 14m",
                "The session of prod (account 123456789012) ends in 14m. Renew it now to keep working.",
                vec!["renew", "open"],
            ),
            (
                Event::Expiring { favourite: n("prod"), account: acct.clone(), seconds_left: 40, needs_mfa: true },
                "prod expires in 40s",
                "The session of prod (account 123456789012) ends in 40s. Renew it now: it needs an MFA code.",
                vec!["renew", "open"],
            ),
            (
                Event::RenewFailed {
                    favourite: n("prod"),
                    account: acct.clone(),
                    reason: "favourite prod: assume arn:aws:iam::123456789012:role/A: access denied".into(),
                    seconds_left: 240,
                },
                "Could not renew prod",
                "favourite prod: assume arn:aws:iam::123456789012:role/A: access denied\nThe current session \
                 (account 123456789012) stays in place for 4m; rolecall tries again.",
                vec!["renew", "open"],
            ),
            (
                Event::RenewFailed {
                    favourite: n("prod"),
                    account: acct.clone(),
                    reason: "x".into(),
                    seconds_left: -5,
                },
                "Could not renew prod",
                "x\nThe session (account 123456789012) has expired; rolecall tries again.",
                vec!["renew", "open"],
            ),
            (
                Event::Expired { favourite: n("dev"), account: acct, profile: "dev-admin".parse().unwrap() },
                "dev has expired",
                "Profile dev-admin now holds expired credentials (account 123456789012). Renew to keep using it.",
                vec!["renew", "open"],
            ),
        ];
        for (event, summary, body, actions) in table {
            let n = notice(&event);
            assert_eq!(n.summary, summary);
            assert_eq!(n.body, body);
            assert_eq!(n.actions.iter().map(|(k, _)| *k).collect::<Vec<_>>(), actions);
            assert!(n.favourite.is_some());
        }
        let skew = notice(&Event::ClockSkew { offset_secs: -303 });
        assert_eq!(skew.summary, "This computer's clock is 5m slow");
        assert_eq!(skew.favourite, None);
        assert_eq!(notice(&Event::ClockSkew { offset_secs: 7200 }).summary, "This computer's clock is 2h fast");
        assert_eq!(notice(&Event::ClockSkew { offset_secs: -7199 }).summary, "This computer's clock is 2h slow");
        let locked = notice(&Event::KeychainLocked);
        assert_eq!((locked.summary.as_str(), locked.favourite.clone()), ("Keychain locked: unlock to renew", None));
        assert!(locked.body.contains("renewals resume by themselves"), "{}", locked.body);
    }

    #[test]
    fn sign_in_notices_name_the_source_and_offer_a_sign_in() {
        let ending = notice(&Event::SignInEnding { source: n("corp"), seconds_left: 600 });
        assert_eq!(ending.summary, "corp's sign-in ends in 10m");
        assert_eq!(
            ending.body,
            "The IAM Identity Center session of corp ends in 10m; then its favourites stop renewing. Sign in \
             again now to keep working."
        );
        let ended = notice(&Event::SignInEnded { source: n("corp") });
        assert_eq!(ended.summary, "Sign in to corp again");
        assert!(ended.body.contains("has ended") && ended.body.contains("keep the last credentials"), "{}", ended.body);
        for n in [ending, ended] {
            assert_eq!(n.actions, vec![(ACTION_SIGN_IN, "Sign in"), (ACTION_OPEN, "Open rolecall")]);
            assert_eq!((n.favourite, n.source.as_ref().map(Name::as_str)), (None, Some("corp")));
        }
    }

    #[test]
    fn skew_threshold() {
        assert!(!clock_skew_matters(0));
        assert!(!clock_skew_matters(60));
        assert!(!clock_skew_matters(-60));
        assert!(clock_skew_matters(61));
        assert!(clock_skew_matters(-3600));
    }
}
