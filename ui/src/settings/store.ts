// The lists the settings window shows, fetched together and refetched on `rolecall://changed`.

import { listFavourites, listSources, toIpcError, type FavouriteView, type IpcError, type SourceView } from "../ipc";

export class Store {
  sources: SourceView[] = [];
  favourites: FavouriteView[] = [];
  /** `Date.now()` when the lists arrived: session countdowns run from there. */
  fetchedAt = 0;
  error: IpcError | null = null;
  loaded = false;
  private seq = 0;
  private listeners = new Set<() => void>();

  /** Calls `listener` after every load; returns a function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fetches both lists; when loads overlap, the last one started wins. */
  async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const [sources, favourites] = await Promise.all([listSources(), listFavourites()]);
      if (seq !== this.seq) return;
      this.sources = sources;
      this.favourites = favourites;
      this.fetchedAt = Date.now();
      this.error = null;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = toIpcError(e);
    }
    this.loaded = true;
    for (const listener of this.listeners) listener();
  }

  /** Seconds since the lists arrived. */
  elapsedSecs(): number {
    return this.fetchedAt ? Math.max(0, Math.floor((Date.now() - this.fetchedAt) / 1000)) : 0;
  }
}
