// The MFA window: one six-digit field for the request src-tauri is waiting on. Enter submits,
// Esc cancels, a refused code shows why and empties the field for another try. A new
// `rolecall://mfa-request` replaces the request shown.

import { h, showError } from "../dom";
import { Flow, steps, type Next } from "../flow";
import { cancelMfa, mfaPending, onMfaRequest, submitMfa, toIpcError, type MfaRequest, type Unlisten } from "../ipc";

export interface MfaApp {
  /** The request shown, if any. */
  current(): MfaRequest | null;
  /** Where the window's flow is (see `MFA_STEPS`). */
  step(): MfaStep;
  destroy(): void;
}

const CODE_LENGTH = 6;

/**
 * The MFA window's steps: `opening` until `mfa_pending` answers; `waiting` with nothing to ask;
 * `entering` a code for the request shown; `submitting` or `cancelling` it; `error` when STS
 * refused the code or the cancel failed (the request still shown, the message under it); `done`
 * and `cancelled` say so until the next request. A new request replaces the one shown at any
 * step but while it opens (`mfa_pending`'s answer is older than the event).
 */
export const MFA_STEPS = steps({
  opening: ["waiting", "entering"],
  waiting: ["entering"],
  entering: ["entering", "submitting", "cancelling"],
  submitting: ["entering", "done", "error"],
  cancelling: ["entering", "cancelled", "error"],
  error: ["entering", "submitting", "cancelling"],
  done: ["entering"],
  cancelled: ["entering"],
});

/** A step of the MFA window. */
export type MfaStep = keyof typeof MFA_STEPS;

type IdleStep = "waiting" | "done" | "cancelled";

/** What the window says at each step without a request. */
const IDLE_TEXT: Record<IdleStep, string> = {
  waiting: "No MFA code is needed right now.",
  done: "Code accepted.",
  cancelled: "Cancelled.",
};

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

  const idleText = idle.querySelector("p")!;
  const flow = new Flow("mfa", MFA_STEPS, "opening");
  /** The request shown: set exactly while the flow is at entering, submitting, cancelling or error. */
  let request: MfaRequest | null = null;

  const refresh = () => {
    const busy = flow.is("submitting", "cancelling");
    code.disabled = busy || request === null;
    cancel.disabled = busy || request === null;
    submit.disabled = busy || request === null || code.value.length !== CODE_LENGTH;
  };

  /** Shows `next`, replacing whatever was shown (a request arrives at any step). */
  const showRequest = (next: MfaRequest) => {
    flow.go("entering");
    request = next;
    code.value = "";
    showError(error, null);
    form.hidden = false;
    idle.hidden = true;
    idleText.textContent = IDLE_TEXT.waiting;
    favourite.textContent = next.favourite;
    device.textContent = next.device;
    device.title = next.device;
    refresh();
    code.focus();
  };

  /** Ends the request shown (or the wait for one) at an idle step, saying what happened. */
  const showIdle = <F extends MfaStep>(from: F, to: Next<typeof MFA_STEPS, F> & IdleStep) => {
    flow.move(from, to);
    request = null;
    code.value = "";
    showError(error, null);
    form.hidden = true;
    idle.hidden = false;
    idleText.textContent = IDLE_TEXT[to];
    refresh();
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
    if (!shown || !flow.is("entering", "error") || !/^\d{6}$/.test(value)) return;
    flow.go("submitting");
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
      if (next && next.requestId !== shown.requestId) showRequest(next);
      else showIdle("submitting", "done");
    } catch (e) {
      if (request !== shown) return;
      flow.move("submitting", "error");
      code.value = "";
      showError(error, toIpcError(e));
      refresh();
      code.focus();
    }
  };

  const doCancel = async () => {
    const shown = request;
    if (!shown || !flow.is("entering", "error")) return;
    flow.go("cancelling");
    refresh();
    try {
      await cancelMfa(shown.requestId);
      if (request === shown) showIdle("cancelling", "cancelled");
    } catch (e) {
      if (request !== shown) return;
      flow.move("cancelling", "error");
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
    // A request that arrived meanwhile is newer than this answer.
    if (flow.is("opening")) {
      if (pending) showRequest(pending);
      else showIdle("opening", "waiting");
    }
  } catch (e) {
    if (flow.is("opening")) {
      showIdle("opening", "waiting");
      idle.append(h("div", { class: "form-error" }));
      showError(idle.lastElementChild as HTMLElement, toIpcError(e));
    }
  }

  return {
    current: () => request,
    step: () => flow.step,
    destroy: () => {
      unlisten?.();
      document.removeEventListener("keydown", onKey);
    },
  };
}
