// Preview only (never in dist): a stand-in for the `window.__TAURI_INTERNALS__` that Tauri
// injects, answering rolecall's commands with the shared sample data of ui/fixtures, so the
// built pages can be opened in a plain browser and screenshotted. dev/serve-preview.mjs adds it
// to each page as the first module script (so it runs before the page's own) and serves the
// fixtures as JavaScript.
//
// URL parameters:
//   ?scene=empty            no sources, favourites or candidates
//   ?mfa=none               no pending MFA request
//   ?steps=click:#fav-add;type:#fav-arn|arn:x;blur:#fav-arn;wait:400
//                           actions run after the page loaded, for screenshots of states
//   ?reject=submit_mfa      that command rejects with a sample error
import {
  candidates,
  ciBot,
  corp,
  favourite,
  favourites,
  mfaRequest,
  org,
  portalListing,
  preferences,
  session as sessionAt,
  ssoSessions,
  work,
} from "/fixtures/index.js";

{
  const params = new URLSearchParams(location.search);
  const label = location.pathname.includes("mfa") ? "mfa" : "settings";
  const empty = params.get("scene") === "empty";
  const rejects = new Set((params.get("reject") || "").split(",").filter(Boolean));

  const now = Date.now();
  const session = (state, secs) => sessionAt(state, secs, now);
  const copy = (value) => JSON.parse(JSON.stringify(value));

  // Copies of the shared fixtures (ui/fixtures), which the commands below change.
  const state = {
    sources: empty ? [] : copy([work, corp, ciBot, org(now)]),
    listing: portalListing(now),
    favourites: empty ? [] : favourites(now),
    candidates: empty ? [] : copy(candidates),
    prefs: copy(preferences),
    mfa: params.get("mfa") === "none" ? null : copy(mfaRequest),
  };

  const rules = {
    name: [/^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}$/, "must start with a letter, digit or '_'"],
    profile: [/^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}$/, "must start with a letter, digit or '_'"],
    arn: [/^arn:aws(-us-gov|-cn)?:iam::\d{12}:role\/[\w+=,.@\/-]+$/, "is not an ARN (arn:aws:iam::123456789012:role/NAME)"],
    policyArn: [/^arn:aws(-us-gov|-cn)?:iam::(aws|\d{12}):policy\/[\w+=,.@\/-]+$/, "is not a policy ARN"],
    mfaSerial: [/^arn:aws(-us-gov|-cn)?:iam::\d{12}:mfa\/[\w+=,.@\/-]+$/, "is not an MFA device ARN"],
    duration: [/^(\d+|(\d+h)?(\d+m)?)$/, "is not a duration like 3600, 45m, 1h or 1h30m"],
    region: [/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "is not an AWS region name like us-east-1"],
    tag: [/^[^=]{1,128}=.{0,256}$/, "must look like key=value"],
    transitiveTag: [/^[\w .:/=+@-]{1,128}$/, "is not a tag key"],
    sessionName: [/^[\w+=,.@-]{2,64}$/, "must be 2 to 64 characters of letters, digits and +=,.@_-"],
    sourceIdentity: [/^[\w+=,.@-]{2,64}$/, "must be 2 to 64 characters of letters, digits and +=,.@_-"],
    externalId: [/^[\w+=,.@:\/-]{2,1224}$/, "must be 2 to 1224 characters"],
    accessKeyId: [/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, "is not an access key id (AKIA…)"],
    awsProfile: [/^[\w.@+-]+$/, "is not a profile name"],
    notifyBefore: [/^(\d+|(\d+h)?(\d+m)?(\d+s)?)$/, "is not a time like 10m, 14m55s, 90s or 1h"],
    renewBefore: [/^(\d+|(\d+h)?(\d+m)?(\d+s)?)$/, "is not a time like 10m, 14m55s, 90s or 1h"],
    startUrl: [/^https:\/\/\S+$/, "must start with https:// (http:// only to a loopback address)"],
    sessionHours: [/^([1-9]\d{0,3})?$/, "must be whole hours from 1 to 2160"],
    namePattern: [/ACCOUNTNAME|ACCOUNTID|ROLENAME/, "has none of ACCOUNTNAME, ACCOUNTID and ROLENAME; put at least one in it"],
  };

  /** The names of portal picks, roughly as rolecall-core makes them (the preview only). */
  const portalNames = (picks, pattern) => {
    const used = new Set();
    return picks.map((p) => {
      const raw = (pattern || "ACCOUNTNAME-ROLENAME")
        .replaceAll("ACCOUNTNAME", p.accountName)
        .replaceAll("ACCOUNTID", p.accountId)
        .replaceAll("ROLENAME", p.roleName);
      const base = raw.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/-+/g, "-").replace(/^[-.]+|[-.]+$/g, "").slice(0, 64);
      let candidate = base;
      for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}`;
      used.add(candidate.toLowerCase());
      return candidate;
    });
  };

  const sample = {
    submit_mfa: { code: "sts.mfa_invalid", message: "MFA code for prod-admin was refused: check the device and try the next code" },
    save_favourite: { code: "config.exists", message: "favourite prod-admin already exists" },
    add_source: { code: "sts.unknown_key", message: "source work: AWS does not know this access key id" },
    assume: { code: "sts.access_denied", message: "favourite prod-admin: access denied by the role's trust policy" },
  };

  const handlers = {
    app_info: () => ({ version: "0.1.0" }),
    list_sources: () => state.sources,
    list_favourites: () => state.favourites,
    validate_field: ({ field, value }) => {
      const rule = rules[field];
      if (!rule) return null;
      return rule[0].test(value) ? null : rule[1];
    },
    add_source: ({ input }) => {
      const view = {
        name: input.name,
        kind: input.awsProfile ? "aws_profile" : "keychain",
        keyHint: input.accessKeyId ? "****" + input.accessKeyId.slice(-4) : null,
        awsProfile: input.awsProfile,
        ssoStartUrl: null,
        mfaSerial: input.mfaSerial,
        identity: input.verify ? "arn:aws:iam::123456789012:user/preview" : null,
      };
      state.sources.push(view);
      return view;
    },
    remove_source: ({ name }) => {
      state.sources = state.sources.filter((s) => s.name !== name);
      return null;
    },
    save_favourite: ({ input, replacing }) => {
      const view = favourite(input.name, {
        arn: input.arn,
        source: input.source,
        profile: input.profile || input.name,
        mfa: input.mfa,
        autoRenew: input.autoRenew,
        notifyBefore: input.notifyBefore || null,
        renewBefore: input.renewBefore || null,
      });
      state.favourites = state.favourites.filter((f) => f.name !== replacing).concat(view);
      return view;
    },
    remove_favourite: ({ name }) => {
      state.favourites = state.favourites.filter((f) => f.name !== name);
      return null;
    },
    assume: ({ name }) => {
      const f = state.favourites.find((x) => x.name === name);
      f.session = session("active", f.durationSecs);
      return f;
    },
    get_preferences: () => state.prefs,
    set_preferences: ({ prefs }) => {
      state.prefs = prefs;
      return null;
    },
    import_candidates: () => state.candidates,
    import_profiles: ({ profiles }) => profiles,
    sso_sessions: () => (empty ? [] : ssoSessions),
    add_sso_source: ({ input }) => {
      const view = { ...org(now), name: input.name, ssoStartUrl: input.startUrl || org(now).ssoStartUrl };
      view.sso = { ...view.sso, signedIn: false, signedInUntil: null };
      state.sources = state.sources.concat(view);
      return view;
    },
    sso_sign_in: () => null,
    portal_roles: () => state.listing,
    discover_portal_roles: () => state.listing,
    preview_portal_names: ({ picks, pattern }) => portalNames(picks, pattern),
    add_portal_favourites: ({ picks, pattern }) => portalNames(picks, pattern),
    mfa_pending: () => state.mfa,
    submit_mfa: () => null,
    cancel_mfa: () => null,
  };

  const listeners = new Map();
  const callbacks = new Map();
  let nextId = 1;

  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label }, currentWebview: { windowLabel: label, label } },
    transformCallback(callback, once) {
      const id = nextId++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        if (callback) callback(data);
      });
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    runCallback(id, data) {
      const cb = callbacks.get(id);
      if (cb) cb(data);
    },
    callbacks,
    convertFileSrc: (path) => path,
    async invoke(cmd, args) {
      await new Promise((r) => setTimeout(r, 20));
      if (cmd === "plugin:event|listen") {
        if (!listeners.has(args.event)) listeners.set(args.event, []);
        listeners.get(args.event).push(args.handler);
        return args.handler;
      }
      if (cmd === "plugin:event|unlisten") return null;
      if (rejects.has(cmd)) throw sample[cmd] || { code: "preview.error", message: `${cmd} failed in the preview` };
      const handler = handlers[cmd];
      if (!handler) throw `command ${cmd} not found`;
      return JSON.parse(JSON.stringify(handler(args || {})));
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener() {} };

  /** Sends an event to the page as src-tauri would. */
  window.__preview = {
    emit(event, payload) {
      for (const id of listeners.get(event) || []) {
        window.__TAURI_INTERNALS__.runCallback(id, { event, id, payload });
      }
    },
  };

  document.addEventListener("securitypolicyviolation", (e) => {
    console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
  });

  const steps = (params.get("steps") || "").split(";").filter(Boolean);
  const run = async () => {
    await new Promise((r) => setTimeout(r, 250));
    for (const step of steps) {
      const colon = step.indexOf(":");
      const verb = step.slice(0, colon);
      const rest = step.slice(colon + 1);
      if (verb === "wait") {
        await new Promise((r) => setTimeout(r, Number(rest)));
        continue;
      }
      const bar = rest.indexOf("|");
      const selector = verb === "type" && bar > 0 ? rest.slice(0, bar) : rest;
      const el = document.querySelector(selector);
      if (!el) {
        console.error(`preview step: nothing matches ${selector}`);
        continue;
      }
      if (verb === "click") el.click();
      if (verb === "focus") el.focus();
      if (verb === "blur") el.dispatchEvent(new FocusEvent("blur"));
      if (verb === "check") {
        el.checked = true;
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
      if (verb === "type") {
        el.focus();
        el.value = rest.slice(bar + 1);
        el.dispatchEvent(new Event("input", { bubbles: true }));
      }
      if (verb === "key") {
        (document.activeElement || document.body).dispatchEvent(
          new KeyboardEvent("keydown", { key: rest, bubbles: true }),
        );
      }
      if (verb === "submit") el.requestSubmit();
      await new Promise((r) => setTimeout(r, 60));
    }
  };
  window.addEventListener("load", () => void run());
}
