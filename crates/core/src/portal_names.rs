//! Names for favourites picked from an IAM Identity Center access portal: a pattern of the tokens
//! `ACCOUNTNAME`, `ACCOUNTID` and `ROLENAME` (default [`DEFAULT_PATTERN`]), each result made a
//! valid favourite and profile name and unique (`-2`, `-3`, … appended).
//!
//! Case is kept, as the AWS CLI's `aws configure sso` (which suggests `ROLENAME-ACCOUNTID`) and
//! Granted's `sso populate` (`ACCOUNTNAME/ROLENAME`) keep it: profile names are case-sensitive
//! and the user knows the account as the portal writes it. Names that differ only in case count
//! as the same, so no two profiles look alike.

use std::collections::BTreeSet;

use crate::validate::{Name, Partition, ProfileName, RoleArn, ValidationError};

/// The pattern a picker starts with.
pub const DEFAULT_PATTERN: &str = "ACCOUNTNAME-ROLENAME";

/// The account's name in the portal (its id when nothing of the name is left once made valid).
pub const ACCOUNT_NAME: &str = "ACCOUNTNAME";
/// The account's 12-digit id.
pub const ACCOUNT_ID: &str = "ACCOUNTID";
/// The role (permission set) name.
pub const ROLE_NAME: &str = "ROLENAME";

/// The longest name a pattern gives (a favourite's name: 64 characters).
const MAX_LEN: usize = 64;

/// The longest pattern accepted.
const MAX_PATTERN_LEN: usize = 256;

/// Names that are never given, whatever case: `default` is the profile every AWS tool uses when
/// none is named, which a picked role must not take by accident.
const RESERVED: [&str; 1] = ["default"];

/// One role of the portal the user picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalPick {
    /// The account's id (12 digits).
    pub account_id: String,
    /// The account's name in the portal.
    pub account_name: String,
    /// The role (permission set) name.
    pub role_name: String,
}

impl PortalPick {
    /// The IAM role the portal's role stands for: `arn:PARTITION:iam::ACCOUNT:role/ROLE`, in the
    /// partition of the source's region; an id or role name that cannot be one is refused with
    /// the pick named.
    pub fn role_arn(&self, partition: Partition) -> Result<RoleArn, ValidationError> {
        RoleArn::parse(&format!("arn:{}:iam::{}:role/{}", partition.as_str(), self.account_id, self.role_name)).map_err(
            |e| {
                ValidationError::new(
                    "portal role",
                    format!("{} in account {}: {}", self.role_name, self.account_id, e.reason),
                )
            },
        )
    }
}

/// A validated name pattern: any text with at least one of the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(String);

impl NamePattern {
    /// Validates `raw` (surrounding whitespace ignored; empty is [`DEFAULT_PATTERN`]).
    pub fn parse(raw: &str) -> Result<NamePattern, ValidationError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(NamePattern(DEFAULT_PATTERN.into()));
        }
        if raw.chars().count() > MAX_PATTERN_LEN {
            return Err(ValidationError::new("name pattern", format!("must be at most {MAX_PATTERN_LEN} characters")));
        }
        if ![ACCOUNT_NAME, ACCOUNT_ID, ROLE_NAME].iter().any(|t| raw.contains(t)) {
            return Err(ValidationError::new(
                "name pattern",
                "has none of ACCOUNTNAME, ACCOUNTID and ROLENAME; put at least one in it",
            ));
        }
        Ok(NamePattern(raw.into()))
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name `pick` gets before it is made unique: the tokens replaced, the whole made valid
    /// ([`sanitise`]), at most 64 characters; a name AWS files reserve starts with `_`.
    pub fn render(&self, pick: &PortalPick) -> String {
        let mut out = String::new();
        let mut rest = self.0.as_str();
        'scan: while let Some(c) = rest.chars().next() {
            for token in [ACCOUNT_NAME, ACCOUNT_ID, ROLE_NAME] {
                if let Some(after) = rest.strip_prefix(token) {
                    let value = match token {
                        ACCOUNT_NAME if sanitise(&pick.account_name).is_empty() => pick.account_id.as_str(),
                        ACCOUNT_NAME => pick.account_name.as_str(),
                        ACCOUNT_ID => pick.account_id.as_str(),
                        _ => pick.role_name.as_str(),
                    };
                    out.push_str(value);
                    rest = after;
                    continue 'scan;
                }
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        let mut name = sanitise(&out);
        if name.is_empty() {
            name = sanitise(&pick.account_id);
        }
        if name.is_empty() {
            name = "role".into();
        }
        let name = shorten(&name, MAX_LEN);
        if ProfileName::parse(&name).is_err() { shorten(&format!("_{name}"), MAX_LEN) } else { name }
    }

    /// The names `picks` get, in order: each [`NamePattern::render`]ed, then made unique against
    /// `taken` (existing favourites, sources and profiles) and the earlier picks by appending
    /// `-2`, `-3`, … (shortened to fit 64 characters). Names differing only in case collide.
    pub fn names<S: AsRef<str>>(&self, picks: &[PortalPick], taken: impl IntoIterator<Item = S>) -> Vec<Name> {
        let mut used: BTreeSet<String> = taken.into_iter().map(|t| t.as_ref().to_ascii_lowercase()).collect();
        used.extend(RESERVED.iter().map(|r| r.to_string()));
        picks
            .iter()
            .map(|pick| {
                let base = self.render(pick);
                let mut candidate = base.clone();
                let mut n = 2u32;
                while used.contains(&candidate.to_ascii_lowercase()) {
                    let suffix = format!("-{n}");
                    candidate = format!("{}{suffix}", shorten(&base, MAX_LEN - suffix.len()));
                    n += 1;
                }
                used.insert(candidate.to_ascii_lowercase());
                Name::parse(&candidate).expect("a rendered name is a valid name")
            })
            .collect()
    }
}

/// `raw` made a valid name: letters with accents lose them (`é` → `e`, `ß` → `ss`), every other
/// character outside `A-Z a-z 0-9 _ . -` becomes `-`, runs of `-` become one, and `-` and `.` are
/// trimmed from both ends. May be empty (nothing usable in `raw`).
pub fn sanitise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let folded = fold(c);
        let piece = match folded {
            Some(s) => s,
            None if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {
                out.push(c);
                continue;
            }
            None => "-",
        };
        for p in piece.chars() {
            if p == '-' && out.ends_with('-') {
                continue;
            }
            out.push(p);
        }
    }
    out.trim_matches(['-', '.']).to_string()
}

/// `s` cut to at most `max` characters (it is ASCII), without a `-` or `.` left at its end.
fn shorten(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    let trimmed = cut.trim_end_matches(['-', '.']);
    if trimmed.is_empty() { cut } else { trimmed.to_string() }
}

/// The ASCII letters of an accented Latin letter (Latin-1 and the common ones of Latin
/// Extended-A), `None` for any other character.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Č' => "C",
        'ç' | 'ć' | 'č' => "c",
        'Ð' | 'Ď' | 'Đ' => "D",
        'ð' | 'ď' | 'đ' => "d",
        'È'..='Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'Ğ' => "G",
        'ğ' => "g",
        'Ì'..='Ï' | 'Ī' | 'İ' => "I",
        'ì'..='ï' | 'ī' | 'ı' => "i",
        'Ł' => "L",
        'ł' => "l",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ñ' | 'ń' | 'ň' => "n",
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ř' => "R",
        'ř' => "r",
        'Ś' | 'Ş' | 'Š' => "S",
        'ś' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'Ť' | 'Ţ' => "T",
        'ť' | 'ţ' => "t",
        'Þ' => "Th",
        'þ' => "th",
        'Ù'..='Ü' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ù'..='ü' | 'ū' | 'ů' | 'ű' => "u",
        'Ý' | 'Ÿ' => "Y",
        'ý' | 'ÿ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(id: &str, account: &str, role: &str) -> PortalPick {
        PortalPick { account_id: id.into(), account_name: account.into(), role_name: role.into() }
    }

    fn names(pattern: &str, picks: &[PortalPick], taken: &[&str]) -> Vec<String> {
        NamePattern::parse(pattern).unwrap().names(picks, taken).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_default_pattern_is_account_name_then_role_name_with_case_kept() {
        let p = NamePattern::parse("").unwrap();
        assert_eq!(p.as_str(), DEFAULT_PATTERN);
        assert_eq!(
            p.render(&pick("111122223333", "Prod Payments", "AdministratorAccess")),
            "Prod-Payments-AdministratorAccess"
        );
        let custom = NamePattern::parse("  ROLENAME@ACCOUNTID ").unwrap();
        assert_eq!(custom.render(&pick("111122223333", "x", "ReadOnly")), "ReadOnly-111122223333");
        let dotted = NamePattern::parse("ACCOUNTNAME.ROLENAME").unwrap();
        assert_eq!(dotted.render(&pick("111122223333", "team", "Dev")), "team.Dev");
    }

    #[test]
    fn odd_characters_become_single_dashes_and_ends_are_trimmed() {
        assert_eq!(sanitise("  My  Account (Prod) / EU "), "My-Account-Prod-EU");
        assert_eq!(sanitise("--..a__b..--"), "a__b");
        assert_eq!(sanitise("a+b=c,d@e"), "a-b-c-d-e");
        assert_eq!(sanitise("[default]\n"), "default");
        assert_eq!(sanitise("-!-"), "");
        let p = NamePattern::parse("[ACCOUNTNAME] ROLENAME!").unwrap();
        assert_eq!(p.render(&pick("111122223333", "a\tb", "R")), "a-b-R");
    }

    #[test]
    fn unicode_names_lose_accents_or_fall_back_to_the_account_id() {
        assert_eq!(sanitise("Zürich Straße Ålesund Łódź"), "Zurich-Strasse-Alesund-Lodz");
        let p = NamePattern::parse(DEFAULT_PATTERN).unwrap();
        // Nothing of a name in another script is left: the account id stands in.
        assert_eq!(p.render(&pick("111122223333", "本番環境", "Admin")), "111122223333-Admin");
        assert_eq!(p.render(&pick("111122223333", "Prod 🚀 本番", "Admin")), "Prod-Admin");
        assert_eq!(p.render(&pick("111122223333", "café", "Admin")), "cafe-Admin");
    }

    #[test]
    fn very_long_names_are_cut_to_64_and_suffixes_still_fit() {
        let long = "a".repeat(100);
        let p = NamePattern::parse("ACCOUNTNAME-ROLENAME").unwrap();
        let picks = [pick("111122223333", &long, "Admin"), pick("444455556666", &long, "Admin")];
        let got = names("ACCOUNTNAME-ROLENAME", &picks, &[]);
        assert_eq!(got[0], "a".repeat(64));
        assert_eq!(got[1], format!("{}-2", "a".repeat(62)));
        assert!(got.iter().all(|n| n.len() <= 64));
        // A cut that ends in a separator drops it.
        let edge = pick("111122223333", &format!("{}-x", "b".repeat(63)), "R");
        assert_eq!(p.render(&edge), "b".repeat(63));
    }

    #[test]
    fn collisions_get_numbered_against_what_exists_and_among_the_picks() {
        let picks = [
            pick("111122223333", "prod", "Admin"),
            pick("444455556666", "prod", "Admin"),
            pick("777788889999", "Prod", "Admin"),
            pick("111122223333", "prod", "ReadOnly"),
        ];
        let got = names(DEFAULT_PATTERN, &picks, &["prod-admin-2", "prod-readonly"]);
        assert_eq!(got, ["prod-Admin", "prod-Admin-3", "Prod-Admin-4", "prod-ReadOnly-2"]);
        // `default`, whatever case, is never given; nor a name the AWS files reserve.
        assert_eq!(names("ACCOUNTNAME", &[pick("111122223333", "Default", "R")], &[]), ["Default-2"]);
        // `DEFAULT` is what Python's configparser reads as every section's defaults.
        assert_eq!(names("ACCOUNTNAME", &[pick("111122223333", "DEFAULT", "R")], &[]), ["_DEFAULT"]);
        assert_eq!(names("ROLENAME", &[pick("111122223333", "x", "sso-session")], &[]), ["_sso-session"]);
        let every = names("ROLENAME", &[pick("111122223333", "x", "R"), pick("444455556666", "y", "R")], &["r"]);
        assert_eq!(every, ["R-2", "R-3"]);
        for n in &every {
            assert!(ProfileName::parse(n).is_ok());
        }
    }

    #[test]
    fn a_pattern_needs_a_token_and_a_role_arn_names_the_bad_pick() {
        let e = NamePattern::parse("my-profile").unwrap_err();
        assert_eq!(
            e.to_string(),
            "name pattern: has none of ACCOUNTNAME, ACCOUNTID and ROLENAME; put at least one in it"
        );
        assert!(NamePattern::parse(&"ROLENAME".repeat(40)).is_err());
        let ok = pick("111122223333", "prod", "Admin").role_arn(Partition::AwsCn).unwrap();
        assert_eq!(ok.as_str(), "arn:aws-cn:iam::111122223333:role/Admin");
        let bad = pick("1234", "prod", "Admin").role_arn(Partition::Aws).unwrap_err();
        assert_eq!(bad.to_string(), "portal role: Admin in account 1234: the account id must be 12 digits");
    }
}
