import { describe, expect, it } from "vitest";
import { DuplicateKey, KeyedList, sameJson, type Row } from "../src/keyed-list";

interface Item {
  id: string;
  label: string;
}

interface ItemRow extends Row {
  node: HTMLLIElement;
}

/** A list of `li`s that counts what it renders. */
function makeList() {
  const container = document.createElement("ul");
  const created: string[] = [];
  const updated: string[] = [];
  const removed: string[] = [];
  const list = new KeyedList<Item, ItemRow>(container, {
    key: (item) => item.id,
    create: (item) => {
      created.push(item.id);
      const node = document.createElement("li");
      node.dataset.key = item.id;
      node.textContent = item.label;
      return { node };
    },
    update: (row, item) => {
      updated.push(item.id);
      row.node.textContent = item.label;
    },
    same: sameJson,
    removed: (row) => removed.push(row.node.dataset.key!),
  });
  return { container, list, created, updated, removed };
}

const items = (n: number, label = (i: number) => `role ${i}`): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `r${i}`, label: label(i) }));

/** The container's children (indexed: spreading a big HTMLCollection is slow in jsdom). */
function kids(container: HTMLElement): HTMLElement[] {
  const out: HTMLElement[] = [];
  const children = container.children;
  const n = children.length;
  for (let i = 0; i < n; i++) out.push(children[i] as HTMLElement);
  return out;
}

/** The keys and texts of the container's children, and which are shown. */
const dom = (container: HTMLElement) =>
  kids(container).map((li) => ({ key: (li as HTMLElement).dataset.key, text: li.textContent, shown: !(li as HTMLElement).hidden }));

/** Whether `container`'s children are exactly `nodes`, the same objects in the same order. */
const sameNodes = (container: HTMLElement, nodes: Element[]) => {
  const now = kids(container);
  return now.length === nodes.length && nodes.every((node, i) => now[i] === node);
};

/** Records every DOM change under `target` until `stop` is called. */
function watch(target: Node) {
  const records: MutationRecord[] = [];
  const observer = new MutationObserver((r) => records.push(...r));
  observer.observe(target, { childList: true, subtree: true, attributes: true, characterData: true });
  return {
    stop: () => {
      records.push(...observer.takeRecords());
      observer.disconnect();
      return records;
    },
  };
}

describe("keyed list", () => {
  it("filters 5,000 rows repeatedly by hiding the same nodes, never rebuilding them", () => {
    const { container, list, created, updated } = makeList();
    const all = items(5000);
    list.set(all);
    expect(created).toHaveLength(5000);
    const nodes = kids(container);
    expect(nodes).toHaveLength(5000);

    const filters: [string, (item: Item) => boolean][] = [
      ["ends in 7", (item) => item.label.endsWith("7")],
      ["contains 12", (item) => item.label.includes("12")],
      ["nothing", () => false],
      ["below 100", (item) => Number(item.id.slice(1)) < 100],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [, predicate] of filters) {
        const changes = watch(container);
        const shown = list.filter(predicate);
        const records = changes.stop();
        const expected = all.filter(predicate);
        expect(shown).toBe(expected.length);
        // Only `hidden` attributes changed: no node was added, removed or re-rendered.
        expect(records.every((r) => r.type === "attributes" && r.attributeName === "hidden")).toBe(true);
        expect(sameNodes(container, nodes)).toBe(true);
        expect(dom(container).filter((r) => r.shown).map((r) => r.key)).toEqual(expected.map((i) => i.id));
      }
      list.filter(null);
      expect(dom(container).every((r) => r.shown)).toBe(true);
    }
    expect(created).toHaveLength(5000);
    expect(updated).toHaveLength(0);
  });

  it("writes only the rows whose visibility changes", () => {
    const { container, list } = makeList();
    list.set(items(5000));
    list.filter((item) => item.label.endsWith("7"));
    const changes = watch(container);
    // "ends in 7" → "ends in 77": only the rows ending in 7 but not 77 change.
    list.filter((item) => item.label.endsWith("77"));
    const records = changes.stop();
    const flipped = items(5000).filter((i) => i.label.endsWith("7") && !i.label.endsWith("77")).length;
    expect(records).toHaveLength(flipped);
  });

  it("re-renders only the rows that changed, in place, when set again with rebuilt items", () => {
    const { container, list, created, updated } = makeList();
    list.set(items(5000));
    const nodes = kids(container);
    created.length = 0;
    // Rebuilt objects (as from a fetch), three of them with a new label.
    const changed = new Set(["r10", "r2500", "r4999"]);
    list.set(items(5000, (i) => (changed.has(`r${i}`) ? `role ${i} (renamed)` : `role ${i}`)));
    expect(created).toEqual([]);
    expect(updated.sort()).toEqual([...changed].sort());
    expect(sameNodes(container, nodes)).toBe(true);
    expect(container.children[2500]!.textContent).toBe("role 2500 (renamed)");
    expect(container.children[2501]!.textContent).toBe("role 2501");
  });

  // 1,000 rows: jsdom's insertBefore walks the children, so moving thousands is slow there.
  it("reorders by moving the existing nodes, adds new keys and removes gone ones", () => {
    const { container, list, created, removed } = makeList();
    list.set(items(1000));
    const byKey = new Map(kids(container).map((n) => [(n as HTMLElement).dataset.key!, n]));
    created.length = 0;

    const next = items(1000)
      .reverse()
      .filter((i) => !i.id.endsWith("3"))
      .concat([{ id: "new-1", label: "new one" }]);
    list.filter((item) => item.label.includes("9"));
    list.set(next);

    expect(dom(container).map((r) => r.key)).toEqual(next.map((i) => i.id));
    expect(created).toEqual(["new-1"]);
    expect(removed).toHaveLength(100);
    expect(removed.every((k) => k.endsWith("3"))).toBe(true);
    for (const node of kids(container)) {
      const key = node.dataset.key!;
      if (key !== "new-1") expect(node).toBe(byKey.get(key));
    }
    // The filter still applies, to the new row too.
    expect(dom(container).filter((r) => r.shown).map((r) => r.key)).toEqual(next.filter((i) => i.label.includes("9")).map((i) => i.id));
    expect(list.row("new-1")!.node.hidden).toBe(true);
    expect(list.size).toBe(next.length);
    expect(list.item("r998")).toEqual({ id: "r998", label: "role 998" });
    expect(list.row("r3")).toBeUndefined();
  });

  it("keeps a small list right through swaps, moves and emptying", () => {
    const { container, list } = makeList();
    const [a, b, c, d] = items(4) as [Item, Item, Item, Item];
    list.set([a, b, c, d]);
    const keys = () => dom(container).map((r) => r.key);
    list.set([d, b, c, a]);
    expect(keys()).toEqual(["r3", "r1", "r2", "r0"]);
    list.set([b, d]);
    expect(keys()).toEqual(["r1", "r3"]);
    list.set([c, b, a, d]);
    expect(keys()).toEqual(["r2", "r1", "r0", "r3"]);
    expect([...list.rows()].map(([item]) => item.id)).toEqual(["r2", "r1", "r0", "r3"]);
    list.set([]);
    expect(container.children).toHaveLength(0);
    expect(list.size).toBe(0);
  });

  it("refuses a duplicate key", () => {
    const { list } = makeList();
    const [a] = items(1) as [Item];
    expect(() => list.set([a, { ...a }])).toThrow(DuplicateKey);
  });
});
