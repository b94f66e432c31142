#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/bundle/ (run `npm run build` first).
import { main } from "../dist/bundle/main.js";

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
