// The Sources tab: the credentials favourites start from, with masked key ids and the identity
// AWS confirmed; Add in a form in place of the list, Remove after a confirm.

import { confirmDialog } from "../confirm";
import { h, icon, showError } from "../dom";
import { shortArn } from "../format";
import { removeSource, ssoSessions, ssoSignIn, toIpcError, type SourceView } from "../ipc";
import { sameJson } from "../keyed-list";
import { ListBody } from "./list";
import type { Panel } from "./panel";
import { portalPicker } from "./portal-picker";
import { sourceForm } from "./source-form";
import { ssoSourceForm } from "./sso-source-form";
import type { Store } from "./store";

/** An IAM Identity Center source's sign-in, in words: "Signed in until 17:30" or "Signed out". */
export function signInText(s: SourceView): string {
  if (!s.sso?.signedIn) return "Signed out";
  if (!s.sso.signedInUntil) return "Signed in";
  const until = new Date(s.sso.signedInUntil);
  const time = until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  const sameDay = until.toDateString() === new Date().toDateString();
  return sameDay ? `Signed in until ${time}` : `Signed in until ${until.toLocaleDateString()} ${time}`;
}

export function sourcesPanel(store: Store, validateDelayMs?: number): Panel {
  const add = h("button", { id: "src-add", type: "button", text: "Add…" });
  const addSso = h("button", { id: "src-add-sso", type: "button", text: "Add IAM Identity Center…" });
  const error = h("div", { id: "src-error", class: "panel-error", testid: "src-error", hidden: true });
  const status = h("div", { id: "src-status", class: "panel-status", role: "status", hidden: true });
  const body = h("div", { class: "panel-body" });
  const list = h(
    "div",
    { class: "panel-list" },
    h("header", { class: "panel-header" }, h("h1", { text: "Sources" }), h("div", { class: "header-actions" }, addSso, add)),
    error,
    status,
    body,
  );
  const element = h("section", { id: "panel-sources", class: "panel", role: "tabpanel" }, list);

  const say = (text: string | null) => {
    status.textContent = text ?? "";
    status.hidden = text === null;
  };

  add.addEventListener("click", () => {
    showError(error, null);
    say(null);
    const form = sourceForm({
      validateDelayMs,
      onDone: (added) => {
        form.remove();
        list.hidden = false;
        if (added) {
          say(added.identity ? `Added ${added.name}, verified as ${added.identity}.` : `Added ${added.name}.`);
          void store.load();
        }
        add.focus();
      },
    });
    list.hidden = true;
    element.append(form);
  });

  /** Shows `view` in place of the list until it calls `back`. */
  const open = (view: HTMLElement) => {
    list.hidden = true;
    element.append(view);
  };
  const back = (view: HTMLElement, focus: HTMLElement) => {
    view.remove();
    list.hidden = false;
    focus.focus();
  };

  addSso.addEventListener("click", () => {
    showError(error, null);
    say(null);
    void withSessions().then((sessions) => {
      const form = ssoSourceForm({
        sessions,
        validateDelayMs,
        onDone: (added) => {
          back(form, addSso);
          if (added) {
            say(`Added ${added.name}. Sign in to its portal to use its roles.`);
            void store.load();
          }
        },
      });
      open(form);
    });
  });
  // The form offers the [sso-session] blocks of ~/.aws/config; a file that cannot be read offers none.
  const withSessions = () => ssoSessions().catch(() => []);

  const onPick = (source: SourceView, from: HTMLElement) => {
    showError(error, null);
    say(null);
    const picker = portalPicker({
      source: source.name,
      onDone: (added) => {
        back(picker, from);
        if (added?.length) {
          say(`Added ${added.length === 1 ? "1 favourite" : `${added.length} favourites`}: ${added.join(", ")}.`);
          void store.load();
        }
      },
    });
    open(picker);
  };

  const onSignIn = async (source: SourceView) => {
    showError(error, null);
    try {
      await ssoSignIn(source.name);
      say(`Signing in to ${source.name} in your browser…`);
    } catch (e) {
      showError(error, toIpcError(e));
    }
  };

  const onRemove = async (source: SourceView) => {
    const users = store.favourites.filter((f) => f.source === source.name).map((f) => f.name);
    const ok = await confirmDialog({
      title: `Remove ${source.name}?`,
      message:
        (source.kind === "keychain"
          ? "Its keys are deleted from the OS keychain."
          : source.kind === "sso"
            ? "Its IAM Identity Center sign-in is deleted from the OS keychain."
            : `rolecall stops using the AWS profile ${source.awsProfile ?? ""}; the profile itself stays.`) +
        (users.length ? ` Favourites using it: ${users.join(", ")}.` : ""),
      confirmLabel: "Remove",
    });
    if (!ok) return;
    showError(error, null);
    say(null);
    try {
      await removeSource(source.name);
      say(`Removed ${source.name}.`);
      await store.load();
    } catch (e) {
      showError(error, toIpcError(e));
    }
  };

  const cells = (s: SourceView) => {
    const remove = h("button", {
      type: "button",
      class: "small quiet icon-button",
      testid: `src-remove-${s.name}`,
      title: `Remove ${s.name}`,
      attrs: { "aria-label": `Remove ${s.name}` },
      on: { click: () => void onRemove(s) },
    });
    remove.append(icon("trash"));
    const credentials =
      s.kind === "keychain"
        ? `Keys ${s.keyHint ?? ""}`.trim()
        : s.kind === "sso"
          ? ["IAM Identity Center", s.sso?.region].filter(Boolean).join(" · ")
          : `AWS profile ${s.awsProfile ?? ""}`.trim();
    const actions: HTMLElement[] = [];
    if (s.kind === "sso") {
      if (s.sso?.signedIn) {
        const pick: HTMLButtonElement = h("button", {
          type: "button",
          class: "small",
          testid: `src-pick-${s.name}`,
          text: `Add from ${s.name}…`,
          on: { click: () => onPick(s, pick) },
        });
        actions.push(pick);
      } else {
        actions.push(
          h("button", {
            type: "button",
            class: "small",
            testid: `src-sign-in-${s.name}`,
            text: "Sign in",
            on: { click: () => void onSignIn(s) },
          }),
        );
      }
    }
    return [
      h("td", { class: "cell-name", text: s.name, title: s.name }),
      s.kind === "sso"
        ? h(
            "td",
            { class: "cell-credentials cell-two", testid: `src-credentials-${s.name}` },
            h("div", { text: credentials }),
            h("div", {
              class: "item-sub mono",
              testid: `src-sso-url-${s.name}`,
              text: s.ssoStartUrl ?? "",
              title: s.ssoStartUrl ?? "",
            }),
          )
        : h("td", { class: "cell-credentials", testid: `src-credentials-${s.name}`, text: credentials }),
      h("td", {
        class: s.mfaSerial ? "cell-mfa" : "cell-mfa muted",
        text: s.mfaSerial ? "Yes" : "—",
        title: s.mfaSerial ?? "No MFA device",
      }),
      s.kind === "sso"
        ? h(
            "td",
            {
              class: s.sso?.signedIn ? "cell-identity cell-two signed-in" : "cell-identity cell-two muted",
              testid: `src-signin-${s.name}`,
              title: signInText(s),
              attrs: { "data-state": s.sso?.signedIn ? "signed-in" : "signed-out" },
            },
            ...signInText(s)
              .split(/ (?=until )/)
              .map((line, i) => h("div", { class: i ? "item-sub" : "", text: line })),
          )
        : h("td", {
            class: s.identity ? "cell-identity mono" : "cell-identity muted",
            testid: `src-identity-${s.name}`,
            text: s.identity ? shortArn(s.identity) : "not verified",
            title: s.identity ?? "",
            attrs: s.identity ? { "data-arn": s.identity } : {},
          }),
      h("td", { class: "cell-actions" }, ...actions, remove),
    ];
  };

  const table = new ListBody<SourceView>(body, {
    empty: {
      testid: "src-empty",
      title: "No sources yet.",
      hint: "A source is an IAM user's keys, an AWS profile or an IAM Identity Center portal that favourites start from.",
    },
    table: {
      id: "src-table",
      columns: [
        { col: "col-source-name", header: "Name" },
        { col: "col-credentials", header: "Credentials" },
        { col: "col-mfa", header: "MFA" },
        { col: "col-identity", header: "Status" },
        { col: "col-actions-source", ariaLabel: "Actions" },
      ],
    },
    rows: {
      key: (s) => s.name,
      same: sameJson,
      create: (s) => ({ node: h("tr", { testid: `src-row-${s.name}`, attrs: { "data-name": s.name } }, ...cells(s)) }),
      // A source changes rarely (its keys replaced, verified again): its cells are made anew
      // in the row it has.
      update: (row, s) => row.node.replaceChildren(...cells(s)),
    },
  });

  const render = () => {
    if (store.error) showError(error, store.error);
    table.render(store.loaded, store.loaded ? store.sources : []);
  };

  const unsubscribe = store.subscribe(render);
  render();
  return { id: "sources", label: "Sources", element, destroy: unsubscribe };
}
