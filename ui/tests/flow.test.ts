import { describe, expect, it } from "vitest";
import { Flow, IllegalMove, steps } from "../src/flow";

const SIGN_IN = steps({
  start: ["asking"],
  asking: ["asking", "checking", "gone"],
  checking: ["asking", "signed-in"],
  "signed-in": [],
  gone: [],
});

describe("flow", () => {
  it("starts where it is told and moves along the table", () => {
    const flow = new Flow("sign-in", SIGN_IN, "start");
    expect(flow.step).toBe("start");
    flow.move("start", "asking");
    flow.move("asking", "asking");
    flow.move("asking", "checking");
    flow.move("checking", "signed-in");
    expect(flow.step).toBe("signed-in");
    expect(flow.is("signed-in", "gone")).toBe(true);
    expect(flow.is("start")).toBe(false);
  });

  it("refuses a move the table does not list, and stays where it was", () => {
    const flow = new Flow("sign-in", SIGN_IN, "start");
    flow.move("start", "asking");
    flow.move("asking", "gone");
    expect(() => flow.go("asking")).toThrow(IllegalMove);
    expect(() => flow.go("asking")).toThrow("sign-in: cannot move from gone to asking");
    expect(flow.step).toBe("gone");
    expect(flow.can("asking")).toBe(false);
  });

  it("refuses a move from a step the flow is not at", () => {
    const flow = new Flow("sign-in", SIGN_IN, "start");
    let error: unknown = null;
    try {
      flow.move("asking", "checking");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IllegalMove);
    expect(error).toMatchObject({ flow: "sign-in", at: "start", from: "asking", to: "checking" });
    expect((error as Error).message).toBe("sign-in: cannot move from asking to checking; the flow is at start");
    expect(flow.step).toBe("start");
  });

  it("tells its listeners each move, until they stop listening", () => {
    const flow = new Flow("sign-in", SIGN_IN, "start");
    const seen: string[] = [];
    const stop = flow.onMove((to, from) => seen.push(`${from}->${to}`));
    flow.move("start", "asking");
    flow.go("checking");
    expect(() => flow.go("gone")).toThrow(IllegalMove);
    stop();
    flow.go("asking");
    expect(seen).toEqual(["start->asking", "asking->checking"]);
  });

  it("checks the table's moves at compile time", () => {
    const flow = new Flow("sign-in", SIGN_IN, "start");
    const refusedAtRunTime = () => {
      // @ts-expect-error: start may only move to asking.
      flow.move("start", "signed-in");
    };
    const unknownStep = () => {
      // @ts-expect-error: no such step.
      flow.go("lost");
    };
    expect(refusedAtRunTime).toThrow(IllegalMove);
    expect(unknownStep).toThrow(IllegalMove);
    expect(flow.step).toBe("start");
  });
});
