// "Add from corp…": an IAM Identity Center source's portal roles, to pick favourites from. The
// last listing shows at once ("listed 3 hours ago", Refresh); with none, or one a day old, the
// portal is listed afresh with a progress bar. A search box filters by account name, id and role
// name by hiding rows of a keyed list (no re-render per keystroke: 1,800 rows filter at once);
// the name pattern's preview comes from src-tauri, so it is the names that will be added. Roles
// that already are favourites of the source are shown as such and cannot be picked again.

import { h, replaceChildren, showError, withBusy } from "../dom";
import {
  addPortalFavourites,
  discoverPortalRoles,
  portalRoles,
  previewPortalNames,
  toIpcError,
  type DiscoveryProgress,
  type PortalListing,
  type PortalPick,
} from "../ipc";
import { KeyedList, type Row } from "../keyed-list";

/** One role of one account: a row of the picker. */
export interface PickerItem {
  key: string;
  accountId: string;
  accountName: string;
  roleName: string;
  /** The favourite it already is, if any. */
  favourite: string | null;
  /** What the search matches, lowercased. */
  haystack: string;
}

interface PickerRow extends Row {
  box: HTMLInputElement;
}

export interface PortalPickerOptions {
  source: string;
  /** Called with the favourites added, or null when cancelled. */
  onDone: (added: string[] | null) => void;
  /** Debounce of the names' preview, in ms (tests use 0). */
  previewDelayMs?: number;
  /** The clock, for "listed N hours ago" (tests pass their own). */
  now?: () => number;
}

/** The default name pattern. */
export const DEFAULT_PATTERN = "ACCOUNTNAME-ROLENAME";

/** The rows of a listing, in its order. */
export function pickerItems(listing: PortalListing): PickerItem[] {
  return listing.accounts.flatMap((a) =>
    a.roles.map((r) => ({
      key: `${a.id}/${r.name}`,
      accountId: a.id,
      accountName: a.name,
      roleName: r.name,
      favourite: r.favourite,
      haystack: `${a.name}\n${a.id}\n${r.name}`.toLowerCase(),
    })),
  );
}

/** Whether `item` matches the search `query`: every word in its account name, id or role. */
export function matches(item: PickerItem, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => item.haystack.includes(w));
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function listedAgo(fetchedAt: string, now: number): string {
  const secs = Math.max(0, Math.floor((now - Date.parse(fetchedAt)) / 1000));
  const say = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"} ago`;
  if (secs < 60) return "just now";
  if (secs < 3600) return say(Math.floor(secs / 60), "minute");
  if (secs < 86400) return say(Math.floor(secs / 3600), "hour");
  return say(Math.floor(secs / 86400), "day");
}

/** The progress line of a listing under way. */
export function progressText(p: DiscoveryProgress): string {
  if (!p.allAccountsListed) return `Listing accounts… ${p.accountsListed} so far`;
  const slow = p.throttled ? " (the portal asks to slow down)" : "";
  return `Listing roles… ${p.accountsDone} of ${p.accountsListed} accounts${slow}`;
}

export function portalPicker(options: PortalPickerOptions): HTMLElement {
  const { source } = options;
  const now = options.now ?? Date.now;
  const listed = h("span", { id: "picker-listed", class: "muted", text: "" });
  const refresh = h("button", { id: "picker-refresh", type: "button", class: "small", text: "Refresh", disabled: true });
  const bar = h("progress", { id: "picker-progress", hidden: true });
  const progressLine = h("span", { id: "picker-progress-text", class: "muted", role: "status", text: "" });
  const search = h("input", {
    id: "picker-search",
    type: "search",
    placeholder: "Search account name, id or role",
    attrs: { autocomplete: "off", spellcheck: "false", "aria-label": "Search roles" },
  });
  const selectAll = h("input", { id: "picker-select-all", type: "checkbox", attrs: { "aria-label": "Select all shown" } });
  const count = h("span", { id: "picker-count", class: "muted", text: "" });
  const listBox = h("div", { id: "picker-list", class: "check-list", role: "group", attrs: { "aria-label": "Roles" } });
  const body = h("div", { class: "panel-body" }, h("p", { class: "empty", text: "Loading…" }));
  const pattern = h("input", {
    id: "picker-pattern",
    type: "text",
    value: DEFAULT_PATTERN,
    attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "off", "aria-label": "Name pattern" },
  });
  const patternMessage = h("div", { id: "picker-pattern-message", class: "field-message", hidden: true });
  const preview = h("div", { id: "picker-preview", class: "picker-preview mono", text: "" });
  const error = h("div", { id: "picker-error", class: "panel-error", testid: "picker-error", hidden: true });
  const cancel = h("button", { id: "picker-cancel", type: "button", text: "Cancel" });
  const add = h("button", { id: "picker-add", type: "button", class: "primary", text: "Add favourites", disabled: true });

  const element = h(
    "div",
    { id: "picker", class: "panel-list picker" },
    h(
      "header",
      { class: "panel-header" },
      h("h1", { text: `Add from ${source}` }),
      h("div", { class: "picker-listing" }, listed, bar, progressLine, refresh),
    ),
    error,
    h("div", { class: "picker-search" }, search, h("label", { class: "check" }, selectAll, " Select all shown"), count),
    body,
    h(
      "div",
      { class: "picker-pattern" },
      h("label", { for: "picker-pattern", class: "form-label", text: "Names" }),
      h("div", { class: "form-field" }, pattern, patternMessage, h("div", { class: "field-hint", text: "ACCOUNTNAME, ACCOUNTID and ROLENAME are replaced; names are made valid and unique." }), preview),
    ),
    h("footer", { class: "panel-footer" }, h("span", { class: "spacer" }), cancel, add),
  );

  const chosen = new Set<string>();
  let query = "";
  let listing: PortalListing | null = null;
  let busy = false;

  const list = new KeyedList<PickerItem, PickerRow>(listBox, {
    key: (i) => i.key,
    same: (a, b) => a.favourite === b.favourite && a.accountName === b.accountName,
    create: (i) => {
      const box = h("input", {
        type: "checkbox",
        value: i.key,
        testid: `picker-check-${i.accountId}-${i.roleName}`,
        disabled: i.favourite !== null,
        on: {
          change: () => {
            if (box.checked) chosen.add(i.key);
            else chosen.delete(i.key);
            update();
          },
        },
      });
      const node = h(
        "label",
        { class: `check-item${i.favourite ? " is-imported" : ""}`, testid: `picker-item-${i.accountId}-${i.roleName}` },
        box,
        h(
          "div",
          { class: "item-text" },
          h(
            "div",
            { class: "item-line" },
            h("span", { class: "item-title", text: i.roleName }),
            h("span", { class: "item-details muted", text: i.accountName }),
            h("span", { class: "item-details muted mono", text: i.accountId }),
            i.favourite ? h("span", { class: "badge", text: `Favourite ${i.favourite}` }) : null,
          ),
        ),
      );
      return { node, box };
    },
    update: (row, i) => {
      row.box.disabled = i.favourite !== null;
      if (i.favourite) {
        row.box.checked = false;
        chosen.delete(i.key);
      }
    },
  });

  const picks = (): PortalPick[] => {
    const out: PortalPick[] = [];
    for (const [i] of list.rows()) {
      if (chosen.has(i.key)) out.push({ accountId: i.accountId, accountName: i.accountName, roleName: i.roleName });
    }
    return out;
  };

  let previewTimer: ReturnType<typeof setTimeout> | null = null;
  let previewSeq = 0;
  const showPreview = () => {
    if (previewTimer) clearTimeout(previewTimer);
    previewTimer = setTimeout(() => void runPreview(), options.previewDelayMs ?? 150);
  };
  const runPreview = async () => {
    const seq = ++previewSeq;
    const selected = picks();
    try {
      const names = selected.length ? await previewPortalNames(source, selected.slice(0, 200), pattern.value) : [];
      if (seq !== previewSeq) return;
      patternMessage.hidden = true;
      patternMessage.textContent = "";
      pattern.removeAttribute("aria-invalid");
      const shown = names.slice(0, 6).join(", ");
      const more = selected.length - Math.min(selected.length, 6);
      preview.textContent = names.length ? `${shown}${more > 0 ? ` and ${more} more` : ""}` : "";
    } catch (e) {
      if (seq !== previewSeq) return;
      const err = toIpcError(e);
      patternMessage.textContent = err.message;
      patternMessage.hidden = false;
      pattern.setAttribute("aria-invalid", "true");
      preview.textContent = "";
    }
    update();
  };

  function update(): void {
    let shown = 0;
    let shownOpen = 0;
    let shownChosen = 0;
    for (const [i, row] of list.rows()) {
      if (row.node.hidden) continue;
      shown++;
      if (i.favourite === null) {
        shownOpen++;
        if (chosen.has(i.key)) shownChosen++;
      }
    }
    const n = chosen.size;
    count.textContent = listing ? `${n} selected · ${shown} of ${list.size} shown` : "";
    selectAll.disabled = shownOpen === 0;
    selectAll.checked = shownOpen > 0 && shownChosen === shownOpen;
    selectAll.indeterminate = shownChosen > 0 && shownChosen < shownOpen;
    add.disabled = n === 0 || busy || pattern.getAttribute("aria-invalid") === "true";
    add.textContent = n === 1 ? "Add 1 favourite" : n > 1 ? `Add ${n} favourites` : "Add favourites";
  }

  const show = (fresh: PortalListing) => {
    listing = fresh;
    const items = pickerItems(fresh);
    const open = new Set(items.filter((i) => i.favourite === null).map((i) => i.key));
    for (const key of [...chosen]) if (!open.has(key)) chosen.delete(key);
    list.set(items);
    list.filter(query ? (i) => matches(i, query) : null);
    if (items.length === 0) {
      replaceChildren(body, h("div", { class: "empty", testid: "picker-empty" }, h("p", { text: "The portal offers no roles." })));
    } else if (listBox.parentElement === null) {
      replaceChildren(body, h("div", { class: "table-frame" }, listBox));
    }
    listed.textContent = `Listed ${listedAgo(fresh.fetchedAt, now())}`;
    for (const [i, row] of list.rows()) row.box.checked = chosen.has(i.key);
    update();
    showPreview();
  };

  const discover = async () => {
    refresh.disabled = true;
    bar.hidden = false;
    bar.removeAttribute("value");
    progressLine.textContent = "Listing accounts…";
    showError(error, null);
    try {
      const fresh = await discoverPortalRoles(source, (p) => {
        if (p.allAccountsListed && p.accountsListed > 0) {
          bar.max = p.accountsListed;
          bar.value = p.accountsDone;
        }
        progressLine.textContent = progressText(p);
      });
      show(fresh);
    } catch (e) {
      showError(error, toIpcError(e));
      if (!listing) replaceChildren(body, h("p", { class: "empty", text: "No listing yet." }));
    } finally {
      bar.hidden = true;
      progressLine.textContent = "";
      refresh.disabled = false;
    }
  };

  const load = async () => {
    try {
      const cached = await portalRoles(source);
      if (cached) show(cached);
      if (!cached || cached.stale) await discover();
      else refresh.disabled = false;
    } catch (e) {
      showError(error, toIpcError(e));
      refresh.disabled = false;
    }
  };

  const onSearch = () => {
    if (search.value.trim() === query) return;
    query = search.value.trim();
    list.filter(query ? (i) => matches(i, query) : null);
    update();
  };
  // `change` too: emptying a field by script or WebDriver fires no `input`.
  search.addEventListener("input", onSearch);
  search.addEventListener("change", onSearch);
  selectAll.addEventListener("change", () => {
    for (const [i, row] of list.rows()) {
      if (row.node.hidden || i.favourite !== null) continue;
      row.box.checked = selectAll.checked;
      if (selectAll.checked) chosen.add(i.key);
      else chosen.delete(i.key);
    }
    update();
    showPreview();
  });
  listBox.addEventListener("change", () => showPreview());
  for (const event of ["input", "change"]) {
    pattern.addEventListener(event, () => {
      pattern.removeAttribute("aria-invalid");
      showPreview();
    });
  }
  refresh.addEventListener("click", () => void discover());
  cancel.addEventListener("click", () => options.onDone(null));
  element.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      options.onDone(null);
    }
  });
  add.addEventListener("click", () => {
    const selected = picks();
    if (selected.length === 0) return;
    busy = true;
    void withBusy(add, async () => {
      showError(error, null);
      try {
        const names = await addPortalFavourites(source, selected, pattern.value);
        chosen.clear();
        options.onDone(names);
      } catch (e) {
        showError(error, toIpcError(e));
      }
    }).finally(() => {
      busy = false;
      update();
    });
  });

  void load();
  queueMicrotask(() => search.focus());
  return element;
}
