import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, it } from "vitest";
import { mfaRequest } from "../fixtures";
import { mountMfa, type MfaApp } from "../src/mfa/app";
import { $, key, mockBackend, mountPoint, resetDom, type, waitFor } from "./helpers";

let app: MfaApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const request = mfaRequest;
const code = () => $<HTMLInputElement>("#mfa-code");

async function open(handlers: Record<string, (a: Record<string, any>) => unknown> = {}) {
  const backend = mockBackend(
    { mfa_pending: () => request, submit_mfa: () => null, cancel_mfa: () => null, ...handlers },
    "mfa",
  );
  app = await mountMfa(mountPoint());
  return backend;
}

describe("MFA window", () => {
  it("shows the pending request with a numeric six-digit field", async () => {
    await open();
    expect($("#mfa-prompt").textContent).toBe("Enter the code from your MFA device for prod-admin");
    expect($("#mfa-device").textContent).toBe("arn:aws:iam::123456789012:mfa/alice");
    expect(code().getAttribute("inputmode")).toBe("numeric");
    expect(code().getAttribute("maxlength")).toBe("6");
    expect(code().hasAttribute("autofocus")).toBe(true);
    expect(document.activeElement).toBe(code());
  });

  it("drops anything but digits, up to six", async () => {
    await open();
    type(code(), "12a 3-4");
    expect(code().value).toBe("1234");
    type(code(), "98765432");
    expect(code().value).toBe("987654");
  });

  it("submits the six digits on Enter", async () => {
    let submitted = false;
    const backend = await open({
      submit_mfa: () => {
        submitted = true;
        return null;
      },
      mfa_pending: () => (submitted ? null : request),
    });
    type(code(), "123 456");
    key(code(), "Enter");
    await waitFor(() => backend.of("submit_mfa").length === 1);
    expect(backend.of("submit_mfa")[0]!.args).toEqual({ requestId: "req-1", code: "123456" });
    await waitFor(() => $("#mfa-idle-text").textContent === "Code accepted.");
    expect($("#mfa-form").hidden).toBe(true);
  });

  it("does not submit fewer than six digits", async () => {
    const backend = await open();
    type(code(), "12345");
    key(code(), "Enter");
    await new Promise((r) => setTimeout(r, 20));
    expect(backend.of("submit_mfa")).toHaveLength(0);
    expect($<HTMLButtonElement>("#mfa-submit").disabled).toBe(true);
  });

  it("shows a refused code's message, clears the field and lets the user retry", async () => {
    let tries = 0;
    const backend = await open({
      submit_mfa: () => {
        tries++;
        if (tries === 1) throw { code: "sts.mfa_invalid", message: "MFA code for prod-admin was refused" };
        return null;
      },
      mfa_pending: () => (tries >= 2 ? null : request),
    });
    type(code(), "111111");
    key(code(), "Enter");
    const error = await waitFor(() => document.querySelector<HTMLElement>("#mfa-error:not([hidden])"));
    expect(error.querySelector(".error-message")?.textContent).toBe("MFA code for prod-admin was refused");
    expect(error.querySelector(".error-code")?.textContent).toBe("sts.mfa_invalid");
    expect(code().value).toBe("");
    expect(code().disabled).toBe(false);

    type(code(), "222222");
    key(code(), "Enter");
    await waitFor(() => backend.of("submit_mfa").length === 2);
    expect(backend.of("submit_mfa")[1]!.args).toEqual({ requestId: "req-1", code: "222222" });
  });

  it("cancels on Esc", async () => {
    const backend = await open();
    type(code(), "12");
    key(code(), "Escape");
    await waitFor(() => backend.of("cancel_mfa").length === 1);
    expect(backend.of("cancel_mfa")[0]!.args).toEqual({ requestId: "req-1" });
    expect(backend.of("submit_mfa")).toHaveLength(0);
    await waitFor(() => $("#mfa-idle-text").textContent === "Cancelled.");
  });

  it("replaces the shown request when a new one arrives", async () => {
    const backend = await open();
    type(code(), "123");
    await emit("rolecall://mfa-request", { requestId: "req-2", favourite: "billing", device: "arn:aws:iam::1:mfa/bob" });
    await waitFor(() => $("#mfa-favourite").textContent === "billing");
    expect(code().value).toBe("");
    type(code(), "654321");
    key(code(), "Enter");
    await waitFor(() => backend.of("submit_mfa").length === 1);
    expect(backend.of("submit_mfa")[0]!.args).toEqual({ requestId: "req-2", code: "654321" });
  });

  it("says so when nothing is pending, and shows a request that arrives later", async () => {
    await open({ mfa_pending: () => null });
    expect($("#mfa-form").hidden).toBe(true);
    expect($("#mfa-idle-text").textContent).toBe("No MFA code is needed right now.");
    await emit("rolecall://mfa-request", request);
    await waitFor(() => !$("#mfa-form").hidden);
    expect(document.activeElement).toBe(code());
  });

  it("moves through its steps: entering, submitting, error, then done", async () => {
    let finish: (value: unknown) => void = () => {};
    let tries = 0;
    await open({
      submit_mfa: () => {
        tries++;
        if (tries === 1) throw { code: "sts.mfa_invalid", message: "MFA code for prod-admin was refused" };
        return new Promise((resolve) => (finish = resolve));
      },
      mfa_pending: () => (tries >= 2 ? null : request),
    });
    expect(app!.step()).toBe("entering");
    type(code(), "111111");
    key(code(), "Enter");
    await waitFor(() => app!.step() === "error");
    type(code(), "222222");
    key(code(), "Enter");
    await waitFor(() => app!.step() === "submitting");
    expect(code().disabled).toBe(true);
    // A second Enter while submitting sends nothing more.
    key(code(), "Enter");
    expect(tries).toBe(2);
    finish(null);
    await waitFor(() => app!.step() === "done");
    expect($("#mfa-idle-text").textContent).toBe("Code accepted.");
  });

  it("keeps a request that arrived while mfa_pending was still answering, even if that fails", async () => {
    let fail: (reason: unknown) => void = () => {};
    const backend = mockBackend({ mfa_pending: () => new Promise((_, reject) => (fail = reject)) }, "mfa");
    const mounting = mountMfa(mountPoint());
    await waitFor(() => backend.of("mfa_pending").length === 1);
    await emit("rolecall://mfa-request", { requestId: "req-2", favourite: "billing", device: "arn:aws:iam::1:mfa/bob" });
    await waitFor(() => $("#mfa-favourite").textContent === "billing");
    fail({ code: "ipc.error", message: "mfa_pending failed" });
    app = await mounting;
    expect($("#mfa-form").hidden).toBe(false);
    expect($("#mfa-idle").hidden).toBe(true);
    expect(app.current()?.requestId).toBe("req-2");
  });
});
