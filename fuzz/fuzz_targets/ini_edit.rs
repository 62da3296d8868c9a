//! Any bytes as a credentials file: parsing never panics and keeps every byte; every edit rolecall
//! makes either is refused with the document unchanged, or re-parses, reads back exactly what was
//! written, and leaves every other section reading as before.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolecall_core::ini::IniDocument;
use rolecall_core::profile::{self, AwsFile, Holder};
use rolecall_core::secret::{AccessKeyId, SessionCredentials};
use rolecall_core::validate::{Name, ProfileName};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = IniDocument::parse(data.to_vec()) else { return };
    assert_eq!(doc.as_bytes(), data, "parsing changed bytes");
    let names = doc.section_names();
    let mut targets: Vec<String> = names.iter().take(4).cloned().collect();
    targets.extend(["prod".to_owned(), "profile prod".to_owned()]);
    let creds = SessionCredentials {
        access_key_id: AccessKeyId::parse("ASIAFUZZ000000000001").unwrap(),
        secret_access_key: "fuzzSecret/+=".to_owned().into(),
        session_token: "fuzzToken".to_owned().into(),
        expiration: chrono::DateTime::from_timestamp(4_000_000_000, 0).unwrap(),
    };
    for target in &targets {
        let others_before: Vec<_> =
            names.iter().filter(|n| *n != target).map(|n| (n.clone(), doc.section(n))).collect();
        let check_others = |after: &IniDocument| {
            for (n, before) in &others_before {
                if !n.contains('\u{fffd}') {
                    assert_eq!(strip_lines(after.section(n)), strip_lines(before.clone()), "section {n:?} changed");
                }
            }
        };
        // set_entries
        let mut edited = doc.clone();
        match edited.set_entries(target, &[("aws_access_key_id", "ASIAFUZZ"), ("region", "eu-west-1")]) {
            Ok(()) => {
                let again = IniDocument::parse(edited.as_bytes().to_vec()).expect("an edit re-parses");
                assert_eq!(again.get(target, "aws_access_key_id").as_deref(), Some("ASIAFUZZ"));
                assert_eq!(again.get(target, "region").as_deref(), Some("eu-west-1"));
                check_others(&again);
            }
            Err(_) => assert_eq!(edited.as_bytes(), data, "a refused edit changed bytes"),
        }
        // remove_section
        let mut removed = doc.clone();
        match removed.remove_section(target) {
            Ok(_) => {
                let again = IniDocument::parse(removed.as_bytes().to_vec()).expect("a removal re-parses");
                check_others(&again);
            }
            Err(_) => assert_eq!(removed.as_bytes(), data, "a refused removal changed bytes"),
        }
        // The credentials write rolecall really makes.
        if let Ok(profile_name) = ProfileName::parse(target) {
            let mut written = doc.clone();
            let favourite = Name::parse("fuzz").unwrap();
            let issued = creds.expiration - chrono::TimeDelta::hours(1);
            match profile::write_session(&mut written, &profile_name, &favourite, &creds, issued, true) {
                Ok(_) => {
                    let again = profile::parse(AwsFile::Credentials, written.as_bytes().to_vec()).expect("re-parses");
                    assert_eq!(again.get(target, "aws_secret_access_key").as_deref(), Some("fuzzSecret/+="));
                    assert!(matches!(profile::holder(&again, &profile_name), Ok(Holder::Rolecall { .. })));
                    check_others(&again);
                }
                Err(_) => assert_eq!(written.as_bytes(), data, "a refused write changed bytes"),
            }
        }
    }
});

/// Errors compared without their line numbers (which move when lines are added).
fn strip_lines<T: PartialEq + std::fmt::Debug>(r: Result<T, rolecall_core::ini::IniError>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}
