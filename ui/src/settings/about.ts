// The About tab: the version, from `app_info`.

import { h, showError } from "../dom";
import { appInfo, toIpcError } from "../ipc";
import type { Panel } from "./panel";

export function aboutPanel(): Panel {
  const version = h("p", { id: "about-version", class: "muted", text: "Version …" });
  const error = h("div", { id: "about-error", class: "panel-error", hidden: true });
  const element = h(
    "section",
    { id: "panel-about", class: "panel", role: "tabpanel" },
    h(
      "div",
      { class: "about" },
      h("div", { class: "about-mark", attrs: { "aria-hidden": "true" } }),
      h("h1", { text: "rolecall" }),
      version,
      h("p", { text: "Switch AWS roles in one step, with no plain-text keys and no clobbered files." }),
      h(
        "p",
        { class: "muted small" },
        "Source keys stay in the OS keychain. Assumed roles are written to ~/.aws/credentials profiles; every line rolecall does not own stays as you wrote it.",
      ),
      error,
    ),
  );
  appInfo().then(
    (info) => {
      version.textContent = `Version ${info.version}`;
    },
    (e) => showError(error, toIpcError(e)),
  );
  return { id: "about", label: "About", element };
}
