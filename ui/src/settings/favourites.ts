// The Favourites tab: a table of favourites with their session state, Assume, Edit and Remove,
// and the Add/Edit form in place of the table.

import { confirmDialog } from "../confirm";
import { h, icon, showError } from "../dom";
import { sessionLabel, shortArn, timeLeft, type SessionLabel } from "../format";
import { assume, removeFavourite, toIpcError, type FavouriteView } from "../ipc";
import { favouriteForm } from "./favourite-form";
import { sameJson, type Row } from "../keyed-list";
import { ListBody } from "./list";
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

  /** What a row shows, worked out from the store: a row is updated only when this changes. */
  const model = (fav: FavouriteView): FavouriteRowModel => ({
    fav,
    session: sessionLabel(fav.session, store.elapsedSecs()),
    busy: assuming.has(fav.name),
    autoRenews: store.autoRenews(fav),
  });

  const table = new ListBody<FavouriteRowModel, FavouriteRow>(body, {
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
    },
    rows: {
      key: (m) => m.fav.name,
      same: sameJson,
      create: (m) => favouriteRow(m, { assume: onAssume, edit: openForm, remove: onRemove }),
      update: (row, m) => updateFavouriteRow(row, m),
    },
  });

  const render = () => {
    if (store.error) showError(error, store.error);
    table.render(store.loaded, store.loaded ? store.favourites.map(model) : []);
  };

  /** Counts the session column down between fetches: only the rows whose label changed update. */
  const tick = () => {
    if (store.loaded) table.render(true, store.favourites.map(model));
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

/** What one row of the table shows. */
interface FavouriteRowModel {
  fav: FavouriteView;
  session: SessionLabel;
  /** Being assumed: the button says "Assuming…" and is disabled. */
  busy: boolean;
  autoRenews: boolean;
}

/** A row's node and the parts an update changes. */
interface FavouriteRow extends Row {
  node: HTMLTableRowElement;
  /** The model shown, which the buttons act on. */
  model: FavouriteRowModel;
  nameLine: HTMLElement;
  name: HTMLElement;
  marker: HTMLElement | null;
  arn: HTMLElement;
  profile: HTMLElement;
  session: HTMLElement;
  assume: HTMLButtonElement;
}

interface RowActions {
  assume: (fav: FavouriteView) => void;
  edit: (fav: FavouriteView) => void;
  remove: (fav: FavouriteView) => void;
}

/** Makes a row; its ids and test ids follow the favourite's name, which is its key. */
function favouriteRow(m: FavouriteRowModel, actions: RowActions): FavouriteRow {
  const { name: key } = m.fav;
  const name = h("div", { class: "cell-name" });
  const nameLine = h("div", { class: "cell-name-line" }, name);
  const arn = h("div", { class: "cell-arn mono", testid: `fav-arn-${key}` });
  const profile = h("td", { class: "cell-profile" });
  const session = h("td", { testid: `fav-session-${key}` });
  const assume = h("button", { type: "button", testid: `fav-assume-${key}` });
  const remove = h("button", {
    type: "button",
    class: "small quiet icon-button",
    testid: `fav-remove-${key}`,
    title: `Remove ${key}`,
    attrs: { "aria-label": `Remove ${key}` },
  });
  remove.append(icon("trash"));
  const edit = h("button", {
    type: "button",
    class: "small quiet neutral icon-button",
    testid: `fav-edit-${key}`,
    title: `Edit ${key}`,
    attrs: { "aria-label": `Edit ${key}` },
  });
  edit.append(icon("pencil"));
  const node = h(
    "tr",
    { testid: `fav-row-${key}`, attrs: { "data-name": key } },
    h("td", { class: "cell-favourite" }, nameLine, arn),
    profile,
    session,
    h("td", { class: "cell-actions" }, assume, edit, remove),
  );
  const row: FavouriteRow = { node, model: m, nameLine, name, marker: null, arn, profile, session, assume };
  assume.addEventListener("click", () => actions.assume(row.model.fav));
  edit.addEventListener("click", () => actions.edit(row.model.fav));
  remove.addEventListener("click", () => actions.remove(row.model.fav));
  updateFavouriteRow(row, m);
  return row;
}

/** Brings every part of `row` up to date with `m`, in place. */
function updateFavouriteRow(row: FavouriteRow, m: FavouriteRowModel): void {
  const { fav, session, busy } = m;
  row.model = m;
  row.name.textContent = fav.name;
  row.name.title = fav.name;
  row.arn.textContent = shortArn(fav.arn);
  row.arn.title = fav.arn;
  row.arn.dataset.arn = fav.arn;
  row.profile.textContent = fav.profile;
  row.profile.title = fav.profile;
  row.session.className = `cell-session session-${session.state}`;
  row.session.textContent = session.text;
  if (fav.session.expires) row.session.title = `Expires ${new Date(fav.session.expires).toLocaleString()}`;
  else row.session.removeAttribute("title");
  row.session.dataset.state = session.state;
  row.assume.className = busy ? "small assume busy" : "small assume";
  row.assume.textContent = busy ? "Assuming…" : "Assume";
  row.assume.disabled = busy;
  row.marker?.remove();
  row.marker = m.autoRenews ? autoRenewMarker(fav) : null;
  if (row.marker) row.nameLine.append(row.marker);
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
