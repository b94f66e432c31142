#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/bundle/ (run `npm run build` first), compiled with
// this user's V8 code cache (src/launch/code-cache.ts).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defaultCacheDir, installCodeCache } from "../dist/launch/code-cache.js";

installCodeCache(fileURLToPath(new URL("../dist/bundle", import.meta.url)), defaultCacheDir());
const { main } = createRequire(import.meta.url)("../dist/bundle/main.cjs");

// A reader that goes away (`ds01 … | head`) is not an error of ds01's: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
