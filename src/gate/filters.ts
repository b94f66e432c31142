// The caller's share of shared answers: container listings and the event stream.
import { Transform } from "node:stream";

type KeepContainer = (id: string, labels: Record<string, string>, name: string) => boolean;

/** The container rows (as `GET /containers/json` writes them) that `keep` accepts. */
function ownRows(rows: unknown[], keep: KeepContainer): unknown[] {
  return rows.filter((row) => {
    if (typeof row !== "object" || row === null) return false;
    const r = row as { Id?: unknown; Labels?: unknown; Names?: unknown };
    const names = Array.isArray(r.Names) ? (r.Names as unknown[]) : [];
    const name = typeof names[0] === "string" ? names[0].replace(/^\//, "") : "";
    return typeof r.Id === "string" && keep(r.Id, (r.Labels as Record<string, string> | null) ?? {}, name);
  });
}

/** `GET /containers/json`'s array, only the rows `keep` accepts (an unparseable body stays as is). */
export function filterListBody(body: Buffer, keep: KeepContainer): Buffer {
  let rows: unknown;
  try {
    rows = JSON.parse(body.toString("utf8"));
  } catch {
    return Buffer.from("[]\n"); // never pass through a listing the gate could not read
  }
  if (!Array.isArray(rows)) return Buffer.from("[]\n");
  return Buffer.from(JSON.stringify(ownRows(rows, keep)) + "\n");
}

/**
 * `GET /system/df` (docker system df): only the caller's containers; images and volumes as their
 * own listings show them (to everyone); the build cache left out, since BuildKit's records describe
 * other users' build steps. An answer the gate cannot read becomes an empty one.
 */
export function filterDiskUsageBody(body: Buffer, keep: KeepContainer): Buffer {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    v = null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return Buffer.from(JSON.stringify({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }) + "\n");
  const df = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(df)) {
    const key = k.toLowerCase();
    if (key === "containers") out[k] = Array.isArray(value) ? ownRows(value, keep) : [];
    else if (key === "buildcache") out[k] = [];
    else out[k] = value;
  }
  return Buffer.from(JSON.stringify(out) + "\n");
}

/**
 * `GET /events` is a stream of JSON objects, one a line. Each complete line is passed on only when
 * `keep` accepts it; a line that is not JSON is dropped.
 */
export function eventsFilter(keep: (event: Record<string, unknown>) => boolean): Transform {
  let partial = "";
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = partial + chunk.toString("utf8");
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      if (partial.length > 1024 * 1024) partial = ""; // a runaway line is dropped, not buffered forever
      const out: string[] = [];
      for (const line of lines) {
        if (line.trim() === "") continue;
        try {
          if (keep(JSON.parse(line) as Record<string, unknown>)) out.push(line + "\n");
        } catch {
          // not an event
        }
      }
      done(null, out.length ? out.join("") : undefined);
    },
  });
}

/**
 * `GET /networks[/{id}]`: each network's `Containers` map (container id → name, addresses) keeps
 * only the caller's containers, so other users' ids, names and addresses are not shown.
 */
export function filterNetworksBody(body: Buffer, keepId: (id: string) => boolean): Buffer {
  let v: unknown;
  try {
    v = JSON.parse(body.toString("utf8"));
  } catch {
    return Buffer.from("[]\n");
  }
  const one = (n: unknown) => {
    if (typeof n !== "object" || n === null) return n;
    const net = n as { Containers?: Record<string, unknown> | null };
    if (net.Containers) net.Containers = Object.fromEntries(Object.entries(net.Containers).filter(([id]) => keepId(id)));
    return net;
  };
  return Buffer.from(JSON.stringify(Array.isArray(v) ? v.map(one) : one(v)) + "\n");
}
