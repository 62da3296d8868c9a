import { afterEach, describe, expect, it } from "vitest";
import * as ipc from "../src/ipc";
import { mockBackend, resetDom } from "./helpers";

afterEach(resetDom);

describe("toIpcError", () => {
  it.each([
    ["rolecall's own error", { code: "sts.access_denied", message: "favourite x: access denied" }, { code: "sts.access_denied", message: "favourite x: access denied" }],
    ["extra fields are dropped", { code: "a.b", message: "m", stack: "at x" }, { code: "a.b", message: "m" }],
    ["Tauri's plain string", "Command foo not allowed by ACL", { code: "ipc.error", message: "Command foo not allowed by ACL" }],
    ["an Error keeps only its first line", new Error("boom\n    at f (x.js:1:1)"), { code: "ipc.error", message: "boom" }],
    ["a string with a stack", "bad thing\n    at g (y.js:2:2)", { code: "ipc.error", message: "bad thing" }],
    ["an object with a message but no code", { message: "half" }, { code: "ipc.error", message: "half" }],
    ["a code that is not a string", { code: 42, message: "m" }, { code: "ipc.error", message: "m" }],
    ["nothing useful", undefined, { code: "ipc.error", message: "something went wrong" }],
    ["null", null, { code: "ipc.error", message: "something went wrong" }],
  ])("%s", (_, input, expected) => {
    expect(ipc.toIpcError(input)).toEqual(expected);
  });
});

describe("commands", () => {
  it("send the contract's names and arguments", async () => {
    const backend = mockBackend({
      save_favourite: ({ input }) => ({ ...input, session: { state: "never" } }),
      submit_mfa: () => null,
      import_profiles: ({ profiles }) => profiles,
      validate_field: () => "is not an AWS region name like us-east-1",
    });
    const input: ipc.FavouriteInput = {
      name: "a",
      arn: "arn:aws:iam::123456789012:role/A",
      source: "work",
      profile: "",
      duration: "1h",
      sessionName: "",
      externalId: "",
      mfa: true,
      region: "",
      tags: ["team=x"],
      transitiveTags: [],
      sourceIdentity: "",
      policyArns: [],
      autoRenew: null,
      notifyBefore: "14m55s",
      renewBefore: "",
      delivery: "process",
    };
    await ipc.saveFavourite(input, "old");
    await ipc.submitMfa("req-1", "123456");
    await expect(ipc.importProfiles(["p1", "p2"])).resolves.toEqual(["p1", "p2"]);
    await expect(ipc.validateField("region", "mars")).resolves.toBe("is not an AWS region name like us-east-1");
    expect(backend.calls).toEqual([
      { cmd: "save_favourite", args: { input, replacing: "old" } },
      { cmd: "submit_mfa", args: { requestId: "req-1", code: "123456" } },
      { cmd: "import_profiles", args: { profiles: ["p1", "p2"] } },
      { cmd: "validate_field", args: { field: "region", value: "mars" } },
    ]);
  });

  it("reject with { code, message } whatever the backend threw", async () => {
    mockBackend({
      remove_source: () => {
        throw { code: "config.in_use", message: "source work: used by prod-admin" };
      },
      remove_favourite: () => {
        throw "Command remove_favourite not allowed by ACL";
      },
      assume: () => Promise.reject(new Error("kaput\n  at somewhere")),
    });
    await expect(ipc.removeSource("work")).rejects.toEqual({ code: "config.in_use", message: "source work: used by prod-admin" });
    await expect(ipc.removeFavourite("x")).rejects.toEqual({ code: "ipc.error", message: "Command remove_favourite not allowed by ACL" });
    await expect(ipc.assume("x")).rejects.toEqual({ code: "ipc.error", message: "kaput" });
  });

  it("deliver events to listeners, and stop after unlisten", async () => {
    mockBackend({});
    const { emit } = await import("@tauri-apps/api/event");
    const seen: ipc.MfaRequest[] = [];
    const unlisten = await ipc.onMfaRequest((r) => seen.push(r));
    await emit(ipc.EVENTS.mfaRequest, { requestId: "r", favourite: "f", device: "d" });
    expect(seen).toEqual([{ requestId: "r", favourite: "f", device: "d" }]);
    let changed = 0;
    await ipc.onChanged(() => changed++);
    await emit("rolecall://changed");
    expect(changed).toBe(1);
    unlisten();
  });
});
