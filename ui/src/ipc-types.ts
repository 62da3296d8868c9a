// Generated from src-tauri/src/dto.rs by ts-rs; do not edit. The test
// `dto::ts_contract` in src-tauri fails when this differs from the Rust types;
// `ROLECALL_BLESS=1 cargo test -p rolecall-tray ts_contract` rewrites it.
// Only ui/src/ipc.ts imports it.

/**
 * A stable error code (`rolecall_core::Code`), as its wire string; docs/errors.md says what each means.
 */
export type ErrorCode =
  | "input.invalid"
  | "input.needed"
  | "cancelled"
  | "busy"
  | "app.quitting"
  | "mfa.stale"
  | "session.missing"
  | "clipboard.error"
  | "autostart.error"
  | "config.syntax"
  | "config.too_new"
  | "config.not_found"
  | "config.exists"
  | "config.invalid"
  | "config.in_use"
  | "config.not_regular"
  | "config.too_large"
  | "config_file.unparseable"
  | "config_file.conflict"
  | "config_file.unsafe_command"
  | "config_file.not_regular"
  | "config_file.too_large"
  | "credentials_file.unparseable"
  | "credentials_file.not_owned"
  | "credentials_file.conflict"
  | "credentials_file.not_regular"
  | "credentials_file.too_large"
  | "file.io"
  | "file.permission_denied"
  | "file.disk_full"
  | "file.read_only"
  | "file.not_found"
  | "file.lock_timeout"
  | "file.busy"
  | "file.not_a_directory"
  | "file.dir_not_owned"
  | "file.lock_not_regular"
  | "file.not_regular"
  | "file.too_large"
  | "file.no_home"
  | "keychain.no_entry"
  | "keychain.unavailable"
  | "keychain.locked"
  | "keychain.corrupt"
  | "keychain.error"
  | "sts.unknown_key"
  | "sts.wrong_secret"
  | "sts.access_denied"
  | "sts.mfa_invalid"
  | "sts.expired_token"
  | "sts.throttled"
  | "sts.duration_too_long"
  | "sts.invalid_request"
  | "sts.region_disabled"
  | "sts.unreachable"
  | "sts.timeout"
  | "sts.malformed_response"
  | "sts.server_error"
  | "sts.clock_skew"
  | "sts.error"
  | "aws_profile.unusable"
  | "sso.pending"
  | "sso.expired"
  | "sso.signed_out"
  | "sso.cancelled"
  | "sso.no_access"
  | "sso.throttled"
  | "sso.not_a_portal"
  | "sso.unreachable"
  | "sso.timeout"
  | "sso.error"
  | "signin.rejected"
  | "signin.unavailable"
  | "signin.unreachable"
  | "signin.malformed_response"
  | "console.no_browser";

/**
 * What every failed command rejects with: a stable code and a message safe to show. (The
 * core's `ErrorDto`, which cannot derive ts-rs; `error_dto_has_this_shape` checks it.)
 */
export type ErrorDto = {
  /**
   * The stable code, like `sts.access_denied`.
   */
  code: ErrorCode,
  /**
   * The message: its subject, what is wrong, what to do.
   */
  message: string,
};

/**
 * The app's version, as Settings → About shows it.
 */
export type AppInfo = {
  /**
   * The version, `x.y.z`.
   */
  version: string,
};

/**
 * Where a source's credentials come from.
 */
export type SourceKindView = "keychain" | "aws_profile" | "sso";

/**
 * A source, as the settings window lists it (the key id only masked).
 */
export type SourceView = {
  /**
   * Its name.
   */
  name: string,
  /**
   * Where its credentials come from.
   */
  kind: SourceKindView,
  /**
   * The access key id masked as `****WXYZ`; null for AWS-profile sources.
   */
  keyHint: string | null,
  /**
   * The AWS profile, for `aws_profile` sources.
   */
  awsProfile: string | null,
  /**
   * The access portal's start URL, for `sso` sources.
   */
  ssoStartUrl: string | null,
  /**
   * The rest of an `sso` source: its region, `[sso-session]` and sign-in; absent for others.
   */
  sso?: SsoSourceState,
  /**
   * The MFA device.
   */
  mfaSerial: string | null,
  /**
   * The ARN GetCallerIdentity answered with when the source was verified.
   */
  identity: string | null,
};

/**
 * A new source from the settings window. The secret travels UI → Rust once and is zeroized here.
 */
export type NewSourceInput = {
  /**
   * The source's name.
   */
  name: string,
  /**
   * The access key id (keys sources).
   */
  accessKeyId: string | null,
  /**
   * The secret access key (keys sources).
   */
  secretAccessKey: string | null,
  /**
   * The AWS profile (aws_profile sources).
   */
  awsProfile: string | null,
  /**
   * The MFA device.
   */
  mfaSerial: string | null,
  /**
   * Whether to check the credentials with GetCallerIdentity first.
   */
  verify: boolean,
};

/**
 * Whether a favourite has a session: serialized as the core's label for it.
 */
export type SessionStateView = "active" | "expired" | "never";

/**
 * A session's state for the UI.
 */
export type SessionView = {
  /**
   * Active, expired or never.
   */
  state: SessionStateView,
  /**
   * When it expires, RFC 3339.
   */
  expires: string | null,
  /**
   * Seconds left, when active.
   */
  secondsLeft: number | null,
};

/**
 * A session tag.
 */
export type TagView = {
  /**
   * The key.
   */
  key: string,
  /**
   * The value.
   */
  value: string,
};

/**
 * How a favourite's credentials reach AWS tools: `file` (written into its profile of the
 * credentials file) or `process` (never written; served through `credential_process`).
 */
export type DeliveryView = "file" | "process";

/**
 * A favourite, as the settings window lists and edits it.
 */
export type FavouriteView = {
  /**
   * Its name.
   */
  name: string,
  /**
   * The role.
   */
  arn: string,
  /**
   * Its source (a source or a favourite).
   */
  source: string,
  /**
   * The profile it writes.
   */
  profile: string,
  /**
   * Session length in seconds.
   */
  durationSecs: number,
  /**
   * The session name, if set.
   */
  sessionName: string | null,
  /**
   * The external id, if set.
   */
  externalId: string | null,
  /**
   * Whether it uses MFA.
   */
  mfa: boolean,
  /**
   * Its region, if set.
   */
  region: string | null,
  /**
   * Session tags.
   */
  tags: Array<TagView>,
  /**
   * Transitive tag keys.
   */
  transitiveTags: Array<string>,
  /**
   * The source identity, if set.
   */
  sourceIdentity: string | null,
  /**
   * Session policy ARNs.
   */
  policyArns: Array<string>,
  /**
   * Its own auto-renew choice; null follows the preference.
   */
  autoRenew: boolean | null,
  /**
   * Its own notification lead time (`14m55s`); null follows the preference.
   */
  notifyBefore: string | null,
  /**
   * Its own renewal lead time; null follows the preference.
   */
  renewBefore: string | null,
  /**
   * How AWS tools get its credentials.
   */
  delivery: DeliveryView,
  /**
   * Its session.
   */
  session: SessionView,
  /**
   * Its lead times that its session length clamps, in words: a lead never exceeds half a
   * session (`renew before 20m applies as 7m30s (half of its 15m session)`).
   */
  leadNotes: Array<string>,
};

/**
 * A favourite from the settings form, as typed; empty strings mean "not set".
 */
export type FavouriteInput = {
  /**
   * Its name.
   */
  name: string,
  /**
   * The role ARN.
   */
  arn: string,
  /**
   * Its source (a source, or a favourite to chain from).
   */
  source: string,
  /**
   * The profile it writes ("" = the name).
   */
  profile: string,
  /**
   * `1h`, `3600`, `45m` ("" = 1h).
   */
  duration: string,
  /**
   * Session name.
   */
  sessionName: string,
  /**
   * External id.
   */
  externalId: string,
  /**
   * MFA.
   */
  mfa: boolean,
  /**
   * Region.
   */
  region: string,
  /**
   * `key=value` tags.
   */
  tags: Array<string>,
  /**
   * Transitive tag keys.
   */
  transitiveTags: Array<string>,
  /**
   * Source identity.
   */
  sourceIdentity: string,
  /**
   * Policy ARNs.
   */
  policyArns: Array<string>,
  /**
   * Auto-renew (null follows the preference).
   */
  autoRenew: boolean | null,
  /**
   * Notification lead time: `10m`, `14m55s`, `90s`, `1h` (1s to 12h, less than the duration);
   * "" = the preference.
   */
  notifyBefore: string,
  /**
   * Renewal lead time, as `notifyBefore`.
   */
  renewBefore: string,
  /**
   * How AWS tools get its credentials (absent: `file`).
   */
  delivery: DeliveryView,
};

/**
 * A form field the settings window checks as it is typed (`validate_field`).
 */
export type Field =
  | "name"
  | "arn"
  | "profile"
  | "awsProfile"
  | "duration"
  | "sessionName"
  | "externalId"
  | "region"
  | "tag"
  | "transitiveTag"
  | "sourceIdentity"
  | "policyArn"
  | "notifyBefore"
  | "renewBefore"
  | "mfaSerial"
  | "accessKeyId"
  | "startUrl"
  | "sessionHours"
  | "namePattern";

/**
 * Preferences, as the settings window edits them.
 */
export type PreferencesDto = {
  /**
   * Minutes of warning before expiry.
   */
  notifyBeforeMinutes: number,
  /**
   * Auto-renew by default.
   */
  autoRenew: boolean,
  /**
   * Minutes before expiry to renew.
   */
  renewBeforeMinutes: number,
  /**
   * Start at login.
   */
  startAtLogin: boolean,
  /**
   * How long one MFA session (GetSessionToken) lasts, 1–36 hours.
   */
  mfaSessionHours: number,
  /**
   * "Open console" first signs the browser out of its current console session.
   */
  consoleSignOutFirst: boolean,
  /**
   * "Never write secrets to disk": new favourites are served through credential_process.
   */
  neverWriteSecrets: boolean,
};

/**
 * What converting favourites to `process` did (`convert_favourites`).
 */
export type ConversionView = {
  /**
   * The favourites now served through credential_process.
   */
  converted: Array<string>,
  /**
   * The favourites left as they were, with why.
   */
  skipped: Array<SkippedView>,
};

/**
 * A favourite a conversion left as it was.
 */
export type SkippedView = {
  /**
   * The favourite.
   */
  name: string,
  /**
   * Why.
   */
  reason: string,
};

/**
 * The IAM Identity Center side of an SSO profile of `~/.aws/config`; values are as read.
 */
export type ImportSso = {
  /**
   * `sso_session`: the `[sso-session NAME]` block it uses; null for the legacy form.
   */
  session: string | null,
  /**
   * `sso_start_url`.
   */
  startUrl: string | null,
  /**
   * `sso_region`.
   */
  region: string | null,
  /**
   * `sso_account_id`.
   */
  accountId: string | null,
  /**
   * `sso_role_name`.
   */
  roleName: string | null,
  /**
   * The IAM Identity Center source it gets when none for its portal exists yet.
   */
  source: string,
};

/**
 * A role or SSO profile of `~/.aws/config` that could become a favourite; values are as read.
 */
export type ImportCandidate = {
  /**
   * The AWS profile's name (`default` for `[default]`).
   */
  profile: string,
  /**
   * The favourite it becomes (the profile's name made a valid name); may be invalid, then
   * `problem` says so.
   */
  favourite: string,
  /**
   * The profile rolecall will write its sessions to: `profile` + `-rolecall`.
   */
  rolecallProfile: string,
  /**
   * `role_arn`.
   */
  roleArn: string,
  /**
   * `source_profile`.
   */
  sourceProfile: string | null,
  /**
   * `mfa_serial`.
   */
  mfaSerial: string | null,
  /**
   * `external_id`.
   */
  externalId: string | null,
  /**
   * `duration_seconds`.
   */
  durationSeconds: string | null,
  /**
   * `role_session_name`.
   */
  roleSessionName: string | null,
  /**
   * `region`.
   */
  region: string | null,
  /**
   * Why this profile cannot be imported as it is, in plain words; null when it can.
   */
  problem: string | null,
  /**
   * Whether a favourite with its name, or writing its profile, already exists.
   */
  alreadyImported: boolean,
  /**
   * For an SSO profile, its IAM Identity Center settings (`roleArn` is then the role it stands
   * for); absent for a role profile.
   */
  sso?: ImportSso,
};

/**
 * An IAM Identity Center source's settings and sign-in, as the Sources tab shows them (no token,
 * no client secret: only whether it is signed in and until when).
 */
export type SsoSourceState = {
  /**
   * The region of the organisation's IAM Identity Center.
   */
  region: string,
  /**
   * The `[sso-session NAME]` of `~/.aws/config` it came from.
   */
  session: string | null,
  /**
   * Whether its sign-in is shared with the AWS CLI and SDKs.
   */
  shareWithAwsCli: boolean,
  /**
   * How long a portal session lasts, in minutes.
   */
  sessionMinutes: number,
  /**
   * Whether it is signed in now.
   */
  signedIn: boolean,
  /**
   * When the portal session should end (RFC 3339), when signed in and known.
   */
  signedInUntil: string | null,
};

/**
 * A new IAM Identity Center source from the settings window: a start URL and region, or an
 * `[sso-session]` of `~/.aws/config` (then its start URL and region are read from there).
 */
export type NewSsoSourceInput = {
  /**
   * The source's name.
   */
  name: string,
  /**
   * The access portal's start URL ("" with `ssoSession`).
   */
  startUrl: string,
  /**
   * The region of IAM Identity Center ("" with `ssoSession`).
   */
  region: string,
  /**
   * The `[sso-session NAME]` to take them from; null or "" for none.
   */
  ssoSession: string | null,
  /**
   * How long a portal session lasts, in whole hours ("" = 8, AWS's default).
   */
  sessionHours: string,
  /**
   * Whether to share the sign-in with the AWS CLI and SDKs (the token cache).
   */
  shareWithAwsCli: boolean,
};

/**
 * An `[sso-session NAME]` block of `~/.aws/config`, offered by the IAM Identity Center form.
 */
export type SsoSessionView = {
  /**
   * `NAME`.
   */
  name: string,
  /**
   * Its `sso_start_url`, as read.
   */
  startUrl: string | null,
  /**
   * Its `sso_region`, as read.
   */
  region: string | null,
};

/**
 * A role the user may use in an account of the portal.
 */
export type PortalRoleView = {
  /**
   * The role (permission set) name.
   */
  name: string,
  /**
   * The favourite of this source that already is this role, if any.
   */
  favourite: string | null,
};

/**
 * An account of the portal, with its roles.
 */
export type PortalAccountView = {
  /**
   * The 12-digit id.
   */
  id: string,
  /**
   * Its name in the portal.
   */
  name: string,
  /**
   * Its e-mail address, if the portal gave one.
   */
  email: string | null,
  /**
   * Its roles, sorted.
   */
  roles: Array<PortalRoleView>,
};

/**
 * A listing of an IAM Identity Center source's accounts and roles (names and ids only).
 */
export type PortalListing = {
  /**
   * When it was listed, RFC 3339.
   */
  fetchedAt: string,
  /**
   * Whether it is older than a day: time to list afresh.
   */
  stale: boolean,
  /**
   * The accounts, by name.
   */
  accounts: Array<PortalAccountView>,
};

/**
 * How far a fresh listing has come (the picker's progress bar).
 */
export type DiscoveryProgressView = {
  /**
   * Accounts listed so far.
   */
  accountsListed: number,
  /**
   * Whether every account is listed (then `accountsListed` is the total).
   */
  allAccountsListed: boolean,
  /**
   * Accounts whose roles are all listed.
   */
  accountsDone: number,
  /**
   * Requests the portal refused as too many so far (each asked again after a pause).
   */
  throttled: number,
};

/**
 * A role of the portal the user picked to become a favourite.
 */
export type PortalPickInput = {
  /**
   * The account's id.
   */
  accountId: string,
  /**
   * The account's name.
   */
  accountName: string,
  /**
   * The role name.
   */
  roleName: string,
};

/**
 * What the MFA window shows (`mfa_pending`, the `rolecall://mfa-request` event; its TypeScript
 * is generated with the DTOs', see `dto.rs`).
 */
export type MfaRequest = {
  /**
   * Identifies the request across retries.
   */
  requestId: string,
  /**
   * The favourite that needs the code.
   */
  favourite: string,
  /**
   * The device.
   */
  device: string,
};

/**
 * Where a device-code sign-in shown in the sign-in window is.
 */
export type DeviceSignInState = "waiting" | "done" | "denied" | "expired" | "cancelled" | "failed";

/**
 * What the sign-in window shows (`signin_pending`, the `rolecall://signin` event): the code the
 * user confirms and where. The device code, the tokens and the client secret never leave Rust.
 */
export type DeviceSignIn = {
  /**
   * Identifies this sign-in for the window's buttons.
   */
  requestId: string,
  /**
   * The IAM Identity Center source.
   */
  source: string,
  /**
   * The code to confirm (meant to be shown).
   */
  userCode: string,
  /**
   * The page where it is confirmed.
   */
  verificationUri: string,
  /**
   * When the code stops working (RFC 3339).
   */
  expiresAt: string,
  /**
   * Where the sign-in is.
   */
  state: DeviceSignInState,
  /**
   * What went wrong, for a sign-in that ended without signing in.
   */
  message: string | null,
};
