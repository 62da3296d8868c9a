import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceSignIn } from "../src/ipc";
import { mountSignIn, type SignInApp } from "../src/signin/app";
import { $, key, mockBackend, mountPoint, resetDom, waitFor } from "./helpers";

let app: SignInApp | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
  resetDom();
});

const waiting: DeviceSignIn = {
  requestId: "signin-1",
  source: "corp",
  userCode: "WDJB-MJHT",
  verificationUri: "https://device.sso.eu-west-1.amazonaws.com/",
  expiresAt: "2026-12-02T08:00:00Z",
  state: "waiting",
  message: null,
};

async function open(handlers: Record<string, (a: Record<string, any>) => unknown> = {}) {
  const backend = mockBackend(
    {
      signin_pending: () => waiting,
      signin_open_browser: () => null,
      signin_copy_code: () => null,
      signin_cancel: () => null,
      ...handlers,
    },
    "signin",
  );
  app = await mountSignIn(mountPoint());
  return backend;
}

const buttons = () => ["#signin-open", "#signin-copy", "#signin-cancel"].map((s) => $<HTMLButtonElement>(s));

describe("sign-in window", () => {
  it("shows the source, the page and the code to confirm", async () => {
    await open();
    expect($("#signin-prompt").textContent).toBe("Sign in to corp in a browser:");
    expect($("#signin-uri").textContent).toBe("https://device.sso.eu-west-1.amazonaws.com/");
    expect($("#signin-code").textContent).toBe("WDJB-MJHT");
    expect($("#signin-status").textContent).toBe("Waiting for the code to be confirmed…");
    expect(buttons().every((b) => !b.disabled)).toBe(true);
  });

  it("sends each button's command for the sign-in shown", async () => {
    const backend = await open();
    for (const [button, cmd] of [
      ["#signin-open", "signin_open_browser"],
      ["#signin-copy", "signin_copy_code"],
      ["#signin-cancel", "signin_cancel"],
    ] as const) {
      $<HTMLButtonElement>(button).click();
      await waitFor(() => backend.of(cmd).length === 1);
      expect(backend.of(cmd)[0]!.args).toEqual({ requestId: "signin-1" });
      await waitFor(() => !$<HTMLButtonElement>(button).disabled);
    }
  });

  it("cancels on Esc", async () => {
    const backend = await open();
    key(document.body, "Escape");
    await waitFor(() => backend.of("signin_cancel").length === 1);
  });

  it("says clearly when the code was denied or expired, and offers nothing more to click", async () => {
    await open();
    await emit("rolecall://signin", { ...waiting, state: "denied", message: "source corp: sign in: denied" });
    await waitFor(() => $("#signin-status").textContent!.startsWith("The code was denied in the browser."));
    expect(buttons().every((b) => b.disabled)).toBe(true);
    await emit("rolecall://signin", { ...waiting, requestId: "signin-2", state: "expired" });
    await waitFor(() => $("#signin-status").textContent!.startsWith("The code expired before it was confirmed."));
    // A new code replaces the one shown.
    await emit("rolecall://signin", { ...waiting, requestId: "signin-3", userCode: "ABCD-EFGH" });
    await waitFor(() => $("#signin-code").textContent === "ABCD-EFGH");
    expect(buttons().every((b) => !b.disabled)).toBe(true);
  });

  it("shows why a button failed", async () => {
    await open({
      signin_open_browser: () => {
        throw { code: "console.no_browser", message: "source corp: no browser could be opened; open the page by hand" };
      },
    });
    $<HTMLButtonElement>("#signin-open").click();
    await waitFor(() => !$("#signin-error").hidden);
    expect($("#signin-error").textContent).toContain("no browser could be opened");
  });

  it("says so when nothing waits for a code", async () => {
    await open({ signin_pending: () => null });
    expect($("#signin-status").textContent).toBe("No sign-in is waiting for a code.");
    expect(buttons().every((b) => b.disabled)).toBe(true);
  });
});
