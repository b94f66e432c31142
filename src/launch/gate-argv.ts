// `ds01 [--config DIR] [--state-dir DIR] [--log-format F] gate [--socket PATH] [--engine PATH]`,
// as the gate's unit runs it, recognised without the command-line library: commander and the
// command tree stayed in the long-running gate's memory only to read these few words. Anything
// else (help, an unknown or repeated option, a value that looks like an option, `--`, an
// operand) returns null, and the full command line (src/cli/main.ts) parses it and reports what is
// wrong in its usual words and exit code.

export interface GateCommandLine {
  configDir: string | null;
  stateDir: string | null;
  logFormat: "human" | "json" | null;
  /** The gate's own arguments as main.ts hands a command its arguments: `--name=value`…, then `--`. */
  argv: string[];
}

const GLOBALS = ["config", "state-dir", "log-format"] as const;
// In the command's declared order (src/cli/spec.ts), as main.ts rebuilds a command's argv.
const GATE_OPTIONS = ["socket", "engine"] as const;

/** The options at argv[from…] named in `names` (each once, with a plain value), or null. */
function readOptions<N extends string>(argv: readonly string[], from: number, names: readonly N[], stopAt?: string): { values: Map<N, string>; next: number } | null {
  const values = new Map<N, string>();
  let i = from;
  while (i < argv.length && argv[i] !== stopAt) {
    const word = argv[i]!;
    if (!word.startsWith("--")) return null;
    const eq = word.indexOf("=");
    const name = (eq < 0 ? word.slice(2) : word.slice(2, eq)) as N;
    const value = eq < 0 ? argv[i + 1] : word.slice(eq + 1);
    if (!names.includes(name) || values.has(name) || value === undefined || value.trim() === "" || value.startsWith("-")) return null;
    values.set(name, value);
    i += eq < 0 ? 2 : 1;
  }
  return { values, next: i };
}

/** The gate's command line when argv is a plain, well-formed one; null for everything else. */
export function plainGateCommandLine(argv: readonly string[]): GateCommandLine | null {
  const globals = readOptions(argv, 0, GLOBALS, "gate");
  if (globals === null || argv[globals.next] !== "gate") return null;
  const gate = readOptions(argv, globals.next + 1, GATE_OPTIONS);
  if (gate === null) return null;
  const logFormat = globals.values.get("log-format") ?? null;
  if (logFormat !== null && logFormat !== "human" && logFormat !== "json") return null;
  const own = GATE_OPTIONS.filter((n) => gate.values.has(n)).map((n) => `--${n}=${gate.values.get(n)!}`);
  return { configDir: globals.values.get("config") ?? null, stateDir: globals.values.get("state-dir") ?? null, logFormat, argv: [...own, "--"] };
}
