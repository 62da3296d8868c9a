import { afterEach, describe, expect, it } from "vitest";
import { FAVOURITE_FIELDS } from "../src/settings/favourite-form";
import { buildForm, checkbox, list, text, type FieldTable } from "../src/settings/field-table";
import { SOURCE_FIELDS } from "../src/settings/source-form";
import { FormValidator } from "../src/validation";
import { $, mockBackend, resetDom, type, waitFor } from "./helpers";

afterEach(resetDom);

interface Sample {
  title: string;
  pinned: boolean;
  labels: string[];
  note: string;
}

interface Context {
  pinned: boolean;
}

const SAMPLE: FieldTable<Sample, Context> = {
  title: { id: "s-title", section: "Main", label: "Title", check: "name", required: true, control: text({ placeholder: "a title" }) },
  pinned: { id: "s-pinned", section: "Main", label: "", control: checkbox({ text: "Pinned", checked: (c) => c.pinned }) },
  labels: {
    section: "More",
    label: "Labels",
    hint: (c) => (c.pinned ? "Pinned ones need one." : undefined),
    control: list({ field: "tag", placeholder: "key=value", addLabel: "Add label", testPrefix: "s-label", values: () => ["a=b"] }),
  },
  note: {
    id: "s-note",
    section: "Main",
    label: "Note",
    when: (form) => form.controls.pinned.read(),
    required: true,
    control: text({ placeholder: "why", value: () => "  kept  " }),
  },
};

function build(context: Context) {
  const submit = document.createElement("button");
  const validator = new FormValidator(submit, 0);
  const form = buildForm(SAMPLE, { context, validator, after: { More: [document.createElement("aside")] } });
  const root = document.createElement("form");
  root.append(...form.sections);
  document.body.append(root, submit);
  return { form, root, submit, validator };
}

describe("field table", () => {
  it("renders the rows under their sections, in the table's order, named by their keys", () => {
    mockBackend({ validate_field: () => null });
    const { root } = build({ pinned: false });
    const sections = [...root.querySelectorAll("fieldset")].map((f) => ({
      legend: f.querySelector("legend")!.textContent,
      labels: [...f.querySelectorAll(".form-label")].map((l) => l.textContent),
    }));
    expect(sections).toEqual([
      { legend: "Main", labels: ["Title", "", "Note"] },
      { legend: "More", labels: ["Labels"] },
    ]);
    expect($<HTMLInputElement>("#s-title").name).toBe("title");
    expect($<HTMLInputElement>("#s-pinned").name).toBe("pinned");
    expect($<HTMLInputElement>("[name=labels]").value).toBe("a=b");
    expect($('[for="s-title"]').textContent).toBe("Title");
    expect(root.querySelector("fieldset:last-child aside")).not.toBeNull();
    // A hint from the context: none when it says none.
    expect(root.querySelectorAll(".field-hint")).toHaveLength(0);
  });

  it("reads every field back as the form sends it", () => {
    mockBackend({ validate_field: () => null });
    const { form } = build({ pinned: true });
    type($("#s-title"), "  Hello ");
    $<HTMLButtonElement>("#s-label-add").click();
    type(document.querySelectorAll<HTMLInputElement>("[name=labels]")[1]!, "c=d");
    const values: Sample = form.read();
    expect(values).toEqual({ title: "Hello", pinned: true, labels: ["a=b", "c=d"], note: "kept" });
  });

  it("checks a field through validate_field as its `check`, and requires what is required", async () => {
    const backend = mockBackend({ validate_field: ({ value }) => (value === "bad" ? "is bad" : null) });
    const { submit } = build({ pinned: false });
    expect(submit.disabled).toBe(true);
    type($("#s-title"), "bad");
    const message = await waitFor(() => document.querySelector<HTMLElement>(".field-message:not([hidden])"));
    expect(message.textContent).toBe("is bad");
    expect(backend.of("validate_field").map((c) => c.args)).toContainEqual({ field: "name", value: "bad" });
    type($("#s-title"), "good");
    await waitFor(() => !submit.disabled);
  });

  it("shows, checks and requires a field with `when` only while it holds", async () => {
    mockBackend({ validate_field: () => null });
    const { form, submit } = build({ pinned: false });
    const noteRow = $("#s-note").closest(".form-row") as HTMLElement;
    expect(noteRow.hidden).toBe(true);
    type($("#s-title"), "good");
    await waitFor(() => !submit.disabled);

    $<HTMLInputElement>("#s-pinned").click();
    form.refresh();
    expect(noteRow.hidden).toBe(false);
    type($("#s-note"), "");
    expect(submit.disabled).toBe(true);
    type($("#s-note"), "because");
    expect(submit.disabled).toBe(false);
  });

  it("makes a table name every value its form sends", () => {
    // The type holds every key of the values with a field of that value's type.
    const missing = () => {
      // @ts-expect-error: no field for `note`.
      const table: FieldTable<Sample, Context> = { title: SAMPLE.title, pinned: SAMPLE.pinned, labels: SAMPLE.labels };
      return table;
    };
    const wrongType = () => {
      // @ts-expect-error: `pinned` is a boolean, not text.
      const table: FieldTable<Sample, Context> = { ...SAMPLE, pinned: SAMPLE.title };
      return table;
    };
    expect(Object.keys(missing())).toHaveLength(3);
    expect(Object.keys(wrongType())).toHaveLength(4);
  });

  it("declares the favourite and source forms with the ids and names the WebDriver tests use", () => {
    const ids = (table: Record<string, { id?: string }>) => Object.fromEntries(Object.entries(table).map(([k, f]) => [k, f.id]));
    expect(ids(FAVOURITE_FIELDS)).toEqual({
      name: "fav-name",
      arn: "fav-arn",
      source: "fav-source",
      profile: "fav-profile",
      mfa: "fav-mfa",
      duration: "fav-duration",
      region: "fav-region",
      delivery: "fav-delivery",
      sessionName: "fav-session-name",
      externalId: "fav-external-id",
      sourceIdentity: "fav-source-identity",
      autoRenew: "fav-auto-renew",
      notifyBefore: "fav-notify-before",
      renewBefore: "fav-renew-before",
      tags: undefined,
      transitiveTags: undefined,
      policyArns: undefined,
    });
    expect(ids(SOURCE_FIELDS)).toEqual({
      name: "src-name",
      kind: undefined,
      accessKeyId: "src-access-key-id",
      secretAccessKey: "src-secret",
      awsProfile: "src-aws-profile",
      mfaSerial: "src-mfa-serial",
      verify: "src-verify",
    });
  });
});
