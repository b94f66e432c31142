// The tags a `docker load` archive sets, read from its tag files the way dockerd's decoder reads
// them (Go's encoding/json: struct fields in any case, map keys as written). manifest.json (what
// docker save writes, and what dockerd reads) names `RepoTags`; the legacy `repositories` file
// (read when manifest.json is missing) maps names to tags; an OCI index.json names images in its
// manifests' annotations. All three are read whenever present: which one an engine uses is its own
// business, and a tag in any of them must be the caller's to set.
import { field, isObject, structKeyProblem, type Json, type JsonObject } from "../docker/json-fields.js";
import { tagTarget, type TagTarget } from "./image-tags.js";
import { ArchiveRefused, type TagFile } from "./tar-scan.js";

/** More tags than this in one archive is refused (each is looked up on the engine). */
export const MAX_LOAD_TAGS = 1000;

/** A tag the archive sets, as written there, with its canonical target (null: not a NAME:TAG). */
export interface LoadTag {
  written: string;
  target: TagTarget | null;
}

/** The tags this tag file sets; throws ArchiveRefused when it cannot be read as dockerd would read it. */
export function tagsInFile(file: TagFile, data: Buffer): LoadTag[] {
  let v: Json;
  try {
    v = JSON.parse(data.toString("utf8")) as Json;
  } catch (e) {
    throw new ArchiveRefused(`the archive's ${file} is not valid JSON (${(e as Error).message}), so the gate cannot tell which tags it sets`);
  }
  const tags = file === "manifest.json" ? manifestTags(v) : file === "repositories" ? repositoriesTags(v) : indexTags(v);
  if (tags.length > MAX_LOAD_TAGS) throw new ArchiveRefused(`the archive's ${file} sets ${tags.length} tags; the gate checks at most ${MAX_LOAD_TAGS} per load: save fewer images at once`);
  return tags;
}

function refused(file: TagFile, what: string): ArchiveRefused {
  return new ArchiveRefused(`the archive's ${file} ${what}, so the gate cannot tell which tags it sets`);
}

function struct(file: TagFile, v: Json, where: string): JsonObject {
  if (!isObject(v)) throw refused(file, `has ${where} that is not a JSON object`);
  const problem = structKeyProblem(v, where);
  if (problem) throw refused(file, `is ambiguous (${problem})`);
  return v;
}

/** docker save's manifest.json: `[{"Config":…,"RepoTags":["name:tag",…],"Layers":[…]},…]`. */
function manifestTags(v: Json): LoadTag[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw refused("manifest.json", "is not a list of images");
  const out: LoadTag[] = [];
  v.forEach((item, i) => {
    const repoTags = field(struct("manifest.json", item, `image [${i}]`), "RepoTags");
    if (repoTags === undefined || repoTags === null) return;
    if (!Array.isArray(repoTags) || !repoTags.every((t) => typeof t === "string")) throw refused("manifest.json", `has RepoTags of image [${i}] that are not a list of names`);
    for (const t of repoTags as string[]) out.push({ written: t, target: tagTarget(t) });
  });
  return out;
}

/** The legacy `repositories` file: `{"name": {"tag": "<layer id>"}, …}`. */
function repositoriesTags(v: Json): LoadTag[] {
  if (v === null) return [];
  if (!isObject(v)) throw refused("repositories", "is not a JSON object of names");
  const out: LoadTag[] = [];
  for (const [name, tags] of Object.entries(v)) {
    if (tags === null) continue;
    if (!isObject(tags) || !Object.values(tags).every((id) => typeof id === "string")) throw refused("repositories", `has tags of ${JSON.stringify(name)} that are not an object of tag → id`);
    for (const tag of Object.keys(tags)) out.push({ written: `${name}:${tag}`, target: tagTarget(name, tag) });
  }
  return out;
}

const IMAGE_NAME = "io.containerd.image.name";
const REF_NAME = "org.opencontainers.image.ref.name";

/**
 * An OCI index.json: each manifest may name its image in annotations. `ref.name` may also be a bare
 * tag ("latest", "v1") that names no repository by itself; only a full reference (with `/` or `:`)
 * is a tag here.
 */
function indexTags(v: Json): LoadTag[] {
  const index = struct("index.json", v, "the index");
  const manifests = field(index, "manifests");
  if (manifests === undefined || manifests === null) return [];
  if (!Array.isArray(manifests)) throw refused("index.json", "has manifests that are not a list");
  const out: LoadTag[] = [];
  manifests.forEach((m, i) => {
    const annotations = field(struct("index.json", m, `manifest [${i}]`), "annotations");
    if (annotations === undefined || annotations === null) return;
    if (!isObject(annotations)) throw refused("index.json", `has annotations of manifest [${i}] that are not an object`);
    for (const key of [IMAGE_NAME, REF_NAME]) {
      const name = annotations[key];
      if (name === undefined) continue;
      if (typeof name !== "string") throw refused("index.json", `has a ${key} that is not a string`);
      if (key === REF_NAME && !/[/:]/.test(name)) continue;
      out.push({ written: name, target: tagTarget(name) });
    }
  });
  return out;
}
