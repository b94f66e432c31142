// The little of the tar format (POSIX ustar) that the in-container notice needs: write a few
// entries (directories and one regular file), and read the first entry of the archive the Engine
// API answers for one path. Long paths use the ustar prefix field; PAX headers are skipped on read.
const BLOCK = 512;

export interface TarEntry {
  /** Relative path; a directory ends with "/". */
  name: string;
  type: "file" | "dir";
  mode: number;
  uid: number;
  gid: number;
  mtimeS: number;
  content?: Buffer;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: "", base: name };
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  for (let i = trimmed.lastIndexOf("/"); i > 0; i = trimmed.lastIndexOf("/", i - 1)) {
    const prefix = trimmed.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return { prefix, base };
  }
  throw new Error(`path too long for a tar header: ${name}`);
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { prefix, base } = splitName(e.name);
  h.write(base, 0, 100, "utf8");
  h.write(octal(e.mode & 0o7777, 8), 100, "ascii");
  h.write(octal(e.uid, 8), 108, "ascii");
  h.write(octal(e.gid, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(Math.max(0, Math.floor(e.mtimeS)), 12), 136, "ascii");
  h.write("        ", 148, "ascii"); // checksum counts as spaces while summing
  h.write(e.type === "dir" ? "5" : "0", 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148, "ascii");
  return h;
}

export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const content = e.type === "file" ? (e.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(e, content.length), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK, 0));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

export interface TarHead {
  name: string;
  /** ustar type flag: "0" regular file, "5" directory, "2" symlink, ... */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
}

function field(b: Buffer, off: number, len: number): string {
  const raw = b.subarray(off, off + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString("utf8");
}

function num(b: Buffer, off: number, len: number): number {
  const n = parseInt(field(b, off, len).trim() || "0", 8);
  if (!Number.isFinite(n)) throw new Error("not a tar archive (bad number field)");
  return n;
}

/** The first real entry (PAX and GNU long-name records skipped), or null for an empty archive. */
export function firstTarEntry(tar: Buffer): TarHead | null {
  for (let off = 0; off + BLOCK <= tar.length; ) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return null;
    if (field(h, 257, 5) !== "ustar") throw new Error("not a tar archive (no ustar magic)");
    const size = num(h, 124, 12);
    const typeflag = field(h, 156, 1) || "0";
    const start = off + BLOCK;
    off = start + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") continue;
    if (start + size > tar.length) throw new Error("tar archive cut short");
    return { name: field(h, 0, 100), typeflag, mode: num(h, 100, 8), uid: num(h, 108, 8), gid: num(h, 116, 8), content: Buffer.from(tar.subarray(start, start + size)) };
  }
  return null;
}
