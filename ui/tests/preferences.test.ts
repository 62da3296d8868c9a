import { afterEach, describe, expect, it } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, mockBackend, mountPoint, preferences, resetDom, settingsBackend, waitFor } from "./helpers";

let app: SettingsApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const change = (el: HTMLInputElement, value?: string) => {
  if (value !== undefined) el.value = value;
  el.dispatchEvent(new Event("change", { bubbles: true }));
};

describe("preferences and about", () => {
  it("shows the preferences and applies each change", async () => {
    const backend = mockBackend({ ...settingsBackend(), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const notify = $<HTMLInputElement>("#pref-notify-before");
    await waitFor(() => notify.value === "10");
    expect($<HTMLInputElement>("#pref-renew-before").value).toBe("5");

    change(notify, "15");
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...preferences, notifyBeforeMinutes: 15 } });

    $<HTMLInputElement>("#pref-auto-renew").click();
    await waitFor(() => backend.of("set_preferences").length === 2);
    expect(backend.of("set_preferences")[1]!.args).toEqual({
      prefs: { ...preferences, notifyBeforeMinutes: 15, autoRenew: true },
    });
    await waitFor(() => $("#pref-status").textContent === "Saved");
  });

  it("never writing secrets to disk offers to convert the favourites still written, now or later", async () => {
    const converted = { converted: ["dev"], skipped: [{ name: "prod", reason: "it is the default profile" }] };
    const backend = mockBackend({
      ...settingsBackend(),
      set_preferences: () => null,
      file_favourites: () => ["dev", "prod"],
      convert_favourites: () => converted,
    });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const box = $<HTMLInputElement>("#pref-never-write-secrets");
    await waitFor(() => !box.disabled);
    expect(box.checked).toBe(false);
    box.click();
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...preferences, neverWriteSecrets: true } });
    await waitFor(() => document.querySelector("#confirm-dialog") !== null);
    expect($("#confirm-message").textContent).toContain("2 favourites (dev, prod) still write");
    expect($("#confirm-cancel").textContent).toBe("Later");
    $<HTMLButtonElement>("#confirm-ok").click();
    await waitFor(() => backend.of("convert_favourites").length === 1);
    await waitFor(() => $("#pref-status").textContent?.startsWith("Converted 1 favourite;") ?? false);
    expect($("#pref-status").textContent).toContain("prod: it is the default profile");

    // Off and on again, answered Later: nothing converted.
    box.click();
    await waitFor(() => backend.of("set_preferences").length === 2 && $("#pref-status").textContent === "Saved");
    box.click();
    await waitFor(() => document.querySelector("#confirm-dialog") !== null);
    $<HTMLButtonElement>("#confirm-cancel").click();
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.of("convert_favourites")).toHaveLength(1);
  });

  it("sends a change made while the one before is still saving, also one back to what was saved", async () => {
    let release: (() => void) | null = null;
    const backend = mockBackend({
      ...settingsBackend(),
      set_preferences: () => (release ? null : new Promise<null>((r) => (release = () => r(null)))),
    });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const autoRenew = $<HTMLInputElement>("#pref-auto-renew");
    await waitFor(() => !autoRenew.disabled);
    autoRenew.click();
    await waitFor(() => backend.of("set_preferences").length === 1);
    // Changed back before the first save is done: that must be saved too, or the first wins.
    autoRenew.click();
    await waitFor(() => backend.of("set_preferences").length === 2);
    expect(backend.of("set_preferences")[1]!.args).toEqual({ prefs: preferences });
    release!();
    await waitFor(() => $("#pref-status").textContent === "Saved");
  });

  it("does not send a number out of range", async () => {
    const backend = mockBackend({ ...settingsBackend(), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const renew = $<HTMLInputElement>("#pref-renew-before");
    await waitFor(() => renew.value === "5");
    change(renew, "90");
    expect(renew.classList.contains("invalid")).toBe(true);
    expect(document.querySelector("#panel-preferences .field-message:not([hidden])")?.textContent).toBe("must be 1 to 60 minutes");
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.of("set_preferences")).toHaveLength(0);
  });

  it("shows the MFA session length with its hint and applies a change", async () => {
    const backend = mockBackend({ ...settingsBackend(), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const hours = $<HTMLInputElement>("#pref-mfa-session-hours");
    await waitFor(() => hours.value === "12");
    expect(hours.disabled).toBe(false);
    expect([hours.type, hours.min, hours.max]).toEqual(["number", "1", "36"]);
    expect($('label[for="pref-mfa-session-hours"]').textContent).toBe("MFA session (hours)");
    expect(hours.closest(".group")?.querySelector(".field-hint")?.textContent).toBe(
      "One MFA code lasts this long for every favourite of the source.",
    );

    change(hours, "36");
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...preferences, mfaSessionHours: 36 } });
  });

  it.each(["0", "37", "1.5", ""])("does not send an MFA session of %j hours", async (value) => {
    const backend = mockBackend({ ...settingsBackend(), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const hours = $<HTMLInputElement>("#pref-mfa-session-hours");
    await waitFor(() => hours.value === "12");
    change(hours, value);
    expect(hours.classList.contains("invalid")).toBe(true);
    const messages = [...document.querySelectorAll("#panel-preferences .field-message:not([hidden])")];
    expect(messages.map((m) => m.textContent)).toEqual(["must be 1 to 36 hours"]);
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.of("set_preferences")).toHaveLength(0);

    // Back in range: the message goes and the value is sent.
    change(hours, "1");
    expect(hours.classList.contains("invalid")).toBe(false);
    expect(document.querySelector("#panel-preferences .field-message:not([hidden])")).toBeNull();
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...preferences, mfaSessionHours: 1 } });
  });

  it("shows the console sign-out preference with its hint and applies a change", async () => {
    const backend = mockBackend({ ...settingsBackend(), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const signOut = $<HTMLInputElement>("#pref-console-sign-out");
    await waitFor(() => !signOut.disabled);
    expect(signOut.type).toBe("checkbox");
    expect(signOut.checked).toBe(false);
    const label = signOut.closest("label");
    expect(label?.classList.contains("check")).toBe(true);
    expect(label?.textContent?.trim()).toBe("Sign out of the current console session first");
    const group = signOut.closest("fieldset");
    expect(group?.querySelector("legend")?.textContent).toBe("Console");
    expect(group?.querySelector(".field-hint")?.textContent).toBe(
      "Open console then switches the browser to the favourite's account instead of keeping the session it has.",
    );

    signOut.click();
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...preferences, consoleSignOutFirst: true } });
    await waitFor(() => $("#pref-status").textContent === "Saved");

    // And back off: only that field changes again.
    signOut.click();
    await waitFor(() => backend.of("set_preferences").length === 2);
    expect(backend.of("set_preferences")[1]!.args).toEqual({ prefs: { ...preferences, consoleSignOutFirst: false } });
  });

  it("shows a stored console sign-out preference as checked and keeps it when another preference changes", async () => {
    const stored = { ...preferences, consoleSignOutFirst: true };
    const backend = mockBackend({ ...settingsBackend([], undefined, stored), set_preferences: () => null });
    app = await mountSettings(mountPoint(), { tab: "preferences" });
    const signOut = $<HTMLInputElement>("#pref-console-sign-out");
    await waitFor(() => !signOut.disabled);
    expect(signOut.checked).toBe(true);

    $<HTMLInputElement>("#pref-start-at-login").click();
    await waitFor(() => backend.of("set_preferences").length === 1);
    expect(backend.of("set_preferences")[0]!.args).toEqual({ prefs: { ...stored, startAtLogin: true } });
  });

  it("shows the version from app_info", async () => {
    mockBackend(settingsBackend());
    app = await mountSettings(mountPoint(), { tab: "about" });
    await waitFor(() => $("#about-version").textContent === "Version 9.9.9");
  });
});
