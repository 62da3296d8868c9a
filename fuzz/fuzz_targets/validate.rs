//! Any text as every validated input type: parsing never panics, what is accepted round-trips and
//! can never break an INI line or section, and no error echoes a secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolecall_core::secret::SourceKeys;
use rolecall_core::validate::{
    ExternalId, MfaCode, MfaSerial, Name, PolicyArn, ProfileName, Region, RoleArn, SessionDuration, SessionName,
    SourceIdentity, Tag, check_tag_key,
};

/// The only messages a refused key pair may give.
const KEY_ERRORS: [&str; 2] = [
    "access key id: must be 16 to 128 uppercase letters and digits (like AKIA…)",
    "secret access key: must be 16 to 128 characters without spaces",
];

fn ini_safe(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || matches!(c, '[' | ']'))
}

macro_rules! check {
    ($($ty:ty),*) => {
        |raw: &str| {
            $(
                if let Ok(v) = <$ty>::parse(raw) {
                    assert_eq!(v.as_str(), raw);
                    assert_eq!(<$ty>::parse(v.as_str()).as_ref(), Ok(&v));
                    assert!(ini_safe(v.as_str()), "{} accepted {raw:?}", stringify!($ty));
                }
            )*
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    check!(Name, ProfileName, SessionName, SourceIdentity, ExternalId, Region, RoleArn, MfaSerial, PolicyArn)(raw);
    if let Ok(d) = SessionDuration::parse(raw) {
        assert!((900..=43_200).contains(&d.as_secs()));
    }
    if let Ok(t) = Tag::parse(raw) {
        assert_eq!(format!("{}={}", t.key, t.value), raw);
        assert!(ini_safe(&t.key) && ini_safe(&t.value));
    }
    let _ = check_tag_key(raw);
    if let Ok(c) = MfaCode::parse(raw) {
        assert!(c.as_str().len() == 6 && c.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    if let Some((id, secret)) = raw.split_once('\n') {
        match SourceKeys::parse(id, secret) {
            Ok(k) => assert!(!format!("{k:?}").contains(secret.trim()) || secret.trim().len() < 4),
            // The message is fixed: it cannot depend on (echo) the secret.
            Err(e) => assert!(KEY_ERRORS.contains(&e.to_string().as_str()), "{e}"),
        }
    }
});
