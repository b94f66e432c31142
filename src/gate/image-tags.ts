// Image tags as names with an owner. Tags are one namespace for everyone on the engine: without
// owners, a user could point a tag someone else made (or a shared one, `ubuntu:22.04`) at an image
// of their own, and the next `docker run` of that name, by anyone, would run it. So a non-admin's
// build -t, tag, commit and import may point a tag only when it is new or theirs on record; the
// gate records it as theirs before forwarding (a name one tried to make is one's own from then on).
// A pull fetches the name's own content from its registry, so it may refresh a tag nobody owns, but
// not replace one a user made. Admins are passed through and make no records.
import type { OwnerRecord } from "./ownership.js";

/** A tag a request would point, as the caller wrote it and as one canonical key. */
export interface TagTarget {
  shown: string;
  key: string;
}

/**
 * The canonical form of `name` (with `tag`, or the one in the name, or latest): registry, path and
 * tag, as Docker resolves short names (`ubuntu` is docker.io/library/ubuntu:latest). null: not a
 * tag at all (empty, or a digest reference).
 */
export function tagTarget(name: string | undefined, tag?: string): TagTarget | null {
  let n = (name ?? "").trim();
  if (n === "" || n.includes("@")) return null;
  let t = (tag ?? "").trim();
  const colon = n.lastIndexOf(":");
  if (colon > n.lastIndexOf("/")) {
    if (t === "") t = n.slice(colon + 1);
    n = n.slice(0, colon);
  }
  if (t === "") t = "latest";
  const parts = n.split("/");
  let domain = "docker.io";
  if (parts.length > 1 && (parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost")) domain = parts.shift()!;
  if (domain === "index.docker.io") domain = "docker.io";
  const path = domain === "docker.io" && parts.length === 1 ? `library/${parts[0]}` : parts.join("/");
  return { shown: `${n}:${t}`, key: `${domain}/${path}:${t}` };
}

export interface TagPorts {
  owners: { get(kind: "tag", id: string): OwnerRecord | null; put(r: OwnerRecord): void };
  /** Does the engine have an image under this reference now? */
  exists(ref: string): Promise<boolean>;
}

/** The claim in progress (claims run one after another). */
let claims: Promise<unknown> = Promise.resolve();

/**
 * May `caller` point these tags at an image of theirs? Records each as theirs and returns null, or
 * returns the refusal (nothing recorded).
 */
export function claimTags(targets: readonly TagTarget[], caller: { name: string; uid: number }, ports: TagPorts): Promise<string | null> {
  // One claim at a time: a claim looks the engine up between its check and its record, and two
  // users claiming the same new name meanwhile would both be told it is theirs.
  const run = claims.then(() => claimNow(targets, caller, ports));
  claims = run.catch(() => undefined);
  return run;
}

async function claimNow(targets: readonly TagTarget[], caller: { name: string; uid: number }, ports: TagPorts): Promise<string | null> {
  for (const t of targets) {
    const rec = ports.owners.get("tag", t.key);
    if (rec && rec.user !== caller.name) return `the image tag ${t.shown} is ${rec.user}'s; choose another name (tags are shared by everyone on this server)`;
    if (!rec && (await ports.exists(t.shown))) {
      return `the image tag ${t.shown} already exists and is not yours on record (pulled, or made before the gate or by an admin), so it cannot be pointed at another image; choose another name, or ask an admin`;
    }
  }
  const now = Date.now();
  for (const t of targets) if (!ports.owners.get("tag", t.key)) ports.owners.put({ kind: "tag", id: t.key, uid: caller.uid, user: caller.name, admin: false, createdAt: now });
  return null;
}

/** May `caller` pull this tag? A tag another user made is theirs; the registry's copy may not replace it. */
export function pullProblem(t: TagTarget, caller: { name: string }, ports: Pick<TagPorts, "owners">): string | null {
  const rec = ports.owners.get("tag", t.key);
  return rec && rec.user !== caller.name ? `the image tag ${t.shown} is ${rec.user}'s (made here); pulling would replace it: pull it under another name (docker pull, then docker tag)` : null;
}

/** The image names a buildx `outputs` parameter exports to (type image or registry), or null when it cannot be read. */
export function outputNames(outputs: string | undefined): string[] | null {
  if (outputs === undefined || outputs.trim() === "") return [];
  try {
    const list = JSON.parse(outputs) as unknown;
    if (!Array.isArray(list)) return null;
    const names: string[] = [];
    for (const o of list as { Type?: unknown; Attrs?: Record<string, unknown> }[]) {
      const type = typeof o?.Type === "string" ? o.Type : "";
      if (type !== "image" && type !== "registry" && type !== "moby") continue;
      const name = o.Attrs?.name;
      if (typeof name === "string") names.push(...name.split(",").map((s) => s.trim()).filter(Boolean));
    }
    return names;
  } catch {
    return null;
  }
}
