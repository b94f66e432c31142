// Reads one config file, telling "absent" apart from "present but unreadable" (never a silent empty).
import { readFile } from "node:fs/promises";

export type ReadResult = { kind: "text"; text: string } | { kind: "missing" } | { kind: "unreadable"; reason: string };

export async function readText(file: string): Promise<ReadResult> {
  try {
    return { kind: "text", text: await readFile(file, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", reason: unreadableReason(code, e) };
  }
}

export function unreadableReason(code: string | undefined, e: unknown): string {
  if (code === "EACCES" || code === "EPERM") return "cannot read it: permission denied (EACCES); ds01 will not guess its contents";
  if (code === "EISDIR") return "cannot read it: it is a directory, not a file";
  if (code === "ENOTDIR") return "cannot read it: a path component is not a directory";
  return `cannot read it: ${e instanceof Error ? e.message : String(e)}`;
}
