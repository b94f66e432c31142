// Transpiles (types erased, no checking) the modules a child-process allocation worker needs into a
// temp tree inside node_modules/.cache, so workers start as plain Node processes in ~100 ms instead of
// loading a TypeScript compiler each. Layout is kept (src/…, test/allocation/…), so relative imports
// work and bare imports (better-sqlite3) resolve from the repository's node_modules.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

const DIRS = ["src/allocation", "src/constants", "src/model", "src/util", "src/store", "src/errors.ts", "test/allocation/alloc-worker.ts", "test/allocation/broker-host.ts"];

function files(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  return readdirSync(path).flatMap((f) => files(join(path, f)));
}

/** Returns the root of the transpiled tree; `cleanup()` removes it. */
export function transpileWorkerTree(): { root: string; cleanup: () => void } {
  const root = join(REPO, "node_modules", ".cache", `ds01-alloc-${process.pid}-${Date.now()}`);
  for (const f of DIRS.flatMap((d) => files(join(REPO, d)))) {
    const out = ts.transpileModule(readFileSync(f, "utf8"), {
      fileName: f,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    const dest = join(root, relative(REPO, f)).replace(/\.ts$/, ".js");
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, out.outputText);
  }
  writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
