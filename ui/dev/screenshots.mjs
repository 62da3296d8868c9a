// Preview only: screenshots of every page with fake data, through headless Chromium, into
// screenshots/. Needs `npm run build` first and Debian's chromium.
//   node dev/screenshots.mjs [only-this-name]

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const out = join(here, "..", "screenshots");
const port = 4174;
const base = `http://127.0.0.1:${port}`;
const settings = [720, 520];
const mfa = [360, 200];

const addFavourite =
  "click:#fav-add;type:#fav-name|prod-admin;type:#fav-arn|arn:aws:iam::210987654321:role;blur:#fav-arn;" +
  "type:#fav-duration|1h;click:#fav-tag-add;type:#fav-form [name=tags]|team=platform;wait:500";

const shots = [
  { name: "favourites", url: "/settings.html#favourites", size: settings },
  { name: "favourites-dark", url: "/settings.html#favourites", size: settings, dark: true },
  { name: "favourite-form", url: `/settings.html?steps=${encodeURIComponent(addFavourite)}#favourites`, size: settings },
  {
    name: "favourite-edit-dark",
    url: `/settings.html?steps=${encodeURIComponent('click:[data-testid="fav-edit-prod-admin"];wait:400')}#favourites`,
    size: settings,
    dark: true,
  },
  {
    name: "favourite-expiry",
    url: `/settings.html?steps=${encodeURIComponent(
      'click:[data-testid="fav-edit-billing"];wait:200;type:#fav-renew-before|soon;blur:#fav-renew-before;focus:#fav-renew-before;wait:300',
    )}#favourites`,
    size: settings,
  },
  {
    name: "favourite-remove-confirm",
    url: `/settings.html?steps=${encodeURIComponent('click:[data-testid="fav-remove-prod-readonly"];wait:200')}#favourites`,
    size: settings,
  },
  {
    name: "favourite-assume-error",
    url: `/settings.html?reject=assume&steps=${encodeURIComponent('click:[data-testid="fav-assume-prod-admin"];wait:300')}#favourites`,
    size: settings,
  },
  { name: "favourites-empty", url: "/settings.html?scene=empty#favourites", size: settings },
  { name: "sources", url: "/settings.html#sources", size: settings },
  {
    name: "source-form",
    url: `/settings.html?reject=add_source&steps=${encodeURIComponent(
      "click:#src-add;type:#src-name|work2;type:#src-access-key-id|AKIAIOSFODNN7EXAMPLE;type:#src-secret|wJalrXUtnFEMI/K7MDENG;type:#src-mfa-serial|arn:aws:iam::123456789012:mfa/alice;blur:#src-mfa-serial;wait:300;submit:#src-form;wait:400",
    )}#sources`,
    size: settings,
  },
  { name: "source-form-dark", url: `/settings.html?steps=${encodeURIComponent("click:#src-add;click:#src-kind-profile;wait:200")}#sources`, size: settings, dark: true },
  {
    name: "sso-source-form",
    url: `/settings.html?steps=${encodeURIComponent("click:#src-add-sso;type:#sso-name|corp;click:#sso-origin-session;wait:300")}#sources`,
    size: settings,
  },
  {
    name: "portal-picker",
    url: `/settings.html?steps=${encodeURIComponent(
      'click:[data-testid="src-pick-org"];wait:300;type:#picker-search|prod;click:#picker-select-all;type:#picker-pattern|ROLENAME@ACCOUNTNAME;wait:400',
    )}#sources`,
    size: settings,
  },
  {
    name: "portal-picker-dark",
    url: `/settings.html?steps=${encodeURIComponent('click:[data-testid="src-pick-org"];wait:400')}#sources`,
    size: settings,
    dark: true,
  },
  { name: "import", url: `/settings.html?steps=${encodeURIComponent('check:[data-testid="import-check-dev-admin"];check:[data-testid="import-check-audit"]')}#import`, size: settings },
  { name: "import-dark", url: "/settings.html#import", size: settings, dark: true },
  { name: "preferences", url: "/settings.html#preferences", size: settings },
  { name: "preferences-dark", url: "/settings.html#preferences", size: settings, dark: true },
  { name: "about", url: "/settings.html#about", size: settings },
  { name: "mfa", url: "/mfa.html", size: mfa },
  { name: "mfa-dark", url: `/mfa.html?steps=${encodeURIComponent("type:#mfa-code|123")}`, size: mfa, dark: true },
  {
    name: "mfa-refused",
    url: `/mfa.html?reject=submit_mfa&steps=${encodeURIComponent("type:#mfa-code|123456;submit:#mfa-form;wait:300")}`,
    size: mfa,
  },
  { name: "mfa-idle", url: "/mfa.html?mfa=none", size: mfa },
];

const only = process.argv[2];
mkdirSync(out, { recursive: true });
const server = spawn(process.execPath, [join(here, "serve-preview.mjs"), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((resolve) => server.stdout.once("data", resolve));

let failed = false;
try {
  for (const shot of shots) {
    if (only && shot.name !== only) continue;
    const profile = mkdtempSync(join(tmpdir(), "rolecall-shot-"));
    const file = join(out, `${shot.name}.png`);
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--enable-logging=stderr",
      "--v=0",
      `--user-data-dir=${profile}`,
      `--window-size=${shot.size[0]},${shot.size[1]}`,
      "--virtual-time-budget=4000",
      `--screenshot=${file}`,
    ];
    if (shot.dark) args.push("--force-dark-mode", "--blink-settings=preferredColorScheme=0");
    else args.push("--blink-settings=preferredColorScheme=1");
    const r = spawnSync("chromium", [...args, base + shot.url], { encoding: "utf8", timeout: 60_000 });
    rmSync(profile, { recursive: true, force: true });
    const problems = (r.stderr || "")
      .split("\n")
      .filter((l) => /Content Security Policy|CSP violation|Uncaught|preview step|Failed to load/.test(l));
    console.log(`${shot.name}: ${r.status === 0 ? "ok" : `exit ${r.status}`}`);
    for (const p of problems) console.log(`  ${p}`);
    if (r.status !== 0 || problems.length) failed = true;
  }
} finally {
  server.kill();
}
process.exit(failed ? 1 : 0);
