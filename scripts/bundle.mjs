// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/, which bin/ds01.js runs.
// One-shot commands are whole processes, and resolving and loading ~170 small ES modules was a large
// part of each: the bundle loads a few dozen chunks instead. Each command stays its own lazy chunk
// (the automatic splitting follows the import() in src/cli/commands.ts), so `ds01 --help` and the
// gate load only what they use; merging chunks further was measured slower for --help.
// CommonJS, because Node 20 reads each ES module through the promise API (four thread-pool round
// trips per file) and keeps no compile cache for them; CommonJS chunks are read synchronously and
// compiled with V8's code cache (src/launch/code-cache.ts). import() of an external package becomes
// require() too (dynamicImportInCjs: false), so no chunk needs an ES module loader.
// Native modules (better-sqlite3, koffi) and the packages only the daemon or `docker exec` load
// (prom-client, dockerode) stay external and are loaded from node_modules as before.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/bundle");

const EXTERNAL = ["better-sqlite3", "koffi", "dockerode", "prom-client"];

// Chunk names carry a content hash: a stale chunk from an earlier build must not linger.
rmSync(out, { recursive: true, force: true });
await build({
  cwd: root,
  // The gate's config loader runs as its own short-lived process (src/config/load-in-child.ts); the
  // gate has an entry of its own, without the command-line library (src/cli/gate-main.ts).
  // bin/ds01.js (CommonJS) starts from the launcher's chunk (src/launch/launcher.ts).
  input: {
    launcher: join(root, "dist/launch/launcher.js"),
    main: join(root, "dist/cli/main.js"),
    "gate-main": join(root, "dist/cli/gate-main.js"),
    "load-config-main": join(root, "dist/config/load-config-main.js"),
  },
  platform: "node",
  external: [/^node:/, ...EXTERNAL.map((name) => new RegExp(`^${name}(/|$)`))],
  logLevel: "warn",
  output: { dir: out, format: "cjs", dynamicImportInCjs: false, entryFileNames: "[name].cjs", chunkFileNames: "[name]-[hash].cjs" },
});
