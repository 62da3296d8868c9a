// A keyed list: one DOM node per key, kept for as long as the key is in the list. `set` updates
// the rows whose item changed in place, adds and removes the others and moves nodes into the new
// order; `filter` only hides and shows the nodes there are. Nothing is rebuilt, so a list of
// thousands of rows filters without new nodes and keeps focus, selection and scroll.

/** A rendered row: its node, and whatever the renderer keeps to update it in place. */
export interface Row {
  readonly node: HTMLElement;
}

export interface KeyedListOptions<T, R extends Row> {
  /** The item's key: unique in a list, stable across updates. */
  key(item: T): string;
  /** Renders a row for an item whose key is new. */
  create(item: T): R;
  /** Brings `row` up to date with `item` in place (called only when `same` says it changed). */
  update(row: R, item: T, previous: T): void;
  /** Whether two items render the same; `Object.is` by default (see `sameJson`). */
  same?(a: T, b: T): boolean;
  /** Called after a row's node left the list (its key is gone). */
  removed?(row: R): void;
}

interface Entry<T, R> {
  item: T;
  row: R;
}

/** A duplicate key in `set`: each key must be unique. */
export class DuplicateKey extends Error {
  constructor(readonly key: string) {
    super(`keyed list: the key ${JSON.stringify(key)} appears twice`);
    this.name = "DuplicateKey";
  }
}

/** Whether two plain (JSON) values are equal, for `same` when items are rebuilt on each fetch. */
export function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The rows of `container`, which holds them and nothing else. */
export class KeyedList<T, R extends Row = Row> {
  private entries = new Map<string, Entry<T, R>>();
  private order: Entry<T, R>[] = [];
  private predicate: ((item: T) => boolean) | null = null;

  constructor(
    readonly container: HTMLElement,
    private readonly options: KeyedListOptions<T, R>,
  ) {}

  /** Makes the list show `items`, in their order. */
  set(items: readonly T[]): void {
    const same = this.options.same ?? Object.is;
    const next = new Map<string, Entry<T, R>>();
    const order: Entry<T, R>[] = [];
    for (const item of items) {
      const key = this.options.key(item);
      if (next.has(key)) throw new DuplicateKey(key);
      let entry = this.entries.get(key);
      if (!entry) {
        entry = { item, row: this.options.create(item) };
      } else if (!same(entry.item, item)) {
        const previous = entry.item;
        entry.item = item;
        this.options.update(entry.row, item, previous);
      }
      this.applyFilter(entry);
      next.set(key, entry);
      order.push(entry);
    }
    for (const [key, entry] of this.entries) {
      if (next.has(key)) continue;
      entry.row.node.remove();
      this.options.removed?.(entry.row);
    }
    // Walk the wanted order along the children: a node already in place stays, any other is
    // moved (or inserted) before the first node not yet placed.
    let cursor: ChildNode | null = this.container.firstChild;
    for (const entry of order) {
      const node = entry.row.node;
      if (node === cursor) cursor = cursor.nextSibling;
      else this.container.insertBefore(node, cursor);
    }
    this.entries = next;
    this.order = order;
  }

  /**
   * Shows only the rows whose item passes `predicate` (all of them for null), by hiding the
   * others; returns how many are shown. Rows added later are filtered too.
   */
  filter(predicate: ((item: T) => boolean) | null): number {
    this.predicate = predicate;
    let shown = 0;
    for (const entry of this.order) if (this.applyFilter(entry)) shown++;
    return shown;
  }

  /** The row of `key`, if it is in the list. */
  row(key: string): R | undefined {
    return this.entries.get(key)?.row;
  }

  /** The item of `key`, if it is in the list. */
  item(key: string): T | undefined {
    return this.entries.get(key)?.item;
  }

  /** The items and their rows, in order. */
  *rows(): IterableIterator<[T, R]> {
    for (const entry of this.order) yield [entry.item, entry.row];
  }

  /** How many items the list holds (shown or not). */
  get size(): number {
    return this.order.length;
  }

  /** Hides or shows `entry` by the current predicate; writes only a change. */
  private applyFilter(entry: Entry<T, R>): boolean {
    const shown = this.predicate === null || this.predicate(entry.item);
    if (entry.row.node.hidden === shown) entry.row.node.hidden = !shown;
    return shown;
  }
}
