import { readFileSync } from "node:fs";

// A small parser for systemd unit files (systemd.syntax(7)): sections, repeated keys, comments
// (# and ;), backslash line continuations. Used to assert ds01's policy on the units (values
// systemd-analyze accepts but ds01 requires) and as the documented fallback where systemd-analyze
// cannot run.

export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) line = line.slice(0, -1) + " " + lines[++i]!.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1]!) ?? new Map<string, string[]>();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (section === null || eq <= 0) throw new Error(`line ${i + 1}: not "Key=value" inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    const values = section.get(key) ?? [];
    values.push(line.slice(eq + 1).trim());
    section.set(key, values);
  }
  return unit;
}

export function loadUnit(path: string): UnitFile {
  return parseUnit(readFileSync(path, "utf8"));
}

/** The last value of a key (systemd: a later assignment wins), or undefined. */
export function value(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** systemd time span ("45s", "2min", "300", "1min 30s") in seconds; plain numbers are seconds. */
export function seconds(span: string): number {
  const units: Record<string, number> = { "": 1, s: 1, sec: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600, ms: 0.001 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)/g;
  let m: RegExpExecArray | null;
  let matched = "";
  while ((m = re.exec(span.trim())) !== null) {
    const factor = units[m[2]!];
    if (factor === undefined) throw new Error(`unknown time unit in "${span}"`);
    total += Number(m[1]) * factor;
    matched += m[0];
  }
  if (matched.replace(/\s/g, "") !== span.replace(/\s/g, "")) throw new Error(`cannot parse time span "${span}"`);
  return total;
}
