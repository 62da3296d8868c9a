// The Import tab: role and SSO profiles found in ~/.aws/config, to turn into favourites. Rows with a
// problem or already imported cannot be chosen; Import sends exactly the checked profiles.

import { h, replaceChildren, showError, withBusy } from "../dom";
import { importCandidates, importProfiles, toIpcError, type ImportCandidate } from "../ipc";
import type { Panel } from "./panel";

export function importPanel(): Panel {
  const run = h("button", { id: "import-run", type: "button", class: "primary", text: "Import", disabled: true });
  const selectAll = h("input", { id: "import-select-all", type: "checkbox", attrs: { "aria-label": "Select all" } });
  const count = h("span", { id: "import-count", class: "muted", text: "" });
  const error = h("div", { id: "import-error", class: "panel-error", testid: "import-error", hidden: true });
  const status = h("div", { id: "import-status", class: "panel-status", role: "status", hidden: true });
  const listBox = h("div", { id: "import-list", class: "check-list", role: "group", attrs: { "aria-label": "Profiles" } });
  const body = h("div", { class: "panel-body" });
  const element = h(
    "section",
    { id: "panel-import", class: "panel", role: "tabpanel" },
    h("div", { class: "panel-list" },
      h("header", { class: "panel-header" }, h("h1", { text: "Import" })),
      h("p", { class: "panel-intro muted", text: "Role and SSO profiles found in ~/.aws/config. Importing makes each one a favourite; the file is not changed." }),
      error,
      status,
      body,
      h("footer", { class: "panel-footer" }, h("label", { class: "check" }, selectAll, " Select all"), count, run),
    ),
  );

  let candidates: ImportCandidate[] = [];
  let loaded = false;
  const boxes = () => [...listBox.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  const chosen = () => boxes().filter((b) => b.checked && !b.disabled).map((b) => b.value);

  const say = (text: string | null) => {
    status.textContent = text ?? "";
    status.hidden = text === null;
  };

  const update = () => {
    const n = chosen().length;
    const available = boxes().filter((b) => !b.disabled);
    run.disabled = n === 0;
    run.textContent = n > 1 ? `Import ${n} profiles` : n === 1 ? "Import 1 profile" : "Import";
    count.textContent = available.length ? `${n} of ${available.length} selected` : "";
    selectAll.disabled = available.length === 0;
    selectAll.checked = available.length > 0 && n === available.length;
    selectAll.indeterminate = n > 0 && n < available.length;
  };
  selectAll.addEventListener("change", () => {
    for (const b of boxes()) if (!b.disabled) b.checked = selectAll.checked;
    update();
  });

  const item = (c: ImportCandidate) => {
    const blocked = c.problem !== null || c.alreadyImported;
    const box = h("input", {
      type: "checkbox",
      name: "profile",
      value: c.profile,
      testid: `import-check-${c.profile}`,
      disabled: blocked,
      on: { change: update },
    });
    const details = [
      c.sso ? `IAM Identity Center (${c.sso.source})` : c.sourceProfile ? `from ${c.sourceProfile}` : null,
      c.mfaSerial ? "MFA" : null,
      c.region,
      c.durationSeconds ? `${c.durationSeconds}s` : null,
    ].filter((d): d is string => Boolean(d));
    let note: HTMLElement | null = null;
    if (c.problem) note = h("div", { class: "item-problem", testid: `import-problem-${c.profile}`, text: c.problem });
    else if (c.alreadyImported) note = h("span", { class: "badge", text: "Imported" });
    return h(
      "label",
      {
        class: `check-item${c.problem ? " has-problem" : ""}${c.alreadyImported ? " is-imported" : ""}`,
        testid: `import-item-${c.profile}`,
      },
      box,
      h(
        "div",
        { class: "item-text" },
        h(
          "div",
          { class: "item-line" },
          h("span", { class: "item-title", text: c.profile }),
          h("span", { class: "item-details muted", text: details.join(" · ") }),
          c.alreadyImported ? note : null,
        ),
        h("div", { class: "item-sub mono", text: c.roleArn, title: c.roleArn }),
        c.problem ? note : null,
      ),
    );
  };

  const render = () => {
    if (!loaded) {
      replaceChildren(body, h("p", { class: "empty", text: "Loading…" }));
    } else if (candidates.length === 0) {
      replaceChildren(
        body,
        h("div", { class: "empty", testid: "import-empty" }, h("p", { text: "No role profiles in ~/.aws/config." })),
      );
    } else {
      replaceChildren(listBox, ...candidates.map(item));
      replaceChildren(body, h("div", { class: "table-frame" }, listBox));
    }
    update();
  };

  const load = async () => {
    try {
      const fresh = await importCandidates();
      const keep = new Set(chosen());
      candidates = fresh;
      loaded = true;
      render();
      for (const b of boxes()) if (!b.disabled && keep.has(b.value)) b.checked = true;
      update();
      showError(error, null);
    } catch (e) {
      loaded = true;
      showError(error, toIpcError(e));
      render();
    }
  };

  run.addEventListener("click", () => {
    const profiles = chosen();
    if (profiles.length === 0) return;
    void withBusy(run, async () => {
      showError(error, null);
      say(null);
      try {
        const created = await importProfiles(profiles);
        for (const b of boxes()) b.checked = false;
        say(created.length ? `Imported ${created.join(", ")}.` : "Nothing was imported.");
        await load();
      } catch (e) {
        showError(error, toIpcError(e));
      }
    }).finally(update);
  });

  render();
  return {
    id: "import",
    label: "Import",
    element,
    onShow: () => void load(),
    onChanged: () => {
      if (loaded) void load();
    },
  };
}
