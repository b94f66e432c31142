// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/bundle/, which bin/ds01.js runs.
// One-shot commands are whole processes, and resolving and loading ~170 small ES modules was a large
// part of each: the bundle loads a few dozen chunks instead. Each command stays its own lazy chunk
// (the automatic splitting follows the import() in src/cli/commands.ts), so `ds01 --help` and the
// gate load only what they use; merging chunks further was measured slower for --help.
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
  input: { main: join(root, "dist/cli/main.js") },
  platform: "node",
  external: [/^node:/, ...EXTERNAL.map((name) => new RegExp(`^${name}(/|$)`))],
  logLevel: "warn",
  output: { dir: out, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js" },
});
