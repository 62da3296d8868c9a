import { afterEach, describe, expect, it } from "vitest";
import { mountSettings, type SettingsApp } from "../src/settings/app";
import { $, mockBackend, mountPoint, resetDom, settingsBackend, sources, type, waitFor } from "./helpers";

let app: SettingsApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const field = (name: string) => $<HTMLInputElement>(`#src-form [name=${name}]`);

/** How many times the secret was sent, over every IPC call. */
const timesSent = (calls: { args: unknown }[]) => calls.filter((c) => JSON.stringify(c.args).includes(SECRET)).length;

async function openForm(addSource: (a: Record<string, any>) => unknown) {
  const backend = mockBackend({ ...settingsBackend(), add_source: addSource });
  app = await mountSettings(mountPoint(), { tab: "sources", validateDelayMs: 0 });
  $<HTMLButtonElement>("#src-add").click();
  return backend;
}

function fillKeys() {
  type(field("name"), "work2");
  type(field("accessKeyId"), "AKIAIOSFODNN7EXAMPLE");
  type(field("secretAccessKey"), SECRET);
}

describe("sources", () => {
  it("lists sources with the masked key id and the verified identity", async () => {
    mockBackend(settingsBackend());
    app = await mountSettings(mountPoint(), { tab: "sources" });
    expect($("#tab-sources").getAttribute("aria-selected")).toBe("true");
    expect($('[data-testid="src-credentials-work"]').textContent).toBe("Keys ****MPLE");
    expect($('[data-testid="src-credentials-corp"]').textContent).toBe("AWS profile corp-sso");
    expect($('[data-testid="src-identity-work"]').title).toBe("arn:aws:iam::123456789012:user/alice");
    expect($('[data-testid="src-identity-corp"]').textContent).toBe("not verified");
  });

  it("sends the secret once with add_source and then clears the field", async () => {
    const backend = await openForm(({ input }) => ({ ...sources[0], name: input.name }));
    const secret = field("secretAccessKey");
    expect(secret.type).toBe("password");
    expect(secret.getAttribute("autocomplete")).toBe("off");
    expect(field("verify").checked).toBe(true);
    fillKeys();
    type(field("mfaSerial"), "arn:aws:iam::123456789012:mfa/alice");
    await waitFor(() => !$<HTMLButtonElement>("#src-save").disabled);

    $<HTMLFormElement>("#src-form").requestSubmit();
    await waitFor(() => backend.of("add_source").length === 1);
    expect(backend.of("add_source")[0]!.args).toEqual({
      input: {
        name: "work2",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: SECRET,
        awsProfile: null,
        mfaSerial: "arn:aws:iam::123456789012:mfa/alice",
        verify: true,
      },
    });
    await waitFor(() => document.querySelector("#src-form") === null);
    expect(secret.value).toBe("");
    expect(timesSent(backend.calls)).toBe(1);
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(backend.of("validate_field").some((c) => c.args.field === "secretAccessKey")).toBe(false);
  });

  it("clears the secret when add_source rejects, shows the error, and needs it typed again", async () => {
    const backend = await openForm(() => {
      throw { code: "sts.unknown_key", message: "source work2: AWS does not know this access key id" };
    });
    fillKeys();
    await waitFor(() => !$<HTMLButtonElement>("#src-save").disabled);
    $<HTMLFormElement>("#src-form").requestSubmit();
    const error = await waitFor(() => document.querySelector<HTMLElement>("#src-form-error:not([hidden])"));
    expect(error.querySelector(".error-code")?.textContent).toBe("sts.unknown_key");
    expect(error.querySelector(".error-message")?.textContent).toBe("source work2: AWS does not know this access key id");
    expect(field("secretAccessKey").value).toBe("");
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(timesSent(backend.calls)).toBe(1);
    // The other fields stay; Save waits for the secret again.
    expect(field("accessKeyId").value).toBe("AKIAIOSFODNN7EXAMPLE");
    expect($<HTMLButtonElement>("#src-save").disabled).toBe(true);
  });

  it("adds an AWS-profile source without keys", async () => {
    const backend = await openForm(({ input }) => ({ ...sources[1], name: input.name }));
    type(field("name"), "corp2");
    $<HTMLInputElement>("#src-kind-profile").click();
    expect(field("accessKeyId").closest(".form-row")!.hasAttribute("hidden")).toBe(true);
    expect($<HTMLButtonElement>("#src-save").disabled).toBe(true);
    type(field("awsProfile"), "corp-sso");
    field("verify").click();
    await waitFor(() => !$<HTMLButtonElement>("#src-save").disabled);
    $<HTMLFormElement>("#src-form").requestSubmit();
    await waitFor(() => backend.of("add_source").length === 1);
    expect(backend.of("add_source")[0]!.args).toEqual({
      input: { name: "corp2", accessKeyId: null, secretAccessKey: null, awsProfile: "corp-sso", mfaSerial: null, verify: false },
    });
  });

  it("shows validate_field's message for the access key id", async () => {
    const backend = mockBackend({
      ...settingsBackend(),
      validate_field: ({ field: f }) => (f === "accessKeyId" ? "is not an access key id" : null),
    });
    app = await mountSettings(mountPoint(), { tab: "sources", validateDelayMs: 0 });
    $<HTMLButtonElement>("#src-add").click();
    fillKeys();
    const message = await waitFor(() => document.querySelector<HTMLElement>("#src-form .field-message:not([hidden])"));
    expect(message.textContent).toBe("is not an access key id");
    expect($<HTMLButtonElement>("#src-save").disabled).toBe(true);
    expect(timesSent(backend.calls)).toBe(0);
    $<HTMLButtonElement>("#src-cancel").click();
    expect(document.querySelector("#src-form")).toBeNull();
  });

  it("removes a source after the confirm", async () => {
    const backend = mockBackend({ ...settingsBackend(), remove_source: () => null });
    app = await mountSettings(mountPoint(), { tab: "sources" });
    $<HTMLButtonElement>('[data-testid="src-remove-corp"]').click();
    $<HTMLButtonElement>("#confirm-ok").click();
    await waitFor(() => backend.of("remove_source").length === 1);
    expect(backend.of("remove_source")[0]!.args).toEqual({ name: "corp" });
  });
});
