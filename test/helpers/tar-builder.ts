// Tar archives built byte by byte, for tests that need what no tar tool writes on request: a
// manifest.json at a chosen place, a wrong checksum, a PAX or GNU long name, a link in the way.

export interface TarEntry {
  name: string;
  data?: Buffer | string;
  /** Tar type flag: "0" file (default), "2" symlink, "5" directory, "x" PAX, "L" GNU long name… */
  type?: string;
  linkname?: string;
  /** The size field, when it must differ from the data's length. */
  size?: number;
  /** "gnu" writes the GNU magic; default ustar. */
  format?: "ustar" | "gnu";
  /** Spoils the checksum. */
  badChecksum?: boolean;
  /** GNU format: what the access time field holds (Go reads a non-number there as a name prefix). */
  gnuAtime?: string;
}

const BLOCK = 512;

function octalField(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/** One header block. */
export function tarHeader(e: TarEntry, dataLength: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(e.name.slice(0, 100), 0, "latin1");
  h.write(octalField(0o644, 8), 100, "latin1");
  h.write(octalField(0, 8), 108, "latin1");
  h.write(octalField(0, 8), 116, "latin1");
  h.write(octalField(e.size ?? dataLength, 12), 124, "latin1");
  h.write(octalField(0, 12), 136, "latin1");
  h.write(e.type ?? "0", 156, "latin1");
  h.write((e.linkname ?? "").slice(0, 100), 157, "latin1");
  if (e.format === "gnu") {
    h.write("ustar  \0", 257, "latin1");
    if (e.gnuAtime) h.write(e.gnuAtime, 345, "latin1");
  } else h.write("ustar\x0000", 257, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octalField(e.badChecksum ? sum + 1 : sum, 7) + " ", 148, "latin1");
  return h;
}

function padded(data: Buffer): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([data, Buffer.alloc(pad)]);
}

/** One entry: header and padded data. */
export function tarEntry(e: TarEntry): Buffer {
  const data = typeof e.data === "string" ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
  return Buffer.concat([tarHeader(e, data.length), padded(data)]);
}

/** A PAX record set ("x" entry) for the entry after it. */
export function paxEntry(records: Record<string, string>): Buffer {
  let body = "";
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let n = rest.length + 1;
    while (String(n).length + rest.length !== n) n = String(n).length + rest.length;
    body += `${n}${rest}`;
  }
  return tarEntry({ name: "PaxHeaders/x", type: "x", data: Buffer.from(body, "latin1") });
}

/** Entries, then the end marker (two zero blocks). */
export function tarArchive(entries: (TarEntry | Buffer)[], opts: { end?: boolean } = {}): Buffer {
  const parts = entries.map((e) => (Buffer.isBuffer(e) ? e : tarEntry(e)));
  if (opts.end !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/** docker save's manifest.json for one image with these tags. */
export function manifestJson(tags: string[], config = "cfg.json", layers: string[] = []): string {
  return JSON.stringify([{ Config: config, RepoTags: tags, Layers: layers }]);
}
