// The Add/Edit favourite form: every field of FavouriteInput, checked inline by the core.

import { h, showError, withBusy } from "../dom";
import { durationText } from "../format";
import {
  saveFavourite,
  toIpcError,
  type FavouriteInput,
  type FavouriteView,
  type Preferences,
  type SourceView,
} from "../ipc";
import { FormValidator } from "../validation";
import { formRow, ListEditor, messageFor, section, textInput } from "./form";

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

export function favouriteForm(options: FavouriteFormOptions): HTMLFormElement {
  const f = options.editing;
  const save = h("button", { id: "fav-save", type: "submit", class: "primary", text: f ? "Save" : "Add", disabled: true });
  const validator = new FormValidator(save, options.validateDelayMs);

  const name = textInput("fav-name", "name", "prod-admin", f?.name);
  const arn = textInput("fav-arn", "arn", "arn:aws:iam::123456789012:role/Admin", f?.arn);
  const source = sourceSelect(options, f);
  const profile = textInput("fav-profile", "profile", "same as name", f && f.profile !== f.name ? f.profile : "");
  const mfa = h("input", { id: "fav-mfa", name: "mfa", type: "checkbox", checked: f?.mfa ?? false });
  const duration = textInput("fav-duration", "duration", "1h", f ? durationText(f.durationSecs) : "");
  const region = textInput("fav-region", "region", "the partition's default", f?.region ?? "");
  const sessionName = textInput("fav-session-name", "sessionName", "from your identity", f?.sessionName ?? "");
  const externalId = textInput("fav-external-id", "externalId", "none", f?.externalId ?? "");
  const sourceIdentity = textInput("fav-source-identity", "sourceIdentity", "none", f?.sourceIdentity ?? "");
  const prefs = options.preferences;
  const autoRenew = autoRenewSelect(f);
  const notifyBefore = textInput(
    "fav-notify-before",
    "notifyBefore",
    preferencePlaceholder(prefs?.notifyBeforeMinutes),
    f?.notifyBefore ?? "",
  );
  const renewBefore = textInput(
    "fav-renew-before",
    "renewBefore",
    preferencePlaceholder(prefs?.renewBeforeMinutes),
    f?.renewBefore ?? "",
  );

  const error = h("div", { id: "fav-form-error", class: "form-error", testid: "fav-form-error", hidden: true });

  const form = h("form", { id: "fav-form", class: "form", attrs: { novalidate: "" } });
  const tags = new ListEditor({
    name: "tags",
    field: "tag",
    placeholder: "key=value",
    addLabel: "Add tag",
    testPrefix: "fav-tag",
    values: f?.tags.map((t) => `${t.key}=${t.value}`) ?? [],
    validator,
  });
  const transitiveTags = new ListEditor({
    name: "transitiveTags",
    field: "transitiveTag",
    placeholder: "tag key",
    addLabel: "Add transitive tag",
    testPrefix: "fav-ttag",
    values: f?.transitiveTags ?? [],
    validator,
  });
  const policyArns = new ListEditor({
    name: "policyArns",
    field: "policyArn",
    placeholder: "arn:aws:iam::aws:policy/ReadOnlyAccess",
    addLabel: "Add policy",
    testPrefix: "fav-policy",
    values: f?.policyArns ?? [],
    validator,
  });

  const cancel = h("button", { id: "fav-cancel", type: "button", text: "Cancel", on: { click: () => options.onDone(null) } });

  form.append(
    h(
      "div",
      { class: "form-body" },
      h("h2", { class: "form-title", text: f ? `Edit ${f.name}` : "Add favourite" }),
      section(
        "Role",
        formRow("Name", name),
        formRow("Role ARN", arn),
        formRow("Source", source, { hint: "A source's keys, or another favourite to chain from." }),
        formRow("Profile", profile, { hint: "The ~/.aws/credentials profile rolecall writes." }),
        formRow("", h("label", { class: "check" }, mfa, " Ask for an MFA code"), { bare: true }),
      ),
      section(
        "Session",
        formRow("Duration", duration, { hint: "3600, 45m, 1h or 1h30m; chained roles at most 1h." }),
        formRow("Region", region),
        formRow("Session name", sessionName),
        formRow("External ID", externalId),
        formRow("Source identity", sourceIdentity),
      ),
      section(
        "Expiry",
        formRow("Auto-renew", autoRenew, {
          hint: prefs ? `Renew shortly before expiry; the preference is ${prefs.autoRenew ? "on" : "off"}.` : undefined,
        }),
        formRow("Notify before", notifyBefore),
        formRow("Renew before", renewBefore, {
          hint: "10m, 14m55s, 90s or 1h; at most half the session applies.",
        }),
        ...leadNotes(f),
      ),
      section(
        "Tags and policies",
        formRow("Tags", tags.element),
        formRow("Transitive tags", transitiveTags.element),
        formRow("Policy ARNs", policyArns.element),
      ),
    ),
    h("div", { class: "form-footer" }, error, h("div", { class: "form-actions" }, cancel, save)),
  );

  validator.add(name, { field: "name", required: true, message: messageFor(name) });
  validator.add(arn, { field: "arn", required: true, message: messageFor(arn) });
  validator.add(source, { required: true, message: messageFor(source) });
  validator.add(profile, { field: "profile", message: messageFor(profile) });
  validator.add(duration, { field: "duration", message: messageFor(duration) });
  validator.add(region, { field: "region", message: messageFor(region) });
  validator.add(sessionName, { field: "sessionName", message: messageFor(sessionName) });
  validator.add(externalId, { field: "externalId", message: messageFor(externalId) });
  validator.add(sourceIdentity, { field: "sourceIdentity", message: messageFor(sourceIdentity) });
  validator.add(notifyBefore, { field: "notifyBefore", message: messageFor(notifyBefore) });
  validator.add(renewBefore, { field: "renewBefore", message: messageFor(renewBefore) });
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
      const input: FavouriteInput = {
        name: name.value.trim(),
        arn: arn.value.trim(),
        source: source.value,
        profile: profile.value.trim(),
        duration: duration.value.trim(),
        sessionName: sessionName.value.trim(),
        externalId: externalId.value.trim(),
        mfa: mfa.checked,
        region: region.value.trim(),
        tags: tags.values(),
        transitiveTags: transitiveTags.values(),
        sourceIdentity: sourceIdentity.value.trim(),
        policyArns: policyArns.values(),
        autoRenew: AUTO_RENEW_VALUES[autoRenew.value as AutoRenewChoice] ?? null,
        notifyBefore: notifyBefore.value.trim(),
        renewBefore: renewBefore.value.trim(),
      };
      try {
        const saved = await saveFavourite(input, f ? f.name : null);
        options.onDone(saved);
      } catch (err) {
        showError(error, toIpcError(err));
      }
    }).finally(() => validator.refresh());
  });

  queueMicrotask(() => name.focus());
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

function autoRenewSelect(f: FavouriteView | null): HTMLSelectElement {
  const select = h(
    "select",
    { id: "fav-auto-renew", name: "autoRenew" },
    h("option", { value: "preference", text: "As in preferences" }),
    h("option", { value: "on", text: "On" }),
    h("option", { value: "off", text: "Off" }),
  );
  const own = f?.autoRenew ?? null;
  select.value = own === null ? "preference" : own ? "on" : "off";
  return select;
}

/** "10m (preference)" for a lead time the field falls back on, given in minutes. */
function preferencePlaceholder(minutes: number | undefined): string {
  return minutes === undefined ? "the preference" : `${durationText(minutes * 60)} (preference)`;
}

function sourceSelect(options: FavouriteFormOptions, f: FavouriteView | null): HTMLSelectElement {
  const select = h("select", { id: "fav-source", name: "source" });
  select.append(h("option", { value: "", text: "Choose…", disabled: true }));
  const sources = h("optgroup", { attrs: { label: "Sources" } });
  for (const s of options.sources) sources.append(h("option", { value: s.name, text: s.name }));
  const chained = h("optgroup", { attrs: { label: "Favourites (chain)" } });
  for (const other of options.favourites) {
    if (other.name !== f?.name) chained.append(h("option", { value: other.name, text: other.name }));
  }
  if (sources.children.length) select.append(sources);
  if (chained.children.length) select.append(chained);
  const known = [...select.options].some((o) => o.value === f?.source);
  if (f && !known) {
    // A source that is gone still shows, so editing does not silently change it.
    select.append(h("option", { value: f.source, text: `${f.source} (missing)` }));
  }
  select.value = f?.source ?? "";
  return select;
}
