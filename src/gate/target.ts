// The request target (path and query) as the gate reads it, parsed strictly: anything dockerd's
// router might read differently from the gate (encoded or dot segments, doubled slashes, repeated
// parameters, `;` separators) is refused instead of guessed at.

export interface Target {
  /** `/v1.41` or "" (the API version prefix, kept as the client wrote it). */
  versionPrefix: string;
  /** The path without the version prefix, e.g. `/containers/abc/stop`. */
  path: string;
  /** Decoded query parameters; a name maps to all its values, in order. */
  query: ReadonlyMap<string, readonly string[]>;
  /** The raw query string after `?`, or "" (forwarded as written). */
  rawQuery: string;
}

export type TargetResult = { ok: true; target: Target } | { ok: false; reason: string };

const VERSION = /^\/v\d{1,2}\.\d{1,3}(?=\/)/;
// Docker paths use ids, names and image references: letters, digits and `_.-:@/+`.
const PATH_CHARS = /^[A-Za-z0-9_.\-:@/+]*$/;
/**
 * Parameters the gate decides on. Given twice, the gate and dockerd could read different ones, so
 * that is refused; repeats of other parameters are passed on (dockerode, for one, repeats every
 * create option in the query, where dockerd ignores all but name and platform).
 */
const DECIDED = new Set(["name", "networkmode", "cgroupparent", "container", "fromSrc", "fromImage", "repo", "tag", "outputs"]);

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

export function parseTarget(url: string): TargetResult {
  if (!url.startsWith("/")) return { ok: false, reason: "the request target must be an absolute path" };
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  if (rawPath.includes("%")) return { ok: false, reason: "percent-encoded characters in the request path are refused" };
  if (!PATH_CHARS.test(rawPath)) return { ok: false, reason: "unexpected characters in the request path" };
  if (rawPath.includes("//")) return { ok: false, reason: "empty path segments (//) are refused" };
  if (rawPath.split("/").some((seg) => seg === "." || seg === "..")) return { ok: false, reason: "dot segments (. or ..) in the request path are refused" };
  const version = VERSION.exec(rawPath)?.[0] ?? "";
  const path = rawPath.slice(version.length) || "/";

  const query = new Map<string, string[]>();
  if (rawQuery !== "") {
    if (rawQuery.includes(";")) return { ok: false, reason: "`;` in the query string is refused (write & between parameters)" };
    if (rawQuery.includes("#")) return { ok: false, reason: "a fragment (#) in the request target is refused" };
    for (const part of rawQuery.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const name = decode(eq < 0 ? part : part.slice(0, eq));
      const value = decode(eq < 0 ? "" : part.slice(eq + 1));
      if (name === null || value === null) return { ok: false, reason: "malformed percent-encoding in the query string" };
      const values = query.get(name);
      if (values && DECIDED.has(name)) return { ok: false, reason: `query parameter "${name}" is given more than once` };
      if (values) values.push(value);
      else query.set(name, [value]);
    }
  }
  return { ok: true, target: { versionPrefix: version, path, query, rawQuery } };
}

/** The first value of a parameter, or undefined. */
export function queryValue(t: Target, name: string): string | undefined {
  return t.query.get(name)?.[0];
}

/** The target as forwarded, with `path` (without version) replaced. */
export function rebuildTarget(t: Target, path: string): string {
  return `${t.versionPrefix}${path}${t.rawQuery ? `?${t.rawQuery}` : ""}`;
}

/** The target with its second path segment (the object after /containers, /networks…) replaced. */
export function withObjectId(t: Target, id: string): string {
  const parts = t.path.split("/");
  parts[2] = id;
  return rebuildTarget(t, parts.join("/"));
}

/** The target with every value of query parameter `name` replaced by `value` (the path kept). */
export function withQueryValue(t: Target, name: string, value: string): string {
  return withQuery(t, { [name]: value });
}

/** The target with each named parameter set: every value of it replaced, or appended when absent. */
export function withQuery(t: Target, set: Readonly<Record<string, string>>): string {
  const seen = new Set<string>();
  const parts = (t.rawQuery === "" ? [] : t.rawQuery.split("&")).map((part) => {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const name = decodeURIComponent(key.replace(/\+/g, " "));
    if (!Object.hasOwn(set, name)) return part;
    seen.add(name);
    return `${key}=${encodeURIComponent(set[name]!)}`;
  });
  for (const [name, value] of Object.entries(set)) if (!seen.has(name)) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${t.versionPrefix}${t.path}${parts.length ? `?${parts.join("&")}` : ""}`;
}
