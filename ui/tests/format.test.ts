import { describe, expect, it } from "vitest";
import { durationText, sessionLabel, shortArn, timeLeft } from "../src/format";

describe("sessionLabel", () => {
  it.each([
    [{ state: "active", expires: "2030-01-01T00:00:00Z", secondsLeft: 42 * 60 + 5 }, 0, "42m left", "active"],
    [{ state: "active", expires: null, secondsLeft: 3 * 3600 + 5 * 60 }, 0, "3h 5m left", "active"],
    [{ state: "active", expires: null, secondsLeft: 30 }, 0, "<1m left", "active"],
    [{ state: "active", expires: null, secondsLeft: 600 }, 600, "expired", "expired"],
    [{ state: "active", expires: null, secondsLeft: 600 }, 120, "8m left", "active"],
    [{ state: "expired", expires: "2020-01-01T00:00:00Z", secondsLeft: null }, 0, "expired", "expired"],
    [{ state: "never", expires: null, secondsLeft: null }, 0, "—", "never"],
  ] as const)("%j after %ds is %s", (session, elapsed, text, state) => {
    expect(sessionLabel(session, elapsed)).toEqual({ text, state });
  });
});

describe("durations and ARNs", () => {
  it.each([
    [3600, "1h"],
    [2700, "45m"],
    [5400, "1h30m"],
    [43200, "12h"],
    [901, "901"],
  ])("%d seconds is %s", (secs, text) => expect(durationText(secs)).toBe(text));

  it("counts time left", () => {
    expect(timeLeft(59)).toBe("<1m");
    expect(timeLeft(3600)).toBe("1h");
    expect(timeLeft(3661)).toBe("1h 1m");
  });

  it("shortens commercial ARNs only", () => {
    expect(shortArn("arn:aws:iam::123456789012:role/Admin")).toBe("123456789012:role/Admin");
    expect(shortArn("arn:aws:sts::123456789012:assumed-role/A/b")).toBe("123456789012:assumed-role/A/b");
    expect(shortArn("arn:aws-us-gov:iam::123456789012:role/Admin")).toBe("arn:aws-us-gov:iam::123456789012:role/Admin");
  });
});
