// lifecycle-exemptions.yaml (format in docs/config.md): per-user waivers from idle and/or runtime enforcement.
import { z } from "zod";
import type { Enforcement } from "../model/policy.js";
import { nameList, str } from "./fields.js";
import type { PathSegment } from "./problems.js";
import type { YamlSource } from "./yaml-file.js";

export interface Exemption {
  username: string;
  exempt_from: Enforcement[];
  reason: string | null;
  /** ISO-8601 UTC, or null for permanent. */
  expires_on: string | null;
  /** Epoch ms of expires_on, or null for permanent. */
  expiresAt: number | null;
  category: string | null;
  approved_by: string | null;
  approved_on: string | null;
  /** Position in the file's list (for messages and editing). */
  index: number;
}

const ENFORCEMENT_WORDS: Record<string, Enforcement> = {
  idle_timeout_h: "idle_timeout_h",
  idle_timeout: "idle_timeout_h",
  idle: "idle_timeout_h",
  max_runtime_h: "max_runtime_h",
  max_runtime: "max_runtime_h",
  runtime: "max_runtime_h",
};

/** `idle_timeout_h`, `idle_timeout`, `idle` → idle_timeout_h; the same for max_runtime. */
export function parseEnforcement(word: string): Enforcement | null {
  return ENFORCEMENT_WORDS[word.trim()] ?? null;
}

/** Read as YAML 1.2, so dates stay text and are checked here (YAML 1.1 would turn 2026-13-45 into a date). */
export const EXEMPTIONS_YAML_VERSION = "1.2";

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function validParts(m: RegExpExecArray): boolean {
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return false;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return false;
  return true;
}

/**
 * ISO-8601 date or date-time → epoch ms. A date alone means 00:00 UTC of that day; a time without a
 * zone is UTC. Null when it cannot be read.
 */
export function parseIsoTime(v: unknown): number | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.getTime();
  if (typeof v !== "string") return null;
  const t = v.trim();
  const m = ISO.exec(t);
  if (!m || !validParts(m)) return null;
  let s = t.replace(" ", "T");
  if (s.length === 10) s += "T00:00:00Z";
  else if (!/(Z|[+-]\d{2}:?\d{2})$/.test(s)) s += "Z";
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}

export { isActiveAt, toActive } from "./exemption-active.js";

const entrySchema = (strict: boolean) => {
  const shape = {
    username: str({ nullable: false, nonEmpty: true }),
    exempt_from: nameList(),
    reason: str({ nullable: true }).optional(),
    expires_on: z.unknown().optional(),
    category: str({ nullable: true }).optional(),
    approved_by: str({ nullable: true }).optional(),
    approved_on: z.unknown().optional(),
  };
  return strict ? z.strictObject(shape) : z.object(shape);
};

const dateText = (v: unknown): string | null => (v instanceof Date ? v.toISOString().slice(0, 10) : v === null || v === undefined ? null : String(v));

/** Validates the file's value; reports problems through `src`; returns the well-formed entries. */
export function readExemptions(value: unknown, src: YamlSource): Exemption[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== "object" || Array.isArray(value)) {
    src.report("error", [], "expected a mapping with an `exemptions:` list");
    return [];
  }
  const root = value as Record<string, unknown>;
  for (const k of Object.keys(root)) if (k !== "exemptions") src.report("warning", [k], `unknown key "${k}" ignored`, { key: true });
  const list = root.exemptions;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) {
    src.report("error", ["exemptions"], "expected a list of entries (- username: ...)");
    return [];
  }
  const out: Exemption[] = [];
  list.forEach((raw, index) => {
    const path: PathSegment[] = ["exemptions", index];
    const strict = entrySchema(true).safeParse(raw);
    let bad = false;
    if (!strict.success) {
      for (const iss of strict.error.issues) {
        if (iss.code === "unrecognized_keys") {
          for (const k of iss.keys) src.report("warning", [...path, ...(iss.path as PathSegment[]), k], `unknown key "${k}" ignored`, { key: true });
        } else {
          bad = true;
          const missing = iss.path.length === 1 && (raw as Record<string, unknown> | null)?.[String(iss.path[0])] === undefined;
          const msg = typeof raw !== "object" || raw === null || Array.isArray(raw) ? "expected a mapping (username, exempt_from, reason, expires_on)" : missing ? `"${String(iss.path[0])}" is required` : iss.message;
          src.report("error", [...path, ...(iss.path as PathSegment[])], msg);
        }
      }
    }
    if (bad) return;
    const e = entrySchema(false).parse(raw);
    const from: Enforcement[] = [];
    e.exempt_from.forEach((w, i) => {
      const enf = parseEnforcement(w);
      if (enf === null) {
        bad = true;
        src.report("error", [...path, "exempt_from", i], `unknown enforcement "${w}" (expected idle_timeout_h or max_runtime_h)`);
      } else if (!from.includes(enf)) from.push(enf);
    });
    if (from.length === 0 && !bad) {
      bad = true;
      src.report("error", [...path, "exempt_from"], "must name at least one of idle_timeout_h, max_runtime_h");
    }
    let expiresAt: number | null = null;
    if (e.expires_on !== null && e.expires_on !== undefined) {
      expiresAt = parseIsoTime(e.expires_on);
      if (expiresAt === null) {
        bad = true;
        src.report("error", [...path, "expires_on"], `cannot read the date ${JSON.stringify(e.expires_on)} (expected ISO-8601 like 2026-03-31 or 2026-03-31T18:00:00Z, or null for permanent)`);
      }
    }
    if (bad) return;
    out.push({
      username: e.username!,
      exempt_from: from,
      reason: e.reason ?? null,
      expires_on: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      expiresAt,
      category: e.category ?? null,
      approved_by: e.approved_by ?? null,
      approved_on: dateText(e.approved_on),
      index,
    });
  });
  return out;
}
