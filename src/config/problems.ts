// One config problem (error or warning) with its place, printed as `FILE:LINE:COLUMN: KEY.PATH: message`.

export type Severity = "error" | "warning";

export interface ConfigProblem {
  severity: Severity;
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  /** Key path inside the file, e.g. `groups.student.idle_timeout_h` or `exemptions[0].expires_on`. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** `["groups", "student", "members", 2]` → `groups.student.members[2]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out === "" ? "(top level)" : out;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;
}

/** Problems in the order found, files in the order read. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];

  add(p: ConfigProblem): void {
    this.items.push(p);
  }

  /** Files in the order first seen; within a file by line and column. */
  sorted(): ConfigProblem[] {
    const fileOrder = new Map<string, number>();
    for (const p of this.items) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
    return [...this.items].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
  }

  get errors(): ConfigProblem[] {
    return this.items.filter((p) => p.severity === "error");
  }

  get warnings(): ConfigProblem[] {
    return this.items.filter((p) => p.severity === "warning");
  }
}
