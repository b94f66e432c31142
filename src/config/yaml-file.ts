// A parsed YAML file that remembers where every key and value is, so problems name FILE:LINE:COLUMN.
// YAML 1.1 rules on purpose: the original read these files with PyYAML (yes/no booleans, dates, `<<`).
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from "yaml";
import { formatPath, type ConfigProblem, type PathSegment, type ProblemList, type Severity } from "./problems.js";

export interface Position {
  line: number;
  col: number;
}

/** Other spellings a key may have in the file (legacy aliases), tried when the canonical key is absent. */
export type AltKeys = (key: string) => readonly string[];

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  /** The plain value (null for an empty file); undefined when the file has syntax errors. */
  value: unknown;
  /** Where `path` is: the value's first character, or with `key: true` the key's. */
  at(path: readonly PathSegment[], opts?: { key?: boolean }): Position;
  report(severity: Severity, path: readonly PathSegment[], message: string, opts?: { key?: boolean }): void;
}

export interface ParseYamlOptions {
  altKeys?: AltKeys;
  /** "1.1" (default, PyYAML-compatible) or "1.2" (no implicit dates: used where dates are validated as text). */
  version?: "1.1" | "1.2";
}

export function parseYaml(text: string, file: string, problems: ProblemList, opts: ParseYamlOptions = {}): YamlSource {
  const altKeys = opts.altKeys ?? (() => []);
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, { lineCounter, version: opts.version ?? "1.1" });
  const pos = (offset: number): Position => lineCounter.linePos(offset);

  const at = (path: readonly PathSegment[], opts: { key?: boolean } = {}): Position => {
    let node: unknown = doc.contents;
    let best: Position = { line: 1, col: 1 };
    if (hasRange(node)) best = pos(node.range[0]);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const candidates = typeof seg === "string" ? [seg, ...altKeys(seg)] : [String(seg)];
        const index = keyIndex(node);
        const pair = candidates.map((k) => index.get(k)).find(Boolean);
        if (!pair) break;
        if (hasRange(pair.key)) best = pos(pair.key.range[0]);
        if (last && opts.key) break;
        node = pair.value;
        if (hasRange(node) && !isEmptyScalar(node)) best = pos(node.range[0]);
      } else if (isSeq(node) && typeof seg === "number") {
        const item = node.items[seg];
        if (!hasRange(item)) break;
        best = pos(item.range[0]);
        node = item;
      } else break;
    }
    return best;
  };

  const source: YamlSource = {
    file,
    doc,
    value: undefined,
    at,
    report: (severity, path, message, opts) => {
      const p = at(path, opts);
      problems.add({ severity, file, line: p.line, col: p.col, path: formatPath(path), message });
    },
  };

  for (const e of doc.errors) {
    const p = pos(e.pos[0]);
    const path = pathAtOffset(doc, e.pos[0]);
    problems.add({ severity: "error", file, line: p.line, col: p.col, path: path.length ? formatPath(path) : "(yaml syntax)", message: firstLine(e.message) });
  }
  for (const w of doc.warnings) {
    const p = pos(w.pos[0]);
    problems.add({ severity: "warning", file, line: p.line, col: p.col, path: formatPath(pathAtOffset(doc, w.pos[0])), message: firstLine(w.message) });
  }
  const duplicateOffsets = duplicateKeyOffsets(doc);
  const duplicates = duplicateOffsets.length > 0;
  for (const d of duplicateOffsets) {
    const p = pos(d.offset);
    problems.add({ severity: "error", file, line: p.line, col: p.col, path: formatPath(d.path), message: DUPLICATE_KEY });
  }
  if (doc.errors.length === 0 && !duplicates) {
    try {
      source.value = doc.toJS({ maxAliasCount: 1000 }) ?? null;
    } catch (e) {
      problems.add(problemAt("error", file, { line: 1, col: 1 }, [], `cannot read the YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`));
    }
  }
  return source;
}

const DUPLICATE_KEY = "Map keys must be unique";

/**
 * parseDocument without the library's duplicate-key check, which compares every key with every
 * earlier one of its map (16,000 user overrides took minutes); `duplicateKeyOffsets` does it in
 * linear time. Callers must check duplicates themselves.
 */
export function parseYamlDocument(text: string, opts: { lineCounter?: LineCounter; version: "1.1" | "1.2" }): Document.Parsed {
  return parseDocument(text, { ...opts, prettyErrors: false, uniqueKeys: false });
}

/** Every key that repeats an earlier scalar key of the same map (compared as the library does), with its path. */
export function duplicateKeyOffsets(doc: Document.Parsed): { offset: number; path: PathSegment[] }[] {
  const out: { offset: number; path: PathSegment[] }[] = [];
  const stack: { node: unknown; path: PathSegment[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          const id = `${typeof key.value}:${String(key.value)}`;
          if (seen.has(id) && hasRange(key)) out.push({ offset: key.range[0], path: [...path, String(key.value)] });
          seen.add(id);
          stack.push({ node: pair.value, path: [...path, String(key.value)] });
        } else stack.push({ node: key, path }, { node: pair.value, path });
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
  }
  return out.sort((a, b) => a.offset - b.offset);
}

export function problemAt(severity: Severity, file: string, p: Position, path: readonly PathSegment[], message: string): ConfigProblem {
  return { severity, file, line: p.line, col: p.col, path: formatPath(path), message };
}

/** The key path of the innermost collection entry that contains `offset` (for syntax errors). */
function pathAtOffset(doc: Document.Parsed, offset: number): PathSegment[] {
  const out: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 64; depth++) {
    if (isMap(node)) {
      const pair = node_pairs(node).find((p) => {
        const start = hasRange(p.key) ? p.key.range[0] : Infinity;
        const end = hasRange(p.value) ? p.value.range[2] : hasRange(p.key) ? p.key.range[2] : -Infinity;
        return start <= offset && offset <= end;
      });
      if (!pair || !isScalar(pair.key)) break;
      out.push(String(pair.key.value));
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = node.items.findIndex((it) => hasRange(it) && it.range[0] <= offset && offset <= it.range[2]);
      if (idx < 0) break;
      out.push(idx);
      node = node.items[idx];
    } else break;
  }
  return out;
}

/** Each map's pairs by key text, built once: a lookup per reported problem stays O(1) in big maps. */
const keyIndexes = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
function keyIndex(map: object): Map<string, { key: unknown; value: unknown }> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of node_pairs(map)) if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
    keyIndexes.set(map, index);
  }
  return index;
}

function node_pairs(map: unknown): { key: unknown; value: unknown }[] {
  return isMap(map) ? map.items.filter((p) => isPair(p)) : [];
}

function hasRange(n: unknown): n is Node & { range: [number, number, number] } {
  return typeof n === "object" && n !== null && Array.isArray((n as { range?: unknown }).range);
}

function isEmptyScalar(n: unknown): boolean {
  return isScalar(n) && n.value === null && hasRange(n) && n.range[0] === n.range[1];
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
