// The lists the settings window shows, fetched together and refetched on `rolecall://changed`,
// with the preferences the favourites fall back on (their auto-renew, their lead times).

import {
  getPreferences,
  listFavourites,
  listSources,
  toIpcError,
  type FavouriteView,
  type IpcError,
  type Preferences,
  type SourceView,
} from "../ipc";

export class Store {
  sources: SourceView[] = [];
  favourites: FavouriteView[] = [];
  /** The preferences as last fetched; null until they arrive (or while get_preferences fails). */
  preferences: Preferences | null = null;
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

  /**
   * Fetches both lists and the preferences; when loads overlap, the last one started wins.
   * The preferences only refine what is shown, so failing to get them fails nothing: the last
   * ones fetched stay.
   */
  async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const [sources, favourites, preferences] = await Promise.all([
        listSources(),
        listFavourites(),
        getPreferences().catch(() => null),
      ]);
      if (seq !== this.seq) return;
      this.sources = sources;
      this.favourites = favourites;
      if (preferences) this.preferences = preferences;
      this.fetchedAt = Date.now();
      this.error = null;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = toIpcError(e);
    }
    this.loaded = true;
    for (const listener of this.listeners) listener();
  }

  /** Whether `fav` renews itself: its own choice, else the preference (off while unknown). */
  autoRenews(fav: FavouriteView): boolean {
    return fav.autoRenew ?? this.preferences?.autoRenew ?? false;
  }

  /** Seconds since the lists arrived. */
  elapsedSecs(): number {
    return this.fetchedAt ? Math.max(0, Math.floor((Date.now() - this.fetchedAt) / 1000)) : 0;
  }
}
