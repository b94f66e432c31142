// The images a Dockerfile builds on, read the way the Dockerfile parser reads them: its `FROM`s
// (stages named by an earlier `AS` are not images), `COPY`/`ADD --from=`, `RUN --mount=…,from=`,
// and the frontend a `# syntax=` directive names. ARGs declared before the first FROM are filled in,
// from the build's own arguments where given, else their defaults.
//
// What it guards against is a tag another user planted under a well-known name: the Dockerfile is
// the caller's own, written in good faith, so a faithful reading of ordinary Dockerfiles is what
// matters; a construct read wrongly here at worst names one image too many.

/** One image a Dockerfile names, with where. */
export interface NamedImage {
  image: string;
  /** 1-based line of the instruction (or directive). */
  line: number;
  /** How it is named: `FROM`, `COPY --from`, `RUN --mount from`, `# syntax`. */
  how: string;
}

/** The most instructions read (a Dockerfile of thousands of lines is not an ordinary one). */
const MAX_INSTRUCTIONS = 10_000;
/** The longest word filled in (an image reference is at most a few hundred characters). */
export const MAX_WORD = 4096;

/** A Dockerfile the gate will not read to the end (its words are beyond any image reference). */
export class DockerfileTooOdd extends Error {}

/** `s` without trailing spaces and tabs (a loop: a regular expression for it is quadratic on long runs of them). */
function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === " " || s[end - 1] === "\t")) end--;
  return s.slice(0, end);
}

interface Instruction {
  keyword: string;
  rest: string;
  line: number;
}

/** The parser directives at the top (`# escape=`, `# syntax=`), and where the instructions begin. */
function directives(lines: string[]): { escape: string; syntax: { image: string; line: number } | null; start: number } {
  let escape = "\\";
  let syntax: { image: string; line: number } | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=(.*)$/s.exec(lines[i]!);
    const value = m ? trimEnd(m[2]!).replace(/^[ \t]+/, "") : "";
    if (!m || value === "") break;
    const key = m[1]!.toLowerCase();
    if (key === "escape" && (value === "`" || value === "\\")) escape = value;
    if (key === "syntax") syntax = { image: value, line: i + 1 };
  }
  return { escape, syntax, start: i };
}

const isComment = (line: string) => /^[ \t]*#/.test(line);
const isBlank = (line: string) => /^[ \t]*$/.test(line);

/** Logical lines: continuations joined, comments and blank lines inside them left out. */
function instructions(lines: string[], start: number, escape: string): Instruction[] {
  const out: Instruction[] = [];
  const continues = (l: string) => trimEnd(l).endsWith(escape);
  const strip = (l: string) => trimEnd(l).slice(0, -1);
  for (let i = start; i < lines.length; i++) {
    // Stopping early would leave the rest unread: refused instead.
    if (out.length >= MAX_INSTRUCTIONS) throw new DockerfileTooOdd(`more than ${MAX_INSTRUCTIONS} instructions; the gate reads at most that many`);
    const first = lines[i]!.replace(/^[ \t]+/, "");
    if (first === "" || first.startsWith("#")) continue;
    const line = i + 1;
    let more = continues(first);
    let text = more ? strip(first) : first;
    while (more && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      if (isComment(next) || isBlank(next)) continue;
      more = continues(next);
      text += more ? strip(next) : next;
    }
    const m = /^(\S+)[ \t]*(.*)$/s.exec(text);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), rest: m[2]!, line });
  }
  return out;
}

/** Words split on whitespace outside quotes (quotes kept; `word` removes them). */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
    } else if (ch === " " || ch === "\t") {
      if (cur !== "") out.push(cur);
      cur = "";
    } else {
      if (ch === "'" || ch === '"') quote = ch;
      cur += ch;
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

/**
 * One word with its variables filled in and its quotes removed, as the builder's shell-word reader
 * does: `$X`, `${X}`, `${X:-default}`, `${X-default}`, `${X:+alt}`, `${X+alt}`; the escape
 * character keeps the next one as it is; nothing is expanded inside single quotes. A word longer
 * than MAX_WORD throws DockerfileTooOdd (nested defaults would cost its length squared).
 */
export function expandWord(word: string, vars: ReadonlyMap<string, string>, escape = "\\"): string {
  if (word.length > MAX_WORD) throw new DockerfileTooOdd(`a word of ${word.length} characters where an image is named; the gate reads at most ${MAX_WORD}`);
  let out = "";
  let i = 0;
  let quote: string | null = null;
  const name = /^[A-Za-z_][A-Za-z0-9_]*/;
  while (i < word.length) {
    const ch = word[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else out += ch;
      i++;
      continue;
    }
    if (ch === escape && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
      continue;
    }
    if (ch === "'" && quote === null) {
      quote = "'";
      i++;
      continue;
    }
    if (ch === '"') {
      quote = quote === '"' ? null : '"';
      i++;
      continue;
    }
    if (ch === "$") {
      if (word[i + 1] === "{") {
        const close = word.indexOf("}", i + 2);
        const inner = close < 0 ? "" : word.slice(i + 2, close);
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(inner);
        if (close >= 0 && m) {
          const set = vars.has(m[1]!);
          const value = vars.get(m[1]!) ?? "";
          const op = m[2];
          const arg = expandWord(m[3] ?? "", vars, escape);
          if (op === ":-") out += value !== "" ? value : arg;
          else if (op === "-") out += set ? value : arg;
          else if (op === ":+") out += value !== "" ? arg : "";
          else if (op === "+") out += set ? arg : "";
          else out += value;
          i = close + 1;
          continue;
        }
      } else {
        const m = name.exec(word.slice(i + 1));
        if (m) {
          out += vars.get(m[0]) ?? "";
          i += 1 + m[0].length;
          continue;
        }
      }
    }
    out += ch;
    i++;
  }
  return out;
}

/** `--name=value` flags at the start of an instruction, and the words after them. */
function flags(ws: string[]): { flags: Map<string, string[]>; rest: string[] } {
  const out = new Map<string, string[]>();
  let i = 0;
  for (; i < ws.length && ws[i]!.startsWith("--"); i++) {
    const eq = ws[i]!.indexOf("=");
    const key = (eq < 0 ? ws[i]!.slice(2) : ws[i]!.slice(2, eq)).toLowerCase();
    out.set(key, [...(out.get(key) ?? []), eq < 0 ? "" : ws[i]!.slice(eq + 1)]);
  }
  return { flags: out, rest: ws.slice(i) };
}

/** `from=` in a `--mount=type=…,from=…` value (comma-separated key=value fields). */
function mountFrom(value: string): string | null {
  for (const field of value.split(",")) {
    const eq = field.indexOf("=");
    if (eq > 0 && field.slice(0, eq).trim().toLowerCase() === "from") return field.slice(eq + 1).trim();
  }
  return null;
}

/** The images this Dockerfile builds on; `buildArgs` are the build's own (`--build-arg`). */
export function imagesNamed(dockerfile: string, buildArgs: ReadonlyMap<string, string>): NamedImage[] {
  const lines = dockerfile.replace(/^\uFEFF/, "").split(/\r?\n/);
  const d = directives(lines);
  const out: NamedImage[] = [];
  if (d.syntax) out.push({ image: d.syntax.image, line: d.syntax.line, how: "# syntax" });
  const metaArgs = new Map<string, string>();
  const stages = new Set<string>();
  let seenFrom = false;
  const notStage = (ref: string) => ref !== "" && !stages.has(ref.toLowerCase()) && !/^\d+$/.test(ref);
  for (const ins of instructions(lines, d.start, d.escape)) {
    const ws = words(ins.rest);
    if (ins.keyword === "ARG" && !seenFrom) {
      for (const w of ws) {
        const eq = w.indexOf("=");
        const key = eq < 0 ? w : w.slice(0, eq);
        const dflt = eq < 0 ? undefined : expandWord(w.slice(eq + 1), metaArgs, d.escape);
        const value = buildArgs.get(key) ?? dflt;
        if (value !== undefined) metaArgs.set(key, value);
      }
    } else if (ins.keyword === "FROM") {
      seenFrom = true;
      const { rest } = flags(ws);
      const image = expandWord(rest[0] ?? "", metaArgs, d.escape);
      if (image.toLowerCase() !== "scratch" && notStage(image)) out.push({ image, line: ins.line, how: "FROM" });
      if ((rest[1] ?? "").toLowerCase() === "as" && rest[2]) stages.add(expandWord(rest[2], metaArgs, d.escape).toLowerCase());
    } else if (ins.keyword === "COPY" || ins.keyword === "ADD") {
      for (const v of flags(ws).flags.get("from") ?? []) {
        const ref = expandWord(v, metaArgs, d.escape);
        if (notStage(ref)) out.push({ image: ref, line: ins.line, how: `${ins.keyword} --from` });
      }
    } else if (ins.keyword === "RUN") {
      for (const v of flags(ws).flags.get("mount") ?? []) {
        const from = mountFrom(expandWord(v, metaArgs, d.escape));
        if (from !== null && notStage(from)) out.push({ image: from, line: ins.line, how: "RUN --mount from" });
      }
    }
  }
  return out;
}
