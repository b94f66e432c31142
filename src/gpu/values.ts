// nvidia-smi value text → numbers. Anything that is not a plain number (with its expected unit) is
// unknown: null, never 0 and never NaN.

/** Markers nvidia-smi prints instead of a value, in XML (`N/A`), CSV (`[N/A]`) and friends. */
const UNKNOWN_MARKERS = new Set([
  "",
  "n/a",
  "[n/a]",
  "[not supported]",
  "not supported",
  "[insufficient permissions]",
  "insufficient permissions",
  "[unknown error]",
  "unknown error",
  "[gpu is lost]",
  "-",
]);

export function isUnknownValue(text: string | null | undefined): boolean {
  return text === null || text === undefined || UNKNOWN_MARKERS.has(text.trim().toLowerCase());
}

/**
 * A number, optionally followed by `unit` ("MiB", "%", "W"): `"22437 MiB"` → 22437, `"N/A"` → null,
 * `"12 KiB"` with unit "MiB" → null (wrong unit is not a guess we make).
 */
export function parseMeasure(text: string | null | undefined, unit?: string): number | null {
  if (isUnknownValue(text)) return null;
  const t = text!.trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*(\S*)$/.exec(t);
  if (!m) return null;
  if (m[2] !== "" && m[2] !== unit) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/** A non-negative integer (ids, indexes, pids); anything else → null. */
export function parseId(text: string | null | undefined): number | null {
  if (isUnknownValue(text)) return null;
  const t = text!.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** `Enabled` → true, `Disabled` → false, anything else (N/A, missing) → null. */
export function parseEnabled(text: string | null | undefined): boolean | null {
  const t = text?.trim().toLowerCase();
  if (t === "enabled") return true;
  if (t === "disabled") return false;
  return null;
}

/** Text that is a real value, or null for the unknown markers. */
export function parseText(text: string | null | undefined): string | null {
  return isUnknownValue(text) ? null : text!.trim();
}
