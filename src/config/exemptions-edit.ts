// Edits lifecycle-exemptions.yaml through yaml's Document API, so comments and the formatting of
// untouched entries survive. Pure: text in, text out; the CLI validates and writes atomically.
import { Scalar, isMap, isScalar, isSeq, type Document, type YAMLMap, type YAMLSeq } from "yaml";
import type { Enforcement } from "../model/policy.js";
import { EXEMPTIONS_YAML_VERSION, parseEnforcement } from "./exemptions.js";
import { duplicateKeyOffsets, parseYamlDocument } from "./yaml-file.js";

export interface NewExemption {
  username: string;
  exempt_from: Enforcement[];
  reason: string;
  expires_on: string | null;
  category?: string | null;
  approved_by: string | null;
  approved_on: string | null;
}

export function parseExemptionsDocument(text: string): { doc: Document.Parsed; errors: string[] } {
  const doc = parseYamlDocument(text, { version: EXEMPTIONS_YAML_VERSION });
  const duplicates = duplicateKeyOffsets(doc).map(() => "Map keys must be unique");
  return { doc, errors: [...doc.errors.map((e) => e.message.split("\n")[0]!), ...duplicates] };
}

/** The `exemptions:` sequence, created (block style) when absent, empty or `[]`. */
function exemptionsSeq(doc: Document): YAMLSeq {
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    const map = doc.createNode({}) as YAMLMap;
    if (isScalar(doc.contents) && doc.contents.commentBefore) map.commentBefore = doc.contents.commentBefore;
    doc.contents = map as never;
  }
  if (!isMap(doc.contents)) throw new Error("lifecycle-exemptions.yaml: the top level is not a mapping");
  const existing = doc.get("exemptions", true);
  if (isSeq(existing) && (existing.items.length > 0 || !existing.flow)) return existing;
  if (existing !== undefined && existing !== null && !isSeq(existing) && !(isScalar(existing) && existing.value === null)) {
    throw new Error("lifecycle-exemptions.yaml: `exemptions:` is not a list");
  }
  const seq = doc.createNode([]) as YAMLSeq;
  seq.flow = false;
  doc.set("exemptions", seq);
  return seq;
}

function entryUser(item: unknown): string | null {
  if (!isMap(item)) return null;
  const u = item.get("username");
  return u === undefined || u === null ? null : String(u);
}

function entryFrom(item: YAMLMap): Enforcement[] {
  const v = item.get("exempt_from", true);
  const words = isSeq(v) ? v.items.map((i) => String(isScalar(i) ? i.value : i)) : isScalar(v) ? [String(v.value)] : [];
  return words.map(parseEnforcement).filter((e): e is Enforcement => e !== null);
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Adds an entry. An existing entry for the same user exempting from exactly the same enforcements is
 * updated in place instead (otherwise the older one, listed first, would keep winning).
 */
export function addExemption(doc: Document, e: NewExemption): "added" | "updated" {
  const seq = exemptionsSeq(doc);
  // Dates quoted, so PyYAML (the original DS01) reads them as text too.
  const quoted = (v: string | null) => {
    if (v === null) return null;
    const s = new Scalar(v);
    s.type = "QUOTE_DOUBLE";
    return s;
  };
  const fields: [string, unknown][] = [
    ["reason", e.reason],
    ["expires_on", quoted(e.expires_on)],
    ...(e.category ? ([["category", e.category]] as [string, unknown][]) : []),
    ["approved_by", e.approved_by],
    ["approved_on", quoted(e.approved_on)],
  ];
  const same = seq.items.find((it) => isMap(it) && entryUser(it) === e.username && sameSet(entryFrom(it), e.exempt_from)) as YAMLMap | undefined;
  if (same) {
    for (const [k, v] of fields) same.set(k, v);
    return "updated";
  }
  const from = doc.createNode(e.exempt_from) as YAMLSeq;
  from.flow = true;
  const map = doc.createNode({ username: e.username }) as YAMLMap;
  map.set("exempt_from", from);
  for (const [k, v] of fields) map.set(k, v);
  seq.items.push(map);
  return "added";
}

/**
 * Removes the user's entries, or with `from` only that enforcement from them (an entry left with
 * nothing is removed). Returns how many entries changed.
 */
export function removeExemption(doc: Document, username: string, from: Enforcement | null): number {
  const node = doc.get("exemptions", true);
  if (!isSeq(node)) return 0;
  let changed = 0;
  node.items = node.items.filter((it) => {
    if (!isMap(it) || entryUser(it) !== username) return true;
    if (from === null) {
      changed++;
      return false;
    }
    const current = entryFrom(it);
    if (!current.includes(from)) return true;
    changed++;
    const left = current.filter((x) => x !== from);
    if (left.length === 0) return false;
    const seq = doc.createNode(left) as YAMLSeq;
    seq.flow = true;
    it.set("exempt_from", seq);
    return true;
  });
  return changed;
}
