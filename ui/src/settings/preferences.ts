// The Preferences tab. Like a native settings pane it has no Save button: each change is
// applied when made (a number when the field is left or Enter is pressed).

import { confirmDialog } from "../confirm";
import { h, showError } from "../dom";
import { convertFavourites, fileFavourites, getPreferences, setPreferences, toIpcError, type Preferences } from "../ipc";
import type { Panel } from "./panel";

interface NumberField {
  key: "notifyBeforeMinutes" | "renewBeforeMinutes" | "mfaSessionHours";
  input: HTMLInputElement;
  message: HTMLElement;
  min: number;
  max: number;
  /** For the range message: "must be 1 to 60 minutes". */
  unit: string;
}

export function preferencesPanel(): Panel {
  const error = h("div", { id: "pref-error", class: "panel-error", testid: "pref-error", hidden: true });
  const status = h("span", { id: "pref-status", class: "muted", role: "status", text: "" });

  const numberInput = (id: string, min: number, max: number) =>
    h("input", {
      id,
      type: "number",
      class: "narrow",
      disabled: true,
      attrs: { min: String(min), max: String(max), step: "1", inputmode: "numeric" },
    });
  const notify = numberInput("pref-notify-before", 1, 120);
  const renew = numberInput("pref-renew-before", 1, 60);
  const mfaHours = numberInput("pref-mfa-session-hours", 1, 36);
  const autoRenew = h("input", { id: "pref-auto-renew", type: "checkbox", disabled: true });
  const startAtLogin = h("input", { id: "pref-start-at-login", type: "checkbox", disabled: true });
  const consoleSignOut = h("input", { id: "pref-console-sign-out", type: "checkbox", disabled: true });
  const neverWrite = h("input", { id: "pref-never-write-secrets", type: "checkbox", disabled: true });
  const notifyMessage = h("div", { class: "field-message", hidden: true });
  const renewMessage = h("div", { class: "field-message", hidden: true });
  const mfaHoursMessage = h("div", { class: "field-message", hidden: true });

  const numbers: NumberField[] = [
    { key: "notifyBeforeMinutes", input: notify, message: notifyMessage, min: 1, max: 120, unit: "minutes" },
    { key: "renewBeforeMinutes", input: renew, message: renewMessage, min: 1, max: 60, unit: "minutes" },
    { key: "mfaSessionHours", input: mfaHours, message: mfaHoursMessage, min: 1, max: 36, unit: "hours" },
  ];
  const controls = [notify, renew, autoRenew, mfaHours, neverWrite, consoleSignOut, startAtLogin];

  const element = h(
    "section",
    { id: "panel-preferences", class: "panel", role: "tabpanel" },
    h(
      "div",
      { class: "panel-list" },
      h("header", { class: "panel-header" }, h("h1", { text: "Preferences" }), status),
      error,
      h(
        "div",
        { class: "panel-body prefs" },
        group(
          "Notifications",
          h(
            "div",
            { class: "pref-row" },
            h("label", { for: "pref-notify-before", text: "Notify me" }),
            notify,
            h("span", { text: "minutes before a session expires" }),
          ),
          notifyMessage,
        ),
        group(
          "Renewal",
          h("label", { class: "check pref-row" }, autoRenew, " Renew sessions automatically"),
          h("div", { class: "field-hint indent", text: "The default for favourites; a renewal that needs an MFA code asks for it." }),
          h(
            "div",
            { class: "pref-row" },
            h("label", { for: "pref-renew-before", text: "Renew" }),
            renew,
            h("span", { text: "minutes before expiry" }),
          ),
          renewMessage,
          h("div", {
            class: "field-hint indent",
            text: "Neither lead applies beyond half a session: rolecall never warns or renews in the first half.",
          }),
        ),
        group(
          "MFA",
          h(
            "div",
            { class: "pref-row" },
            h("label", { for: "pref-mfa-session-hours", text: "MFA session (hours)" }),
            mfaHours,
          ),
          mfaHoursMessage,
          h("div", { class: "field-hint pref-hint", text: "One MFA code lasts this long for every favourite of the source." }),
        ),
        group(
          "Credentials",
          h("label", { class: "check pref-row" }, neverWrite, " Never write secrets to disk"),
          h("div", {
            class: "field-hint indent",
            text: "New favourites are served on request through credential_process: no key, secret or token in ~/.aws/credentials.",
          }),
        ),
        group(
          "Console",
          h("label", { class: "check pref-row" }, consoleSignOut, " Sign out of the current console session first"),
          h("div", {
            class: "field-hint indent",
            text: "Open console then switches the browser to the favourite's account instead of keeping the session it has.",
          }),
        ),
        group("Startup", h("label", { class: "check pref-row" }, startAtLogin, " Start rolecall at login")),
      ),
    ),
  );

  let current: Preferences | null = null;
  let seq = 0;

  const show = (p: Preferences) => {
    notify.value = String(p.notifyBeforeMinutes);
    renew.value = String(p.renewBeforeMinutes);
    autoRenew.checked = p.autoRenew;
    mfaHours.value = String(p.mfaSessionHours);
    consoleSignOut.checked = p.consoleSignOutFirst;
    neverWrite.checked = p.neverWriteSecrets;
    startAtLogin.checked = p.startAtLogin;
    for (const n of numbers) setMessage(n, null);
    for (const el of controls) el.disabled = false;
  };

  const setMessage = (n: NumberField, message: string | null) => {
    n.message.textContent = message ?? "";
    n.message.hidden = message === null;
    n.input.classList.toggle("invalid", message !== null);
  };

  /** Reads the form; null (with a message under the field) when a number is out of range. */
  const read = (): Preferences | null => {
    if (!current) return null;
    const next: Preferences = {
      ...current,
      autoRenew: autoRenew.checked,
      consoleSignOutFirst: consoleSignOut.checked,
      neverWriteSecrets: neverWrite.checked,
      startAtLogin: startAtLogin.checked,
    };
    let ok = true;
    for (const n of numbers) {
      const v = Number(n.input.value);
      if (n.input.value.trim() === "" || !Number.isInteger(v) || v < n.min || v > n.max) {
        setMessage(n, `must be ${n.min} to ${n.max} ${n.unit}`);
        ok = false;
      } else {
        setMessage(n, null);
        next[n.key] = v;
      }
    }
    return ok ? next : null;
  };

  /** What was last sent to be saved (or loaded): a change is compared with it, so that one made
   * while the last is still saving is sent too, not taken for no change. */
  let sent: Preferences | null = null;

  const apply = async () => {
    const next = read();
    if (!next || !current || !sent) return;
    if (JSON.stringify(next) === JSON.stringify(sent)) return;
    const turnedOn = next.neverWriteSecrets && !sent.neverWriteSecrets;
    const mine = ++seq;
    sent = next;
    status.textContent = "Saving…";
    try {
      await setPreferences(next);
      if (mine !== seq) return;
      current = next;
      showError(error, null);
      status.textContent = "Saved";
      if (turnedOn) await offerConversion();
    } catch (e) {
      if (mine !== seq) return;
      sent = current;
      status.textContent = "";
      showError(error, toIpcError(e));
    }
  };

  /** Offers to convert the favourites that still write their secrets to the credentials file. */
  const offerConversion = async () => {
    const left = await fileFavourites();
    if (left.length === 0) return;
    const which = left.length === 1 ? `Favourite ${left[0]} still writes` : `${left.length} favourites (${left.join(", ")}) still write`;
    const yes = await confirmDialog({
      title: "Remove their secrets from disk too?",
      message: `${which} its session into ~/.aws/credentials. Convert now: the sessions leave the file, and AWS tools get credentials through credential_process. The default profile's favourite stays as it is.`,
      confirmLabel: "Convert now",
      cancelLabel: "Later",
      danger: false,
    });
    if (!yes) return;
    const done = await convertFavourites();
    const skipped = done.skipped.map((s) => `${s.name}: ${s.reason}`).join("; ");
    status.textContent =
      `Converted ${done.converted.length} favourite${done.converted.length === 1 ? "" : "s"}` + (skipped ? `; left as they are: ${skipped}` : "");
  };

  for (const el of controls) el.addEventListener("change", () => void apply());
  for (const n of numbers) n.input.addEventListener("keydown", (e) => e.key === "Enter" && void apply());

  const load = async () => {
    try {
      current = await getPreferences();
      sent = current;
      show(current);
      showError(error, null);
    } catch (e) {
      showError(error, toIpcError(e));
    }
  };
  void load();

  return { id: "preferences", label: "Preferences", element, onChanged: () => void load() };
}

function group(title: string, ...children: HTMLElement[]): HTMLElement {
  return h("fieldset", { class: "form-section" }, h("legend", { text: title }), h("div", { class: "group" }, ...children));
}
