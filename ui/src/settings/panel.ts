// What each tab of the settings window provides.

export interface Panel {
  /** `favourites` → tab `#tab-favourites`, panel `#panel-favourites`. */
  id: string;
  label: string;
  element: HTMLElement;
  /** Called each time the tab is shown. */
  onShow?: () => void;
  /** Called on `rolecall://changed` (the shared lists are refetched separately). */
  onChanged?: () => void;
  destroy?: () => void;
}
