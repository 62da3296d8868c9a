// The Add source form: IAM user keys (stored in the keychain) or an existing AWS profile.
// The secret access key is write-only: it is read from its field once, sent with `add_source`,
// and the field is emptied as soon as that call resolves or rejects.

import { h, showError, withBusy } from "../dom";
import { addSource, toIpcError, type SourceInput, type SourceView } from "../ipc";
import { FormValidator } from "../validation";
import { formRow, messageFor, section, textInput } from "./form";

export interface SourceFormOptions {
  onDone: (added: SourceView | null) => void;
  validateDelayMs?: number;
}

export function sourceForm(options: SourceFormOptions): HTMLFormElement {
  const save = h("button", { id: "src-save", type: "submit", class: "primary", text: "Add", disabled: true });
  const validator = new FormValidator(save, options.validateDelayMs);

  const name = textInput("src-name", "name", "work");
  const kindKeys = h("input", { id: "src-kind-keys", type: "radio", name: "kind", value: "keychain", checked: true });
  const kindProfile = h("input", { id: "src-kind-profile", type: "radio", name: "kind", value: "aws_profile" });
  const kind = h(
    "div",
    { class: "segmented", role: "radiogroup", attrs: { "aria-label": "Credentials" } },
    h("label", { class: "check" }, kindKeys, " Keys"),
    h("label", { class: "check" }, kindProfile, " AWS profile"),
  );
  const accessKeyId = textInput("src-access-key-id", "accessKeyId", "AKIA…");
  const secret = h("input", {
    id: "src-secret",
    name: "secretAccessKey",
    type: "password",
    attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "off", autocorrect: "off" },
  });
  const awsProfile = textInput("src-aws-profile", "awsProfile", "corp-sso");
  const mfaSerial = textInput("src-mfa-serial", "mfaSerial", "arn:aws:iam::123456789012:mfa/alice");
  const verify = h("input", { id: "src-verify", name: "verify", type: "checkbox", checked: true });
  const error = h("div", { id: "src-form-error", class: "form-error", testid: "src-form-error", hidden: true });
  const cancel = h("button", { id: "src-cancel", type: "button", text: "Cancel" });

  const keysRows = [
    formRow("Access key ID", accessKeyId),
    formRow("Secret access key", secret, { hint: "Kept in the OS keychain. rolecall never shows it again." }),
  ];
  const profileRows = [formRow("AWS profile", awsProfile, { hint: "Any profile the AWS CLI can use: keys, SSO, credential_process." })];

  const form = h(
    "form",
    { id: "src-form", class: "form", attrs: { novalidate: "", autocomplete: "off" } },
    h(
      "div",
      { class: "form-body" },
      h("h2", { class: "form-title", text: "Add source" }),
      section(
        "Source",
        formRow("Name", name),
        formRow("Credentials", kind),
        ...keysRows,
        ...profileRows,
        formRow("MFA device", mfaSerial, { hint: "The ARN of the MFA device, if your roles need one." }),
        formRow("", h("label", { class: "check" }, verify, " Verify with AWS (GetCallerIdentity)"), { bare: true }),
      ),
    ),
    h("div", { class: "form-footer" }, error, h("div", { class: "form-actions" }, cancel, save)),
  );

  const usesKeys = () => kindKeys.checked;
  const clearSecret = () => {
    secret.value = "";
    validator.refresh();
  };
  const showKind = () => {
    for (const row of keysRows) row.hidden = !usesKeys();
    for (const row of profileRows) row.hidden = usesKeys();
    if (!usesKeys()) clearSecret();
    validator.refresh();
  };
  kindKeys.addEventListener("change", showKind);
  kindProfile.addEventListener("change", showKind);

  validator.add(name, { field: "name", required: true, message: messageFor(name) });
  validator.add(accessKeyId, { field: "accessKeyId", required: true, when: usesKeys, message: messageFor(accessKeyId) });
  // The secret is never sent anywhere but add_source: it is only checked for being there.
  validator.add(secret, { required: true, when: usesKeys, message: messageFor(secret) });
  validator.add(awsProfile, { field: "awsProfile", required: true, when: () => !usesKeys(), message: messageFor(awsProfile) });
  validator.add(mfaSerial, { field: "mfaSerial", message: messageFor(mfaSerial) });
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
      const keys = usesKeys();
      const input: SourceInput = {
        name: name.value.trim(),
        accessKeyId: keys ? accessKeyId.value.trim() : null,
        secretAccessKey: keys ? secret.value.trim() : null,
        awsProfile: keys ? null : awsProfile.value.trim(),
        mfaSerial: mfaSerial.value.trim() || null,
        verify: verify.checked,
      };
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

  queueMicrotask(() => name.focus());
  return form;
}
