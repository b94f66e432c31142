// Images for the gate's load tests, made and removed as root directly on the engine: an "evil"
// image (what an attacker would put behind someone's tag), image ids, files the test users can read,
// and the removal of every tag a test made (by prefix) and of the imported image.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileWithTimeout } from "../../src/util/exec.js";

export async function sh(cmd: string, args: string[], timeoutMs = 60_000) {
  const r = await execFileWithTimeout(cmd, args, { timeoutMs });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

/** docker, as root, on the engine itself. */
export const root = (args: string[]) => sh("docker", args);

/** The image's id, or "" when there is none by that reference. */
export async function imageId(ref: string): Promise<string> {
  const r = await root(["image", "inspect", ref, "--format", "{{.Id}}"]);
  return r.code === 0 ? r.stdout.trim() : "";
}

/** A one-file image imported as `tag`; its id. */
export async function importEvilImage(tag: string): Promise<string> {
  const imported = await sh("sh", ["-c", `d=$(mktemp -d) && echo evil > "$d/evil" && tar -C "$d" -c . | docker import - ${tag}; rc=$?; rm -rf "$d"; exit $rc`]);
  if (imported.code !== 0) throw new Error(`docker import: ${imported.stderr}`);
  return imageId(tag);
}

/** The file `name` in `dir`, written when `data` is given, readable by the test users. */
export function placeReadable(dir: string, name: string, data?: Buffer): string {
  const path = join(dir, name);
  if (data) writeFileSync(path, data);
  chmodSync(path, 0o644);
  return path;
}

/** Removes every tag starting with `prefix` (by tag: an image's other tags stay), then the image `id`. */
export async function removeImages(prefix: string, id: string): Promise<void> {
  const images = await root(["images", "--format", "{{.Repository}}:{{.Tag}}"]);
  const mine = images.stdout.split("\n").filter((i) => i.startsWith(prefix));
  if (mine.length) await root(["rmi", ...mine]);
  if (id && (await imageId(id))) await root(["rmi", id]);
}
