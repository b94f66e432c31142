// Field validators for config values, with messages written for the administrator who edits the YAML.
// Each one is `unknown → T` so a wrong value is reported with our words, at its own key path.
import { z } from "zod";

type Check<T> = (v: unknown) => { ok: true; value: T } | { ok: false; message: string };

function field<T>(check: Check<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r = check(v);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.message });
    return z.NEVER;
  });
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (message: string) => ({ ok: false as const, message });

/** Words the original's duration_to_seconds read as "never"; we accept them as null. */
const NEVER_WORDS = new Set(["never", "indefinite", "none", "unlimited", "null", "~"]);
const UNIT_WORD = { h: "hours", m: "minutes", s: "seconds" } as const;
/**
 * Longest duration any key may hold unless it names a tighter bound: a year. Longer is surely a typo
 * (or an attack), and unbounded numbers overflow timers and date arithmetic further down.
 */
const YEAR_IN = { h: 365 * 24, m: 365 * 24 * 60, s: 365 * 24 * 3600 } as const;

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "a mapping";
  return String(v);
}

function numberCheck(v: unknown, what: string, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean; unit?: string }) {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    if (typeof v === "string" && /^\s*-?\d+(\.\d+)?\s*[a-z%]+\s*$/i.test(v)) {
      return bad(`expected ${what}, got ${show(v)}: write a bare number (the unit is fixed by the key)`);
    }
    return bad(`expected ${what}, got ${show(v)}`);
  }
  if (opts.integer && !Number.isInteger(v)) return bad(`expected a whole number, got ${v}`);
  if (opts.positive && v <= 0) return bad(`must be greater than 0 (got ${v})`);
  if (opts.min !== undefined && v < opts.min) return bad(v < 0 ? `must not be negative (got ${v})` : `must be at least ${opts.min} (got ${v})`);
  if (opts.max !== undefined && v > opts.max) return bad(`must be at most ${opts.max}${opts.unit ? ` ${opts.unit}` : ""} (got ${v})`);
  return ok(v);
}

/**
 * A duration in the key's unit (`_h`, `_m`, `_s`), fractions allowed. `nullable`: null (or the words
 * never/indefinite/none/unlimited) means "never / no limit". `max` (in the key's unit) defaults to a year.
 */
export function duration(unit: keyof typeof UNIT_WORD, opts: { nullable: boolean; positive?: boolean; max?: number }) {
  const what = `a number of ${UNIT_WORD[unit]}${opts.nullable ? " or null (never)" : ""}`;
  return field<number | null>((v) => {
    if (opts.nullable && (v === null || (typeof v === "string" && NEVER_WORDS.has(v.trim().toLowerCase())))) return ok(null);
    if (typeof v === "number" && v < 0) return bad(`must not be negative (got ${v})${opts.nullable ? "; write null for never" : ""}`);
    return numberCheck(v, what, { min: 0, positive: opts.positive, max: opts.max ?? YEAR_IN[unit], unit: UNIT_WORD[unit] });
  });
}

export function num(opts: { nullable: boolean; integer?: boolean; min?: number; max?: number; positive?: boolean; what?: string }) {
  const base = opts.what ?? (opts.integer ? "a whole number" : "a number");
  const what = opts.nullable ? `${base} or null (no limit)` : base;
  return field<number | null>((v) => {
    if (opts.nullable && (v === null || (typeof v === "string" && NEVER_WORDS.has(v.trim().toLowerCase())))) return ok(null);
    return numberCheck(v, what, opts);
  });
}

/** Like `num` with nullable false, typed as number. */
export function requiredNum(opts: { integer?: boolean; min?: number; max?: number; positive?: boolean; what?: string }) {
  return num({ ...opts, nullable: false }) as unknown as z.ZodType<number, unknown>;
}

export function requiredDuration(unit: keyof typeof UNIT_WORD, opts: { positive?: boolean; max?: number } = {}) {
  return duration(unit, { nullable: false, ...opts }) as unknown as z.ZodType<number, unknown>;
}

export function bool() {
  return field<boolean>((v) => (typeof v === "boolean" ? ok(v) : bad(`expected true or false, got ${show(v)}`)));
}

/** true, false or "auto" (gpu.expected). */
export function boolOrAuto() {
  return field<boolean | "auto">((v) => (typeof v === "boolean" || v === "auto" ? ok(v) : bad(`expected true, false or auto, got ${show(v)}`)));
}

/** A Docker size string ("32g", "512m", "96G") or a byte count; null = no limit. */
export function size() {
  return field<string | null>((v) => {
    if (v === null) return ok(null);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return ok(String(v));
    if (typeof v === "string" && /^\d+(\.\d+)?\s*[bkmgtp]?i?b?$/i.test(v.trim())) return ok(v.trim());
    return bad(`expected a size like 32g, 512m or a number of bytes (or null), got ${show(v)}`);
  });
}

/** systemd CPUQuota style ("9600%") or a number of cores. */
export function cpuQuota() {
  return field<string | null>((v) => {
    if (v === null) return ok(null);
    if (typeof v === "number" && v >= 0) return ok(String(v));
    if (typeof v === "string" && /^\d+(\.\d+)?%?$/.test(v.trim())) return ok(v.trim());
    return bad(`expected a CPU quota like "9600%" (or null), got ${show(v)}`);
  });
}

export function str(opts: { nullable: boolean; nonEmpty?: boolean }) {
  return field<string | null>((v) => {
    if (v === null && opts.nullable) return ok(null);
    if (typeof v === "number") return ok(String(v));
    if (typeof v !== "string") return bad(`expected a text value${opts.nullable ? " or null" : ""}, got ${show(v)}`);
    if (opts.nonEmpty && v.trim() === "") return bad("must not be empty");
    return ok(v);
  });
}

export function requiredStr() {
  return str({ nullable: false, nonEmpty: true }) as unknown as z.ZodType<string, unknown>;
}

export function oneOf<const T extends readonly string[]>(values: T) {
  return field<T[number]>((v) =>
    typeof v === "string" && (values as readonly string[]).includes(v) ? ok(v as T[number]) : bad(`expected one of ${values.join(", ")}, got ${show(v)}`),
  );
}

export function url(opts: { nullable: boolean }) {
  return field<string | null>((v) => {
    if (v === null && opts.nullable) return ok(null);
    if (typeof v !== "string") return bad(`expected an http(s) URL${opts.nullable ? " or null" : ""}, got ${show(v)}`);
    try {
      const u = new URL(v);
      if (u.protocol !== "http:" && u.protocol !== "https:") return bad(`expected an http or https URL, got ${show(v)}`);
      return ok(v);
    } catch {
      return bad(`not a valid URL: ${show(v)}`);
    }
  });
}

/** "HOST:PORT" for the daemon's HTTP listener ("127.0.0.1:9101", "[::1]:9101", ":9101"). */
export function listenAddress() {
  return field<string>((v) => {
    if (typeof v !== "string") return bad(`expected "HOST:PORT", got ${show(v)}`);
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]*):(\d{1,5})$/.exec(v.trim());
    if (!m || Number(m[2]) > 65535) return bad(`expected "HOST:PORT" (e.g. 127.0.0.1:9101), got ${show(v)}`);
    return ok(v.trim());
  });
}

export function absolutePath(opts: { nullable: boolean }) {
  return field<string | null>((v) => {
    if (v === null && opts.nullable) return ok(null);
    if (typeof v !== "string" || !v.startsWith("/")) return bad(`expected an absolute path${opts.nullable ? " or null" : ""}, got ${show(v)}`);
    return ok(v);
  });
}

/** A list of names; a single name is accepted as a list of one. Numbers become text (user ids). */
export function nameList() {
  return field<string[]>((v) => {
    if (v === null) return ok([]);
    const items = Array.isArray(v) ? v : [v];
    const out: string[] = [];
    for (const it of items) {
      if (typeof it === "string" && it.trim() !== "") out.push(it.trim());
      else if (typeof it === "number") out.push(String(it));
      else return bad(`expected a list of names, found ${show(it)}`);
    }
    return ok(out);
  });
}
