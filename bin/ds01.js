#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/bundle/ (run `npm run build` first), compiled with
// this user's V8 code cache (src/launch/code-cache.ts). The gate's plain command line goes to the
// gate's own entry, which does not load the command-line library (src/launch/gate-argv.ts).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { defaultCacheDir, installCodeCache } from "../dist/launch/code-cache.js";
import { plainGateCommandLine } from "../dist/launch/gate-argv.js";

installCodeCache(fileURLToPath(new URL("../dist/bundle", import.meta.url)), defaultCacheDir());
const require = createRequire(import.meta.url);

// A reader that goes away (`ds01 … | head`) is not an error of ds01's: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const argv = process.argv.slice(2);
const gate = plainGateCommandLine(argv);
const ran = gate ? require("../dist/bundle/gate-main.cjs").runGate(gate) : require("../dist/bundle/main.cjs").main(argv);
ran.then((code) => {
  process.exitCode = code;
});
