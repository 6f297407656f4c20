// Bundles the browser test app (app/app.js and its dependencies) with
// esbuild into one ES module and copies app/index.html beside it.
// Usage: node build-app.mjs <output directory>
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const out = process.argv[2];
if (!out) {
  console.error("usage: node build-app.mjs <output directory>");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
await mkdir(out, { recursive: true });
await build({
  entryPoints: [path.join(here, "app", "app.js")],
  outfile: path.join(out, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
  logLevel: "warning",
});
await copyFile(path.join(here, "app", "index.html"), path.join(out, "index.html"));
