// Preview only: serves the built dist/ with the app's CSP and dev/mock-tauri.js added to each
// page, so the real bundle can be looked at in a browser without Tauri. The mock's sample data,
// ui/fixtures/index.ts (shared with the tests), is served as /fixtures/index.js, its types
// stripped by Vite's esbuild.
//   npm run build && node dev/serve-preview.mjs [port]

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { transformWithEsbuild } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const dist = join(here, "..", "dist");
const port = Number(process.argv[2] || 4173);

// The CSP src-tauri ships; `'self'` here is this server.
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ipc: http://ipc.localhost";

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

const fixtures = join(here, "..", "fixtures", "index.ts");

/** The shared fixtures as a browser module. */
async function fixturesModule() {
  const source = await readFile(fixtures, "utf8");
  const { code } = await transformWithEsbuild(source, fixtures, { loader: "ts", format: "esm", target: "es2021" });
  return code;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url || "/", "http://localhost");
  if (url.pathname === "/fixtures/index.js") {
    try {
      const code = await fixturesModule();
      res.writeHead(200, { "content-type": "text/javascript", "content-security-policy": CSP, "cache-control": "no-store" });
      res.end(code);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
    return;
  }
  let file;
  if (url.pathname === "/dev/mock-tauri.js") file = join(here, "mock-tauri.js");
  else file = join(dist, normalize(url.pathname === "/" ? "/settings.html" : url.pathname));
  if (!file.startsWith(dist) && !file.startsWith(here)) {
    res.writeHead(403).end();
    return;
  }
  try {
    let body = await readFile(file);
    if (extname(file) === ".html") {
      body = Buffer.from(body.toString().replace("<head>", '<head>\n    <script type="module" src="/dev/mock-tauri.js"></script>'));
    }
    res.writeHead(200, {
      "content-type": types[extname(file)] || "application/octet-stream",
      "content-security-policy": CSP,
      "cache-control": "no-store",
    });
    res.end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
});
server.listen(port, "127.0.0.1", () => console.log(`preview on http://127.0.0.1:${port}/settings.html`));
