import { afterEach, describe, expect, it } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, favourite, key, mockBackend, mountPoint, resetDom, settingsBackend, type, waitFor } from "./helpers";

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
