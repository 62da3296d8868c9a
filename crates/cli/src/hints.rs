//! The CLI's own hints: where a core message's neutral "what to do" ([`Code::remedy`]) has a flag
//! or command that does it, the CLI says which.

use rolecall_core::{Code, Error, ErrorDto};

/// What to do, in the CLI's words (naming its flags and commands), for the codes where that helps.
/// It takes the place of [`Code::remedy`] in the message.
pub fn hint(code: Code) -> Option<&'static str> {
    Some(match code {
        Code::StsUnknownKey => "check the source's keys or store new ones with `rolecall source add`",
        Code::StsWrongSecret => "store the keys again with `rolecall source add`",
        Code::StsDurationTooLong => "lower --duration or raise the role's maximum",
        Code::StsRegionDisabled => "choose another --region",
        Code::KeychainNoEntry => "store them with `rolecall source add`",
        Code::KeychainCorrupt => "store the keys again with `rolecall source add`",
        Code::CredentialsFileNotOwned => {
            "use --force to take it over (its lines are kept in a private backup) or choose another --profile"
        }
        Code::CredentialsFileConflict => "choose another --profile",
        Code::ConfigFileConflict => "remove that key or choose another --profile",
        Code::SsoSignedOut => "sign in again with `rolecall source login SOURCE`",
        Code::ConsoleNoBrowser => {
            "set a default web browser, or print the sign-in link with `rolecall console --print` instead"
        }
        _ => return None,
    })
}

/// The message the CLI prints for `e`: the core's message, with the CLI's [`hint`] in place of the
/// neutral remedy (appended after `; ` when the message does not carry that remedy).
pub fn render(e: &Error) -> String {
    let message = e.to_string();
    let code = e.code();
    match hint(code) {
        Some(hint) if message.contains(code.remedy()) => message.replacen(code.remedy(), hint, 1),
        Some(hint) => format!("{message}; {hint}"),
        None => message,
    }
}

/// The `{code, message}` form `--json` prints: the same message as [`render`].
pub fn dto(e: &Error) -> ErrorDto {
    ErrorDto { code: e.code(), message: render(e) }
}

#[cfg(test)]
mod tests {
    use rolecall_core::console::{ConsoleError, ConsoleErrorKind};
    use rolecall_core::keychain::{KeychainError, KeychainErrorKind};
    use rolecall_core::profile::ProfileError;
    use rolecall_core::sts::{StsError, StsErrorKind};

    use super::*;

    fn sts(kind: StsErrorKind) -> Error {
        StsError {
            kind,
            subject: "favourite admin: assume arn:aws:iam::123456789012:role/Admin".into(),
            aws_message: None,
        }
        .into()
    }

    fn keychain(kind: KeychainErrorKind) -> Error {
        KeychainError { kind, source_name: "work".into(), detail: None }.into()
    }

    #[test]
    fn the_hint_takes_the_place_of_the_neutral_remedy() {
        let e = sts(StsErrorKind::DurationTooLong);
        assert_eq!(
            render(&e),
            "favourite admin: assume arn:aws:iam::123456789012:role/Admin: the requested duration is above the \
             role's maximum session duration; lower --duration or raise the role's maximum"
        );
        let e: Error = ProfileError::NotOwned { profile: "legacy".into() }.into();
        assert_eq!(
            render(&e),
            "profile legacy: exists in the credentials file and was not written by rolecall; use --force to take it \
             over (its lines are kept in a private backup) or choose another --profile"
        );
        assert_eq!(
            render(&keychain(KeychainErrorKind::NoEntry)),
            "source work: no source credentials in the keychain; store them with `rolecall source add`"
        );
    }

    #[test]
    fn every_hinted_code_has_its_remedy_replaced_and_the_rest_print_as_they_are() {
        let errors = [
            sts(StsErrorKind::UnknownKey),
            sts(StsErrorKind::WrongSecret),
            sts(StsErrorKind::DurationTooLong),
            sts(StsErrorKind::RegionDisabled),
            keychain(KeychainErrorKind::NoEntry),
            keychain(KeychainErrorKind::Corrupt),
            ProfileError::NotOwned { profile: "p".into() }.into(),
            ProfileError::OwnedByOther { profile: "p".into(), owner: "q".into() }.into(),
            ProfileError::ConfigConflict { profile: "p".into(), key: "sso_session".into() }.into(),
            ConsoleError { kind: ConsoleErrorKind::NoBrowser, subject: "favourite p: console".into(), detail: None }
                .into(),
            rolecall_core::sso::SsoError {
                kind: rolecall_core::sso::SsoErrorKind::SignedOut,
                subject: "source corp: refresh".into(),
                detail: None,
            }
            .into(),
        ];
        let hinted: Vec<Code> = Code::ALL.iter().copied().filter(|c| hint(*c).is_some()).collect();
        let mut sampled: Vec<Code> = errors.iter().map(Error::code).collect();
        sampled.sort();
        assert_eq!(hinted, sampled, "one sample per hinted code");
        for e in &errors {
            let (code, shown) = (e.code(), render(e));
            let head = shown.strip_suffix(hint(code).unwrap()).unwrap_or_else(|| panic!("{code}: no hint: {shown}"));
            assert!(head.ends_with("; "), "{code}: {shown}");
            assert!(!head.contains(code.remedy()), "{code}: the neutral remedy stays: {shown}");
        }
        let plain = keychain(KeychainErrorKind::Locked);
        assert_eq!(render(&plain), plain.to_string());
        let json = dto(&errors[2]);
        assert_eq!((json.code, json.message), (Code::StsDurationTooLong, render(&errors[2])));
    }

    #[test]
    fn a_message_without_the_remedy_gets_the_hint_appended() {
        let e = Error::NeedsInput { subject: "favourite x".into(), what: "needs a code".into() };
        assert_eq!(hint(e.code()), None);
        let e: Error = rolecall_core::FileError {
            code: Code::CredentialsFileConflict,
            path: "credentials".into(),
            message: "odd".into(),
        }
        .into();
        assert_eq!(render(&e), "credentials: odd; choose another --profile");
    }
}
