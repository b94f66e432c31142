// dockerd decodes request bodies with Go's encoding/json, which matches struct field names without
// regard to case: `{"hostconfig":{"privileged":true}}` is a privileged container to dockerd. The gate
// therefore reads struct fields the same way, refuses a body that names one field twice in two
// spellings (which one wins would depend on the parser) or with non-ASCII letters (Go folds `ſ` to
// `s` and `K` to `k`), and forwards its own re-serialisation, so dockerd decodes what was checked.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Fields whose value is a map of data keys (case-sensitive), not a struct. */
const MAP_FIELDS = new Set(["labels", "exposedports", "volumes", "sysctls", "tmpfs", "storageopt", "annotations", "config", "options", "driveropts"]);
/** Maps whose values are structs again. */
const MAP_OF_STRUCT_FIELDS = new Set(["endpointsconfig", "portbindings"]);

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The problem with a struct's keys (recursively), or null. `where` names the object in messages. */
export function structKeyProblem(obj: JsonObject, where: string): string | null {
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(obj)) {
    if (!/^[\x20-\x7e]*$/.test(key)) return `${where}: field name ${JSON.stringify(key)} has characters outside ASCII`;
    const folded = key.toLowerCase();
    const earlier = seen.get(folded);
    if (earlier !== undefined) return `${where}: field "${key}" is given twice (also as "${earlier}")`;
    seen.set(folded, key);
    const at = `${where}.${key}`;
    if (MAP_FIELDS.has(folded)) continue;
    if (MAP_OF_STRUCT_FIELDS.has(folded)) {
      if (!isObject(value)) continue;
      for (const [k, v] of Object.entries(value)) {
        const p = valueProblem(v, `${at}[${JSON.stringify(k)}]`);
        if (p) return p;
      }
      continue;
    }
    const p = valueProblem(value, at);
    if (p) return p;
  }
  return null;
}

function valueProblem(v: Json, where: string): string | null {
  if (isObject(v)) return structKeyProblem(v, where);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = valueProblem(v[i]!, `${where}[${i}]`);
      if (p) return p;
    }
  }
  return null;
}

/** The key under which a struct holds field `name` (any case), or undefined. */
export function fieldKey(obj: JsonObject, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

export function field(obj: JsonObject | null | undefined, name: string): Json | undefined {
  if (!obj) return undefined;
  const k = fieldKey(obj, name);
  return k === undefined ? undefined : obj[k];
}

/** Sets a field, keeping the spelling the client used when it is there. */
export function setField(obj: JsonObject, name: string, value: Json): void {
  obj[fieldKey(obj, name) ?? name] = value;
}

/** A field that must be a struct (or absent/null): the struct, null, or "bad". */
export function structField(obj: JsonObject | null, name: string): JsonObject | null | "bad" {
  const v = field(obj, name);
  if (v === undefined || v === null) return null;
  return isObject(v) ? v : "bad";
}

/**
 * Docker's StrSlice (CapAdd, CapDrop, Cmd…) accepts one string or a list of strings; plain lists
 * accept only lists. Returns the strings, [] when absent, or null when the value has another shape.
 */
export function stringList(v: Json | undefined, opts: { single?: boolean } = {}): string[] | null {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return opts.single ? [v] : null;
  if (!Array.isArray(v)) return null;
  return v.every((x) => typeof x === "string") ? (v as string[]) : null;
}
