// The original's username sanitiser, used to match members and override keys.
import { createHash } from "node:crypto";

export function sanitiseUsername(name: string): string {
  let s = name.split("@")[0]!;
  s = s.replace(/\./g, "_").replace(/[^A-Za-z0-9_:]/g, "_");
  s = s.replace(/_+/g, "_").replace(/^_+|_+$/g, "");
  if (s.length > 32) s = `${s.slice(0, 27)}_${createHash("md5").update(name).digest("hex").slice(0, 4)}`;
  return s;
}

/** The raw name first, then its sanitised form when different. */
export function nameForms(name: string): string[] {
  const s = sanitiseUsername(name);
  return s === name || s === "" ? [name] : [name, s];
}
