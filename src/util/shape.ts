// Checks JSON read at a boundary (Engine answers, stored records, files ds01 writes for itself) in
// one pass, and gives back a copy holding only the declared fields (`loose` objects keep the rest).
// One-shot commands load this instead of zod: its ~100 modules cost a cron run more than the check.
// The calls mirror zod's (`parse`, `safeParse`, `.nullish()`), so schemas read the same way.

export class ShapeError extends Error {}

export interface Shape<T> {
  /** The checked copy; throws ShapeError naming the first field that does not fit. */
  parse(value: unknown): T;
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: ShapeError };
  nullish(): Shape<T | null | undefined>;
  nullable(): Shape<T | null>;
  optional(): Shape<T | undefined>;
}

export type Infer<S> = S extends Shape<infer T> ? T : never;

type Check<T> = (value: unknown, at: string) => T;

function fail(at: string, expected: string, value: unknown): never {
  const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  throw new ShapeError(`${at || "value"}: expected ${expected}, got ${got}`);
}

function shape<T>(check: Check<T>): Shape<T> & { check: Check<T> } {
  return {
    check,
    parse: (value) => check(value, ""),
    safeParse(value) {
      try {
        return { success: true, data: check(value, "") };
      } catch (e) {
        if (e instanceof ShapeError) return { success: false, error: e };
        throw e;
      }
    },
    nullish: () => shape((v, at) => (v === null || v === undefined ? v : check(v, at))),
    nullable: () => shape((v, at) => (v === null ? null : check(v, at))),
    optional: () => shape((v, at) => (v === undefined ? undefined : check(v, at))),
  };
}

const checkOf = <T>(s: Shape<T>): Check<T> => (s as Shape<T> & { check: Check<T> }).check;

export function string(opts: { min?: number } = {}): Shape<string> {
  return shape((v, at) => {
    if (typeof v !== "string") fail(at, "a string", v);
    if (opts.min !== undefined && v.length < opts.min) throw new ShapeError(`${at || "value"}: expected at least ${opts.min} character(s)`);
    return v;
  });
}

export function number(opts: { int?: boolean; nonnegative?: boolean } = {}): Shape<number> {
  return shape((v, at) => {
    if (typeof v !== "number" || !Number.isFinite(v)) fail(at, "a finite number", v);
    if (opts.int && !Number.isInteger(v)) fail(at, "an integer", v);
    if (opts.nonnegative && v < 0) fail(at, "a number ≥ 0", v);
    return v;
  });
}

export function boolean(): Shape<boolean> {
  return shape((v, at) => (typeof v === "boolean" ? v : fail(at, "a boolean", v)));
}

export function array<T>(item: Shape<T>): Shape<T[]> {
  const c = checkOf(item);
  return shape((v, at) => (Array.isArray(v) ? v.map((x, i) => c(x, `${at}[${i}]`)) : fail(at, "an array", v)));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An object used as a map: every value fits `value`. */
export function record<T>(value: Shape<T>): Shape<Record<string, T>> {
  const c = checkOf(value);
  return shape((v, at) => {
    if (!isPlainObject(v)) fail(at, "an object", v);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) out[k] = c(x, `${at}.${k}`);
    return out;
  });
}

type Fields = Record<string, Shape<unknown>>;
type Optional<F extends Fields> = { [K in keyof F]: undefined extends Infer<F[K]> ? K : never }[keyof F];
type ObjectOf<F extends Fields> = { [K in Exclude<keyof F, Optional<F>>]: Infer<F[K]> } & { [K in Optional<F>]?: Infer<F[K]> };

/** The declared fields (an absent or undefined optional one is left out); `loose` keeps the others as they are. */
export function object<F extends Fields>(fields: F, opts: { loose?: boolean } = {}): Shape<ObjectOf<F>> {
  const checks = Object.entries(fields).map(([k, s]) => [k, checkOf(s)] as const);
  return shape((v, at) => {
    if (!isPlainObject(v)) fail(at, "an object", v);
    const out: Record<string, unknown> = opts.loose ? { ...v } : {};
    for (const [k, c] of checks) {
      const x = c(v[k], at ? `${at}.${k}` : k);
      if (x === undefined) delete out[k];
      else out[k] = x;
    }
    return out as ObjectOf<F>;
  });
}
