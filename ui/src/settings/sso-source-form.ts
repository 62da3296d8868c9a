// The Add IAM Identity Center form: a name, and the access portal's start URL and region or an
// [sso-session] of ~/.aws/config (offered when the file has some), the portal session's length
// and whether the sign-in is shared with the AWS CLI. No secret is typed here: the sign-in comes
// after, in the browser. Its fields are declared once in SSO_SOURCE_FIELDS.

import { h, showError, withBusy } from "../dom";
import { addSsoSource, toIpcError, type SourceView, type SsoSessionView } from "../ipc";
import { FormValidator } from "../validation";
import { buildForm, checkbox, select, text, type BuiltForm, type Control, type FieldTable } from "./field-table";

export interface SsoSourceFormOptions {
  /** The `[sso-session]` blocks of ~/.aws/config. */
  sessions: SsoSessionView[];
  onDone: (added: SourceView | null) => void;
  validateDelayMs?: number;
}

/** Where the portal's settings come from. */
export type SsoOrigin = "url" | "session";

/** What the form holds. */
export interface SsoSourceFields {
  name: string;
  origin: SsoOrigin;
  startUrl: string;
  region: string;
  ssoSession: string;
  sessionHours: string;
  shareWithAwsCli: boolean;
}

type Built = BuiltForm<SsoSourceFields>;

const byUrl = (form: Built) => form.controls.origin.read() === "url";

/** The form, one field per value: its row, its inline check and what it reads. */
export const SSO_SOURCE_FIELDS: FieldTable<SsoSourceFields, SsoSessionView[]> = {
  name: { id: "sso-name", section: "IAM Identity Center", label: "Name", check: "name", required: true, control: text({ placeholder: "corp" }) },
  origin: { section: "IAM Identity Center", label: "Portal", control: originChoice },
  startUrl: {
    id: "sso-start-url",
    section: "IAM Identity Center",
    label: "Start URL",
    hint: "The AWS access portal URL your organisation gave you.",
    check: "startUrl",
    required: true,
    when: byUrl,
    // The scheme is left out of the placeholder: src/ holds no URL (tests/boundaries.test.ts).
    control: text({ placeholder: "my-org.awsapps.com/start (https)" }),
  },
  region: {
    id: "sso-region",
    section: "IAM Identity Center",
    label: "Region",
    hint: "Where your organisation's IAM Identity Center is.",
    check: "region",
    required: true,
    when: byUrl,
    control: text({ placeholder: "eu-west-1" }),
  },
  ssoSession: {
    id: "sso-session",
    section: "IAM Identity Center",
    label: "sso-session",
    hint: "Its start URL and region are read from ~/.aws/config.",
    required: true,
    when: (form) => !byUrl(form),
    control: select({ make: sessionSelect }),
  },
  sessionHours: {
    id: "sso-session-hours",
    section: "Sign-in",
    label: "Session length",
    hint: "Hours a sign-in lasts, as your organisation set it (8 unless changed).",
    check: "sessionHours",
    control: text({ placeholder: "8" }),
  },
  shareWithAwsCli: {
    id: "sso-share",
    section: "Sign-in",
    label: "",
    hint: "The AWS CLI and SDKs then use the sign-in too (~/.aws/sso/cache).",
    control: checkbox({ text: "Share the sign-in with the AWS CLI", checked: () => false }),
  },
};

/** A start URL and region, or an [sso-session] (offered only when there is one). */
function originChoice(sessions: SsoSessionView[]): Control<SsoOrigin> {
  const url = h("input", { id: "sso-origin-url", type: "radio", name: "origin", value: "url", checked: true });
  const session = h("input", {
    id: "sso-origin-session",
    type: "radio",
    name: "origin",
    value: "session",
    disabled: sessions.length === 0,
  });
  const element = h(
    "div",
    { class: "segmented", role: "radiogroup", attrs: { "aria-label": "Portal" } },
    h("label", { class: "check" }, url, " Start URL"),
    h(
      "label",
      { class: "check", title: sessions.length ? "" : "~/.aws/config has no [sso-session] block" },
      session,
      " sso-session of ~/.aws/config",
    ),
  );
  return { element, read: () => (session.checked ? "session" : "url") };
}

function sessionSelect(sessions: SsoSessionView[], { id, name }: { id: string; name: string }): HTMLSelectElement {
  return h(
    "select",
    { id, name },
    ...sessions.map((s) =>
      h("option", {
        value: s.name,
        text: [s.name, s.startUrl, s.region].filter(Boolean).join(" · "),
      }),
    ),
  );
}

export function ssoSourceForm(options: SsoSourceFormOptions): HTMLFormElement {
  const save = h("button", { id: "sso-save", type: "submit", class: "primary", text: "Add", disabled: true });
  const validator = new FormValidator(save, options.validateDelayMs);
  const fields = buildForm(SSO_SOURCE_FIELDS, { context: options.sessions, validator });
  const error = h("div", { id: "sso-form-error", class: "form-error", testid: "sso-form-error", hidden: true });
  const cancel = h("button", { id: "sso-cancel", type: "button", text: "Cancel" });
  const form = h(
    "form",
    { id: "sso-form", class: "form", attrs: { novalidate: "", autocomplete: "off" } },
    h("div", { class: "form-body" }, h("h2", { class: "form-title", text: "Add IAM Identity Center" }), ...fields.sections),
    h("div", { class: "form-footer" }, error, h("div", { class: "form-actions" }, cancel, save)),
  );

  fields.controls.origin.element.addEventListener("change", () => {
    fields.refresh();
    validator.refresh();
  });
  cancel.addEventListener("click", () => options.onDone(null));
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
      const v = fields.read();
      const url = v.origin === "url";
      try {
        const added = await addSsoSource({
          name: v.name,
          startUrl: url ? v.startUrl : "",
          region: url ? v.region : "",
          ssoSession: url ? null : v.ssoSession,
          sessionHours: v.sessionHours,
          shareWithAwsCli: v.shareWithAwsCli,
        });
        options.onDone(added);
      } catch (err) {
        showError(error, toIpcError(err));
      }
    }).finally(() => validator.refresh());
  });
  queueMicrotask(() => fields.controls.name.input?.focus());
  return form;
}
