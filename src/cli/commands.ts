import type { CommandRun } from "./context.js";
import { SPECS, type CommandKey, type CommandSpec } from "./spec.js";

/** Each command's module, loaded only when run, so `ds01 events` loads nothing of the daemon's. */
const LOADERS: Record<CommandKey, () => Promise<{ run: CommandRun }>> = {
  daemon: () => import("./daemon.js"),
  check: () => import("./check.js"),
  explain: () => import("./explain.js"),
  status: () => import("./status.js"),
  "config check": () => import("./config-check.js"),
  "config resolve": () => import("./config-resolve.js"),
  "gpu list": () => import("./gpu-list.js"),
  "gpu health": () => import("./gpu-health.js"),
  "gpu allocate": () => import("./gpu-allocate.js"),
  "gpu release": () => import("./gpu-release.js"),
  "gpu status": () => import("./gpu-status.js"),
  create: () => import("./create.js"),
  events: () => import("./events.js"),
  "exempt add": () => import("./exempt.js").then((m) => ({ run: m.runAdd })),
  "exempt list": () => import("./exempt.js").then((m) => ({ run: m.runList })),
  "exempt remove": () => import("./exempt.js").then((m) => ({ run: m.runRemove })),
  keepalive: () => import("./keepalive.js"),
  install: () => import("./install.js"),
  gate: () => import("./gate.js"),
  completion: () => import("./completion.js"),
};

export function loadCommand(key: CommandKey): Promise<{ run: CommandRun }> {
  return LOADERS[key]();
}

/** The command whose words start argv (longest match), and the words after them. */
export function findCommand(argv: readonly string[]): { key: CommandKey; spec: CommandSpec; rest: string[] } | null {
  let best: [CommandKey, CommandSpec] | null = null;
  for (const [key, spec] of Object.entries(SPECS) as [CommandKey, CommandSpec][]) {
    if (spec.words.every((w, i) => argv[i] === w) && (!best || spec.words.length > best[1].words.length)) best = [key, spec];
  }
  return best ? { key: best[0], spec: best[1], rest: argv.slice(best[1].words.length) } : null;
}
