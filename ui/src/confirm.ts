// A small modal sheet asking to confirm a destructive step. In-page rather than
// `window.confirm`, which not every webview implements and which cannot be styled.

import { h } from "./dom";

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  /** The button that declines (default "Cancel"). */
  cancelLabel?: string;
  /** Whether confirming is destructive (red); default true. */
  danger?: boolean;
}

/** Resolves true when the user confirms, false on Cancel or Esc. Cancel has the focus. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  document.getElementById("confirm-dialog")?.remove();
  const previous = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      overlay.remove();
      previous?.focus?.();
      resolve(answer);
    };
    const cancel = h("button", { id: "confirm-cancel", type: "button", text: options.cancelLabel ?? "Cancel", on: { click: () => done(false) } });
    const ok = h("button", {
      id: "confirm-ok",
      type: "button",
      class: options.danger === false ? "primary" : "danger",
      text: options.confirmLabel,
      on: { click: () => done(true) },
    });
    const dialog = h(
      "div",
      {
        id: "confirm-dialog",
        class: "sheet",
        role: "alertdialog",
        attrs: { "aria-modal": "true", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-message" },
      },
      h("h2", { id: "confirm-title", text: options.title }),
      h("p", { id: "confirm-message", text: options.message }),
      h("div", { class: "sheet-actions" }, cancel, ok),
    );
    const overlay = h("div", { class: "overlay" }, dialog);
    overlay.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        done(false);
      } else if (e.key === "Tab") {
        // Keep the focus inside the sheet.
        e.preventDefault();
        (document.activeElement === cancel ? ok : cancel).focus();
      }
    });
    document.body.append(overlay);
    cancel.focus();
  });
}
