// Reads one config file, telling "absent" apart from "present but unreadable" (never a silent empty).
// Only a regular file of bounded size is read: a FIFO would block the open (and, in the daemon, its
// reload for good), a device like /dev/urandom never ends. Opened non-blocking so neither can hang.
import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

/** 8 MiB: a very large site's user-overrides.yaml is well under 2 MiB. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export type ReadResult =
  | { kind: "text"; text: string }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string; line?: number; col?: number };

export async function readText(file: string, maxBytes = MAX_CONFIG_BYTES): Promise<ReadResult> {
  let bytes: Buffer;
  try {
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const st = await handle.stat();
      if (st.isDirectory()) return { kind: "unreadable", reason: unreadableReason("EISDIR", null) };
      if (!st.isFile()) return { kind: "unreadable", reason: `cannot read it: it is ${fileKind(st)}, not a regular file` };
      if (st.size > maxBytes) return tooBig(st.size, maxBytes);
      bytes = await readUpTo(handle, maxBytes + 1);
      if (bytes.length > maxBytes) return tooBig(bytes.length, maxBytes); // grew while we read
    } finally {
      await handle.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", reason: unreadableReason(code, e) };
  }
  return decodeText(bytes);
}

function tooBig(size: number, max: number): ReadResult {
  return { kind: "unreadable", reason: `cannot read it: it is ${size} bytes; a config file may hold at most ${max}` };
}

async function readUpTo(handle: FileHandle, limit: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.min(limit, 64 * 1024));
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, limit - total), null);
    if (bytesRead === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    total += bytesRead;
  }
  return Buffer.concat(chunks);
}

function fileKind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 text without NUL; otherwise an error at the line and column of the first bad byte. */
export function decodeText(bytes: Buffer): ReadResult {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return badUtf8(bytes);
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return { kind: "unreadable", reason: "contains a NUL byte", ...lineCol(text, nul) };
  return { kind: "text", text };
}

function lineCol(text: string, index: number): { line: number; col: number } {
  const before = text.slice(0, index);
  const lastNl = before.lastIndexOf("\n");
  let line = 1;
  for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++;
  return { line, col: index - lastNl };
}

/** Finds the first line that does not decode; the column is that of the first replacement character. */
function badUtf8(bytes: Buffer): ReadResult {
  let start = 0;
  let line = 1;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const piece = bytes.subarray(start, end);
    try {
      UTF8.decode(piece);
    } catch {
      const lossy = piece.toString("utf8");
      const col = lossy.indexOf("\ufffd") + 1 || 1;
      const prefix = Buffer.byteLength(lossy.slice(0, col - 1));
      const byte = piece[prefix] ?? piece[0] ?? 0;
      return { kind: "unreadable", reason: `not UTF-8 text (byte 0x${byte.toString(16).padStart(2, "0")}); save the file as UTF-8`, line, col };
    }
    start = end + 1;
    line++;
  }
  return { kind: "unreadable", reason: "not UTF-8 text; save the file as UTF-8" };
}

export function unreadableReason(code: string | undefined, e: unknown): string {
  if (code === "EACCES" || code === "EPERM") return "cannot read it: permission denied (EACCES); ds01 will not guess its contents";
  if (code === "EISDIR") return "cannot read it: it is a directory, not a file";
  if (code === "ENOTDIR") return "cannot read it: a path component is not a directory";
  return `cannot read it: ${e instanceof Error ? e.message : String(e)}`;
}
