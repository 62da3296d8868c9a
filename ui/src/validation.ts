// Inline validation for a form: each field is checked by the core through `validate_field`
// (debounced while typing, at once on blur), its message is shown under it, and the submit
// button stays disabled while a field is invalid or a required one is empty. Values are checked
// trimmed, as the forms send them.

import { validateField, type FieldName } from "./ipc";

type Control = HTMLInputElement | HTMLSelectElement;

export interface FieldOptions {
  /** The `validate_field` field, or none for controls the core need not see (a select). */
  field?: FieldName;
  /** A required field must not be empty; a function for "required only when…". */
  required?: boolean | (() => boolean);
  /** The control counts only while this is true (e.g. the shown half of a choice). */
  when?: () => boolean;
  /** Where the message goes; made and placed after the control when absent. */
  message?: HTMLElement;
}

interface Entry {
  control: Control;
  options: FieldOptions;
  message: HTMLElement;
  timer: ReturnType<typeof setTimeout> | null;
  /** The check in flight, if any. */
  running: Promise<void> | null;
  seq: number;
  /** The value the check in flight is for. */
  pending: string | null;
  /** The value the shown verdict is for, and the verdict. */
  checked: string | null;
  error: string | null;
}

let nextMessageId = 0;

export class FormValidator {
  private entries = new Map<Control, Entry>();
  private extra: (() => boolean)[] = [];

  constructor(
    private readonly submit: HTMLButtonElement,
    private readonly delayMs = 250,
  ) {}

  /** Watches `control`; returns its message element. */
  add(control: Control, options: FieldOptions = {}): HTMLElement {
    let message = options.message;
    if (!message) {
      message = document.createElement("div");
      message.className = "field-message";
      control.insertAdjacentElement("afterend", message);
    }
    if (!message.id) message.id = `field-message-${++nextMessageId}`;
    message.hidden = true;
    message.setAttribute("aria-live", "polite");
    control.setAttribute("aria-describedby", message.id);
    const entry: Entry = { control, options, message, timer: null, running: null, seq: 0, pending: null, checked: null, error: null };
    this.entries.set(control, entry);
    const onInput = () => {
      this.schedule(entry);
      this.refresh();
    };
    control.addEventListener("input", onInput);
    control.addEventListener("change", onInput);
    control.addEventListener("blur", () => void this.check(entry));
    if (control.value) void this.check(entry);
    return message;
  }

  /** Stops watching `control` (a removed row of a list). */
  remove(control: Control): void {
    const entry = this.entries.get(control);
    if (entry?.timer) clearTimeout(entry.timer);
    this.entries.delete(control);
    this.refresh();
  }

  /** A form-wide condition that must also hold (e.g. "a secret was typed"). */
  require(condition: () => boolean): void {
    this.extra.push(condition);
    this.refresh();
  }

  /** Whether every counted field is filled where required and valid as far as checked. */
  isValid(): boolean {
    for (const entry of this.entries.values()) {
      if (!this.counts(entry)) continue;
      if (this.isMissing(entry)) return false;
      // An error blocks until a later check of the changed value clears it.
      if (entry.error !== null) return false;
    }
    return this.extra.every((c) => c());
  }

  /** Checks every field whose value has not been checked yet; resolves with `isValid()`. */
  async flush(): Promise<boolean> {
    const checks: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.checked !== entry.control.value || entry.timer) checks.push(this.check(entry));
      else if (entry.running) checks.push(entry.running);
    }
    await Promise.all(checks);
    this.refresh();
    return this.isValid();
  }

  /** Enables or disables the submit button from the current state. */
  refresh(): void {
    this.submit.disabled = !this.isValid();
  }

  private counts(entry: Entry): boolean {
    return entry.options.when?.() ?? true;
  }

  private isMissing(entry: Entry): boolean {
    const r = entry.options.required;
    const required = typeof r === "function" ? r() : Boolean(r);
    return required && entry.control.value.trim() === "";
  }

  private schedule(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void this.check(entry);
    }, this.delayMs);
  }

  private check(entry: Entry): Promise<void> {
    if (entry.timer) {
      clearTimeout(entry.timer);
      entry.timer = null;
    }
    const value = entry.control.value;
    const field = entry.options.field;
    if (entry.running && entry.pending === value) return entry.running;
    if (entry.checked === value && !entry.running) return Promise.resolve();
    const seq = ++entry.seq;
    // Forms send trimmed values, so that is what is checked; blank is "not set".
    const sent = value.trim();
    if (!field || sent === "") {
      entry.running = null;
      entry.pending = null;
      this.show(entry, value, null);
      return Promise.resolve();
    }
    entry.pending = value;
    const running = validateField(field, sent).then(
      (error) => {
        if (seq === entry.seq) this.show(entry, value, error);
      },
      () => {
        // The check itself failed (not the value): say nothing; saving checks again anyway.
        if (seq === entry.seq) this.show(entry, value, null);
      },
    );
    entry.running = running.finally(() => {
      if (seq === entry.seq) {
        entry.running = null;
        entry.pending = null;
      }
    });
    return entry.running;
  }

  private show(entry: Entry, value: string, error: string | null): void {
    entry.checked = value;
    entry.error = error;
    entry.message.textContent = error ?? "";
    entry.message.hidden = error === null;
    entry.control.classList.toggle("invalid", error !== null);
    if (error === null) entry.control.removeAttribute("aria-invalid");
    else entry.control.setAttribute("aria-invalid", "true");
    this.refresh();
  }
}
