// The settings window: a sidebar of tabs and one panel per tab. The lists are refetched when
// src-tauri emits `rolecall://changed`; the window never polls.

import { h } from "../dom";
import { onChanged, type Unlisten } from "../ipc";
import { aboutPanel } from "./about";
import { favouritesPanel } from "./favourites";
import { importPanel } from "./import";
import type { Panel } from "./panel";
import { preferencesPanel } from "./preferences";
import { sourcesPanel } from "./sources";
import { Store } from "./store";

export interface SettingsOptions {
  /** The tab shown first; defaults to the URL's `#hash`, else `favourites`. */
  tab?: string;
  /** Debounce of inline validation, in ms (tests use 0). */
  validateDelayMs?: number;
}

export interface SettingsApp {
  store: Store;
  show(tab: string): void;
  destroy(): void;
}

export async function mountSettings(root: HTMLElement, options: SettingsOptions = {}): Promise<SettingsApp> {
  const store = new Store();
  const panels: Panel[] = [
    favouritesPanel(store, options.validateDelayMs),
    sourcesPanel(store, options.validateDelayMs),
    importPanel(),
    preferencesPanel(),
    aboutPanel(),
  ];

  const tabs = panels.map((p) =>
    h("button", {
      id: `tab-${p.id}`,
      type: "button",
      class: "tab",
      role: "tab",
      text: p.label,
      attrs: { "aria-controls": `panel-${p.id}`, "aria-selected": "false", tabindex: "-1" },
      on: { click: () => show(p.id) },
    }),
  );
  const sidebar = h("nav", { class: "sidebar", role: "tablist", attrs: { "aria-orientation": "vertical" } }, ...tabs);
  sidebar.addEventListener("keydown", (e) => {
    const i = tabs.findIndex((t) => t === document.activeElement);
    if (i < 0) return;
    const step = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = panels[(i + step + panels.length) % panels.length]!;
    show(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  });
  const content = h("main", { class: "content" }, ...panels.map((p) => p.element));
  root.replaceChildren(h("div", { class: "window" }, sidebar, content));

  let current = "";
  function show(id: string): void {
    const target = panels.find((p) => p.id === id) ?? panels[0]!;
    for (const [i, p] of panels.entries()) {
      const on = p === target;
      p.element.hidden = !on;
      p.element.setAttribute("aria-labelledby", `tab-${p.id}`);
      tabs[i]!.setAttribute("aria-selected", String(on));
      tabs[i]!.setAttribute("tabindex", on ? "0" : "-1");
      tabs[i]!.classList.toggle("selected", on);
    }
    if (current !== target.id) {
      current = target.id;
      target.onShow?.();
    }
  }

  const fromHash = location.hash.replace(/^#/, "");
  show(options.tab ?? (fromHash || "favourites"));

  let unlisten: Unlisten | null = null;
  try {
    unlisten = await onChanged(() => {
      void store.load();
      for (const p of panels) p.onChanged?.();
    });
  } catch {
    // Without events the window still works; it shows what it fetched.
  }
  await store.load();

  return {
    store,
    show,
    destroy: () => {
      unlisten?.();
      for (const p of panels) p.destroy?.();
    },
  };
}
