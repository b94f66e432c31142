// ds01 config check [--json]: validate the config directory. Exit 0 with a one-line summary (warnings on
// stderr), or exit 2 with one `FILE:LINE:COLUMN: error|warning: KEY.PATH: message` line per problem
// and a count on stderr.
import { ConfigError, formatProblem, type ConfigProblem, loadConfig, locateConfigDir, type LoadedConfig } from "../config/index.js";
import { EXIT } from "../errors.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `FILE:LINE:COL: warning: KEY.PATH: message`: the position first, so editors can jump to it. */
function problemLine(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.path}: ${p.message}`;
}

export function configCounts(c: LoadedConfig): { groups: number; users: number; overrides: number; exemptions: number } {
  const users = new Set(c.groups.flatMap((g) => g.members));
  return { groups: c.groups.length, users: users.size, overrides: c.userOverrides.size, exemptions: c.exemptions.length };
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["config check"].options);
  const { dir, source } = locateConfigDir(ctx);
  try {
    const config = await loadConfig(dir);
    const n = configCounts(config);
    if (values.json) {
      printJson(ctx, { ok: true, dir, source, ...n, warnings: config.warnings.map(formatProblem), errors: [] });
    } else {
      for (const w of config.warnings) ctx.err(`${problemLine(w)}\n`);
      ctx.out(
        `config OK: ${dir} — ${plural(n.groups, "group")}, ${plural(n.users, "user")}, ${plural(n.overrides, "override")}, ` +
          `${plural(n.exemptions, "exemption")} (${plural(config.warnings.length, "warning")})\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (values.json) {
      printJson(ctx, {
        ok: false,
        dir,
        source,
        warnings: e.details.filter((p) => p.severity === "warning").map(formatProblem),
        errors: e.details.filter((p) => p.severity === "error").map(formatProblem),
      });
    }
    const errors = e.details.filter((p) => p.severity === "error").length;
    for (const p of e.details) ctx.err(`${problemLine(p)}\n`);
    ctx.err(`config INVALID: ${dir} — ${plural(errors, "error")}, ${plural(e.details.length - errors, "warning")}\n`);
    return EXIT.invalidInput;
  }
}
