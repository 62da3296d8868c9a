import { afterEach, describe, expect, it } from "vitest";
import type { PortalListing } from "../src/ipc";
import { listedAgo, matches, pickerItems, portalPicker, progressText } from "../src/settings/portal-picker";
import { $, mockBackend, resetDom, settle, type, waitFor } from "./helpers";

afterEach(resetDom);

const NOW = Date.parse("2030-01-01T12:00:00Z");

/** `accounts` accounts of `roles` roles each; the first account's first role is favourite `mine`. */
function listing(accounts: number, roles: number, fetchedAt = "2030-01-01T09:00:00Z"): PortalListing {
  return {
    fetchedAt,
    stale: false,
    accounts: Array.from({ length: accounts }, (_, a) => ({
      id: String(100000000000 + a + 1),
      name: `Team ${a + 1} ${a % 2 ? "Prod" : "Dev"}`,
      email: null,
      roles: Array.from({ length: roles }, (_, r) => ({
        name: `Role${r + 1}`,
        favourite: a === 0 && r === 0 ? "mine" : null,
      })),
    })),
  };
}

const rows = () => [...document.querySelectorAll<HTMLElement>("#picker-list .check-item")];
const shown = () => rows().filter((r) => !r.hidden).length;

describe("portal picker, pure parts", () => {
  it("matches every word in the account name, id or role, any case", () => {
    const [first] = pickerItems(listing(1, 1));
    expect(first).toMatchObject({ key: "100000000001/Role1", accountName: "Team 1 Dev", favourite: "mine" });
    expect(matches(first!, "")).toBe(true);
    expect(matches(first!, "team DEV")).toBe(true);
    expect(matches(first!, "role1 100000000001")).toBe(true);
    expect(matches(first!, "prod")).toBe(false);
  });

  it("says how old a listing is and how far a fresh one has come", () => {
    expect(listedAgo("2030-01-01T12:00:00Z", NOW)).toBe("just now");
    expect(listedAgo("2030-01-01T11:59:00Z", NOW)).toBe("1 minute ago");
    expect(listedAgo("2030-01-01T09:00:00Z", NOW)).toBe("3 hours ago");
    expect(listedAgo("2029-12-30T12:00:00Z", NOW)).toBe("2 days ago");
    const p = { accountsListed: 40, allAccountsListed: false, accountsDone: 0, throttled: 0 };
    expect(progressText(p)).toBe("Listing accounts… 40 so far");
    expect(progressText({ ...p, allAccountsListed: true, accountsDone: 12, throttled: 1 })).toBe(
      "Listing roles… 12 of 40 accounts (the portal asks to slow down)",
    );
  });
});

describe("portal picker", () => {
  it("shows the kept listing at once and filters 1,800 rows by hiding, keeping every node", async () => {
    const backend = mockBackend({
      portal_roles: () => listing(360, 5),
      preview_portal_names: ({ picks }) => picks.map((p: { roleName: string }) => p.roleName),
    });
    document.body.append(portalPicker({ source: "corp", onDone: () => undefined, previewDelayMs: 0, now: () => NOW }));
    await waitFor(() => rows().length === 1800);
    expect($("#picker-listed").textContent).toBe("Listed 3 hours ago");
    expect(backend.of("discover_portal_roles")).toHaveLength(0);
    const before = rows();
    const search = $<HTMLInputElement>("#picker-search");
    const started = performance.now();
    for (const q of ["t", "te", "team 3", "team 3 prod", "100000000036 prod role2", ""]) type(search, q);
    const took = performance.now() - started;
    expect(rows()).toEqual(before);
    expect(shown()).toBe(1800);
    type(search, "100000000036 PROD role2");
    expect(shown()).toBe(1);
    type(search, "team 36 prod role2");
    expect(shown()).toBe(5); // Team 36, 136, 236, 336 and 360 Prod
    expect(took).toBeLessThan(1500);
    // The favourite is not offered.
    const mine = $<HTMLInputElement>('[data-testid="picker-check-100000000001-Role1"]');
    expect(mine.disabled).toBe(true);
  });

  it("selects all shown, previews the names from src-tauri and adds exactly the picks", async () => {
    const added: unknown[] = [];
    const backend = mockBackend({
      portal_roles: () => listing(3, 2),
      preview_portal_names: ({ picks, pattern }) =>
        picks.map((p: { accountName: string; roleName: string }) => `${pattern}:${p.accountName}:${p.roleName}`),
      add_portal_favourites: ({ picks }) => {
        added.push(...picks);
        return picks.map((p: { roleName: string }) => p.roleName);
      },
    });
    let done: string[] | null | undefined;
    document.body.append(portalPicker({ source: "corp", onDone: (n) => (done = n), previewDelayMs: 0, now: () => NOW }));
    await waitFor(() => rows().length === 6);
    type($<HTMLInputElement>("#picker-search"), "prod");
    const all = $<HTMLInputElement>("#picker-select-all");
    all.click();
    expect($("#picker-count").textContent).toBe("2 selected · 2 of 6 shown");
    // One more, by hand, from another search: the first picks stay.
    type($<HTMLInputElement>("#picker-search"), "100000000001");
    expect(all.checked).toBe(false);
    $<HTMLInputElement>('[data-testid="picker-check-100000000001-Role2"]').click();
    expect($("#picker-count").textContent).toBe("3 selected · 2 of 6 shown");
    type($<HTMLInputElement>("#picker-pattern"), "ROLENAME");
    await waitFor(() => $("#picker-preview").textContent?.startsWith("ROLENAME:Team 1 Dev:Role2, "));
    expect($("#picker-preview").textContent).toBe(
      "ROLENAME:Team 1 Dev:Role2, ROLENAME:Team 2 Prod:Role1, ROLENAME:Team 2 Prod:Role2",
    );
    const add = $<HTMLButtonElement>("#picker-add");
    expect(add.textContent).toBe("Add 3 favourites");
    add.click();
    await waitFor(() => done !== undefined);
    expect(done).toEqual(["Role2", "Role1", "Role2"]);
    expect(added).toEqual([
      { accountId: "100000000001", accountName: "Team 1 Dev", roleName: "Role2" },
      { accountId: "100000000002", accountName: "Team 2 Prod", roleName: "Role1" },
      { accountId: "100000000002", accountName: "Team 2 Prod", roleName: "Role2" },
    ]);
    expect(backend.of("add_portal_favourites")[0]!.args).toMatchObject({ source: "corp", pattern: "ROLENAME" });
  });

  it("lists afresh with progress when nothing is kept, and shows a refused pattern under the field", async () => {
    mockBackend({
      portal_roles: () => null,
      discover_portal_roles: () => listing(2, 1, "2030-01-01T12:00:00Z"),
      preview_portal_names: () => {
        throw { code: "input.invalid", message: "name pattern: has none of ACCOUNTNAME, ACCOUNTID and ROLENAME" };
      },
    });
    document.body.append(portalPicker({ source: "corp", onDone: () => undefined, previewDelayMs: 0, now: () => NOW }));
    await waitFor(() => rows().length === 2);
    expect($("#picker-listed").textContent).toBe("Listed just now");
    $<HTMLInputElement>('[data-testid="picker-check-100000000002-Role1"]').click();
    type($<HTMLInputElement>("#picker-pattern"), "plain");
    await waitFor(() => !$("#picker-pattern-message").hidden);
    await settle();
    expect($("#picker-pattern-message").textContent).toContain("has none of ACCOUNTNAME");
    expect($<HTMLButtonElement>("#picker-add").disabled).toBe(true);
  });
});
