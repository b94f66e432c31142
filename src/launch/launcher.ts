// What bin/ds01.js needs before it loads the CLI, as one CommonJS chunk (dist/bundle/launcher.cjs):
// the launcher is CommonJS too, so a command starts without Node's ES module loader.
export { defaultCacheDir, installCodeCache } from "./code-cache.js";
export { plainGateCommandLine } from "./gate-argv.js";
