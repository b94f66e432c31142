#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/bundle/ (run `npm run build` first), compiled with
// this user's V8 code cache (src/launch/code-cache.ts). CommonJS (bin/package.json), like the
// bundle, so a command starts without Node's ES module loader. The gate's plain command line goes
// to the gate's own entry, which does not load the command-line library (src/launch/gate-argv.ts).
const { join } = require("node:path");
const { defaultCacheDir, installCodeCache, plainGateCommandLine } = require("../dist/bundle/launcher.cjs");

installCodeCache(join(__dirname, "../dist/bundle"), defaultCacheDir());

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
