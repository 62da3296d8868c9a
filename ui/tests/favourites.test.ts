import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, favourite, mockBackend, mountPoint, preferences, resetDom, settingsBackend, waitFor } from "./helpers";

let app: SettingsApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const three = [
  favourite("prod-admin", {
    session: { state: "active", expires: "2030-01-01T00:42:00Z", secondsLeft: 42 * 60 + 30 },
  }),
  favourite("prod-readonly", {
    source: "prod-admin",
    session: { state: "expired", expires: "2020-01-01T00:00:00Z", secondsLeft: null },
  }),
  favourite("staging", { profile: "staging-profile" }),
];

describe("favourites table", () => {
  it("shows each session state: time left, expired, never", async () => {
    mockBackend(settingsBackend(three));
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    const rows = [...document.querySelectorAll("#fav-table tbody tr")];
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["prod-admin", "prod-readonly", "staging"]);
    const session = (name: string) => $(`[data-testid="fav-session-${name}"]`);
    expect(session("prod-admin").textContent).toBe("42m left");
    expect(session("prod-admin").dataset.state).toBe("active");
    expect(session("prod-readonly").textContent).toBe("expired");
    expect(session("prod-readonly").dataset.state).toBe("expired");
    expect(session("staging").textContent).toBe("—");
    expect(session("staging").dataset.state).toBe("never");
    const staging = $('[data-testid="fav-row-staging"]');
    expect(staging.querySelector(".cell-profile")?.textContent).toBe("staging-profile");
    expect($('[data-testid="fav-arn-staging"]').title).toBe("arn:aws:iam::210987654321:role/staging");
  });

  it("shows an empty state with no favourites", async () => {
    mockBackend(settingsBackend([]));
    app = await mountSettings(mountPoint());
    expect($('[data-testid="fav-empty"]').textContent).toContain("No favourite roles yet");
    expect(document.querySelector("#fav-table")).toBeNull();
  });

  it("refetches on rolecall://changed", async () => {
    let list = three.slice(0, 1);
    const backend = mockBackend({ ...settingsBackend(), list_favourites: () => list });
    app = await mountSettings(mountPoint());
    expect(document.querySelectorAll("#fav-table tbody tr")).toHaveLength(1);
    list = three;
    await emit("rolecall://changed");
    await waitFor(() => document.querySelectorAll("#fav-table tbody tr").length === 3);
    expect(backend.of("list_favourites")).toHaveLength(2);
  });

  it("keeps each row's nodes across refetches, updating a changed favourite in place", async () => {
    let list = three.map((f) => ({ ...f }));
    const backend = mockBackend({ ...settingsBackend(), list_favourites: () => list });
    app = await mountSettings(mountPoint());
    const row = (name: string) => $(`[data-testid="fav-row-${name}"]`);
    const before = { table: $("#fav-table"), admin: row("prod-admin"), readonly: row("prod-readonly"), staging: row("staging") };
    const stagingAssume = $('[data-testid="fav-assume-staging"]');

    list = [favourite("billing"), three[0]!, { ...three[2]!, profile: "moved" }];
    await emit("rolecall://changed");
    await waitFor(() => backend.of("list_favourites").length === 2 && document.querySelector('[data-testid="fav-row-billing"]'));
    const rows = [...document.querySelectorAll("#fav-table tbody tr")];
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["billing", "prod-admin", "staging"]);
    expect($("#fav-table")).toBe(before.table);
    expect(row("prod-admin")).toBe(before.admin);
    expect(row("staging")).toBe(before.staging);
    expect($('[data-testid="fav-assume-staging"]')).toBe(stagingAssume);
    expect(row("staging").querySelector(".cell-profile")?.textContent).toBe("moved");
    expect(before.readonly.isConnected).toBe(false);
  });

  it("counts the session down in place, touching only the rows whose label changed", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    try {
      mockBackend(settingsBackend(three));
      app = await mountSettings(mountPoint());
      const admin = $('[data-testid="fav-row-prod-admin"]');
      const assumeButton = $('[data-testid="fav-assume-prod-admin"]');
      const staging = $('[data-testid="fav-session-staging"]');
      const changes = new MutationObserver(() => {});
      changes.observe($("#fav-table tbody"), { subtree: true, childList: true, characterData: true, attributes: true });
      vi.advanceTimersByTime(15_000);
      // 42m30s left less 15s is still "42m left": nothing was written.
      expect(changes.takeRecords()).toEqual([]);
      vi.advanceTimersByTime(30_000);
      expect($('[data-testid="fav-session-prod-admin"]').textContent).toBe("41m left");
      const touched = new Set(changes.takeRecords().map((r) => (r.target instanceof Element ? r.target : r.target.parentElement)?.closest("tr")));
      expect([...touched]).toEqual([admin]);
      changes.disconnect();
      expect($('[data-testid="fav-row-prod-admin"]')).toBe(admin);
      expect($('[data-testid="fav-assume-prod-admin"]')).toBe(assumeButton);
      expect($('[data-testid="fav-session-staging"]')).toBe(staging);
    } finally {
      vi.useRealTimers();
    }
  });

  it("assumes a favourite and shows a refused one's error with its code", async () => {
    const backend = mockBackend({
      ...settingsBackend(three),
      assume: ({ name }) => {
        if (name === "prod-admin") throw { code: "sts.access_denied", message: "favourite prod-admin: access denied" };
        return { ...three[2], session: { state: "active", expires: null, secondsLeft: 3600 } };
      },
    });
    app = await mountSettings(mountPoint());
    $<HTMLButtonElement>('[data-testid="fav-assume-prod-admin"]').click();
    const error = await waitFor(() => document.querySelector<HTMLElement>("#fav-error:not([hidden])"));
    expect(error.querySelector(".error-message")?.textContent).toBe("favourite prod-admin: access denied");
    expect(error.querySelector(".error-code")?.textContent).toBe("sts.access_denied");
    expect(error.textContent).not.toMatch(/\bat\b.*\.js/);

    $<HTMLButtonElement>('[data-testid="fav-assume-staging"]').click();
    await waitFor(() => $("#fav-status").textContent?.includes("Assumed staging"));
    expect($("#fav-error").hidden).toBe(true);
    expect(backend.of("assume").map((c) => c.args)).toEqual([{ name: "prod-admin" }, { name: "staging" }]);
  });

  it("keeps the Assume button busy while the assume runs, across refetches", async () => {
    let finish: (value: unknown) => void = () => {};
    const backend = mockBackend({
      ...settingsBackend(three),
      assume: () => new Promise((resolve) => (finish = resolve)),
    });
    app = await mountSettings(mountPoint());
    const button = () => $<HTMLButtonElement>('[data-testid="fav-assume-staging"]');
    button().click();
    await waitFor(() => backend.of("assume").length === 1);
    expect(button().textContent).toBe("Assuming…");
    expect(button().disabled).toBe(true);
    // src-tauri says "changed" as soon as the assume starts: the table is drawn again.
    await emit("rolecall://changed");
    await waitFor(() => backend.of("list_favourites").length === 2);
    expect(button().textContent).toBe("Assuming…");
    expect(button().disabled).toBe(true);
    button().click();
    expect(backend.of("assume")).toHaveLength(1);

    finish({ ...three[2], session: { state: "active", expires: null, secondsLeft: 3600 } });
    await waitFor(() => $("#fav-status").textContent?.includes("Assumed staging"));
    await waitFor(() => button().textContent === "Assume");
    expect(button().disabled).toBe(false);
  });

  it("removes only after the confirm, and not on cancel", async () => {
    const backend = mockBackend({ ...settingsBackend(three), remove_favourite: () => null });
    app = await mountSettings(mountPoint());
    $<HTMLButtonElement>('[data-testid="fav-remove-staging"]').click();
    $<HTMLButtonElement>("#confirm-cancel").click();
    expect(document.querySelector("#confirm-dialog")).toBeNull();
    expect(backend.of("remove_favourite")).toHaveLength(0);

    $<HTMLButtonElement>('[data-testid="fav-remove-staging"]').click();
    expect($("#confirm-title").textContent).toBe("Remove staging?");
    $<HTMLButtonElement>("#confirm-ok").click();
    await waitFor(() => backend.of("remove_favourite").length === 1);
    expect(backend.of("remove_favourite")[0]!.args).toEqual({ name: "staging" });
  });

  describe("auto-renew marker", () => {
    const mixed = [
      favourite("own-on", { autoRenew: true }),
      favourite("own-off", { autoRenew: false }),
      favourite("follows", { autoRenew: null }),
    ];
    const marker = (name: string) => document.querySelector<HTMLElement>(`[data-testid="fav-autorenew-${name}"]`);

    it("marks only favourites that renew themselves when the preference is off", async () => {
      mockBackend(settingsBackend(mixed, undefined, { ...preferences, autoRenew: false }));
      app = await mountSettings(mountPoint());
      await waitFor(() => document.querySelector("#fav-table"));
      expect(marker("own-on")?.textContent).toBe("auto-renew");
      expect(marker("own-on")?.dataset.from).toBe("favourite");
      expect(marker("own-on")?.closest("td")?.classList.contains("cell-favourite")).toBe(true);
      expect(marker("own-off")).toBeNull();
      expect(marker("follows")).toBeNull();
    });

    it("marks the favourites that follow the preference when it is on", async () => {
      mockBackend(settingsBackend(mixed, undefined, { ...preferences, autoRenew: true }));
      app = await mountSettings(mountPoint());
      await waitFor(() => document.querySelector("#fav-table"));
      expect(marker("own-on")?.dataset.from).toBe("favourite");
      expect(marker("own-off")).toBeNull();
      expect(marker("follows")?.dataset.from).toBe("preferences");
      expect(marker("follows")?.title).toBe("Renews automatically (as in Preferences)");
    });

    it("follows a preference changed elsewhere on rolecall://changed", async () => {
      let prefs = { ...preferences, autoRenew: false };
      mockBackend({ ...settingsBackend(mixed), get_preferences: () => prefs });
      app = await mountSettings(mountPoint());
      expect(marker("follows")).toBeNull();
      prefs = { ...preferences, autoRenew: true };
      await emit("rolecall://changed");
      await waitFor(() => marker("follows"));
    });

    it("still lists the favourites when get_preferences fails, marking only their own choice", async () => {
      mockBackend({
        ...settingsBackend(mixed),
        get_preferences: () => {
          throw { code: "config.read", message: "cannot read config.toml" };
        },
      });
      app = await mountSettings(mountPoint());
      expect(document.querySelectorAll("#fav-table tbody tr")).toHaveLength(3);
      expect($("#fav-error").hidden).toBe(true);
      expect(marker("own-on")).not.toBeNull();
      expect(marker("follows")).toBeNull();
    });
  });
});
