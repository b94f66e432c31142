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

/**
 * The parser directives there are; the first line that is none of them ends the directives. The
 * engine's classic builder knows two; BuildKit's newer frontends also `check`, so a `# escape=`
 * after a `# check=` counts for one and not the other: both readings are checked.
 */
const DIRECTIVE_SETS: readonly ReadonlySet<string>[] = [new Set(["syntax", "escape"]), new Set(["syntax", "escape", "check"])];

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
function directives(lines: string[], known: ReadonlySet<string>): { escape: string; syntax: { image: string; line: number } | null; start: number } {
  let escape = "\\";
  let syntax: { image: string; line: number } | null = null;
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^[ \t]*#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=(.*)$/s.exec(lines[i]!);
    const value = m ? trimEnd(m[2]!).replace(/^[ \t]+/, "") : "";
    const key = m ? m[1]!.toLowerCase() : "";
    // The parser reads directives until the first line that is not one it knows.
    if (!m || value === "" || !known.has(key)) break;
    if (key === "escape" && (value === "`" || value === "\\")) escape = value;
    if (key === "syntax") syntax = { image: value.split(/[ \t]/)[0]!, line: i + 1 };
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
    if (!m) continue;
    // Stopping early would leave the rest unread: refused instead.
    if (out.length >= MAX_INSTRUCTIONS) throw new DockerfileTooOdd(`more than ${MAX_INSTRUCTIONS} instructions; the gate reads at most that many`);
    out.push({ keyword: m[1]!.toUpperCase(), rest: m[2]!, line });
  }
  return out;
}

/** Words split on whitespace outside quotes (quotes kept; expandWord removes them). */
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
  // What it fills in is bounded too: an ARG made of ARGs could grow a thousandfold at each step.
  const add = (s: string) => {
    out += s;
    if (out.length > MAX_WORD) throw new DockerfileTooOdd(`a name longer than ${MAX_WORD} characters once its variables are filled in`);
  };
  let i = 0;
  let quote: string | null = null;
  const name = /^[A-Za-z_][A-Za-z0-9_]*/;
  while (i < word.length) {
    const ch = word[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else add(ch);
      i++;
      continue;
    }
    if (ch === escape && i + 1 < word.length) {
      add(word[i + 1]!);
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
        const close = closingBrace(word, i + 2, escape);
        const inner = close < 0 ? "" : word.slice(i + 2, close);
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(inner);
        if (close >= 0 && m) {
          const set = vars.has(m[1]!);
          const value = vars.get(m[1]!) ?? "";
          const op = m[2];
          const arg = () => expandWord(m[3] ?? "", vars, escape);
          if (op === ":-") add(value !== "" ? value : arg());
          else if (op === "-") add(set ? value : arg());
          else if (op === ":+") add(value !== "" ? arg() : "");
          else if (op === "+") add(set ? arg() : "");
          else add(value); // plain, or :? and ? (a build without the value fails anyway)
          i = close + 1;
          continue;
        }
      } else {
        const m = name.exec(word.slice(i + 1));
        if (m) {
          add(vars.get(m[0]) ?? "");
          i += 1 + m[0].length;
          continue;
        }
      }
    }
    add(ch);
    i++;
  }
  return out;
}

/** The index of the `}` that closes a `${` whose inside starts at `from` (nested ones counted), or -1. */
function closingBrace(word: string, from: number, escape: string): number {
  let depth = 1;
  for (let j = from; j < word.length; j++) {
    if (word[j] === escape) j++;
    else if (word[j] === "$" && word[j + 1] === "{") {
      depth++;
      j++;
    } else if (word[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

/** `--name=value` flags at the start of an instruction, and the words after them. */
function flags(ws: string[]): { flags: Map<string, string[]>; rest: string[] } {
  const out = new Map<string, string[]>();
  let i = 0;
  for (; i < ws.length && ws[i]!.startsWith("--"); i++) {
    const eq = ws[i]!.indexOf("=");
    const key = (eq < 0 ? ws[i]!.slice(2) : ws[i]!.slice(2, eq)).toLowerCase();
    const values = out.get(key) ?? [];
    if (values.length === 0) out.set(key, values);
    values.push(eq < 0 ? "" : ws[i]!.slice(eq + 1));
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

/**
 * The images this Dockerfile builds on; `buildArgs` are the build's own (`--build-arg`),
 * `predefined` the ARGs its builder fills in undeclared (BuildKit's TARGETPLATFORM and the like).
 * A name still holding a `$` once filled in (a form the gate does not read) throws DockerfileTooOdd:
 * checked as written, it would be checked as a name no one made.
 */
export function imagesNamed(dockerfile: string, buildArgs: ReadonlyMap<string, string>, predefined: ReadonlyMap<string, string> = new Map()): NamedImage[] {
  const lines = dockerfile.replace(/^\uFEFF/, "").split(/\r?\n/);
  const [first, second] = DIRECTIVE_SETS.map((known) => directives(lines, known));
  const found = imagesIn(lines, first!, buildArgs, predefined);
  if (second!.start === first!.start && second!.escape === first!.escape) return found;
  const seen = new Set(found.map((n) => `${n.line} ${n.how} ${n.image}`));
  return [...found, ...imagesIn(lines, second!, buildArgs, predefined).filter((n) => !seen.has(`${n.line} ${n.how} ${n.image}`))];
}

function imagesIn(lines: string[], d: ReturnType<typeof directives>, buildArgs: ReadonlyMap<string, string>, predefined: ReadonlyMap<string, string>): NamedImage[] {
  const found: NamedImage[] = [];
  if (d.syntax) found.push({ image: d.syntax.image, line: d.syntax.line, how: "# syntax" });
  const out = {
    push(n: NamedImage) {
      if (n.image.includes("$")) throw new DockerfileTooOdd(`${n.how} on line ${n.line} naming ${JSON.stringify(n.image.slice(0, 200))}, which the gate cannot fill in; write the image's name out there`);
      found.push(n);
    },
  };
  const metaArgs = new Map<string, string>(predefined);
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
        const value = buildArgs.get(key) ?? dflt ?? predefined.get(key);
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
  return found;
}
