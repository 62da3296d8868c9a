// The one file of the UI that talks to Tauri: every command and event of the contract with
// src-tauri, typed, and every failure normalised into `{ code, message }`.
// Nothing else in ui/src may import `@tauri-apps/api`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

// ---------------------------------------------------------------------------------------------
// Errors

/** What every failed command rejects with: a stable code and a message safe to show. */
export interface IpcError {
  code: string;
  message: string;
}

/** The code given to failures that did not come from rolecall's own `{code, message}`. */
export const UNKNOWN_ERROR_CODE = "ipc.error";

/** True for a value that already has the `{ code, message }` shape. */
export function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/**
 * Any rejection as `{ code, message }`.
 *
 * rolecall's commands reject with that shape already; Tauri itself rejects with plain strings
 * (an unknown command, a permission the capability file does not grant) and JavaScript with
 * `Error`s. Those get the code `ipc.error` and only their first line, so a stack trace never
 * reaches the screen.
 */
export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) {
    return { code: value.code, message: value.message };
  }
  let message = "";
  if (typeof value === "string") {
    message = value;
  } else if (value instanceof Error) {
    message = value.message;
  } else if (typeof value === "object" && value !== null) {
    const m = (value as { message?: unknown }).message;
    if (typeof m === "string") message = m;
  }
  message = firstLine(message);
  return { code: UNKNOWN_ERROR_CODE, message: message || "something went wrong" };
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]?.trim() ?? "";
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return (await invoke<T>(cmd, args)) as T;
  } catch (e) {
    throw toIpcError(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Types of the contract

export interface AppInfo {
  version: string;
}

export type SourceKind = "keychain" | "aws_profile";

export interface SourceView {
  name: string;
  kind: SourceKind;
  /** The access key id masked as `****WXYZ`; null for AWS-profile sources. */
  keyHint: string | null;
  awsProfile: string | null;
  mfaSerial: string | null;
  /** The ARN GetCallerIdentity answered with when the source was verified. */
  identity: string | null;
}

export interface SourceInput {
  name: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  awsProfile: string | null;
  mfaSerial: string | null;
  verify: boolean;
}

export type SessionState = "active" | "expired" | "never";

export interface SessionView {
  state: SessionState;
  /** RFC 3339. */
  expires: string | null;
  secondsLeft: number | null;
}

export interface TagView {
  key: string;
  value: string;
}

export interface FavouriteView {
  name: string;
  arn: string;
  source: string;
  profile: string;
  durationSecs: number;
  sessionName: string | null;
  externalId: string | null;
  mfa: boolean;
  region: string | null;
  tags: TagView[];
  transitiveTags: string[];
  sourceIdentity: string | null;
  policyArns: string[];
  /** Its own auto-renew choice; null follows the preference. */
  autoRenew: boolean | null;
  /** Its own notification lead time ("14m55s"); null follows the preference. */
  notifyBefore: string | null;
  /** Its own renewal lead time; null follows the preference. */
  renewBefore: string | null;
  session: SessionView;
  /**
   * Its lead times that its session length clamps, in words: a lead never exceeds half a
   * session ("renew before 20m applies as 7m30s (half of its 15m session)").
   */
  leadNotes: string[];
}

/** The favourite form as typed; empty strings mean "not set". */
export interface FavouriteInput {
  name: string;
  arn: string;
  source: string;
  /** "" means the same as `name`. */
  profile: string;
  /** "1h", "3600", "45m"… */
  duration: string;
  sessionName: string;
  externalId: string;
  mfa: boolean;
  region: string;
  /** "key=value" each. */
  tags: string[];
  transitiveTags: string[];
  sourceIdentity: string;
  policyArns: string[];
  /** null follows the preference. */
  autoRenew: boolean | null;
  /** A lead time: "10m", "14m55s", "90s", "1h" (1s to 12h, less than the duration); "" = the preference. */
  notifyBefore: string;
  /** As `notifyBefore`. */
  renewBefore: string;
}

/** The fields `validate_field` knows. */
export type FieldName =
  | "name"
  | "arn"
  | "profile"
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
  | "awsProfile";

export interface Preferences {
  notifyBeforeMinutes: number;
  autoRenew: boolean;
  renewBeforeMinutes: number;
  startAtLogin: boolean;
  /** How long one MFA session (GetSessionToken) lasts, 1–36 hours. */
  mfaSessionHours: number;
  /** "Open console" first signs the browser out of its current console session. */
  consoleSignOutFirst: boolean;
}

export interface ImportCandidate {
  profile: string;
  roleArn: string | null;
  sourceProfile: string | null;
  mfaSerial: string | null;
  externalId: string | null;
  durationSeconds: string | null;
  roleSessionName: string | null;
  region: string | null;
  /** Why this profile cannot be imported, or null. */
  problem: string | null;
  alreadyImported: boolean;
}

export interface MfaRequest {
  requestId: string;
  favourite: string;
  device: string;
}

// ---------------------------------------------------------------------------------------------
// Commands

export const appInfo = () => call<AppInfo>("app_info");

export const listSources = () => call<SourceView[]>("list_sources");
export const addSource = (input: SourceInput) => call<SourceView>("add_source", { input });
export const removeSource = (name: string) => call<null>("remove_source", { name });

export const listFavourites = () => call<FavouriteView[]>("list_favourites");
/** Adds a favourite when `replacing` is null, else edits the favourite of that name. */
export const saveFavourite = (input: FavouriteInput, replacing: string | null) =>
  call<FavouriteView>("save_favourite", { input, replacing });
export const removeFavourite = (name: string) => call<null>("remove_favourite", { name });
export const assume = (name: string) => call<FavouriteView>("assume", { name });

/** The core's message for an invalid value, or null when it is valid. */
export const validateField = (field: FieldName, value: string) =>
  call<string | null>("validate_field", { field, value });

export const getPreferences = () => call<Preferences>("get_preferences");
export const setPreferences = (prefs: Preferences) => call<null>("set_preferences", { prefs });

export const importCandidates = () => call<ImportCandidate[]>("import_candidates");
/** Imports these `~/.aws/config` profiles; resolves with the names of the favourites created. */
export const importProfiles = (profiles: string[]) => call<string[]>("import_profiles", { profiles });

export const mfaPending = () => call<MfaRequest | null>("mfa_pending");
export const submitMfa = (requestId: string, code: string) => call<null>("submit_mfa", { requestId, code });
export const cancelMfa = (requestId: string) => call<null>("cancel_mfa", { requestId });

// ---------------------------------------------------------------------------------------------
// Events

export type Unlisten = () => void;

/** Event names, as src-tauri emits them. */
export const EVENTS = {
  changed: "rolecall://changed",
  mfaRequest: "rolecall://mfa-request",
} as const;

async function on<T>(event: string, handler: (payload: T) => void): Promise<Unlisten> {
  let unlisten: UnlistenFn;
  try {
    unlisten = await listen<T>(event, (e) => handler(e.payload));
  } catch (e) {
    throw toIpcError(e);
  }
  return () => {
    void Promise.resolve()
      .then(unlisten)
      .catch(() => undefined);
  };
}

/** Sources, favourites or sessions changed: refetch what is shown. */
export const onChanged = (handler: () => void) => on<unknown>(EVENTS.changed, () => handler());

/** A new MFA request; it replaces any request shown. */
export const onMfaRequest = (handler: (request: MfaRequest) => void) => on<MfaRequest>(EVENTS.mfaRequest, handler);
