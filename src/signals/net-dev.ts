// Network bytes of a container's own network namespace, from /proc/<pid>/net/dev.
import { join } from "node:path";
import type { HostPaths } from "./host-paths.js";
import { asyncHostReads, type HostReads } from "./host-reads.js";

/** Sum of received + transmitted bytes over every interface except `lo`; null if the text is not /proc/net/dev. */
export function parseNetDev(text: string): number | null {
  const lines = text.split("\n");
  if (!lines[0]?.includes("Inter-") && !lines[1]?.includes("face")) return null;
  let total = 0;
  for (const line of lines.slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === "lo") continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    const rx = Number(fields[0]);
    const tx = Number(fields[8]);
    if (fields.length < 16 || !Number.isFinite(rx) || !Number.isFinite(tx)) return null;
    total += rx + tx;
  }
  return total;
}

function netns(paths: HostPaths, pid: string, reads: HostReads): Promise<string | null> {
  return reads.link(join(paths.procRoot, pid, "ns", "net"));
}

/**
 * Cumulative rx+tx bytes of the network namespace of `pid`, or null when unreadable or when the
 * process shares the host's namespace (`--network host`: those counters are the whole host's).
 */
export async function readNetBytes(paths: HostPaths, pid: number, reads: HostReads = asyncHostReads): Promise<number | null> {
  const own = await netns(paths, String(pid), reads);
  if (own !== null) {
    const [init, self] = await Promise.all([netns(paths, "1", reads), netns(paths, "self", reads)]);
    if (own === init || own === self) return null;
  }
  const text = await reads.text(join(paths.procRoot, String(pid), "net", "dev"));
  return text === null ? null : parseNetDev(text);
}
