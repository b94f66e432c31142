// Test helper for code-cache.test.ts: one process that loads a bundle with the code cache, as
// bin/ds01.js does, and prints what it loaded and the cache's counts (after writing at exit).
import { createRequire } from "node:module";
import { join } from "node:path";
import { installCodeCache } from "../../src/launch/code-cache.js";

const [code, cache] = process.argv.slice(2) as [string, string];
const cc = installCodeCache(code, cache === "-" ? null : cache);
const main = createRequire(import.meta.url)(join(code, "main.cjs")) as { value: number; answer: () => number };
cc.flush();
process.stdout.write(JSON.stringify({ value: main.value, answer: main.answer(), ...cc.counts }));
