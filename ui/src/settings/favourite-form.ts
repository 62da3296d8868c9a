// The Add/Edit favourite form: every field of FavouriteInput, checked inline by the core,
// declared once in FAVOURITE_FIELDS.

import { h, showError, withBusy } from "../dom";
import { durationText } from "../format";
import {
  saveFavourite,
  toIpcError,
  type Delivery,
  type FavouriteInput,
  type FavouriteView,
  type Preferences,
  type SourceView,
} from "../ipc";
import { FormValidator } from "../validation";
import { buildForm, checkbox, list, select, text, type ControlSlot, type FieldTable } from "./field-table";

export interface FavouriteFormOptions {
  /** The favourite being edited, or null to add one. */
  editing: FavouriteView | null;
  sources: SourceView[];
  favourites: FavouriteView[];
  /** The preferences the Expiry fields fall back on, for their placeholders; null if unknown. */
  preferences: Preferences | null;
  /** Called with the saved favourite, or null on Cancel. */
  onDone: (saved: FavouriteView | null) => void;
  /** Debounce of the inline checks, in ms. */
  validateDelayMs?: number;
}

/** What the favourite form is opened with. */
type Context = FavouriteFormOptions;

const editing = (c: Context) => c.editing;

/**
 * The favourite form, one field per key of `FavouriteInput`: its row, its inline check and the
 * value it sends all come from here.
 */
export const FAVOURITE_FIELDS: FieldTable<FavouriteInput, Context> = {
  name: {
    id: "fav-name",
    section: "Role",
    label: "Name",
    check: "name",
    required: true,
    control: text({ placeholder: "prod-admin", value: (c) => editing(c)?.name ?? "" }),
  },
  arn: {
    id: "fav-arn",
    section: "Role",
    label: "Role ARN",
    check: "arn",
    required: true,
    control: text({ placeholder: "arn:aws:iam::123456789012:role/Admin", value: (c) => editing(c)?.arn ?? "" }),
  },
  source: {
    id: "fav-source",
    section: "Role",
    label: "Source",
    hint: "A source's keys, or another favourite to chain from.",
    required: true,
    control: select({ make: (c, slot) => sourceSelect(c, slot) }),
  },
  profile: {
    id: "fav-profile",
    section: "Role",
    label: "Profile",
    hint: "The ~/.aws/credentials profile rolecall writes.",
    check: "profile",
    control: text({
      placeholder: "same as name",
      value: (c) => {
        const f = editing(c);
        return f && f.profile !== f.name ? f.profile : "";
      },
    }),
  },
  mfa: {
    id: "fav-mfa",
    section: "Role",
    label: "",
    control: checkbox({ text: "Ask for an MFA code", checked: (c) => editing(c)?.mfa ?? false }),
  },
  duration: {
    id: "fav-duration",
    section: "Session",
    label: "Duration",
    hint: "3600, 45m, 1h or 1h30m; chained roles at most 1h.",
    check: "duration",
    control: text({
      placeholder: "1h",
      value: (c) => {
        const f = editing(c);
        return f ? durationText(f.durationSecs) : "";
      },
    }),
  },
  region: {
    id: "fav-region",
    section: "Session",
    label: "Region",
    check: "region",
    control: text({ placeholder: "the partition's default", value: (c) => editing(c)?.region ?? "" }),
  },
  delivery: {
    id: "fav-delivery",
    section: "Session",
    label: "Credentials",
    hint: "Served: no secret on disk; AWS tools run `rolecall credentials` through the profile's credential_process.",
    control: select({
      make: (c, slot) => deliverySelect(editing(c), c.preferences, slot),
      read: (value): Delivery => (value === "process" ? "process" : "file"),
    }),
  },
  sessionName: {
    id: "fav-session-name",
    section: "Session",
    label: "Session name",
    check: "sessionName",
    control: text({ placeholder: "from your identity", value: (c) => editing(c)?.sessionName ?? "" }),
  },
  externalId: {
    id: "fav-external-id",
    section: "Session",
    label: "External ID",
    check: "externalId",
    control: text({ placeholder: "none", value: (c) => editing(c)?.externalId ?? "" }),
  },
  sourceIdentity: {
    id: "fav-source-identity",
    section: "Session",
    label: "Source identity",
    check: "sourceIdentity",
    control: text({ placeholder: "none", value: (c) => editing(c)?.sourceIdentity ?? "" }),
  },
  autoRenew: {
    id: "fav-auto-renew",
    section: "Expiry",
    label: "Auto-renew",
    hint: (c) =>
      c.preferences ? `Renew shortly before expiry; the preference is ${c.preferences.autoRenew ? "on" : "off"}.` : undefined,
    control: select({
      make: (c, slot) => autoRenewSelect(editing(c), slot),
      read: (value) => AUTO_RENEW_VALUES[value as AutoRenewChoice] ?? null,
    }),
  },
  notifyBefore: {
    id: "fav-notify-before",
    section: "Expiry",
    label: "Notify before",
    check: "notifyBefore",
    control: text({
      placeholder: (c) => preferencePlaceholder(c.preferences?.notifyBeforeMinutes),
      value: (c) => editing(c)?.notifyBefore ?? "",
    }),
  },
  renewBefore: {
    id: "fav-renew-before",
    section: "Expiry",
    label: "Renew before",
    hint: "10m, 14m55s, 90s or 1h; at most half the session applies.",
    check: "renewBefore",
    control: text({
      placeholder: (c) => preferencePlaceholder(c.preferences?.renewBeforeMinutes),
      value: (c) => editing(c)?.renewBefore ?? "",
    }),
  },
  tags: {
    section: "Tags and policies",
    label: "Tags",
    control: list({
      field: "tag",
      placeholder: "key=value",
      addLabel: "Add tag",
      testPrefix: "fav-tag",
      values: (c) => editing(c)?.tags.map((t) => `${t.key}=${t.value}`) ?? [],
    }),
  },
  transitiveTags: {
    section: "Tags and policies",
    label: "Transitive tags",
    control: list({
      field: "transitiveTag",
      placeholder: "tag key",
      addLabel: "Add transitive tag",
      testPrefix: "fav-ttag",
      values: (c) => editing(c)?.transitiveTags ?? [],
    }),
  },
  policyArns: {
    section: "Tags and policies",
    label: "Policy ARNs",
    control: list({
      field: "policyArn",
      placeholder: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      addLabel: "Add policy",
      testPrefix: "fav-policy",
      values: (c) => editing(c)?.policyArns ?? [],
    }),
  },
};

export function favouriteForm(options: FavouriteFormOptions): HTMLFormElement {
  const f = options.editing;
  const save = h("button", { id: "fav-save", type: "submit", class: "primary", text: f ? "Save" : "Add", disabled: true });
  const validator = new FormValidator(save, options.validateDelayMs);
  const fields = buildForm(FAVOURITE_FIELDS, { context: options, validator, after: { Expiry: leadNotes(f) } });

  const error = h("div", { id: "fav-form-error", class: "form-error", testid: "fav-form-error", hidden: true });
  const cancel = h("button", { id: "fav-cancel", type: "button", text: "Cancel", on: { click: () => options.onDone(null) } });
  const form = h(
    "form",
    { id: "fav-form", class: "form", attrs: { novalidate: "" } },
    h("div", { class: "form-body" }, h("h2", { class: "form-title", text: f ? `Edit ${f.name}` : "Add favourite" }), ...fields.sections),
    h("div", { class: "form-footer" }, error, h("div", { class: "form-actions" }, cancel, save)),
  );
  validator.refresh();

  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      options.onDone(null);
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (save.disabled) return;
    void withBusy(save, async () => {
      showError(error, null);
      if (!(await validator.flush())) return;
      try {
        const saved = await saveFavourite(fields.read(), f ? f.name : null);
        options.onDone(saved);
      } catch (err) {
        showError(error, toIpcError(err));
      }
    }).finally(() => validator.refresh());
  });

  queueMicrotask(() => fields.controls.name.input?.focus());
  return form;
}

/** The saved favourite's clamped leads, said under the Expiry fields. */
function leadNotes(f: FavouriteView | null): HTMLElement[] {
  if (!f || f.leadNotes.length === 0) return [];
  const text = `Clamped: ${f.leadNotes.join("; ")}. rolecall never warns or renews in the first half of a session.`;
  return [h("div", { id: "fav-lead-notes", class: "field-hint warn", testid: "fav-lead-notes", attrs: { role: "note" }, text })];
}

type AutoRenewChoice = "preference" | "on" | "off";

/** The Auto-renew select's option values and what each sends. */
const AUTO_RENEW_VALUES: Record<AutoRenewChoice, boolean | null> = { preference: null, on: true, off: false };

function autoRenewSelect(f: FavouriteView | null, { id, name }: ControlSlot): HTMLSelectElement {
  const menu = h(
    "select",
    { id, name },
    h("option", { value: "preference", text: "As in preferences" }),
    h("option", { value: "on", text: "On" }),
    h("option", { value: "off", text: "Off" }),
  );
  const own = f?.autoRenew ?? null;
  menu.value = own === null ? "preference" : own ? "on" : "off";
  return menu;
}

/** A new favourite starts as the preference "Never write secrets to disk" says. */
function deliverySelect(f: FavouriteView | null, prefs: Preferences | null, { id, name }: ControlSlot): HTMLSelectElement {
  const menu = h(
    "select",
    { id, name },
    h("option", { value: "file", text: "Written to ~/.aws/credentials" }),
    h("option", { value: "process", text: "Served on request (credential_process)" }),
  );
  menu.value = f?.delivery ?? (prefs?.neverWriteSecrets ? "process" : "file");
  return menu;
}

/** "10m (preference)" for a lead time the field falls back on, given in minutes. */
function preferencePlaceholder(minutes: number | undefined): string {
  return minutes === undefined ? "the preference" : `${durationText(minutes * 60)} (preference)`;
}

function sourceSelect(options: FavouriteFormOptions, { id, name }: ControlSlot): HTMLSelectElement {
  const f = options.editing;
  const menu = h("select", { id, name });
  menu.append(h("option", { value: "", text: "Choose…", disabled: true }));
  const sources = h("optgroup", { attrs: { label: "Sources" } });
  for (const s of options.sources) sources.append(h("option", { value: s.name, text: s.name }));
  const chained = h("optgroup", { attrs: { label: "Favourites (chain)" } });
  for (const other of options.favourites) {
    if (other.name !== f?.name) chained.append(h("option", { value: other.name, text: other.name }));
  }
  if (sources.children.length) menu.append(sources);
  if (chained.children.length) menu.append(chained);
  const known = [...menu.options].some((o) => o.value === f?.source);
  if (f && !known) {
    // A source that is gone still shows, so editing does not silently change it.
    menu.append(h("option", { value: f.source, text: `${f.source} (missing)` }));
  }
  menu.value = f?.source ?? "";
  return menu;
}
