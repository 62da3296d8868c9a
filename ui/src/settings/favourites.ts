// The Favourites tab: a table of favourites with their session state, Assume, Edit and Remove,
// and the Add/Edit form in place of the table.

import { confirmDialog } from "../confirm";
import { h, icon, showError } from "../dom";
import { sessionLabel, shortArn, timeLeft } from "../format";
import { assume, removeFavourite, toIpcError, type FavouriteView } from "../ipc";
import { favouriteForm } from "./favourite-form";
import { renderList } from "./list";
import type { Panel } from "./panel";
import type { Store } from "./store";

export function favouritesPanel(store: Store, validateDelayMs?: number): Panel {
  const add = h("button", { id: "fav-add", type: "button", text: "Add…" });
  const error = h("div", { id: "fav-error", class: "panel-error", testid: "fav-error", hidden: true });
  const status = h("div", { id: "fav-status", class: "panel-status", role: "status", hidden: true });
  const body = h("div", { class: "panel-body" });
  const list = h(
    "div",
    { class: "panel-list" },
    h("header", { class: "panel-header" }, h("h1", { text: "Favourites" }), add),
    error,
    status,
    body,
  );
  const element = h("section", { id: "panel-favourites", class: "panel", role: "tabpanel" }, list);
  let form: HTMLFormElement | null = null;
  const sessionCells = new Map<FavouriteView, HTMLElement>();

  const say = (text: string | null) => {
    status.textContent = text ?? "";
    status.hidden = text === null;
  };

  const openForm = (editing: FavouriteView | null) => {
    showError(error, null);
    say(null);
    form = favouriteForm({
      editing,
      sources: store.sources,
      favourites: store.favourites,
      preferences: store.preferences,
      validateDelayMs,
      onDone: (saved) => {
        form?.remove();
        form = null;
        list.hidden = false;
        if (saved) {
          say(editing ? `Saved ${saved.name}.` : `Added ${saved.name}.`);
          void store.load();
        }
        add.focus();
      },
    });
    list.hidden = true;
    element.append(form);
  };
  add.addEventListener("click", () => openForm(null));

  // Favourites being assumed: their button stays "Assuming…" across the refetches that happen
  // meanwhile (src-tauri says `rolecall://changed` as soon as an assume starts).
  const assuming = new Set<string>();
  const onAssume = async (fav: FavouriteView) => {
    if (assuming.has(fav.name)) return;
    assuming.add(fav.name);
    showError(error, null);
    say(null);
    render();
    try {
      const result = await assume(fav.name);
      const left = result.session.secondsLeft;
      say(`Assumed ${result.name}: profile ${result.profile}${left ? `, ${timeLeft(left)} left` : ""}.`);
      assuming.delete(fav.name);
      await store.load();
    } catch (e) {
      showError(error, toIpcError(e));
    } finally {
      if (assuming.delete(fav.name)) render();
    }
  };

  const onRemove = async (fav: FavouriteView) => {
    const ok = await confirmDialog({
      title: `Remove ${fav.name}?`,
      message: `The favourite and the profile rolecall wrote for it (${fav.profile}) are removed. Nothing else in your AWS files changes.`,
      confirmLabel: "Remove",
    });
    if (!ok) return;
    showError(error, null);
    say(null);
    try {
      await removeFavourite(fav.name);
      say(`Removed ${fav.name}.`);
      await store.load();
    } catch (e) {
      showError(error, toIpcError(e));
    }
  };

  const row = (fav: FavouriteView) => {
    const session = sessionLabel(fav.session, store.elapsedSecs());
    const sessionCell = h("td", {
      class: `cell-session session-${session.state}`,
      testid: `fav-session-${fav.name}`,
      text: session.text,
      title: fav.session.expires ? `Expires ${new Date(fav.session.expires).toLocaleString()}` : "",
      attrs: { "data-state": session.state },
    });
    sessionCells.set(fav, sessionCell);
    const busy = assuming.has(fav.name);
    const assumeButton = h("button", {
      type: "button",
      class: busy ? "small assume busy" : "small assume",
      testid: `fav-assume-${fav.name}`,
      text: busy ? "Assuming…" : "Assume",
      disabled: busy,
    });
    assumeButton.addEventListener("click", () => void onAssume(fav));
    const remove = h("button", {
      type: "button",
      class: "small quiet icon-button",
      testid: `fav-remove-${fav.name}`,
      title: `Remove ${fav.name}`,
      attrs: { "aria-label": `Remove ${fav.name}` },
      on: { click: () => void onRemove(fav) },
    });
    remove.append(icon("trash"));
    const edit = h("button", {
      type: "button",
      class: "small quiet neutral icon-button",
      testid: `fav-edit-${fav.name}`,
      title: `Edit ${fav.name}`,
      attrs: { "aria-label": `Edit ${fav.name}` },
      on: { click: () => openForm(fav) },
    });
    edit.append(icon("pencil"));
    return h(
      "tr",
      { testid: `fav-row-${fav.name}`, attrs: { "data-name": fav.name } },
      h(
        "td",
        { class: "cell-favourite" },
        h(
          "div",
          { class: "cell-name-line" },
          h("div", { class: "cell-name", text: fav.name, title: fav.name }),
          store.autoRenews(fav) ? autoRenewMarker(fav) : null,
        ),
        h("div", {
          class: "cell-arn mono",
          testid: `fav-arn-${fav.name}`,
          text: shortArn(fav.arn),
          title: fav.arn,
          attrs: { "data-arn": fav.arn },
        }),
      ),
      h("td", { class: "cell-profile", text: fav.profile, title: fav.profile }),
      sessionCell,
      h(
        "td",
        { class: "cell-actions" },
        assumeButton,
        edit,
        remove,
      ),
    );
  };

  const render = () => {
    if (store.error) showError(error, store.error);
    sessionCells.clear();
    renderList(body, {
      loaded: store.loaded,
      empty: {
        testid: "fav-empty",
        title: "No favourite roles yet.",
        hint: "Add one, or import the role profiles of ~/.aws/config.",
      },
      table: {
        id: "fav-table",
        columns: [
          { col: "col-favourite", header: "Name and role ARN" },
          { col: "col-profile", header: "Profile" },
          { col: "col-session", header: "Session" },
          { col: "col-actions", ariaLabel: "Actions" },
        ],
        rows: store.loaded ? store.favourites.map(row) : [],
      },
    });
  };

  /** Counts the session column down between fetches. */
  const tick = () => {
    for (const [fav, cell] of sessionCells) {
      const session = sessionLabel(fav.session, store.elapsedSecs());
      cell.textContent = session.text;
      cell.className = `cell-session session-${session.state}`;
      cell.dataset.state = session.state;
    }
  };
  const timer = setInterval(tick, 15_000);
  const unsubscribe = store.subscribe(render);
  render();

  return {
    id: "favourites",
    label: "Favourites",
    element,
    destroy: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}


/** The small "auto-renew" pill after the name of a favourite that renews itself. */
function autoRenewMarker(fav: FavouriteView): HTMLElement {
  const own = fav.autoRenew !== null;
  return h("span", {
    class: "badge auto-renew",
    testid: `fav-autorenew-${fav.name}`,
    text: "auto-renew",
    title: own ? "Renews automatically (its own setting)" : "Renews automatically (as in Preferences)",
    attrs: { "data-from": own ? "favourite" : "preferences" },
  });
}
