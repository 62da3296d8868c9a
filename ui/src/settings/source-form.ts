// The Add source form: IAM user keys (stored in the keychain) or an existing AWS profile.
// The secret access key is write-only: it is read from its field once, sent with `add_source`,
// and the field is emptied as soon as that call resolves or rejects. Its fields are declared once
// in SOURCE_FIELDS.

import { h, showError, withBusy } from "../dom";
import { addSource, toIpcError, type SourceInput, type SourceKind, type SourceView } from "../ipc";
import { FormValidator } from "../validation";
import { buildForm, checkbox, text, type BuiltForm, type Control, type FieldTable } from "./field-table";

export interface SourceFormOptions {
  onDone: (added: SourceView | null) => void;
  validateDelayMs?: number;
}

/** What the source form holds: the kind chosen, and every field of either kind. */
export interface SourceFields {
  name: string;
  kind: SourceKind;
  accessKeyId: string;
  /** Read once, on Add, and emptied at once after. */
  secretAccessKey: string;
  awsProfile: string;
  mfaSerial: string;
  verify: boolean;
}

type Built = BuiltForm<SourceFields>;

const usesKeys = (form: Built) => form.controls.kind.read() === "keychain";

/** The source form, one field per value: its row, its inline check and what it reads. */
export const SOURCE_FIELDS: FieldTable<SourceFields, null> = {
  name: { id: "src-name", section: "Source", label: "Name", check: "name", required: true, control: text({ placeholder: "work" }) },
  kind: { section: "Source", label: "Credentials", control: kindChoice },
  accessKeyId: {
    id: "src-access-key-id",
    section: "Source",
    label: "Access key ID",
    check: "accessKeyId",
    required: true,
    when: usesKeys,
    control: text({ placeholder: "AKIA…" }),
  },
  // The secret is never sent anywhere but add_source: it is only checked for being there.
  secretAccessKey: {
    id: "src-secret",
    section: "Source",
    label: "Secret access key",
    hint: "Kept in the OS keychain. rolecall never shows it again.",
    required: true,
    when: usesKeys,
    control: text({ placeholder: "", password: true }),
  },
  awsProfile: {
    id: "src-aws-profile",
    section: "Source",
    label: "AWS profile",
    hint: "Any profile the AWS CLI can use: keys, SSO, credential_process.",
    check: "awsProfile",
    required: true,
    when: (form) => !usesKeys(form),
    control: text({ placeholder: "corp-sso" }),
  },
  mfaSerial: {
    id: "src-mfa-serial",
    section: "Source",
    label: "MFA device",
    hint: "The ARN of the MFA device, if your roles need one.",
    check: "mfaSerial",
    control: text({ placeholder: "arn:aws:iam::123456789012:mfa/alice" }),
  },
  verify: {
    id: "src-verify",
    section: "Source",
    label: "",
    control: checkbox({ text: "Verify with AWS (GetCallerIdentity)", checked: () => true }),
  },
};

/** Keys or an AWS profile, as two radio buttons. */
function kindChoice(): Control<SourceKind> {
  const keys = h("input", { id: "src-kind-keys", type: "radio", name: "kind", value: "keychain", checked: true });
  const profile = h("input", { id: "src-kind-profile", type: "radio", name: "kind", value: "aws_profile" });
  const element = h(
    "div",
    { class: "segmented", role: "radiogroup", attrs: { "aria-label": "Credentials" } },
    h("label", { class: "check" }, keys, " Keys"),
    h("label", { class: "check" }, profile, " AWS profile"),
  );
  return { element, read: () => (keys.checked ? "keychain" : "aws_profile") };
}

export function sourceForm(options: SourceFormOptions): HTMLFormElement {
  const save = h("button", { id: "src-save", type: "submit", class: "primary", text: "Add", disabled: true });
  const validator = new FormValidator(save, options.validateDelayMs);
  const fields = buildForm(SOURCE_FIELDS, { context: null, validator });
  const secret = fields.controls.secretAccessKey.input!;
  const error = h("div", { id: "src-form-error", class: "form-error", testid: "src-form-error", hidden: true });
  const cancel = h("button", { id: "src-cancel", type: "button", text: "Cancel" });

  const form = h(
    "form",
    { id: "src-form", class: "form", attrs: { novalidate: "", autocomplete: "off" } },
    h("div", { class: "form-body" }, h("h2", { class: "form-title", text: "Add source" }), ...fields.sections),
    h("div", { class: "form-footer" }, error, h("div", { class: "form-actions" }, cancel, save)),
  );

  const clearSecret = () => {
    secret.value = "";
    validator.refresh();
  };
  const showKind = () => {
    fields.refresh();
    if (!usesKeys(fields)) clearSecret();
    validator.refresh();
  };
  fields.controls.kind.element.addEventListener("change", showKind);
  showKind();

  const close = (added: SourceView | null) => {
    clearSecret();
    options.onDone(added);
  };
  cancel.addEventListener("click", () => close(null));
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close(null);
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (save.disabled) return;
    void withBusy(save, async () => {
      showError(error, null);
      if (!(await validator.flush())) return;
      let values: SourceFields | null = fields.read();
      const keys = values.kind === "keychain";
      const input: SourceInput = {
        name: values.name,
        accessKeyId: keys ? values.accessKeyId : null,
        secretAccessKey: keys ? values.secretAccessKey : null,
        awsProfile: keys ? null : values.awsProfile,
        mfaSerial: values.mfaSerial || null,
        verify: values.verify,
      };
      values = null;
      let added: SourceView | null = null;
      try {
        added = await addSource(input);
      } catch (err) {
        showError(error, toIpcError(err));
      } finally {
        input.secretAccessKey = null;
        clearSecret();
      }
      if (added) close(added);
      else if (keys) secret.focus();
    }).finally(() => validator.refresh());
  });

  queueMicrotask(() => fields.controls.name.input?.focus());
  return form;
}
