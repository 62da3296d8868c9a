//! `rolecall import`: favourites from the role profiles of the user's `~/.aws/config`, assumed
//! against moto in auth mode and used by the AWS CLI; the user's own files are never edited.

use std::fs;

use rolecall_e2e::{World, assumed_role_arn};
use serde_json::Value;

/// A user's config: comments of both kinds, `[default]`, an SSO profile (imported with an IAM
/// Identity Center source), a role
/// from a keys profile of the credentials file, one chained from it, one with MFA, and one that
/// cannot be imported (credential_source).
const USER_CONFIG: &str = "\
# my AWS config; keys live in ~/.aws/credentials
[default]
region = us-east-1
output = json

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile sso-dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Developer

; a role from my IAM user's keys
[profile base]
role_arn = arn:aws:iam::123456789012:role/Base
source_profile = alice-keys
role_session_name = base-session
duration_seconds = 7200

[profile chained]
role_arn = arn:aws:iam::123456789012:role/Chained
source_profile = base
role_session_name = chained-session
region = eu-west-1

[profile secure]
role_arn = arn:aws:iam::123456789012:role/Secure
source_profile = alice-keys
mfa_serial = arn:aws:iam::123456789012:mfa/alice
role_session_name = alice-mfa

[profile on-ec2]
role_arn = arn:aws:iam::123456789012:role/Base
credential_source = Ec2InstanceMetadata
";

#[test]
fn imported_role_profiles_assume_and_the_aws_cli_uses_what_rolecall_writes() {
    let w = World::builder().mfa_device().build_with(|moto, alice| {
        moto.create_role("Base", &alice.user_arn, None);
        // moto checks the exact caller: the chained role trusts the base role's session.
        moto.create_role("Chained", &assumed_role_arn("Base", "base-session"), None);
        moto.create_role("Secure", &alice.user_arn, None);
    });
    let serial = w.mfa_serial().to_owned();
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/alice");
    let credentials = format!(
        "[alice-keys]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        w.alice().access_key_id,
        w.alice().secret_access_key
    );
    w.sandbox.write(".aws/credentials", &credentials);
    w.sandbox.write(".aws/config", USER_CONFIG);

    // The list: role and SSO profiles (no [default]), with why one cannot be imported.
    let list = w.ok(&["import"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("AWS PROFILE  FAVOURITE  WRITES PROFILE"), "{list}");
    assert_eq!(lines.len(), 7, "header, an SSO and four role profiles, a hint:\n{list}");
    for (i, profile) in ["sso-dev", "base", "chained", "secure"].iter().enumerate() {
        let line = lines[i + 1];
        assert!(line.starts_with(&format!("{profile} ")), "{list}");
        assert!(line.contains(&format!("{profile}-rolecall")) && line.ends_with("can be imported"), "{list}");
    }
    assert!(
        lines[5].starts_with("on-ec2 ") && lines[5].contains("uses credential_source (Ec2InstanceMetadata)"),
        "{list}"
    );
    assert!(lines[1].contains("IAM Identity Center (corp)"), "{list}");
    assert_eq!(w.ok(&["import", "--list"]), list);

    let out = w.ok(&["import", "--all"]);
    assert_eq!(
        out,
        format!(
            "Added source alice-keys: AWS profile alice-keys, MFA device {serial} (not verified)\n\
             Added source corp: IAM Identity Center https://corp.awsapps.com/start (sign in with `rolecall source login corp`)\n\
             Added favourite sso-dev from AWS profile sso-dev: arn:aws:iam::123456789012:role/Developer as profile sso-dev-rolecall (source corp)\n\
             Added favourite base from AWS profile base: arn:aws:iam::123456789012:role/Base as profile base-rolecall (source alice-keys)\n\
             Added favourite chained from AWS profile chained: arn:aws:iam::123456789012:role/Chained as profile chained-rolecall (chained from base)\n\
             Added favourite secure from AWS profile secure: arn:aws:iam::123456789012:role/Secure as profile secure-rolecall (source alice-keys)\n\
             Skipped AWS profile on-ec2: uses credential_source (Ec2InstanceMetadata) instead of a source_profile; rolecall imports only roles assumed from a source_profile\n"
        )
    );
    // The import wrote only rolecall's config: the user's files are byte for byte as they were.
    assert_eq!(fs::read(w.sandbox.config_path()).unwrap(), USER_CONFIG.as_bytes());
    assert_eq!(w.sandbox.read_credentials(), credentials);
    let show = w.ok(&["role", "show", "chained"]);
    assert!(show.contains("base (chain: alice-keys -> base -> chained)"), "{show}");
    let base: Value = serde_json::from_str(&w.ok(&["role", "show", "base", "--json"])).unwrap();
    assert_eq!(base["duration"], 7200);
    assert_eq!(base["session_name"], "base-session");
    assert_eq!(base["profile"], "base-rolecall");

    // Assumed, each writes its -rolecall profile, which the AWS CLI uses.
    let out = w.ok(&["assume", "base"]);
    assert!(
        out.starts_with(&format!("{}\nprofile base-rolecall written", assumed_role_arn("Base", "base-session"))),
        "{out}"
    );
    assert_eq!(w.aws_identity("base-rolecall").unwrap(), assumed_role_arn("Base", "base-session"));
    w.ok(&["assume", "chained"]);
    assert_eq!(w.aws_identity("chained-rolecall").unwrap(), assumed_role_arn("Chained", "chained-session"));
    let e = w.fails(&["assume", "secure"], "input.needed");
    assert!(e.contains(&format!("needs a code from MFA device {serial}")), "{e}");
    w.ok(&["assume", "secure", "--token-code", "123456"]);
    assert_eq!(w.aws_identity("secure-rolecall").unwrap(), assumed_role_arn("Secure", "alice-mfa"));
    // The user's own profiles still work as before, next to rolecall's.
    assert_eq!(w.aws_identity("chained").unwrap(), assumed_role_arn("Chained", "chained-session"));
    // Assuming added only the chained favourite's region, in its own section at the end.
    assert_eq!(w.sandbox.read_config(), format!("{USER_CONFIG}\n[profile chained-rolecall]\nregion = eu-west-1\n"));

    // Importing again finds nothing new, refuses a duplicate and changes no file.
    let files = w.files();
    let again = w.ok(&["import", "--all"]);
    assert!(again.starts_with(&format!("Nothing to import from {}\n", w.sandbox.config_path().display())), "{again}");
    assert!(again.contains("Skipped AWS profile on-ec2: "), "{again}");
    let e = w.fails(&["import", "base"], "config.exists");
    assert!(e.contains("base: already exists as a favourite"), "{e}");
    w.fails(&["import", "on-ec2"], "config.invalid");
    w.fails(&["import", "sso-dev"], "config.exists");
    w.fails(&["import", "default"], "config.not_found");
    let list = w.ok(&["import"]);
    assert_eq!(list.lines().filter(|l| l.ends_with(" imported")).count(), 4, "{list}");
    assert!(!list.contains("rolecall import --all"), "no hint when nothing is left: {list}");
    assert_eq!(w.files(), files);
}

/// An sso-session profile, and a role profile chained from it, imported; signed in with a device
/// code against the fake IAM Identity Center; both assumed into profiles the AWS CLI accepts.
#[test]
fn an_imported_sso_profile_signs_in_and_assumes_with_a_role_chained_from_it() {
    use crate::sso::{accounts, login, ok, sso_world};
    use rolecall_e2e::sso::{FakeSso, SESSION_NAME, SsoAccount};

    let (w, sso) = sso_world();
    // The chained role trusts the portal's Hub session, minted by the fake with the harness's admin.
    let admin = format!("arn:aws:iam::{}:user/rolecall-harness-admin", rolecall_e2e::ACCOUNT_ID);
    w.moto().create_role("Hub", &admin, None);
    let chained = w.moto().create_role("Chained", &assumed_role_arn("Hub", SESSION_NAME), None);
    let mut with_hub = accounts();
    with_hub.push(SsoAccount {
        account_id: rolecall_e2e::ACCOUNT_ID.into(),
        account_name: "Tooling".into(),
        email_address: "tooling@example.com".into(),
        roles: vec!["Hub".into()],
    });
    sso.set_accounts(with_hub);
    let config = format!(
        "[sso-session corp]\n\
         sso_start_url = https://d-1234567890.awsapps.com/start\n\
         sso_region = eu-west-1\n\
         sso_registration_scopes = sso:account:access\n\n\
         [profile prod-ro]\n\
         sso_session = corp\n\
         sso_account_id = 111111111111\n\
         sso_role_name = ReadOnly\n\
         region = eu-west-1\n\n\
         [profile tooling]\n\
         sso_session = corp\n\
         sso_account_id = {account}\n\
         sso_role_name = Hub\n\n\
         [profile deep]\n\
         role_arn = {chained}\n\
         source_profile = tooling\n\
         role_session_name = deep-session\n",
        account = rolecall_e2e::ACCOUNT_ID,
    );
    w.sandbox.write(".aws/config", &config);

    let out = ok(&w, &sso, &["import", "--all"]);
    assert_eq!(
        out,
        format!(
            "Added source corp: IAM Identity Center https://d-1234567890.awsapps.com/start (sign in with `rolecall source login corp`)\n\
             Added favourite prod-ro from AWS profile prod-ro: arn:aws:iam::111111111111:role/ReadOnly as profile prod-ro-rolecall (source corp)\n\
             Added favourite tooling from AWS profile tooling: arn:aws:iam::{account}:role/Hub as profile tooling-rolecall (source corp)\n\
             Added favourite deep from AWS profile deep: {chained} as profile deep-rolecall (chained from tooling)\n",
            account = rolecall_e2e::ACCOUNT_ID,
        )
    );
    assert_eq!(fs::read(w.sandbox.config_path()).unwrap(), config.as_bytes(), "the user's file is unchanged");
    let toml = w.config_toml();
    assert!(toml.contains("type = \"sso\"") && toml.contains("sso_session = \"corp\""), "{toml}");

    login(&w, &sso, "corp");
    ok(&w, &sso, &["assume", "prod-ro"]);
    assert_eq!(w.aws_identity("prod-ro-rolecall").unwrap(), FakeSso::assumed_role_arn("111111111111", "ReadOnly"));
    ok(&w, &sso, &["assume", "deep"]);
    assert_eq!(w.aws_identity("deep-rolecall").unwrap(), assumed_role_arn("Chained", "deep-session"));
    // Only rolecall's own sections were added to the config file (the region of prod-ro).
    assert!(w.sandbox.read_config().starts_with(&config), "{}", w.sandbox.read_config());
}
