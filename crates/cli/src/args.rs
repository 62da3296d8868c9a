//! Command-line arguments. Every value is parsed into a validated core type here, once.

use clap::{Args, Parser, Subcommand};
use rolecall_core::config::Delivery;
use rolecall_core::console::ConsoleService;
use rolecall_core::sso::StartUrl;
use rolecall_core::validate::{
    ExternalId, Lead, MfaCode, MfaSerial, Name, PolicyArn, ProfileName, Region, RoleArn, SessionDuration, SessionName,
    SourceIdentity, Tag, check_tag_key,
};

/// Favourite AWS roles, one command away: source keys in the OS keychain, sessions in ~/.aws/credentials.
#[derive(Debug, Parser)]
#[command(name = "rolecall", version, about, propagate_version = true)]
pub struct Cli {
    /// Log what rolecall does to stderr (-v info, -vv debug). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage sources: the credentials roles are assumed with.
    #[command(subcommand)]
    Source(SourceCommand),
    /// Manage favourite roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// IAM Identity Center: the roles a source's access portal offers.
    #[command(subcommand)]
    Sso(SsoCommand),
    /// Show the preferences, or set "never write secrets to disk".
    ///
    /// The other preferences are set in the tray app's settings window.
    Preferences(PreferencesArgs),
    /// Assume a favourite role and write its profile.
    Assume(AssumeArgs),
    /// Renew favourites' sessions now: a fresh AssumeRole with the same parameters, the profile
    /// rewritten atomically. A failure leaves the old session in place.
    ///
    /// Favourites of an MFA source renew with the source's kept MFA session while it lasts, so
    /// no code is asked for.
    Renew(RenewArgs),
    /// Show every favourite's session (active, expired or never assumed) and when the tray app
    /// will next notify about it or renew it.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the backups `assume --force` kept of the profiles it took over (newest first).
    ///
    /// Each holds that profile's section only, in rolecall's private data dir (0600 files in a
    /// 0700 directory); each new one keeps the newest 20 and removes those older than 30 days.
    /// Delete them when you no longer need the keys in them.
    Backups {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import favourites from the role and SSO profiles of the AWS config file (which stays unchanged).
    ///
    /// With no arguments (or --list), lists the profiles that set role_arn, or sso_session /
    /// sso_start_url with sso_account_id and sso_role_name. Each imported profile becomes a
    /// favourite named after it that writes the profile NAME-rolecall; its source_profile becomes
    /// an aws-profile source, or the favourite it chains from when that is imported too; an SSO
    /// profile's source is an IAM Identity Center source (sign in with `rolecall source login`).
    Import(ImportArgs),
    /// Open the AWS console as a favourite (assuming it first if needed) in the default browser.
    ///
    /// The sign-in link goes straight to the browser; --print prints it instead (whoever holds
    /// it is signed in for 15 minutes: keep it private). With --source, the console opens as the
    /// source's own IAM user instead (GetFederationToken, one hour).
    Console(ConsoleArgs),
    /// Print a favourite's credentials as AWS tools' credential_process reads them (JSON on stdout).
    ///
    /// What the `credential_process` line rolecall writes into the profile of a favourite with
    /// `--delivery process` runs. Never asks anything: a favourite that needs an MFA code (and
    /// has no MFA session kept) or a signed-out IAM Identity Center source fails at once, saying
    /// how to fix it. Writes no file; without the tray app, each call assumes the role afresh.
    Credentials {
        /// The favourite.
        name: Name,
    },
    /// Print shell lines that export a favourite's session (assuming it first if needed).
    Env {
        /// The favourite.
        name: Name,
        /// The shell to print for.
        #[arg(long, value_parser = ["bash", "zsh", "fish", "powershell", "pwsh"], default_value = "bash")]
        shell: String,
        /// An MFA code, if the favourite needs one and no prompt is wanted.
        #[arg(long, value_parser = parse_mfa)]
        token_code: Option<MfaCode>,
    },
    /// Run a command with a favourite's credentials in its environment; nothing is written.
    ///
    /// The command (no shell) gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
    /// AWS_CREDENTIAL_EXPIRATION and the favourite's region, and none of AWS_PROFILE and the other
    /// variables that name other credentials. Its exit code is rolecall's (128 + N when signal N
    /// ended it); SIGINT, SIGTERM and SIGHUP are passed on to it.
    ///
    /// With --server (for jobs that outlive a session), a credentials endpoint on 127.0.0.1
    /// serves the session to the command instead, renewed while it runs
    /// (AWS_CONTAINER_CREDENTIALS_FULL_URI, with a token of its own in a private file), and the
    /// command's AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are an empty file, so no profile
    /// comes before the endpoint.
    Exec(ExecArgs),
}

/// `rolecall exec`
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The favourite.
    pub name: Name,
    /// Serve the credentials from an endpoint that renews them, for as long as the command runs.
    #[arg(long)]
    pub server: bool,
    /// An MFA code, if the favourite needs one and no prompt is wanted.
    #[arg(long, value_parser = parse_mfa)]
    pub token_code: Option<MfaCode>,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true, num_args = 1.., value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// `rolecall source …`
#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a source: keys read from a hidden prompt (or two lines on stdin), an AWS profile, or
    /// an IAM Identity Center access portal (then `rolecall source login NAME`).
    Add {
        /// The source's name.
        name: Name,
        /// Use this profile of the AWS config (keys, SSO, credential_process) instead of stored keys.
        #[arg(long, conflicts_with_all = ["sso_start_url", "sso_session"])]
        aws_profile: Option<ProfileName>,
        /// IAM Identity Center: the access portal's start URL (https://d-1234567890.awsapps.com/start).
        #[arg(long, requires = "sso_region", conflicts_with = "sso_session", value_parser = parse_start_url)]
        sso_start_url: Option<StartUrl>,
        /// IAM Identity Center: the region of the organisation's Identity Center.
        #[arg(long, requires = "sso_start_url")]
        sso_region: Option<Region>,
        /// IAM Identity Center: the start URL and region of this `[sso-session NAME]` of ~/.aws/config.
        #[arg(long)]
        sso_session: Option<String>,
        /// IAM Identity Center: share the sign-in with the AWS CLI and SDKs (the standard token
        /// cache in ~/.aws/sso/cache, private to you, kept fresh), so profiles using the same
        /// sso-session need no second login. Off, the sign-in stays in the OS keychain alone.
        #[arg(long, conflicts_with_all = ["aws_profile", "mfa_serial"])]
        share_with_aws_cli: bool,
        /// IAM Identity Center: how long a sign-in to the portal lasts, in minutes, as your
        /// organisation set it (15 to 129600; default 480, AWS's 8 hours). rolecall warns before
        /// it ends.
        #[arg(long, conflicts_with_all = ["aws_profile", "mfa_serial"])]
        sso_session_minutes: Option<u32>,
        /// The MFA device of the source's IAM user.
        #[arg(long, conflicts_with_all = ["sso_start_url", "sso_session"])]
        mfa_serial: Option<MfaSerial>,
        /// Store without checking the credentials with GetCallerIdentity.
        #[arg(long)]
        no_verify: bool,
        /// The region to verify in (default: AWS_REGION, else us-east-1).
        #[arg(long)]
        region: Option<Region>,
    },
    /// List sources (key ids masked).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its keychain entries.
    Remove {
        /// The source.
        name: Name,
    },
    /// Forget the source's kept MFA session: the next favourite that needs MFA asks for a code.
    ForgetMfa {
        /// The source.
        name: Name,
    },
    /// Sign in to an IAM Identity Center source's access portal: in this machine's default
    /// browser (authorization code with PKCE, back to a loopback redirect on 127.0.0.1; 5 minutes
    /// at most), or with --device-code a code to confirm in a browser anywhere. The sign-in is
    /// kept in the OS keychain and refreshed silently while the portal session lasts.
    Login {
        /// The source.
        name: Name,
        /// Sign in with a device code (confirmed in a browser anywhere) instead of the browser on
        /// this machine and its loopback redirect.
        #[arg(long)]
        device_code: bool,
    },
}

/// `rolecall sso …`
#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// List the accounts and roles an IAM Identity Center source's portal offers you: the last
    /// listing while it is under a day old (no portal request), else a new one.
    Roles {
        /// The source.
        name: Name,
        /// Print JSON (with `fetched_at`, and `cached` when it is the last listing).
        #[arg(long)]
        json: bool,
        /// Ask the portal again, however fresh the last listing is.
        #[arg(long)]
        refresh: bool,
    },
}

/// `rolecall role …`
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Add a favourite role.
    Add(Box<RoleAddArgs>),
    /// List favourites.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one favourite's settings.
    Show {
        /// The favourite.
        name: Name,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a favourite (and the profile rolecall wrote for it).
    Remove {
        /// The favourite.
        name: Name,
    },
    /// Serve favourites through credential_process (delivery process): each gets its
    /// credential_process line in ~/.aws/config and its session leaves ~/.aws/credentials
    /// (rolecall's own sections only; every other byte stays).
    ///
    /// With --all, every favourite still written to the credentials file, except the one that is
    /// the default profile (name it to convert it too; [default] then goes with its session).
    Convert {
        /// The favourites.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        names: Vec<Name>,
        /// Every favourite still written to the credentials file.
        #[arg(long)]
        all: bool,
    },
}

fn parse_duration(raw: &str) -> Result<SessionDuration, String> {
    SessionDuration::parse(raw).map_err(|e| e.reason)
}
fn parse_tag(raw: &str) -> Result<Tag, String> {
    Tag::parse(raw).map_err(|e| e.to_string())
}
fn parse_tag_key(raw: &str) -> Result<String, String> {
    check_tag_key(raw).map_err(|e| e.to_string())
}
fn parse_lead(raw: &str) -> Result<Lead, String> {
    Lead::parse(raw).map_err(|e| e.reason)
}
fn parse_delivery(raw: &str) -> Result<Delivery, String> {
    Delivery::parse(raw).ok_or_else(|| "must be file or process".into())
}
fn parse_start_url(raw: &str) -> Result<StartUrl, String> {
    StartUrl::parse(raw).map_err(|e| e.reason)
}
fn parse_account(raw: &str) -> Result<String, String> {
    if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err(format!("an account id is 12 digits, got {raw:?}"))
    }
}
fn parse_mfa(raw: &str) -> Result<MfaCode, String> {
    MfaCode::parse(raw).map_err(|e| e.reason)
}

/// `rolecall role add`
#[derive(Debug, Args)]
pub struct RoleAddArgs {
    /// The favourite's name.
    pub name: Name,
    /// The role to assume.
    #[arg(long, required_unless_present = "account", conflicts_with_all = ["account", "role_name"])]
    pub arn: Option<RoleArn>,
    /// IAM Identity Center: the account of the role (with --role-name), instead of --arn.
    #[arg(long, requires = "role_name", value_parser = parse_account)]
    pub account: Option<String>,
    /// IAM Identity Center: the role's name (its permission set), with --account.
    #[arg(long, requires = "account")]
    pub role_name: Option<String>,
    /// A source, or another favourite to chain from.
    #[arg(long)]
    pub source: Name,
    /// The profile to write (default: the favourite's name).
    #[arg(long)]
    pub profile: Option<ProfileName>,
    /// Session length: 3600, 45m, 1h, 1h30m (15m–12h; 1h at most when chaining).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<SessionDuration>,
    /// The session name (default: the source's user name).
    #[arg(long)]
    pub session_name: Option<SessionName>,
    /// The external id the role requires.
    #[arg(long)]
    pub external_id: Option<ExternalId>,
    /// Send the source's MFA device and a code.
    #[arg(long)]
    pub mfa: bool,
    /// The region for STS and the profile.
    #[arg(long)]
    pub region: Option<Region>,
    /// A session tag key=value (repeatable).
    #[arg(long = "tag", value_parser = parse_tag)]
    pub tags: Vec<Tag>,
    /// A tag key that passes on through role chaining (repeatable).
    #[arg(long = "transitive-tag", value_parser = parse_tag_key)]
    pub transitive_tags: Vec<String>,
    /// The STS source identity.
    #[arg(long)]
    pub source_identity: Option<SourceIdentity>,
    /// A managed policy limiting the session (repeatable).
    #[arg(long = "policy-arn")]
    pub policy_arns: Vec<PolicyArn>,
    /// Renew the session in the background before it expires (overrides the preference).
    #[arg(long, conflicts_with = "no_auto_renew")]
    pub auto_renew: bool,
    /// Never renew the session in the background; notify instead (overrides the preference).
    #[arg(long)]
    pub no_auto_renew: bool,
    /// When to notify before the session expires: 10m, 14m55s, 90s (default: the preference).
    #[arg(long, value_parser = parse_lead)]
    pub notify_before: Option<Lead>,
    /// When to renew before the session expires, with auto-renew: 5m, 90s (default: the preference).
    #[arg(long, value_parser = parse_lead)]
    pub renew_before: Option<Lead>,
    /// How AWS tools get its credentials: `file` writes them into the profile of
    /// ~/.aws/credentials; `process` writes none anywhere, and gives the profile in ~/.aws/config
    /// a credential_process that runs `rolecall credentials NAME`.
    /// (Default: `process` with the preference "never write secrets to disk", else `file`.)
    #[arg(long, value_parser = parse_delivery)]
    pub delivery: Option<Delivery>,
    /// Replace an existing favourite of that name.
    #[arg(long)]
    pub replace: bool,
}

/// `rolecall preferences`
#[derive(Debug, Args)]
pub struct PreferencesArgs {
    /// New favourites (added, imported, picked from a portal) are served through
    /// credential_process, their secrets written nowhere (on), or written into
    /// ~/.aws/credentials (off). Existing favourites stay as they are: `rolecall role convert
    /// --all` converts them.
    #[arg(long, value_parser = ["on", "off"])]
    pub never_write_secrets: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `rolecall renew`
#[derive(Debug, Args)]
pub struct RenewArgs {
    /// The favourites.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub names: Vec<Name>,
    /// Every favourite whose profile holds a session rolecall wrote (active or expired).
    #[arg(long)]
    pub all: bool,
    /// The MFA code, if one is needed (otherwise asked on the terminal).
    #[arg(long, value_parser = parse_mfa)]
    pub token_code: Option<MfaCode>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `rolecall assume`
#[derive(Debug, Args)]
pub struct AssumeArgs {
    /// The favourite.
    pub name: Name,
    /// The MFA code, if the favourite needs one (otherwise asked on the terminal).
    #[arg(long, value_parser = parse_mfa)]
    pub token_code: Option<MfaCode>,
    /// Overwrite the profile even if rolecall did not write it (its section is kept in a private
    /// backup first: see `rolecall backups`).
    #[arg(long)]
    pub force: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `rolecall import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// List the role and SSO profiles, whether each can be imported, and which already are (the default).
    #[arg(long, conflicts_with_all = ["all", "profiles"])]
    pub list: bool,
    /// Import every role profile that can be imported and is not yet.
    #[arg(long, conflicts_with = "profiles")]
    pub all: bool,
    /// The AWS profiles to import (as named in the config file, e.g. `prod` for `[profile prod]`).
    pub profiles: Vec<String>,
}

/// `rolecall console`
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// The favourite.
    #[arg(required_unless_present = "source", conflicts_with = "source")]
    pub name: Option<Name>,
    /// Sign in as this source's own IAM user (its keys, no role) instead of a favourite.
    #[arg(long)]
    pub source: Option<Name>,
    /// The page to open: a service (s3, ec2, iam) or a console path (ec2/home, cloudwatch/home#alarmsV2:).
    #[arg(long)]
    pub service: Option<ConsoleService>,
    /// The region to open (default: the favourite's, else AWS_REGION, else the partition's default).
    #[arg(long)]
    pub region: Option<Region>,
    /// Print the sign-in link on stdout instead of opening the browser.
    #[arg(long)]
    pub print: bool,
    /// Sign the browser out of its current console session first, so the link switches it to
    /// this account (also the preference `console_sign_out_first`).
    #[arg(long)]
    pub sign_out_first: bool,
    /// The MFA code, if the favourite must be assumed and needs one (otherwise asked on the terminal).
    #[arg(long, value_parser = parse_mfa, conflicts_with = "source")]
    pub token_code: Option<MfaCode>,
}
