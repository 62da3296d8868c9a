// The sign-in window: the device code of an IAM Identity Center sign-in src-tauri is waiting on,
// and where to confirm it. Open browser opens that page (the code filled in), Copy code copies
// the code, Cancel (or Esc) stops the sign-in. src-tauri closes the window once signed in; a
// code denied, expired or cancelled says so until the next sign-in (`rolecall://signin`), which
// replaces the one shown. The window never sees the device code, a token or the client secret.

import { h, showError } from "../dom";
import {
  onSignIn,
  signinCancel,
  signinCopyCode,
  signinOpenBrowser,
  signinPending,
  toIpcError,
  type DeviceSignIn,
  type Unlisten,
} from "../ipc";

export interface SignInApp {
  /** The sign-in shown, if any. */
  current(): DeviceSignIn | null;
  destroy(): void;
}

/** What the window says of a sign-in that is no longer waiting. */
export const ENDED_TEXT: Record<Exclude<DeviceSignIn["state"], "waiting">, string> = {
  done: "Signed in.",
  denied: "The code was denied in the browser. Sign in again from the tray to get a new one.",
  expired: "The code expired before it was confirmed. Sign in again from the tray to get a new one.",
  cancelled: "Sign-in cancelled.",
  failed: "The sign-in failed.",
};

export async function mountSignIn(root: HTMLElement): Promise<SignInApp> {
  const source = h("strong", { id: "signin-source" });
  const prompt = h("p", { id: "signin-prompt", class: "signin-prompt" }, "Sign in to ", source, " in a browser:");
  const uri = h("p", { id: "signin-uri", class: "signin-uri mono muted" });
  const code = h("div", { id: "signin-code", testid: "signin-code", attrs: { "aria-label": "The code to confirm" } });
  const hint = h("p", { id: "signin-hint", class: "muted", text: "Confirm that the page shows this code." });
  const status = h("p", { id: "signin-status", class: "signin-status", testid: "signin-status", attrs: { role: "status" } });
  const error = h("div", { id: "signin-error", class: "form-error", testid: "signin-error", hidden: true });
  const cancel = h("button", { id: "signin-cancel", type: "button", text: "Cancel" });
  const copy = h("button", { id: "signin-copy", type: "button", text: "Copy code" });
  const open = h("button", { id: "signin-open", type: "button", class: "primary", text: "Open browser" });
  root.replaceChildren(
    h("div", { class: "signin" }, prompt, uri, code, hint, status, error, h("div", { class: "form-actions" }, cancel, copy, open)),
  );

  let shown: DeviceSignIn | null = null;
  let busy = false;

  const refresh = () => {
    const waiting = shown?.state === "waiting";
    for (const b of [cancel, copy, open]) b.disabled = busy || !waiting;
  };

  const show = (next: DeviceSignIn | null) => {
    shown = next;
    showError(error, null);
    source.textContent = next?.source ?? "";
    uri.textContent = next?.verificationUri ?? "";
    uri.title = next?.verificationUri ?? "";
    code.textContent = next?.userCode ?? "";
    if (!next) status.textContent = "No sign-in is waiting for a code.";
    else if (next.state === "waiting") status.textContent = "Waiting for the code to be confirmed…";
    else status.textContent = next.state === "failed" && next.message ? next.message : ENDED_TEXT[next.state];
    refresh();
  };

  /** Runs a button's command for the sign-in shown; a failure shows under it. */
  const act = async (command: (requestId: string) => Promise<null>) => {
    const at = shown;
    if (!at || at.state !== "waiting" || busy) return;
    busy = true;
    refresh();
    try {
      showError(error, null);
      await command(at.requestId);
    } catch (e) {
      if (shown === at) showError(error, toIpcError(e));
    } finally {
      busy = false;
      refresh();
    }
  };

  open.addEventListener("click", () => void act(signinOpenBrowser));
  copy.addEventListener("click", () => void act(signinCopyCode));
  cancel.addEventListener("click", () => void act(signinCancel));
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      void act(signinCancel);
    }
  };
  document.addEventListener("keydown", onKey);

  let unlisten: Unlisten | null = null;
  let heard = false;
  try {
    unlisten = await onSignIn((next) => {
      heard = true;
      show(next);
    });
  } catch {
    // Without events the window still shows the sign-in pending when it opened.
  }
  try {
    const pending = await signinPending();
    // A sign-in heard of meanwhile is newer than this answer.
    if (!heard) show(pending);
  } catch (e) {
    if (!heard) {
      show(null);
      showError(error, toIpcError(e));
    }
  }

  return {
    current: () => shown,
    destroy: () => {
      unlisten?.();
      document.removeEventListener("keydown", onKey);
    },
  };
}
