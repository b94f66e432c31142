// /proc/<pid>/cgroup → the Docker container holding the process.

const ID = "[0-9a-f]{64}";
/** Patterns tried on each cgroup path, outermost match wins (the container the host engine knows). */
const PATTERNS: readonly RegExp[] = [
  // cgroup v2 (and v1) with the systemd driver: /system.slice/docker-<id>.scope
  new RegExp(`(?:^|/)docker-(${ID})\\.scope(?:/|$)`),
  // cgroupfs driver, v1 or v2: /docker/<id>, also nested (/kubepods/…/docker/<id>, /docker/<id>/docker/<inner>)
  new RegExp(`(?:^|/)docker/(${ID})(?:/|$)`),
  // Kubernetes on dockershim with cgroupfs: /kubepods/<qos>/pod<uid>/<id>
  new RegExp(`(?:^|/)kubepods(?:/[^/]+)*?/pod[^/]+/(${ID})(?:/|$)`),
];

/**
 * The 64-hex container id in a cgroup file's text, or null for a host process. Reads every line
 * (v1 has one per hierarchy, v2 one `0::` line) and, within a path, the outermost match.
 */
export function containerIdFromCgroup(text: string): string | null {
  for (const line of text.split("\n")) {
    const parts = line.split(":");
    if (parts.length < 3) continue;
    const path = parts.slice(2).join(":").trim();
    let best: { at: number; id: string } | null = null;
    for (const re of PATTERNS) {
      const m = re.exec(path);
      if (m && (best === null || m.index < best.at)) best = { at: m.index, id: m[1]! };
    }
    if (best) return best.id;
  }
  return null;
}
