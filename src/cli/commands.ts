import type { CommandRun } from "./context.js";

/** The command table: words → module. Modules load lazily so `ds01 events` doesn't load dockerode. */
export interface CommandEntry {
  words: readonly string[];
  summary: string;
  load: () => Promise<{ run: CommandRun }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { words: ["daemon"], summary: "run the control loop, /metrics and /healthz", load: () => import("./daemon.js") },
  { words: ["check"], summary: "one full pass (release, idle, runtime, cleanup, health)", load: () => import("./check.js") },
  { words: ["explain"], summary: "why a container is kept or stopped", load: () => import("./explain.js") },
  { words: ["status"], summary: "your containers and their time left", load: () => import("./status.js") },
  { words: ["config", "check"], summary: "validate the config directory", load: () => import("./config-check.js") },
  { words: ["config", "resolve"], summary: "the limits and policies that apply to a user", load: () => import("./config-resolve.js") },
  { words: ["gpu", "list"], summary: "GPUs, MIG devices and GPU processes", load: () => import("./gpu-list.js") },
  { words: ["gpu", "health"], summary: "find orphan GPU processes, end them, reset idle GPUs", load: () => import("./gpu-health.js") },
  { words: ["gpu", "allocate"], summary: "reserve GPU slots for a container", load: () => import("./gpu-allocate.js") },
  { words: ["gpu", "release"], summary: "release a container's reservation", load: () => import("./gpu-release.js") },
  { words: ["gpu", "status"], summary: "slots, holders and quotas", load: () => import("./gpu-status.js") },
  { words: ["create"], summary: "create a container with a user's limits and GPUs", load: () => import("./create.js") },
  { words: ["events"], summary: "the audit log", load: () => import("./events.js") },
  { words: ["exempt", "add"], summary: "grant an exemption", load: () => import("./exempt.js").then((m) => ({ run: m.runAdd })) },
  { words: ["exempt", "list"], summary: "list exemptions", load: () => import("./exempt.js").then((m) => ({ run: m.runList })) },
  { words: ["exempt", "remove"], summary: "remove an exemption", load: () => import("./exempt.js").then((m) => ({ run: m.runRemove })) },
  { words: ["keepalive"], summary: "keep a container from idle stops for a while", load: () => import("./keepalive.js") },
  { words: ["gate"], summary: "the Docker API gate: who may do what, from the kernel's word", load: () => import("./gate.js") },
  { words: ["install"], summary: "install the systemd unit and config skeleton", load: () => import("./install.js") },
];

export function findCommand(argv: readonly string[]): { entry: CommandEntry; rest: string[] } | null {
  let best: CommandEntry | null = null;
  for (const c of COMMANDS) {
    if (c.words.every((w, i) => argv[i] === w) && (!best || c.words.length > best.words.length)) best = c;
  }
  return best ? { entry: best, rest: argv.slice(best.words.length) } : null;
}

export function usageText(): string {
  const lines = COMMANDS.map((c) => `  ${c.words.join(" ").padEnd(16)} ${c.summary}`);
  return [
    "usage: ds01 [--config DIR] [--state-dir DIR] <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "Read commands take --json. Exit codes: 0 ok, 1 failure, 2 invalid input or config.",
  ].join("\n");
}
