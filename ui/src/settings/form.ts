// Layout pieces shared by the settings forms (see field-table.ts): a labelled row, a section, a
// text input, a repeatable list.

import { h } from "../dom";
import type { FieldName } from "../ipc";
import type { FormValidator } from "../validation";

export interface RowOptions {
  hint?: string;
  /** The message element the validator fills; made here when absent. */
  message?: HTMLElement;
  /** `true` for a row whose control sits where the label would (a lone checkbox). */
  bare?: boolean;
}

/** A two-column form row: label on the left, the control with its message and hint on the right. */
export function formRow(label: string, control: HTMLElement, options: RowOptions = {}): HTMLElement {
  const message = options.message ?? h("div", { class: "field-message", hidden: true });
  return h(
    "div",
    { class: options.bare ? "form-row bare" : "form-row" },
    h("label", { class: "form-label", text: label, for: control.id || undefined }),
    h(
      "div",
      { class: "form-field" },
      control,
      message,
      options.hint ? h("div", { class: "field-hint", text: options.hint }) : null,
    ),
  );
}

export function section(title: string, ...rows: HTMLElement[]): HTMLElement {
  return h("fieldset", { class: "form-section" }, h("legend", { text: title }), h("div", { class: "group" }, ...rows));
}

export function textInput(id: string, name: string, placeholder = "", value = ""): HTMLInputElement {
  return h("input", {
    id,
    name,
    type: "text",
    placeholder,
    value,
    attrs: { autocomplete: "off", autocapitalize: "off", autocorrect: "off", spellcheck: "false" },
  });
}

export interface ListEditorOptions {
  /** The `name` of every input in the list, e.g. `tags`. */
  name: string;
  /** The `validate_field` field each entry is checked as. */
  field: FieldName;
  placeholder: string;
  addLabel: string;
  /** Prefix for the test ids: `<prefix>-add`, `<prefix>-remove-<n>`. */
  testPrefix: string;
  values: string[];
  validator: FormValidator;
}

/** A list of one-line entries with a remove button each and an "Add" button below. */
export class ListEditor {
  readonly element: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly inputs: HTMLInputElement[] = [];

  constructor(private readonly options: ListEditorOptions) {
    this.rows = h("div", { class: "list-rows" });
    const add = h("button", {
      type: "button",
      class: "link-button",
      id: `${options.testPrefix}-add`,
      text: options.addLabel,
      on: {
        click: () => this.addRow("").focus(),
      },
    });
    this.element = h("div", { class: "list-editor", testid: `${options.testPrefix}-list` }, this.rows, add);
    for (const value of options.values) this.addRow(value);
  }

  /** The non-empty entries, in order. */
  values(): string[] {
    return this.inputs.map((i) => i.value.trim()).filter((v) => v !== "");
  }

  addRow(value: string): HTMLInputElement {
    const input = h("input", {
      type: "text",
      name: this.options.name,
      placeholder: this.options.placeholder,
      value,
      attrs: { autocomplete: "off", spellcheck: "false", "aria-label": this.options.placeholder },
    });
    const message = h("div", { class: "field-message", hidden: true });
    const remove = h("button", {
      type: "button",
      class: "icon-button",
      title: "Remove",
      text: "−",
      attrs: { "aria-label": "Remove" },
      on: { click: () => this.removeRow(row, input) },
    });
    const row = h("div", { class: "list-row" }, h("div", { class: "list-row-line" }, input, remove), message);
    this.rows.append(row);
    this.inputs.push(input);
    this.renumber();
    this.options.validator.add(input, { field: this.options.field, message });
    return input;
  }

  private removeRow(row: HTMLElement, input: HTMLInputElement): void {
    row.remove();
    this.inputs.splice(this.inputs.indexOf(input), 1);
    this.options.validator.remove(input);
    this.renumber();
  }

  private renumber(): void {
    this.rows.querySelectorAll<HTMLElement>(".icon-button").forEach((b, i) => {
      b.dataset.testid = `${this.options.testPrefix}-remove-${i}`;
    });
  }
}
