import { InvalidInputError } from "../errors.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Longest duration accepted on the command line: ten years; longer overflows date arithmetic soon. */
export const MAX_CLI_DURATION_MS = 3650 * UNIT_MS.d;

/**
 * Parses a human duration for the command line: "90s", "30m", "2h", "1.5d", "1h30m".
 * A bare number is taken in `bareUnit`. Throws InvalidInputError naming `what`.
 */
export function parseDuration(text: string, what: string, bareUnit: keyof typeof UNIT_MS = "s"): number {
  const ms = parseUnbounded(text, what, bareUnit);
  if (!(ms <= MAX_CLI_DURATION_MS)) throw new InvalidInputError(`${what}: "${text}" is too long (at most ${MAX_CLI_DURATION_MS / UNIT_MS.d}d)`);
  return ms;
}

function parseUnbounded(text: string, what: string, bareUnit: keyof typeof UNIT_MS): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * UNIT_MS[bareUnit];
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    matched = re.lastIndex;
  }
  if (t.length === 0 || matched !== t.length) {
    throw new InvalidInputError(`${what}: "${text}" is not a duration (examples: 90s, 30m, 2h, 1d)`);
  }
  return total;
}

/** "1h 5m", "42s", "3d 2h": short and readable, for notices and tables. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export const HOUR_MS = UNIT_MS.h;
export const MINUTE_MS = UNIT_MS.m;
export const SECOND_MS = UNIT_MS.s;
