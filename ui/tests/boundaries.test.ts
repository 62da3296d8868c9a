/// <reference types="vite/client" />
// Rules of the code itself: only ipc.ts talks to Tauri (STYLE habit 5), and nothing the strict
// CSP would block or that could leak a secret (inline styles, HTML strings, eval, logging).

import { describe, expect, it } from "vitest";

const sources = import.meta.glob<string>("../src/**/*.ts", { query: "?raw", import: "default", eager: true });
const pages = import.meta.glob<string>("../*.html", { query: "?raw", import: "default", eager: true });
const files = Object.entries(sources);

describe("code rules", () => {
  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(Object.keys(sources)).toContain("../src/ipc.ts");
  });

  it("lets only src/ipc.ts import @tauri-apps/api", () => {
    const importers = files.filter(([, text]) => /from\s+["']@tauri-apps\/api/.test(text)).map(([path]) => path);
    expect(importers).toEqual(["../src/ipc.ts"]);
  });

  it("lets only src/ipc.ts import the generated src/ipc-types.ts", () => {
    const tests = import.meta.glob<string>("./**/*.ts", { query: "?raw", import: "default", eager: true });
    const importers = [...files, ...Object.entries(tests)]
      .filter(([, text]) => /(from\s+|import\(\s*)["'][^"']*ipc-types(\.ts)?["']/.test(text))
      .map(([path]) => path);
    expect(importers).toEqual(["../src/ipc.ts"]);
  });

  it("keeps src/ipc-types.ts generated and types only", () => {
    const text = sources["../src/ipc-types.ts"];
    expect(text).toBeDefined();
    expect(text).toMatch(/^\/\/ Generated from src-tauri\/src\/dto\.rs by ts-rs; do not edit\./);
    // Without comments and string literals, every statement is a type declaration: no import,
    // value or code.
    const code = (text ?? "")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "")
      .replace(/"[^"\n]*"/g, '""');
    const statements = code.split(/;\s*(?=export\b|$)/).map((s) => s.trim()).filter(Boolean);
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) expect(statement).toMatch(/^export type [A-Za-z]+ =/);
    expect(code).not.toMatch(/\b(import|function|const|let|var|class|require)\b/);
  });

  it.each([
    ["innerHTML / outerHTML / insertAdjacentHTML", /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML/],
    ["inline styles", /\.style\.|setAttribute\(\s*["']style["']|style=/],
    ["eval and friends", /\beval\(|new Function\(|setTimeout\(\s*["'`]/],
    ["console logging", /console\.(log|info|debug|warn|error)/],
    ["remote content", /https?:\/\/(?!www\.w3\.org\/2000\/svg)/],
  ])("has no %s in src/", (_, pattern) => {
    const offenders = files.filter(([, text]) => pattern.test(text)).map(([path]) => path);
    expect(offenders).toEqual([]);
  });

  it("keeps the pages free of inline scripts and styles", () => {
    expect(Object.keys(pages).sort()).toEqual(["../mfa.html", "../settings.html", "../signin.html"]);
    for (const html of Object.values(pages)) {
      expect(html).not.toMatch(/<style|style=|<script(?![^>]*\bsrc=)/);
      expect(html).not.toMatch(/https?:\/\//);
    }
  });
});
