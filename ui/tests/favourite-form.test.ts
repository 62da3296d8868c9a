import { afterEach, describe, expect, it } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, favourite, key, mockBackend, mountPoint, preferences, resetDom, settingsBackend, type, waitFor } from "./helpers";

let app: SettingsApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

/** A validate_field that knows a few rules, like the core's. */
function validate({ field, value }: Record<string, string>): string | null {
  if (field === "arn" && !/^arn:aws:iam::\d{12}:role\/\w+$/.test(value!)) return "is not an ARN (arn:aws:iam::123456789012:role/NAME)";
  if (field === "duration" && !/^(\d+|\d+[hm])$/.test(value!)) return `"${value}" is not a duration like 3600, 45m, 1h or 1h30m`;
  if (field === "tag" && !value!.includes("=")) return `"${value}" must look like key=value`;
  if ((field === "notifyBefore" || field === "renewBefore") && !/^(\d+h)?(\d+m)?(\d+s)?$/.test(value!)) {
    return `"${value}" is not a time like 10m, 14m55s, 90s or 1h`;
  }
  return null;
}

const form = () => $<HTMLFormElement>("#fav-form");
const field = (name: string) => $<HTMLInputElement>(`#fav-form [name=${name}]`);
const save = () => $<HTMLButtonElement>("#fav-save");
const messageOf = (input: HTMLElement) => document.getElementById(input.getAttribute("aria-describedby")!)!;

async function openAdd(extra: Record<string, (a: Record<string, any>) => unknown> = {}) {
  const backend = mockBackend({ ...settingsBackend([favourite("base")]), validate_field: validate, ...extra });
  app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
  $<HTMLButtonElement>("#fav-add").click();
  return backend;
}

describe("favourite form", () => {
  it("shows validate_field's message under the field and keeps Save disabled until valid", async () => {
    const backend = await openAdd();
    expect(save().disabled).toBe(true);

    type(field("name"), "prod-admin");
    $<HTMLSelectElement>("#fav-source").value = "work";
    $<HTMLSelectElement>("#fav-source").dispatchEvent(new Event("change"));
    type(field("arn"), "arn:aws:iam::1234:role");
    await waitFor(() => !messageOf(field("arn")).hidden);
    expect(messageOf(field("arn")).textContent).toBe("is not an ARN (arn:aws:iam::123456789012:role/NAME)");
    expect(field("arn").getAttribute("aria-invalid")).toBe("true");
    expect(save().disabled).toBe(true);
    expect(backend.of("validate_field").map((c) => c.args)).toContainEqual({ field: "arn", value: "arn:aws:iam::1234:role" });

    type(field("arn"), "arn:aws:iam::123456789012:role/Admin");
    await waitFor(() => messageOf(field("arn")).hidden);
    await waitFor(() => !save().disabled);

    // An optional field can block too, and a required one emptied disables Save again.
    type(field("duration"), "forever");
    await waitFor(() => save().disabled);
    expect(messageOf(field("duration")).textContent).toContain("is not a duration");
    type(field("duration"), "45m");
    await waitFor(() => !save().disabled);
    type(field("name"), "");
    expect(save().disabled).toBe(true);
  });

  it("checks each tag and sends the whole input on Save", async () => {
    const backend = await openAdd({ save_favourite: ({ input }) => favourite(input.name) });
    type(field("name"), "prod-admin");
    type(field("arn"), "arn:aws:iam::123456789012:role/Admin");
    const source = $<HTMLSelectElement>("#fav-source");
    expect([...source.options].map((o) => o.value)).toEqual(["", "work", "corp", "base"]);
    source.value = "base";
    source.dispatchEvent(new Event("change"));
    field("mfa").click();
    type(field("duration"), "1h");
    type(field("region"), "eu-west-1");
    $<HTMLButtonElement>("#fav-tag-add").click();
    $<HTMLButtonElement>("#fav-tag-add").click();
    const [tag1, tag2] = [...document.querySelectorAll<HTMLInputElement>("#fav-form [name=tags]")];
    type(tag1!, "team");
    await waitFor(() => !messageOf(tag1!).hidden);
    expect(messageOf(tag1!).textContent).toBe('"team" must look like key=value');
    expect(save().disabled).toBe(true);
    type(tag1!, "team=platform");
    type(tag2!, "  ");
    $<HTMLButtonElement>("#fav-policy-add").click();
    type($<HTMLInputElement>("#fav-form [name=policyArns]"), "arn:aws:iam::aws:policy/ReadOnlyAccess");
    await waitFor(() => !save().disabled);

    form().requestSubmit();
    await waitFor(() => backend.of("save_favourite").length === 1);
    expect(backend.of("save_favourite")[0]!.args).toEqual({
      replacing: null,
      input: {
        name: "prod-admin",
        arn: "arn:aws:iam::123456789012:role/Admin",
        source: "base",
        profile: "",
        duration: "1h",
        sessionName: "",
        externalId: "",
        mfa: true,
        region: "eu-west-1",
        tags: ["team=platform"],
        transitiveTags: [],
        sourceIdentity: "",
        policyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        autoRenew: null,
        notifyBefore: "",
        renewBefore: "",
        delivery: "file",
      },
    });
    await waitFor(() => document.querySelector("#fav-form") === null);
    expect($("#fav-status").textContent).toBe("Added prod-admin.");
  });

  it("shows a server-side error with its code and stays open", async () => {
    await openAdd({
      save_favourite: () => {
        throw { code: "config.exists", message: "favourite prod-admin already exists" };
      },
    });
    type(field("name"), "prod-admin");
    type(field("arn"), "arn:aws:iam::123456789012:role/Admin");
    $<HTMLSelectElement>("#fav-source").value = "work";
    $<HTMLSelectElement>("#fav-source").dispatchEvent(new Event("change"));
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    const error = await waitFor(() => document.querySelector<HTMLElement>("#fav-form-error:not([hidden])"));
    expect(error.querySelector(".error-message")?.textContent).toBe("favourite prod-admin already exists");
    expect(error.querySelector(".error-code")?.textContent).toBe("config.exists");
    expect(document.querySelector("#fav-form")).not.toBeNull();
  });

  it("edits a favourite with its values filled in, replacing it by name", async () => {
    const existing = favourite("prod-admin", {
      profile: "admin",
      durationSecs: 5400,
      mfa: true,
      tags: [{ key: "team", value: "platform" }],
      transitiveTags: ["team"],
    });
    const backend = mockBackend({
      ...settingsBackend([existing, favourite("other")]),
      save_favourite: ({ input }) => ({ ...existing, name: input.name }),
    });
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    $<HTMLButtonElement>('[data-testid="fav-edit-prod-admin"]').click();
    expect(field("name").value).toBe("prod-admin");
    expect(field("profile").value).toBe("admin");
    expect(field("duration").value).toBe("1h30m");
    expect(field("mfa").checked).toBe(true);
    expect($<HTMLInputElement>("#fav-form [name=tags]").value).toBe("team=platform");
    expect($<HTMLInputElement>("#fav-form [name=transitiveTags]").value).toBe("team");
    expect([...$<HTMLSelectElement>("#fav-source").options].map((o) => o.value)).not.toContain("prod-admin");
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    await waitFor(() => backend.of("save_favourite").length === 1);
    expect(backend.of("save_favourite")[0]!.args.replacing).toBe("prod-admin");
  });

  it("Esc and Cancel close the form without saving", async () => {
    const backend = await openAdd();
    key(field("name"), "Escape");
    expect(document.querySelector("#fav-form")).toBeNull();
    $<HTMLButtonElement>("#fav-add").click();
    $<HTMLButtonElement>("#fav-cancel").click();
    expect(document.querySelector("#fav-form")).toBeNull();
    expect(backend.of("save_favourite")).toHaveLength(0);
  });
});

describe("favourite form: Expiry", () => {
  const select = () => $<HTMLSelectElement>("#fav-auto-renew");
  const choose = (value: string) => {
    select().value = value;
    select().dispatchEvent(new Event("change", { bubbles: true }));
  };
  /** Fills the required fields so Save can be pressed. */
  const fillRequired = () => {
    type(field("name"), "prod-admin");
    type(field("arn"), "arn:aws:iam::123456789012:role/Admin");
    $<HTMLSelectElement>("#fav-source").value = "work";
    $<HTMLSelectElement>("#fav-source").dispatchEvent(new Event("change"));
  };
  const sent = (backend: ReturnType<typeof mockBackend>) => backend.of("save_favourite")[0]!.args.input as Record<string, unknown>;

  it("offers the three auto-renew choices and shows the preference's lead times as placeholders", async () => {
    await openAdd();
    expect(select().name).toBe("autoRenew");
    expect([...select().options].map((o) => [o.value, o.textContent])).toEqual([
      ["preference", "As in preferences"],
      ["on", "On"],
      ["off", "Off"],
    ]);
    expect(select().value).toBe("preference");
    expect($<HTMLInputElement>("#fav-notify-before")).toBe(field("notifyBefore"));
    expect($<HTMLInputElement>("#fav-renew-before")).toBe(field("renewBefore"));
    expect(field("notifyBefore").placeholder).toBe("10m (preference)");
    expect(field("renewBefore").placeholder).toBe("5m (preference)");
    expect(field("notifyBefore").value).toBe("");
    expect(field("renewBefore").value).toBe("");
    const legends = [...document.querySelectorAll("#fav-form legend")].map((l) => l.textContent);
    expect(legends).toContain("Expiry");
  });

  it("says which preference values the placeholders stand for", async () => {
    mockBackend({
      ...settingsBackend([], undefined, { ...preferences, notifyBeforeMinutes: 90, renewBeforeMinutes: 60 }),
      validate_field: validate,
    });
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    $<HTMLButtonElement>("#fav-add").click();
    expect(field("notifyBefore").placeholder).toBe("1h30m (preference)");
    expect(field("renewBefore").placeholder).toBe("1h (preference)");
  });

  it.each([
    ["preference", null, "", ""],
    ["on", true, "14m55s", "  90s "],
    ["off", false, "1h", ""],
  ])("sends auto-renew %s as %s with the lead times trimmed, empty for the preference", async (choice, autoRenew, notify, renew) => {
    const backend = await openAdd({ save_favourite: ({ input }) => favourite(input.name) });
    fillRequired();
    choose(choice);
    type(field("notifyBefore"), notify);
    type(field("renewBefore"), renew);
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    await waitFor(() => backend.of("save_favourite").length === 1);
    const input = sent(backend);
    expect(input.autoRenew).toBe(autoRenew);
    expect(input.notifyBefore).toBe(notify.trim());
    expect(input.renewBefore).toBe(renew.trim());
  });

  it.each([
    [true, "on"],
    [false, "off"],
    [null, "preference"],
  ] as const)("editing a favourite with autoRenew %s selects %s and fills the lead times", async (autoRenew, choice) => {
    const existing = favourite("prod", { autoRenew, notifyBefore: "14m55s", renewBefore: autoRenew === null ? null : "2m" });
    const backend = mockBackend({
      ...settingsBackend([existing]),
      validate_field: validate,
      save_favourite: ({ input }) => ({ ...existing, name: input.name }),
    });
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    $<HTMLButtonElement>('[data-testid="fav-edit-prod"]').click();
    expect(select().value).toBe(choice);
    expect(field("notifyBefore").value).toBe("14m55s");
    expect(field("renewBefore").value).toBe(autoRenew === null ? "" : "2m");
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    await waitFor(() => backend.of("save_favourite").length === 1);
    expect(backend.of("save_favourite")[0]!.args.replacing).toBe("prod");
    const input = sent(backend);
    expect(input.autoRenew).toBe(autoRenew);
    expect(input.notifyBefore).toBe("14m55s");
    expect(input.renewBefore).toBe(autoRenew === null ? "" : "2m");
  });

  it.each([
    ["file", "process"],
    ["process", "file"],
  ] as const)("editing a favourite delivered by %s shows it and sends the choice %s", async (delivery, next) => {
    const existing = favourite("prod", { delivery });
    const backend = mockBackend({
      ...settingsBackend([existing]),
      validate_field: validate,
      save_favourite: ({ input }) => ({ ...existing, name: input.name, delivery: input.delivery }),
    });
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    $<HTMLButtonElement>('[data-testid="fav-edit-prod"]').click();
    const menu = $<HTMLSelectElement>("#fav-delivery");
    expect(menu.value).toBe(delivery);
    expect([...menu.options].map((o) => o.value)).toEqual(["file", "process"]);
    menu.value = next;
    menu.dispatchEvent(new Event("change"));
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    await waitFor(() => backend.of("save_favourite").length === 1);
    expect(sent(backend).delivery).toBe(next);
  });

  it("checks the lead times on blur through validate_field as notifyBefore and renewBefore", async () => {
    const backend = await openAdd();
    fillRequired();
    await waitFor(() => !save().disabled);
    const leadChecks = () =>
      backend
        .of("validate_field")
        .map((c) => c.args)
        .filter((a) => a.field === "notifyBefore" || a.field === "renewBefore");
    expect(leadChecks()).toEqual([]);

    // Set without an input event: only the blur checks it.
    const notify = field("notifyBefore");
    notify.value = "soon";
    notify.dispatchEvent(new Event("blur"));
    await waitFor(() => !messageOf(notify).hidden);
    expect(messageOf(notify).textContent).toBe('"soon" is not a time like 10m, 14m55s, 90s or 1h');
    expect(notify.getAttribute("aria-invalid")).toBe("true");
    expect(save().disabled).toBe(true);

    const renew = field("renewBefore");
    renew.value = " 5 minutes ";
    renew.dispatchEvent(new Event("blur"));
    await waitFor(() => !messageOf(renew).hidden);
    expect(messageOf(renew).textContent).toBe('"5 minutes" is not a time like 10m, 14m55s, 90s or 1h');

    expect(leadChecks()).toEqual([
      { field: "notifyBefore", value: "soon" },
      { field: "renewBefore", value: "5 minutes" },
    ]);

    type(notify, "14m55s");
    notify.dispatchEvent(new Event("blur"));
    type(renew, "");
    renew.dispatchEvent(new Event("blur"));
    await waitFor(() => messageOf(notify).hidden && messageOf(renew).hidden);
    await waitFor(() => !save().disabled);
    // Empty means "the preference": nothing to ask the core.
    expect(leadChecks().slice(2)).toEqual([{ field: "notifyBefore", value: "14m55s" }]);
  });

  it("shows the backend's refusal of a lead time longer than the session", async () => {
    await openAdd({
      save_favourite: () => {
        throw { code: "validation.renew_before", message: "renew before: must be shorter than the session (1h)" };
      },
    });
    fillRequired();
    type(field("renewBefore"), "2h");
    await waitFor(() => !save().disabled);
    form().requestSubmit();
    const error = await waitFor(() => document.querySelector<HTMLElement>("#fav-form-error:not([hidden])"));
    expect(error.querySelector(".error-message")?.textContent).toBe("renew before: must be shorter than the session (1h)");
    expect(document.querySelector("#fav-form")).not.toBeNull();
  });
});

describe("clamped lead times", () => {
  it("says which of a favourite's leads apply clamped, and says nothing when none are", async () => {
    const clamped = favourite("short", {
      durationSecs: 900,
      notifyBefore: "20m",
      leadNotes: ["notify before 20m applies as 7m30s (half of its 15m session)"],
    });
    const plain = favourite("long");
    mockBackend({ ...settingsBackend([clamped, plain]), validate_field: () => null });
    app = await mountSettings(mountPoint(), { validateDelayMs: 0 });
    $<HTMLButtonElement>('[data-testid="fav-edit-short"]').click();
    const note = $('[data-testid="fav-lead-notes"]');
    expect(note.textContent).toContain("notify before 20m applies as 7m30s (half of its 15m session)");
    expect(note.getAttribute("role")).toBe("note");
    $<HTMLButtonElement>("#fav-cancel").click();
    $<HTMLButtonElement>('[data-testid="fav-edit-long"]').click();
    expect(document.querySelector('[data-testid="fav-lead-notes"]')).toBeNull();
  });
});
