// `ds01 completion [bash|zsh]`: a completion script generated from the same command tree as the parser.
import type { Command } from "commander";
import { InvalidInputError } from "../errors.js";
import { parseCommandArgs, type CliContext } from "./context.js";
import { buildProgram } from "./program.js";
import { SPECS } from "./spec.js";

interface Node {
  path: string;
  words: string[];
}

/** Every command path ("", "gpu", "gpu list") with what may follow it: subcommands and options. */
function nodes(cmd: Command, path: string, out: Node[] = []): Node[] {
  const subs = cmd.commands.map((c) => c.name());
  const opts = cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined);
  out.push({ path, words: [...subs, ...opts, "--help"] });
  for (const c of cmd.commands) nodes(c, path ? `${path} ${c.name()}` : c.name(), out);
  return out;
}

/** Options whose value is a file or directory name. */
function pathOptions(program: Command): string[] {
  const all = [program, ...program.commands.flatMap((c) => [c, ...c.commands])];
  const found = all.flatMap((c) => c.options.filter((o) => /<(DIR|FILE|PATH)/.test(o.flags)).map((o) => o.long!));
  return [...new Set(found)];
}

export function bashScript(program: Command): string {
  const list = nodes(program, "");
  const q = (s: string) => `'${s}'`;
  return [
    "# ds01 completion for bash (zsh: autoload -U +X bashcompinit && bashcompinit first)",
    "_ds01() {",
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" path="" w i',
    `  case "$prev" in ${pathOptions(program).join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return;; esac`,
    '  for ((i=1; i<COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    case "${path:+$path }$w" in',
    `      ${list.filter((n) => n.path).map((n) => q(n.path)).join("|")}) path="\${path:+$path }$w";;`,
    "    esac",
    "  done",
    '  case "$path" in',
    ...list.map((n) => `    ${q(n.path)}) COMPREPLY=($(compgen -W ${q(n.words.join(" "))} -- "$cur"));;`),
    "  esac",
    "}",
    "complete -F _ds01 ds01",
    "",
  ].join("\n");
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, SPECS.completion.options);
  const shell = positionals[0] ?? "bash";
  if (shell !== "bash" && shell !== "zsh") throw new InvalidInputError(`completion: unknown shell "${shell}" (bash or zsh)`);
  const script = bashScript(buildProgram({ out: () => {}, err: () => {}, version: "" }));
  ctx.out(shell === "zsh" ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script);
  return 0;
}
