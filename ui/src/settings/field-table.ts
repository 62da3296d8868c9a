// Forms declared once: a table of fields, one per value the form sends, says each field's
// section, label, hint, control, `validate_field` check and whether it is required. The same
// table builds the form's rows, registers the inline checks and reads the values back, so a
// field cannot be shown but not sent (or sent but not checked) by forgetting one of the three.

import { h } from "../dom";
import type { FieldName } from "../ipc";
import type { FormValidator } from "../validation";
import { formRow, ListEditor, section, textInput, type ListEditorOptions } from "./form";

/** What a control is built with: its place in the form and the form's validator. */
export interface ControlSlot {
  /** The element id ("" for none). */
  id: string;
  name: string;
  validator: FormValidator;
}

/** A built control: what goes in the row, what the validator watches, and how to read it. */
export interface Control<V> {
  /** The row's field column. */
  element: HTMLElement;
  /** The input or select the inline checks watch (their message goes under it), if any. */
  input?: HTMLInputElement | HTMLSelectElement;
  /** A lone checkbox: sits where the label would. */
  bare?: boolean;
  /** The value the form sends. */
  read(): V;
}

/** One field of the table. `C` is what the form is opened with (the favourite edited…). */
export interface Field<V, C, I> {
  /** Its control's element id (a list has none: its entries go by `name`, the field's key). */
  id?: string;
  /** The `<fieldset>` legend the row goes under; sections appear in the table's order. */
  section: string;
  label: string;
  /** A line of help under the control. */
  hint?: string | ((context: C) => string | undefined);
  /** The `validate_field` field the value is checked as, inline. */
  check?: FieldName;
  /** A required field must not be empty to save. */
  required?: boolean;
  /** The row is shown, checked and required only while this holds (e.g. one kind of source). */
  when?: (form: BuiltForm<I>) => boolean;
  control(context: C, slot: ControlSlot): Control<V>;
}

/** A form's table: one field per key of the values it sends, of that value's type. */
export type FieldTable<I, C> = { [K in keyof I & string]: Field<I[K], C, I> };

/** A form built from its table. */
export interface BuiltForm<I> {
  /** The sections, in order, to place in the form. */
  sections: HTMLElement[];
  /** Each field's control. */
  controls: { [K in keyof I & string]: Control<I[K]> };
  /** Each field's row. */
  rows: { [K in keyof I & string]: HTMLElement };
  /** Every field's value, as the form sends them. */
  read(): I;
  /** Shows or hides the rows with a `when`, as it now says. */
  refresh(): void;
}

export interface BuildOptions<C> {
  /** Extra elements at the end of a section, by its legend. */
  after?: Record<string, HTMLElement[]>;
  context: C;
  validator: FormValidator;
}

/** Builds the rows of `table`, registers their checks with the validator, and reads them back. */
export function buildForm<I, C>(table: FieldTable<I, C>, options: BuildOptions<C>): BuiltForm<I> {
  const { context, validator } = options;
  const controls = {} as BuiltForm<I>["controls"];
  const rows = {} as BuiltForm<I>["rows"];
  const bySection = new Map<string, HTMLElement[]>();
  const keys = Object.keys(table) as (keyof I & string)[];
  const form: BuiltForm<I> = {
    sections: [],
    controls,
    rows,
    read: () => {
      const values = {} as I;
      for (const key of keys) values[key] = controls[key].read();
      return values;
    },
    refresh: () => {
      for (const key of keys) {
        const when = table[key].when;
        if (when) rows[key].hidden = !when(form);
      }
    },
  };
  for (const key of keys) {
    const field = table[key];
    const control = field.control(context, { id: field.id ?? "", name: key, validator });
    const hint = typeof field.hint === "function" ? field.hint(context) : field.hint;
    const message = h("div", { class: "field-message", hidden: true });
    const row = formRow(field.label, control.element, { hint, bare: control.bare, message });
    controls[key] = control;
    rows[key] = row;
    const list = bySection.get(field.section) ?? [];
    list.push(row);
    bySection.set(field.section, list);
    if (control.input && (field.check || field.required)) {
      const when = field.when;
      validator.add(control.input, {
        field: field.check,
        required: field.required,
        when: when ? () => when(form) : undefined,
        message,
      });
    }
  }
  for (const [title, sectionRows] of bySection) {
    form.sections.push(section(title, ...sectionRows, ...(options.after?.[title] ?? [])));
  }
  form.refresh();
  return form;
}

// ---------------------------------------------------------------------------------------------
// Controls

/** A one-line text field, sent trimmed. */
export function text<C>(options: {
  placeholder: string | ((context: C) => string);
  value?: (context: C) => string;
  /** A write-only password field (the secret access key). */
  password?: boolean;
}): (context: C, slot: ControlSlot) => Control<string> {
  return (context, { id, name }) => {
    const placeholder = typeof options.placeholder === "function" ? options.placeholder(context) : options.placeholder;
    const input = options.password
      ? h("input", {
          id,
          name,
          type: "password",
          attrs: { autocomplete: "off", spellcheck: "false", autocapitalize: "off", autocorrect: "off" },
        })
      : textInput(id, name, placeholder, options.value?.(context) ?? "");
    return { element: input, input, read: () => input.value.trim() };
  };
}

/** A lone checkbox with its text beside it. */
export function checkbox<C>(options: { text: string; checked: (context: C) => boolean }): (context: C, slot: ControlSlot) => Control<boolean> {
  return (context, { id, name }) => {
    const input = h("input", { id, name, type: "checkbox", checked: options.checked(context) });
    return { element: h("label", { class: "check" }, input, ` ${options.text}`), input, bare: true, read: () => input.checked };
  };
}

/** A select the form makes itself (its options depend on the context), sending its value. */
export function select<C, V = string>(options: {
  make: (context: C, slot: ControlSlot) => HTMLSelectElement;
  /** The value sent for the chosen option; the option's value by default. */
  read?: (value: string) => V;
}): (context: C, slot: ControlSlot) => Control<V> {
  return (context, slot) => {
    const input = options.make(context, slot);
    const read = options.read ?? ((value: string) => value as unknown as V);
    return { element: input, input, read: () => read(input.value) };
  };
}

/** A list of one-line entries (tags, policy ARNs), each checked as `field`; sends the non-empty ones. */
export function list<C>(
  options: Omit<ListEditorOptions, "name" | "values" | "validator"> & { values: (context: C) => string[] },
): (context: C, slot: ControlSlot) => Control<string[]> {
  return (context, { name, validator }) => {
    const editor = new ListEditor({ ...options, name, values: options.values(context), validator });
    return { element: editor.element, read: () => editor.values() };
  };
}
