// The list body the Favourites and Sources tabs share: "Loading…", an empty state, or a table
// with fixed column widths (the widths live in settings.css as `col-*` classes).

import { h, replaceChildren } from "../dom";

/** One column: its width class and its header (or, for a button column, an accessible name). */
export interface Column {
  col: string;
  header?: string;
  ariaLabel?: string;
}

export interface ListView {
  loaded: boolean;
  /** Shown when loaded with no rows. */
  empty: { testid: string; title: string; hint: string };
  table: { id: string; columns: Column[]; rows: HTMLElement[] };
}

/** Replaces `body`'s content with the loading line, the empty state or the table. */
export function renderList(body: HTMLElement, view: ListView): void {
  if (!view.loaded) {
    replaceChildren(body, h("p", { class: "empty", text: "Loading…" }));
    return;
  }
  if (view.table.rows.length === 0) {
    const { testid, title, hint } = view.empty;
    replaceChildren(
      body,
      h("div", { class: "empty", testid }, h("p", { text: title }), h("p", { class: "muted", text: hint })),
    );
    return;
  }
  const { id, columns, rows } = view.table;
  replaceChildren(
    body,
    h(
      "div",
      { class: "table-frame" },
      h(
        "table",
        { id, class: "table" },
        h("colgroup", {}, ...columns.map((c) => h("col", { class: c.col }))),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...columns.map((c) =>
              c.header !== undefined ? h("th", { text: c.header }) : h("th", { attrs: { "aria-label": c.ariaLabel ?? "" } }),
            ),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
    ),
  );
}
