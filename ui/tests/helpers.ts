// Test helpers: a recorded mock of the IPC (through @tauri-apps/api/mocks, so ipc.ts runs for
// real), the shared fixtures, and DOM helpers.

import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { preferences, sources } from "../fixtures";
import type { FavouriteView, Preferences, SourceView } from "../src/ipc";

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, any>) => unknown;

/**
 * Mocks Tauri's IPC for window `label`: each command goes to its handler (a missing one
 * rejects), events work through `emit`, and every call is recorded as it was sent (a JSON copy,
 * as Tauri serialises arguments at once).
 */
export function mockBackend(handlers: Record<string, Handler>, label = "settings") {
  const calls: Call[] = [];
  mockWindows(label);
  mockIPC(
    (cmd, args) => {
      const copy = JSON.parse(JSON.stringify(args ?? {})) as Record<string, unknown>;
      calls.push({ cmd, args: copy });
      const handler = handlers[cmd];
      if (!handler) throw { code: "test.unhandled", message: `no handler for ${cmd}` };
      return handler(copy);
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    of: (cmd: string) => calls.filter((c) => c.cmd === cmd),
  };
}

export function resetDom(): void {
  clearMocks();
  document.body.replaceChildren();
  location.hash = "";
}

/** Waits until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T, timeoutMs = 1500): Promise<NonNullable<T>> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`waitFor timed out${last instanceof Error ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets pending promises and zero-delay timers run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

export function $<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`nothing matches ${selector}`);
  return el as T;
}

/** Types `value` into `input` as a person would, ending with an input event. */
export function type(input: HTMLInputElement, value: string): void {
  input.focus();
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

export function key(target: EventTarget, key: string): KeyboardEvent {
  const e = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true });
  target.dispatchEvent(e);
  return e;
}

export function mountPoint(): HTMLElement {
  const root = document.createElement("div");
  root.id = "app";
  document.body.append(root);
  return root;
}

// The sample data is ui/fixtures, shared with the preview (dev/mock-tauri.js).
export { candidate, favourite, preferences, sources } from "../fixtures";

/** Handlers for everything the settings window loads, to spread and override. */
export function settingsBackend(
  favourites: FavouriteView[] = [],
  srcs: SourceView[] = sources,
  prefs: Preferences = preferences,
): Record<string, Handler> {
  return {
    app_info: () => ({ version: "9.9.9" }),
    list_sources: () => srcs,
    list_favourites: () => favourites,
    get_preferences: () => prefs,
    import_candidates: () => [],
    validate_field: () => null,
  };
}
