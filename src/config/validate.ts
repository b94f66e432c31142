// Runs a strict and a lenient zod schema over a YAML value and reports issues at their positions.
import type { z } from "zod";
import type { PathSegment } from "./problems.js";
import type { YamlSource } from "./yaml-file.js";

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}

/**
 * Strict pass: unknown keys become warnings, everything else errors. When there is no error, the
 * lenient schema (same fields, unknown keys dropped) gives the value. Returns null on errors.
 */
export function validate<S extends z.ZodType>(
  strict: z.ZodType,
  lenient: S,
  value: unknown,
  src: YamlSource,
  base: readonly PathSegment[] = [],
): z.output<S> | null {
  const r = strict.safeParse(value);
  let errors = 0;
  if (!r.success) {
    for (const iss of r.error.issues) {
      const path = iss.path as PathSegment[];
      if (iss.code === "unrecognized_keys") {
        for (const k of iss.keys) src.report("warning", [...base, ...path, k], `unknown key "${k}" ignored`, { key: true });
        continue;
      }
      errors++;
      const missing = path.length > 0 && valueAt(value, path) === undefined && valueAt(value, path.slice(0, -1)) !== undefined;
      src.report("error", [...base, ...path], missing ? `"${String(path[path.length - 1])}" is required` : iss.message);
    }
  }
  if (errors > 0) return null;
  const l = lenient.safeParse(value);
  return l.success ? l.data : null;
}
