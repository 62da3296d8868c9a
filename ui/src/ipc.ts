// The one file of the UI that talks to Tauri: every command and event of the contract with
// src-tauri, typed, and every failure normalised into `{ code, message }`.
// Nothing else in ui/src may import `@tauri-apps/api`.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * What every failed command rejects with: a stable code and a message safe to show. rolecall's
 * own rejections are an `ErrorDto` (its code an `ErrorCode`); anything else gets `ipc.error`.
 */
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

/** A channel of one call: src-tauri sends on it, in order, only to the caller. */
function channel<T>(handler: (message: T) => void): Channel<T> {
  const c = new Channel<T>();
  c.onmessage = handler;
  return c;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return (await invoke<T>(cmd, args)) as T;
  } catch (e) {
    throw toIpcError(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Types of the contract: generated from src-tauri/src/dto.rs into ./ipc-types (never edited by
// hand; only this file imports it), re-exported here under the names the UI uses.

import type {
  AppInfo,
  DeviceSignIn,
  FavouriteInput,
  FavouriteView,
  Field,
  ImportCandidate,
  MfaRequest,
  NewSourceInput,
  NewSsoSourceInput,
  PortalListing,
  PortalPickInput,
  DiscoveryProgressView,
  PreferencesDto,
  ConversionView,
  SourceView,
  SsoSessionView,
} from "./ipc-types";

export type {
  AppInfo,
  DeliveryView as Delivery,
  DeviceSignIn,
  DeviceSignInState,
  ErrorCode,
  ErrorDto,
  FavouriteInput,
  FavouriteView,
  ImportCandidate,
  MfaRequest,
  SessionStateView as SessionState,
  SessionView,
  SourceKindView as SourceKind,
  SourceView,
  TagView,
  NewSsoSourceInput,
  SsoSourceState,
  SsoSessionView,
  PortalListing,
  PortalAccountView,
  PortalRoleView,
  PortalPickInput as PortalPick,
  DiscoveryProgressView as DiscoveryProgress,
  ConversionView as Conversion,
} from "./ipc-types";

/** A new source as the form sends it; the secret goes UI → Rust once. */
export type SourceInput = NewSourceInput;

/** The fields `validate_field` knows. */
export type FieldName = Field;

/** The preferences, as the Preferences tab edits them. */
export type Preferences = PreferencesDto;

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
/** The favourites that still write their sessions into ~/.aws/credentials. */
export const fileFavourites = () => call<string[]>("file_favourites");
/** Serves those favourites through credential_process (all but the default profile's). */
export const convertFavourites = () => call<ConversionView>("convert_favourites");

export const importCandidates = () => call<ImportCandidate[]>("import_candidates");
/** Imports these `~/.aws/config` profiles; resolves with the names of the favourites created. */
export const importProfiles = (profiles: string[]) => call<string[]>("import_profiles", { profiles });

export const addSsoSource = (input: NewSsoSourceInput) => call<SourceView>("add_sso_source", { input });
/** The `[sso-session]` blocks of ~/.aws/config. */
export const ssoSessions = () => call<SsoSessionView[]>("sso_sessions");
/** Starts the source's sign-in in the browser; the lists change (`onChanged`) when it is done. */
export const ssoSignIn = (name: string) => call<null>("sso_sign_in", { name });
/** The source's last listing of portal roles, from disk; null when it has none. */
export const portalRoles = (source: string) => call<PortalListing | null>("portal_roles", { source });
/** Lists the source's portal afresh; `onProgress` hears how far it has come. */
export const discoverPortalRoles = (source: string, onProgress: (p: DiscoveryProgressView) => void) =>
  call<PortalListing>("discover_portal_roles", { source, progress: channel(onProgress) });
/** The favourite names `picks` would get with `pattern` ("" = ACCOUNTNAME-ROLENAME). */
export const previewPortalNames = (source: string, picks: PortalPickInput[], pattern: string) =>
  call<string[]>("preview_portal_names", { source, picks, pattern });
/** Makes each pick a favourite, all or none; resolves with their names. */
export const addPortalFavourites = (source: string, picks: PortalPickInput[], pattern: string) =>
  call<string[]>("add_portal_favourites", { source, picks, pattern });

export const mfaPending = () => call<MfaRequest | null>("mfa_pending");
export const submitMfa = (requestId: string, code: string) => call<null>("submit_mfa", { requestId, code });
export const cancelMfa = (requestId: string) => call<null>("cancel_mfa", { requestId });

/** The device-code sign-in the sign-in window shows, if any. */
export const signinPending = () => call<DeviceSignIn | null>("signin_pending");
/** Opens the page that confirms the code shown, in the default browser. */
export const signinOpenBrowser = (requestId: string) => call<null>("signin_open_browser", { requestId });
export const signinCopyCode = (requestId: string) => call<null>("signin_copy_code", { requestId });
export const signinCancel = (requestId: string) => call<null>("signin_cancel", { requestId });

// ---------------------------------------------------------------------------------------------
// Events

export type Unlisten = () => void;

/** Event names, as src-tauri emits them. */
export const EVENTS = {
  changed: "rolecall://changed",
  mfaRequest: "rolecall://mfa-request",
  signin: "rolecall://signin",
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

/** The device-code sign-in shown changed (a new one, or how it ended). */
export const onSignIn = (handler: (signIn: DeviceSignIn) => void) => on<DeviceSignIn>(EVENTS.signin, handler);
