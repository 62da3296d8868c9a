/// <reference types="vite/client" />
// The sample data lives once, in ui/fixtures, for the tests and the preview alike; the preview
// serves it to the browser as it is (types stripped), so it may import nothing but types and
// must not read the clock.

import { describe, expect, it } from "vitest";
import * as fixtures from "../fixtures";
import * as helpers from "./helpers";

const raw = import.meta.glob<string>(["../fixtures/*.ts", "../dev/mock-tauri.js"], {
  query: "?raw",
  import: "default",
  eager: true,
});
const fixtureFiles = Object.entries(raw).filter(([path]) => path.startsWith("../fixtures/"));
const mock = raw["../dev/mock-tauri.js"] ?? "";

describe("fixtures", () => {
  it("are the tests' sample data", () => {
    expect(helpers.sources).toBe(fixtures.sources);
    expect(helpers.preferences).toBe(fixtures.preferences);
    expect(helpers.favourite).toBe(fixtures.favourite);
    expect(helpers.candidate).toBe(fixtures.candidate);
  });

  it("are the preview's sample data: the mock imports them and holds no records of its own", () => {
    expect(mock).toMatch(/^import \{[^}]+\} from "\/fixtures\/index\.js";$/m);
    expect(mock).not.toMatch(/\b(name|profile|roleArn|requestId|keyHint|favourite):\s*["']/);
  });

  it("import only types and use no clock, randomness or DOM", () => {
    expect(fixtureFiles.map(([path]) => path)).toContain("../fixtures/index.ts");
    for (const [, text] of fixtureFiles) {
      const imports = text.match(/^import\b.*$/gm) ?? [];
      for (const line of imports) expect(line).toMatch(/^import type \{[^}]+\} from "\.\.\/src\/ipc";$/);
      expect(text).not.toMatch(/\bDate\.now\(|new Date\(\)|Math\.random|\bdocument\.|\bwindow\./);
    }
  });

  it("give times relative to the now passed in", () => {
    const now = Date.UTC(2030, 0, 1);
    const [admin, readonly, staging] = fixtures.favourites(now);
    expect(admin!.session).toEqual({ state: "active", expires: "2030-01-01T00:42:10.000Z", secondsLeft: 42 * 60 + 10 });
    expect(readonly!.session).toEqual({ state: "expired", expires: "2029-12-31T23:50:00.000Z", secondsLeft: null });
    expect(staging!.session).toEqual({ state: "never", expires: null, secondsLeft: null });
  });
});
