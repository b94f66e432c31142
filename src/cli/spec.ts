// The one declaration of ds01's command line: every command's words, arguments and options with
// their help. The parser (program.ts), `--help`, shell completion and each command's own
// `parseCommandArgs` all read it, so they cannot disagree. No imports: loading it is free.

export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** Repeatable (`--label A --label B`). */
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** Placeholder in help: `--user U`. */
  readonly value?: string;
  readonly help: string;
  /** Missing → an error before the command runs. */
  readonly required?: boolean;
}

export interface ArgSpec {
  readonly name: string;
  readonly help: string;
  readonly optional?: boolean;
  /** Takes the rest of the command line (options after it included). */
  readonly variadic?: boolean;
}

export interface CommandSpec {
  readonly words: readonly string[];
  readonly summary: string;
  readonly args?: readonly ArgSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Extra lines at the end of `--help`. */
  readonly details?: string;
}

const json = { type: "boolean", help: 'print one JSON document on stdout (on failure too, with an "error" field)' } as const;
const dryRun = { type: "boolean", help: "show what would be done; change nothing" } as const;
const gpus = { type: "string", value: "N", help: "number of whole GPU slots" } as const;
const mig = { type: "string", value: "PROFILE", help: "one MIG device of this profile (e.g. 1g.10gb) instead of --gpus" } as const;
const preferFull = { type: "boolean", help: "prefer whole GPUs over MIG devices" } as const;

export const SPECS = {
  daemon: {
    words: ["daemon"],
    summary: "run the control loop, /metrics and /healthz",
    options: {
      listen: { type: "string", value: "HOST:PORT", help: "address for /metrics and /healthz (default: daemon.listen in the config)" },
      once: { type: "boolean", help: "run one pass, then stop" },
    },
    details: "Holds the pass lock while it runs: a real `ds01 check` is refused meanwhile (it runs the same passes); `check --dry-run` works.",
  },
  check: {
    words: ["check"],
    summary: "one full pass (release, idle, runtime, cleanup, health)",
    options: { "dry-run": dryRun, json },
    details: "While the daemon runs it holds the pass lock and runs these passes itself: only --dry-run runs beside it.",
  },
  explain: {
    words: ["explain"],
    summary: "why a container is kept or stopped",
    args: [{ name: "container", help: "container name or id" }],
    options: { json },
  },
  status: {
    words: ["status"],
    summary: "your containers and their time left",
    options: { user: { type: "string", value: "U", help: "only this user's containers (root only; others see their own)" }, json },
  },
  "config check": {
    words: ["config", "check"],
    summary: "validate the config directory",
    options: { json },
    details: "Exit 0 when valid (warnings allowed), 2 with one FILE:LINE:COLUMN line per problem.",
  },
  "config resolve": {
    words: ["config", "resolve"],
    summary: "the limits and policies that apply to a user",
    args: [{ name: "user", help: "login name" }],
    options: { at: { type: "string", value: "ISO_TIME", help: "evaluate exemptions at this time (default: now)" }, json },
  },
  "gpu list": { words: ["gpu", "list"], summary: "GPUs, MIG devices and GPU processes", options: { json } },
  "gpu health": { words: ["gpu", "health"], summary: "find orphan GPU processes, end them, reset idle GPUs", options: { "dry-run": dryRun, json } },
  "gpu allocate": {
    words: ["gpu", "allocate"],
    summary: "reserve GPU slots for a container",
    options: {
      user: { type: "string", value: "U", help: "the user the reservation is for (root must say; others are themselves)" },
      container: { type: "string", value: "NAME", help: "the container the slots are reserved for", required: true },
      gpus: { ...gpus, help: "number of whole GPU slots (default 1)" },
      mig,
      "prefer-full": preferFull,
      json,
    },
  },
  "gpu release": {
    words: ["gpu", "release"],
    summary: "release a container's reservation",
    options: {
      container: { type: "string", value: "NAME", help: "the container whose reservation is dropped", required: true },
      user: { type: "string", value: "U", help: "whose reservation (root: default any; others are themselves)" },
      json,
    },
  },
  "gpu status": { words: ["gpu", "status"], summary: "slots, holders and quotas", options: { json } },
  create: {
    words: ["create"],
    summary: "create a container with a user's limits and GPUs",
    args: [{ name: "command", help: "the container's command and its arguments", optional: true, variadic: true }],
    options: {
      user: { type: "string", value: "U", help: "the container's owner (root must say; others are themselves)" },
      gpus: { ...gpus, help: "number of whole GPU slots (default 0)" },
      mig,
      "prefer-full": preferFull,
      image: { type: "string", value: "IMAGE", help: "the image to run", required: true },
      name: { type: "string", value: "NAME", help: "container name (ds01 adds ._.<user>; default a random ds01-xxxxxx)" },
      start: { type: "boolean", help: "start it after creating it" },
      label: { type: "string", multiple: true, value: "K=V", help: "an extra label (repeatable)" },
      json,
    },
    details: "Everything after the options is the container's command: ds01 create --image busybox sh -c 'sleep 9'.",
  },
  events: {
    words: ["events"],
    summary: "the audit log",
    options: {
      since: { type: "string", value: "DUR|TIME", help: "from this long ago (2h, 3d) or this ISO-8601 time" },
      until: { type: "string", value: "DUR|TIME", help: "up to this long ago or this ISO-8601 time" },
      user: { type: "string", value: "U", help: "only this user's events" },
      container: { type: "string", value: "NAME|ID", help: "only this container's events" },
      type: { type: "string", value: "T", help: "only this event type, or a prefix ending in a dot (container.)" },
      limit: { type: "string", value: "N", help: "at most N events (the newest)" },
      json,
      "export-jsonl": { type: "string", value: "FILE|-", help: "write the events as JSONL lines to FILE (- for stdout)" },
    },
  },
  "exempt add": {
    words: ["exempt", "add"],
    summary: "grant an exemption",
    args: [{ name: "user", help: "login name" }],
    options: {
      from: { type: "string", value: "ENFORCEMENTS", help: "idle_timeout_h and/or max_runtime_h, comma-separated", required: true },
      reason: { type: "string", value: "TEXT", help: "why (kept in the file)", required: true },
      expires: { type: "string", value: "ISO|DURATION", help: "when it ends: an ISO-8601 time, a duration from now (7d), or never (default)" },
      "approved-by": { type: "string", value: "NAME", help: "who approved it (default: the sudo user or you)" },
      category: { type: "string", value: "waiver|research_grant", help: "kind of exemption" },
    },
  },
  "exempt list": {
    words: ["exempt", "list"],
    summary: "list exemptions",
    options: { user: { type: "string", value: "U", help: "only this user's exemptions" }, json },
  },
  "exempt remove": {
    words: ["exempt", "remove"],
    summary: "remove an exemption",
    args: [{ name: "user", help: "login name" }],
    options: { from: { type: "string", value: "ENFORCEMENT", help: "remove only this one (idle_timeout_h or max_runtime_h); default all" } },
  },
  keepalive: {
    words: ["keepalive"],
    summary: "keep a container from idle stops for a while",
    args: [{ name: "container", help: "container name or id" }],
    options: { for: { type: "string", value: "DUR", help: "how long (hours when no unit; capped by keepalive_max_duration_h)" }, json },
  },
  install: {
    words: ["install"],
    summary: "install the systemd unit and config skeleton",
    options: {
      "dry-run": { ...dryRun, default: false },
      prefix: { type: "string", value: "DIR", default: "/", help: "install under DIR instead of / (for packaging and tests)" },
      gate: { type: "boolean", default: false, help: "also install the Docker API gate: its unit, and drop-ins that move dockerd's socket out of users' reach" },
      json,
    },
  },
  gate: {
    words: ["gate"],
    summary: "the Docker API gate: who may do what, from the kernel's word",
    options: {
      socket: { type: "string", value: "PATH", help: "the socket Docker clients connect to" },
      engine: { type: "string", value: "PATH", help: "dockerd's own socket" },
    },
  },
  completion: {
    words: ["completion"],
    summary: "print a shell completion script",
    args: [{ name: "shell", help: "bash or zsh (default bash)", optional: true }],
    options: {},
    details: "Load it with: source <(ds01 completion bash)",
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandKey = keyof typeof SPECS;

/** Summaries of the words that group commands (`ds01 gpu …`). */
export const GROUPS = {
  config: "validate the config, show what applies to a user",
  gpu: "GPUs: inventory, health, allocation",
  exempt: "exemptions from idle and runtime enforcement",
} as const;

/** Options that come before the command. */
export const GLOBAL_OPTIONS = {
  config: { type: "string", value: "DIR", help: "config directory (default: $DS01_CONFIG_DIR, /etc/ds01, the bundled one)" },
  "state-dir": { type: "string", value: "DIR", help: "state directory: audit store, locks (default: $DS01_STATE_DIR, else /var/lib/ds01)" },
  "log-format": { type: "string", value: "human|json", help: "log lines on stderr (default: human on a terminal, json otherwise)" },
} as const satisfies Record<string, OptionSpec>;

export const EXIT_CODES_TEXT = "Exit codes: 0 success, 1 failure, 2 invalid input or config (the message is on stderr).";
