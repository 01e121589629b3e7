// Builds the browser assets into src/sparkle/web/static/dist: our bundles (the pages' and the
// post editor's) and stylesheet, plus the API documentation bundles copied from their npm
// packages, so nothing loads from a CDN.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, "..", "src", "sparkle", "web", "static", "dist");
const require = createRequire(import.meta.url);

function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

const copies = [
  [join(packageDir("swagger-ui-dist"), "swagger-ui.css"), join(dist, "swagger-ui", "swagger-ui.css")],
  [join(packageDir("swagger-ui-dist"), "swagger-ui-bundle.js"), join(dist, "swagger-ui", "swagger-ui-bundle.js")],
  [join(packageDir("redoc"), "bundles", "redoc.standalone.js"), join(dist, "redoc", "redoc.standalone.js")],
];

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "app.js"), editor: join(here, "src", "editor.js") },
  outdir: dist,
  bundle: true,
  format: "iife",
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});

await build({
  entryPoints: { app: join(here, "src", "app.css") },
  outdir: dist,
  bundle: true,
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});

for (const [from, to] of copies) {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
}
