import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  clearScreen: false,
  // Tauri's dev server expects a fixed port.
  server: { port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // The polyfill is unneeded in Tauri's webviews; no inline code anywhere (strict CSP).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      // Only the windows: the preview tooling in dev/ never reaches dist.
      input: { settings: page("settings.html"), mfa: page("mfa.html"), signin: page("signin.html") },
    },
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
    restoreMocks: true,
  },
});
