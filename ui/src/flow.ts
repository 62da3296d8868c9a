// A typed step machine for a multi-step flow: the steps and the moves allowed between them are
// one table, checked twice. At compile time `move(from, to)` accepts only a `to` the table lists
// for `from`; at run time a move from any step but the current one, or to a step the table does
// not list, is refused with an `IllegalMove` and changes nothing.

/** A flow's table: each step and the steps it may move to. */
export type Steps<S extends string> = { readonly [K in S]: readonly S[] };

/** The steps `from` may move to, as the table says. */
export type Next<T extends Steps<string>, From extends keyof T> = T[From][number];

/** A move the table does not allow, or one made from a step the flow is not at. */
export class IllegalMove extends Error {
  constructor(
    readonly flow: string,
    readonly at: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(
      at === from
        ? `${flow}: cannot move from ${from} to ${to}`
        : `${flow}: cannot move from ${from} to ${to}; the flow is at ${at}`,
    );
    this.name = "IllegalMove";
  }
}

/** One run of a flow: where it is, and the moves it makes. */
export class Flow<T extends Steps<string>> {
  private current: keyof T & string;
  private readonly listeners = new Set<(to: keyof T & string, from: keyof T & string) => void>();

  /**
   * Starts at `start`. `name` only labels refusals ("mfa: cannot move from waiting to done").
   */
  constructor(
    readonly name: string,
    private readonly steps: T,
    start: keyof T & string,
  ) {
    this.current = start;
  }

  /** The step the flow is at. */
  get step(): keyof T & string {
    return this.current;
  }

  /** Whether the flow is at one of `steps`. */
  is(...steps: (keyof T & string)[]): boolean {
    return steps.includes(this.current);
  }

  /** Whether the table lets the current step move to `to`. */
  can(to: keyof T & string): boolean {
    return (this.steps[this.current] as readonly string[]).includes(to);
  }

  /**
   * Moves from `from`, where the caller believes the flow is, to `to`. Throws `IllegalMove`
   * (and stays where it is) when the flow is elsewhere or the table does not allow the move.
   */
  move<F extends keyof T & string>(from: F, to: Next<T, F> & string): void {
    if (this.current !== from || !this.can(to)) throw new IllegalMove(this.name, this.current, from, to);
    this.current = to;
    for (const listener of this.listeners) listener(to, from);
  }

  /**
   * Moves from wherever the flow is to `to`, for an event that may come at any step (a new
   * request arriving). Checked at run time only; throws `IllegalMove` when the table does not
   * allow it from the current step.
   */
  go(to: keyof T & string): void {
    this.move(this.current, to as Next<T, keyof T & string> & string);
  }

  /** Calls `listener` after every move; returns a function that stops it. */
  onMove(listener: (to: keyof T & string, from: keyof T & string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Defines a flow's table, keeping its literal steps for the types above. */
export function steps<const T extends Steps<Extract<keyof T, string>>>(table: T): T {
  return table;
}
