// The list body the Favourites and Sources tabs share: "Loading…", an empty state, or a table
// with fixed column widths (the widths live in settings.css as `col-*` classes). The table is
// made once; its rows are a keyed list, so a refetch updates the rows that changed in place.

import { h, replaceChildren } from "../dom";
import { KeyedList, type KeyedListOptions, type Row } from "../keyed-list";

/** One column: its width class and its header (or, for a button column, an accessible name). */
export interface Column {
  col: string;
  header?: string;
  ariaLabel?: string;
}

export interface ListBodyOptions<T, R extends Row> {
  /** Shown when loaded with no rows. */
  empty: { testid: string; title: string; hint: string };
  table: { id: string; columns: Column[] };
  /** How each row is keyed, made and updated. */
  rows: KeyedListOptions<T, R>;
}

/** The body of a list tab: it shows the loading line, the empty state or the one table. */
export class ListBody<T, R extends Row = Row> {
  /** The table's rows. */
  readonly rows: KeyedList<T, R>;
  private readonly loading: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly frame: HTMLElement;

  constructor(
    private readonly body: HTMLElement,
    options: ListBodyOptions<T, R>,
  ) {
    const { testid, title, hint } = options.empty;
    this.loading = h("p", { class: "empty", text: "Loading…" });
    this.empty = h("div", { class: "empty", testid }, h("p", { text: title }), h("p", { class: "muted", text: hint }));
    const { id, columns } = options.table;
    const tbody = h("tbody");
    this.frame = h(
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
        tbody,
      ),
    );
    this.rows = new KeyedList(tbody, options.rows);
    this.show(this.loading);
  }

  /** Shows "Loading…" until `loaded`, then `items` (or the empty state for none). */
  render(loaded: boolean, items: readonly T[]): void {
    if (!loaded) {
      this.show(this.loading);
      return;
    }
    this.rows.set(items);
    this.show(items.length === 0 ? this.empty : this.frame);
  }

  /** Puts `part` in the body unless it is there already (so the table is never re-inserted). */
  private show(part: HTMLElement): void {
    if (this.body.firstChild !== part || this.body.childNodes.length !== 1) replaceChildren(this.body, part);
  }
}
