// Builds ds01's command line (commander) from the declaration in spec.ts: parsing, per-command help,
// --version and errors in ds01's words. Parsing only picks the command; main.ts runs it.
import { Command, CommanderError, Option } from "commander";
import { InvalidInputError } from "../errors.js";
import { EXIT_CODES_TEXT, GLOBAL_OPTIONS, GROUPS, SPECS, type CommandKey, type CommandSpec, type OptionSpec } from "./spec.js";

export interface GlobalValues {
  configDir: string | null;
  stateDir: string | null;
  logFormat: "human" | "json" | null;
}

/** What the command line asks for: a command with its arguments in a form `parseCommandArgs` reads. */
export type Parsed = { kind: "run"; key: CommandKey; argv: string[]; globals: GlobalValues } | { kind: "exit"; code: number };

const flags = (name: string, o: OptionSpec) => `--${name}${o.type === "string" ? ` <${o.value ?? "VALUE"}>` : ""}`;

function option(name: string, o: OptionSpec): Option {
  const opt = new Option(flags(name, o), o.help + (o.required ? " (required)" : ""));
  if (o.type === "string" && typeof o.default === "string") opt.default(o.default);
  if (o.multiple) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  return opt;
}

/**
 * The command's own argv, rebuilt from what commander parsed: `--name=value` for every value (so a
 * value may start with "-"), then `--` and the operands.
 */
function canonicalArgv(spec: CommandSpec, cmd: Command): string[] {
  const values = cmd.opts();
  const out: string[] = [];
  for (const [name, o] of Object.entries(spec.options)) {
    const v: unknown = values[new Option(flags(name, o)).attributeName()];
    if (v === undefined || v === false) continue;
    if (o.type === "boolean") out.push(`--${name}`);
    else for (const x of Array.isArray(v) ? v : [v]) out.push(`--${name}=${String(x)}`);
  }
  return [...out, "--", ...cmd.args];
}

function globalValues(program: Command): GlobalValues {
  const o = program.opts<{ config?: string; stateDir?: string; logFormat?: string }>();
  for (const [name, v] of [["--config", o.config], ["--state-dir", o.stateDir]] as const) {
    if (v !== undefined && v.trim() === "") throw new InvalidInputError(`${name} needs a directory`);
  }
  if (o.logFormat !== undefined && o.logFormat !== "human" && o.logFormat !== "json") {
    throw new InvalidInputError(`--log-format: "${o.logFormat}" is not human or json`);
  }
  return { configDir: o.config ?? null, stateDir: o.stateDir ?? null, logFormat: (o.logFormat as GlobalValues["logFormat"]) ?? null };
}

export interface ProgramIo {
  out: (text: string) => void;
  err: (text: string) => void;
  version: string;
}

/** The whole command tree; `onChosen` receives the command a parse selects. */
export function buildProgram(io: ProgramIo, onChosen: (key: CommandKey, cmd: Command) => void = () => {}): Command {
  const program = new Command("ds01")
    .description("Keeps a shared multi-user NVIDIA GPU server fair: limits, GPU allocation, idle and runtime enforcement, audit log.")
    .usage("[global options] <command> [options]")
    .version(io.version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .helpCommand("help [command...]", "show help for a command")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // commander says "error: …"; ds01's messages start with "ds01: ".
      outputError: (text, write) => write(text.replace(/^error: /, "ds01: ")),
    })
    .addHelpText("after", `\n${EXIT_CODES_TEXT}\nRun "ds01 <command> --help" for a command's options.`);
  program.showHelpAfterError("(see: ds01 --help)");
  for (const [name, o] of Object.entries(GLOBAL_OPTIONS)) program.addOption(option(name, o));

  const groups = new Map<string, Command>();
  for (const [key, spec] of Object.entries(SPECS) as [CommandKey, CommandSpec][]) {
    let parent = program;
    for (const word of spec.words.slice(0, -1)) {
      let g = groups.get(word);
      if (!g) {
        g = parent.command(word).description(GROUPS[word as keyof typeof GROUPS] ?? "").helpCommand("help [command]", "show help for a command");
        groups.set(word, g);
      }
      parent = g;
    }
    const cmd = parent.command(spec.words.at(-1)!).description(spec.summary).showHelpAfterError(`(see: ds01 ${spec.words.join(" ")} --help)`);
    for (const a of spec.args ?? []) {
      const n = `${a.name}${a.variadic ? "..." : ""}`;
      cmd.argument(a.optional ? `[${n}]` : `<${n}>`, a.help);
    }
    // Extra operands and missing required options are reported in checkChosen, in ds01's words.
    if (spec.args?.some((a) => a.variadic)) cmd.passThroughOptions();
    else cmd.allowExcessArguments();
    for (const [name, o] of Object.entries(spec.options)) cmd.addOption(option(name, o));
    if (spec.details) cmd.addHelpText("after", `\n${spec.details}`);
    cmd.addHelpText("after", `\n${EXIT_CODES_TEXT}`);
    cmd.action((...args: unknown[]) => onChosen(key, args.at(-1) as Command));
  }
  return program;
}

function checkChosen(spec: CommandSpec, cmd: Command): void {
  const see = `(see: ds01 ${spec.words.join(" ")} --help)`;
  const extra = spec.args?.some((a) => a.variadic) ? [] : cmd.args.slice(spec.args?.length ?? 0);
  if (extra.length > 0) throw new InvalidInputError(`unexpected argument "${extra[0]}" ${see}`);
  const values = cmd.opts();
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.required && values[new Option(flags(name, o)).attributeName()] === undefined) throw new InvalidInputError(`--${name} is required ${see}`);
  }
}

/** `ds01 help gpu status` is `ds01 gpu status --help`, at any depth. */
function helpToFlag(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-")) i += argv[i]!.slice(2) in GLOBAL_OPTIONS ? 2 : 1;
  return argv[i] === "help" ? [...argv.slice(0, i), ...argv.slice(i + 1), "--help"] : [...argv];
}

/** Parses argv (without node and script); help and version are printed here and come back as "exit". */
export function parseCommandLine(argv: readonly string[], io: ProgramIo): Parsed {
  let chosen: { key: CommandKey; cmd: Command } | null = null;
  const program = buildProgram(io, (key, cmd) => (chosen = { key, cmd }));
  try {
    program.parse(helpToFlag(argv), { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // --help and --version exit 0; help shown because a command is missing is invalid input.
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return { kind: "exit", code: 0 };
    throw new CommandLineError(e.message.replace(/^error: /, ""), e.code === "commander.help");
  }
  const c = chosen as { key: CommandKey; cmd: Command } | null;
  if (!c) return { kind: "exit", code: 0 };
  checkChosen(SPECS[c.key], c.cmd);
  return { kind: "run", key: c.key, argv: canonicalArgv(SPECS[c.key], c.cmd), globals: globalValues(program) };
}

/** A command line commander refused; its message is already on stderr. */
export class CommandLineError extends InvalidInputError {
  constructor(
    message: string,
    /** Only help was shown (no command given). */
    readonly helpOnly: boolean,
  ) {
    super(helpOnly ? "no command given" : message);
  }
}
