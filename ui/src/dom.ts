// Small DOM helpers. Text always goes in as text (never as HTML), and nothing sets a `style`
// attribute: the app's CSP forbids inline styles, so looks come from classes only.

import type { IpcError } from "./ipc";

type Child = Node | string | null | undefined | false;

export interface Props {
  id?: string;
  class?: string;
  /** `data-testid`, for the WebDriver tests. */
  testid?: string;
  text?: string;
  title?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  for?: string;
  role?: string;
  disabled?: boolean;
  checked?: boolean;
  hidden?: boolean;
  attrs?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

/** Creates an element with these properties and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.id) el.id = props.id;
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.title) el.title = props.title;
  if (props.role) el.setAttribute("role", props.role);
  if (props.for) el.setAttribute("for", props.for);
  if (props.type) el.setAttribute("type", props.type);
  if (props.name) el.setAttribute("name", props.name);
  if (props.placeholder) el.setAttribute("placeholder", props.placeholder);
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  if (props.value !== undefined) (el as HTMLInputElement).value = props.value;
  if (props.disabled !== undefined) (el as HTMLButtonElement).disabled = props.disabled;
  if (props.checked !== undefined) (el as HTMLInputElement).checked = props.checked;
  if (props.hidden !== undefined) el.hidden = props.hidden;
  if (props.text !== undefined) el.textContent = props.text;
  for (const [event, handler] of Object.entries(props.on ?? {})) {
    el.addEventListener(event, handler as EventListener);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * An error in plain words, with its stable code small and grey after it.
 * `role=alert` so screen readers announce it.
 */
export function errorView(error: IpcError, testid = "error"): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert", testid },
    h("span", { class: "error-message", text: error.message }),
    " ",
    h("code", { class: "error-code", text: error.code }),
  );
}

/** Shows `error` in `slot` (or empties it when null). */
export function showError(slot: HTMLElement, error: IpcError | null): void {
  if (error) {
    replaceChildren(slot, errorView(error, slot.dataset.testid ? `${slot.dataset.testid}-message` : "error"));
    slot.hidden = false;
  } else {
    slot.replaceChildren();
    slot.hidden = true;
  }
}

/** Runs `fn` with `button` disabled, so a double click does not send twice. */
export async function withBusy<T>(button: HTMLButtonElement, fn: () => Promise<T>): Promise<T> {
  const was = button.disabled;
  button.disabled = true;
  button.classList.add("busy");
  try {
    return await fn();
  } finally {
    button.classList.remove("busy");
    button.disabled = was;
  }
}

const ICONS: Record<string, string> = {
  // A bin: lid, body, two ribs.
  trash: "M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4M6.7 6.5v4.5M9.3 6.5v4.5",
  // A pencil.
  pencil: "M10.5 2.5l3 3L6 13l-3.5.5L3 10zM9 4l3 3",
};

/** A 16×16 line icon drawn with SVG (no icon font, no inline style). */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name] ?? "");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "1.3");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
