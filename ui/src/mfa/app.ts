// The MFA window: one six-digit field for the request src-tauri is waiting on. Enter submits,
// Esc cancels, a refused code shows why and empties the field for another try. A new
// `rolecall://mfa-request` replaces the request shown.

import { h, showError } from "../dom";
import { cancelMfa, mfaPending, onMfaRequest, submitMfa, toIpcError, type MfaRequest, type Unlisten } from "../ipc";

export interface MfaApp {
  /** The request shown, if any. */
  current(): MfaRequest | null;
  destroy(): void;
}

const CODE_LENGTH = 6;

export async function mountMfa(root: HTMLElement): Promise<MfaApp> {
  const favourite = h("strong", { id: "mfa-favourite" });
  const prompt = h("p", { id: "mfa-prompt", class: "mfa-prompt" }, "Enter the code from your MFA device for ", favourite);
  const device = h("p", { id: "mfa-device", class: "mfa-device mono muted" });
  const code = h("input", {
    id: "mfa-code",
    name: "code",
    type: "text",
    attrs: {
      inputmode: "numeric",
      autocomplete: "one-time-code",
      maxlength: String(CODE_LENGTH),
      pattern: "[0-9]*",
      autofocus: "",
      placeholder: "6-digit code",
      spellcheck: "false",
      "aria-label": "MFA code",
    },
  });
  const error = h("div", { id: "mfa-error", class: "form-error", testid: "mfa-error", hidden: true });
  const cancel = h("button", { id: "mfa-cancel", type: "button", text: "Cancel" });
  const submit = h("button", { id: "mfa-submit", type: "submit", class: "primary", text: "Continue", disabled: true });
  const form = h(
    "form",
    { id: "mfa-form", class: "mfa-form", hidden: true, attrs: { novalidate: "", autocomplete: "off" } },
    prompt,
    device,
    code,
    error,
    h("div", { class: "form-actions" }, cancel, submit),
  );
  const idle = h("div", { id: "mfa-idle", class: "mfa-idle", hidden: true }, h("p", { id: "mfa-idle-text", text: "" }));
  root.replaceChildren(h("div", { class: "mfa" }, form, idle));

  let request: MfaRequest | null = null;
  let busy = false;

  const refresh = () => {
    code.disabled = busy || request === null;
    cancel.disabled = busy || request === null;
    submit.disabled = busy || request === null || code.value.length !== CODE_LENGTH;
  };

  const showRequest = (next: MfaRequest | null, idleText = "No MFA code is needed right now.") => {
    request = next;
    busy = false;
    code.value = "";
    showError(error, null);
    form.hidden = next === null;
    idle.hidden = next !== null;
    idle.querySelector("p")!.textContent = idleText;
    if (next) {
      favourite.textContent = next.favourite;
      device.textContent = next.device;
      device.title = next.device;
    }
    refresh();
    if (next) code.focus();
  };

  // Only digits, at most six: typed, pasted ("123 456") or dropped.
  code.addEventListener("input", () => {
    const digits = code.value.replace(/\D/g, "").slice(0, CODE_LENGTH);
    if (digits !== code.value) code.value = digits;
    refresh();
  });

  const doSubmit = async () => {
    const shown = request;
    const value = code.value;
    if (!shown || busy || !/^\d{6}$/.test(value)) return;
    busy = true;
    showError(error, null);
    refresh();
    try {
      await submitMfa(shown.requestId, value);
      if (request !== shown) return;
      let next: MfaRequest | null = null;
      try {
        next = await mfaPending();
      } catch {
        next = null;
      }
      if (request !== shown) return;
      showRequest(next && next.requestId !== shown.requestId ? next : null, "Code accepted.");
    } catch (e) {
      if (request !== shown) return;
      busy = false;
      code.value = "";
      showError(error, toIpcError(e));
      refresh();
      code.focus();
    }
  };

  const doCancel = async () => {
    const shown = request;
    if (!shown || busy) return;
    busy = true;
    refresh();
    try {
      await cancelMfa(shown.requestId);
      if (request === shown) showRequest(null, "Cancelled.");
    } catch (e) {
      if (request !== shown) return;
      busy = false;
      showError(error, toIpcError(e));
      refresh();
    }
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void doSubmit();
  });
  cancel.addEventListener("click", () => void doCancel());
  // Enter submits explicitly rather than through implicit form submission, which not every
  // webview does for a form with a disabled submit button.
  code.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void doSubmit();
    }
  });
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      void doCancel();
    }
  };
  document.addEventListener("keydown", onKey);

  let unlisten: Unlisten | null = null;
  try {
    unlisten = await onMfaRequest((next) => showRequest(next));
  } catch {
    // Without events the window still shows the request pending when it opened.
  }
  try {
    const pending = await mfaPending();
    // An event that arrived meanwhile is newer than this answer.
    if (request === null) showRequest(pending);
  } catch (e) {
    showRequest(null);
    idle.append(h("div", { class: "form-error" }));
    showError(idle.lastElementChild as HTMLElement, toIpcError(e));
  }

  return {
    current: () => request,
    destroy: () => {
      unlisten?.();
      document.removeEventListener("keydown", onKey);
    },
  };
}
