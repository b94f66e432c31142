// A tar stream read as it passes through the gate, the way dockerd reads a `docker load` archive or
// a classic build's context (Go's archive/tar, then an untar into a fresh directory): every byte is
// handed on as it comes, except the few entries the gate must read — for a load, the files that say
// which tags it sets (manifest.json, repositories, index.json at the archive's top); for a build,
// its Dockerfile — which are held back whole until the gate has checked them. Nothing is guessed:
// a header with a bad checksum, a number Go would not read, an archive cut off inside an entry, a
// link the gate could not follow is a refusal, not a best effort.

/** Why the archive is refused (the message, without the `ds01:` prefix). */
export class ArchiveRefused extends Error {}

/** The top-level files whose contents name the tags a load sets. */
export const TAG_FILES = ["manifest.json", "repositories", "index.json"] as const;
export type TagFile = (typeof TAG_FILES)[number];

/** Which entries a scan holds back, and the words its refusals use for them. */
export interface ScanOptions {
  /** Archive paths (as archivePath gives them) held back whole until checked. */
  held: readonly string[];
  /** What they are read for: "the tags a load sets". */
  purpose: string;
  /** The usual writer of such archives, for what it never does: "docker save". */
  writer: string;
  /** How deep that writer goes, said beside the depth bound (may be empty). */
  depthNote: string;
  /** The most symbolic links remembered (each costs its name): an image archive has a few, a build context of node_modules many. */
  maxSymlinks: number;
}

export const LOAD_SCAN: ScanOptions = { held: TAG_FILES, purpose: "the tags a load sets", writer: "docker save", depthNote: " (docker save writes 3)", maxSymlinks: 10_000 };

/** One held entry, complete: its contents, and the archive bytes (header and data) held back for it. */
export interface HeldEntry {
  name: string;
  data: Buffer;
  bytes: Buffer[];
}

/** What to do next, in order: hand bytes on, or check a held entry (then hand its bytes on). */
export type ScanStep = { pass: Buffer } | { held: HeldEntry };

/** The largest held file the gate reads (manifest.json of a few hundred images is well under this). */
export const MAX_TAG_FILE = 1024 * 1024;
/** Go refuses PAX and GNU long-name records over 1 MiB (archive/tar maxSpecialFileSize). */
const MAX_META = 1024 * 1024;
/** Longer names cannot be created on Linux (PATH_MAX); symbolic links are remembered by name. */
const MAX_NAME = 4096;
/** The names of the symbolic links remembered, together (a few hundred thousand ordinary ones). */
const MAX_LINK_NAME_BYTES = 16 * 1024 * 1024;
/** Directories deep (docker save writes `<id>/layer.tar`, an OCI layout `blobs/sha256/<digest>`). */
const MAX_DEPTH = 64;
const BLOCK = 512;

const HEADER_ONLY = new Set(["1", "2", "3", "4", "5", "6"]); // link, symlink, char, block, dir, fifo: no data
const REGULAR = new Set(["0", "7"]);

/** dockerd decompresses by these leading bytes (pkg/archive DetectCompression), and zstd on newer engines. */
const MAGIC: readonly [string, Buffer][] = [
  ["gzip", Buffer.from([0x1f, 0x8b, 0x08])],
  ["bzip2", Buffer.from("BZh", "latin1")],
  ["xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ["zstd", Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
];
/** The most leading bytes compressionOf needs (a zstd skippable frame is told by its first 8). */
export const MAGIC_BYTES = 8;

/**
 * The compression dockerd would see in a stream starting with these bytes, or null for none. A zstd
 * stream may start with a skippable frame (magic 0x184D2A50 to 0x184D2A5F), which the decoder
 * passes over: a tar header can be one, with the real archive compressed further on.
 */
export function compressionOf(start: Buffer): string | null {
  for (const [name, magic] of MAGIC) if (start.length >= magic.length && start.subarray(0, magic.length).equals(magic)) return name;
  if (start.length >= 8 && (start.readUInt32LE(0) & 0xfffffff0) >>> 0 === 0x184d2a50) return "zstd";
  return null;
}

/** The bytes of a field up to its first NUL (Go's parseString), byte for byte. */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul >= 0 ? b.subarray(0, nul) : b).toString("latin1");
}

/** Go's parseOctal: spaces and NULs trimmed at both ends, then octal digits up to a NUL; "" is 0. */
function octal(b: Buffer, what: string): number {
  const text = b.toString("latin1").replace(/^[ \0]+|[ \0]+$/g, "").split("\0")[0]!;
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveRefused(`the archive has a tar header whose ${what} is not a number (${JSON.stringify(text)})`);
  const n = parseInt(text, 8);
  if (!Number.isSafeInteger(n)) throw new ArchiveRefused(`the archive has a tar header whose ${what} is too large`);
  return n;
}

/** Go's parseNumeric: base-256 when the first byte's top bit is set, octal otherwise. */
function numeric(b: Buffer, what: string): number {
  if (b.length === 0 || (b[0]! & 0x80) === 0) return octal(b, what);
  const negative = (b[0]! & 0x40) !== 0;
  let x = 0n;
  for (let i = 0; i < b.length; i++) {
    let c = b[i]! ^ (negative ? 0xff : 0);
    if (i === 0) c &= 0x7f;
    x = (x << 8n) | BigInt(c);
  }
  if (negative || x > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArchiveRefused(`the archive has a tar header whose ${what} is out of range`);
  return Number(x);
}

/** Would Go's parseNumeric fail on this field (base-256 overflow, or not octal after trimming)? */
function goNumberFails(b: Buffer): boolean {
  if ((b[0]! & 0x80) !== 0) {
    const inv = (b[0]! & 0x40) !== 0 ? 0xff : 0;
    let x = 0n;
    for (let i = 0; i < b.length; i++) {
      let c = b[i]! ^ inv;
      if (i === 0) c &= 0x7f;
      if (x >> 56n > 0n) return true;
      x = (x << 8n) | BigInt(c);
    }
    return x >> 63n > 0n;
  }
  const text = b.toString("latin1").replace(/^[ \0]+|[ \0]+$/g, "").split("\0")[0]!;
  return text !== "" && (!/^[0-7]+$/.test(text) || BigInt(`0o${text}`) > 0xffffffffffffffffn);
}

/**
 * Go reads a GNU header whose access or change time is not a number as one written by Go before
 * 1.8, and takes the USTAR prefix from those bytes: the name dockerd uses would then not be the one
 * read here. No tar tool writes such a header.
 */
function checkGnuTimes(b: Buffer): void {
  const atime = b.subarray(345, 357);
  const ctime = b.subarray(357, 369);
  if ((atime[0] !== 0 && goNumberFails(atime)) || (ctime[0] !== 0 && goNumberFails(ctime))) {
    throw new ArchiveRefused("the archive has a GNU tar header whose access or change time is not a number (dockerd would read part of its name from there); it is damaged or crafted");
  }
}

interface Header {
  type: string;
  name: string;
  linkname: string;
  size: number;
}

function parseHeader(b: Buffer): Header {
  const stored = octal(b.subarray(148, 156), "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (stored !== unsigned && stored !== signed) throw new ArchiveRefused("the archive is not a valid tar stream (a header's checksum is wrong); it may be damaged or not a tar archive at all");
  const magic = b.subarray(257, 263).toString("latin1");
  if (magic === "ustar " && b.subarray(263, 265).toString("latin1") === " \0") checkGnuTimes(b);
  let name = cString(b.subarray(0, 100));
  // USTAR (and PAX) keep the start of long names in a prefix field, star a shorter one; GNU and V7 none.
  let prefix = "";
  if (magic === "ustar\0") prefix = cString(b.subarray(345, b.subarray(508, 512).toString("latin1") === "tar\0" ? 476 : 500));
  if (prefix !== "") name = `${prefix}/${name}`;
  return { type: String.fromCharCode(b[156]!), name, linkname: cString(b.subarray(157, 257)), size: numeric(b.subarray(124, 136), "size") };
}

/** Go's parsePAX: "<len> <key>=<value>\n" records; a malformed one refuses the archive. */
export function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let s = data.toString("latin1");
  const bad = () => new ArchiveRefused("the archive has a malformed PAX header (tar extended attributes)");
  while (s.length > 0) {
    const space = s.indexOf(" ");
    if (space < 0) throw bad();
    const lenText = s.slice(0, space);
    if (!/^[+-]?[0-9]+$/.test(lenText)) throw bad();
    const n = Number(lenText);
    if (!Number.isSafeInteger(n) || n < 5 || n > s.length || n - (space + 1) <= 0) throw bad();
    const rec = s.slice(space + 1, n - 1);
    if (s[n - 1] !== "\n") throw bad();
    const eq = rec.indexOf("=");
    if (eq <= 0) throw bad();
    const key = rec.slice(0, eq);
    const value = rec.slice(eq + 1);
    const named = key === "path" || key === "linkpath" || key === "uname" || key === "gname";
    if ((named ? value : key).includes("\0")) throw bad();
    records.set(key, value);
    s = s.slice(n);
  }
  return records;
}

/**
 * A name as the untar resolves it inside the load's directory: `./a`, `/a`, `x/../a` and `../a` are
 * all `a` (.. cannot climb out, and the untar runs chrooted there); "" is the directory itself.
 */
export function archivePath(name: string): string {
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

type Phase = "header" | "data" | "after-end";
type DataKind = "pass" | "meta" | "hold";

export class TarScanner {
  private phase: Phase = "header";
  private readonly block = Buffer.alloc(BLOCK);
  private filled = 0;
  private zeroBlocks = 0;
  private dataKind: DataKind = "pass";
  private dataLeft = 0;
  private padLeft = 0;
  private metaType = "";
  private meta: Buffer[] = [];
  private pax: Map<string, string> | null = null;
  private longName = "";
  private longLink = "";
  private heldName: string | null = null;
  private held: Buffer[] = [];
  private heldData: Buffer[] = [];
  private readonly symlinks = new Set<string>();
  private linkNameBytes = 0;
  private first = true;

  constructor(private readonly o: ScanOptions = LOAD_SCAN) {}

  /** The steps for these bytes (passed bytes refer into `chunk`); throws ArchiveRefused. */
  write(chunk: Buffer): ScanStep[] {
    const out: ScanStep[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === "after-end") {
        // Go stops at the end marker and dockerd reads the rest away unseen.
        out.push({ pass: chunk.subarray(i) });
        break;
      }
      if (this.phase === "header") {
        const take = Math.min(BLOCK - this.filled, chunk.length - i);
        chunk.copy(this.block, this.filled, i, i + take);
        this.filled += take;
        i += take;
        if (this.filled < BLOCK) break;
        this.filled = 0;
        this.onBlock(out);
        continue;
      }
      // data, then its padding
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, chunk.length - i);
        const piece = chunk.subarray(i, i + take);
        i += take;
        this.dataLeft -= take;
        if (this.dataKind === "hold") {
          this.held.push(piece);
          this.heldData.push(piece);
        } else {
          out.push({ pass: piece });
          if (this.dataKind === "meta") this.meta.push(piece);
        }
        if (this.dataLeft === 0) this.dataDone(out);
        continue;
      }
      const take = Math.min(this.padLeft, chunk.length - i);
      out.push({ pass: chunk.subarray(i, i + take) });
      i += take;
      this.padLeft -= take;
      if (this.padLeft === 0) this.phase = "header";
    }
    return merged(out);
  }

  /** The client's body has ended: anything cut off inside a header or an entry refuses the archive. */
  end(): void {
    if (this.phase === "header" && this.filled > 0) throw new ArchiveRefused("the archive ends in the middle of a tar header (it is truncated)");
    if (this.phase === "data" && this.dataLeft > 0) throw new ArchiveRefused("the archive ends in the middle of an entry (it is truncated)");
    // Go's reader takes an end inside the last padding, or without the end marker, as the end.
  }

  private onBlock(out: ScanStep[]): void {
    const b = this.block;
    if (this.first) {
      this.first = false;
      const c = compressionOf(b);
      if (c !== null) throw new ArchiveRefused(`the archive's tar stream starts like ${c}-compressed data (compressed twice?); decompress it fully before sending it`);
    }
    if (b.every((x) => x === 0)) {
      out.push({ pass: Buffer.from(b) });
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) this.phase = "after-end";
      return;
    }
    if (this.zeroBlocks === 1) throw new ArchiveRefused("the archive is not a valid tar stream (an end-of-archive block is followed by more entries)");
    const h = parseHeader(b);
    const copy = Buffer.from(b);
    if (h.type === "x" || h.type === "g" || h.type === "L" || h.type === "K") {
      if (h.size > MAX_META) throw new ArchiveRefused(`the archive has a tar ${h.type === "L" || h.type === "K" ? "long-name" : "PAX"} record of ${h.size} bytes; over 1 MiB is not a valid tar archive`);
      out.push({ pass: copy });
      this.startData("meta", h.size);
      this.metaType = h.type;
      this.meta = [];
      if (h.size === 0) this.metaDone(); // an empty record still replaces the one before it
      return;
    }
    this.entry(h, copy, out);
  }

  /** A real entry (file, directory, link…), its name and size as Go settles them after the meta records. */
  private entry(h: Header, header: Buffer, out: ScanStep[]): void {
    const pax = this.pax;
    this.pax = null;
    let { name, linkname, size, type } = h;
    if (pax) {
      for (const key of pax.keys()) if (key.startsWith("GNU.sparse.")) throw new ArchiveRefused("the archive has a sparse file (GNU sparse PAX records), which the gate does not read; create it without --sparse");
      const path = pax.get("path");
      const link = pax.get("linkpath");
      const paxSize = pax.get("size");
      if (path) name = path;
      if (link) linkname = link;
      if (paxSize) {
        if (!/^[+-]?[0-9]+$/.test(paxSize) || !Number.isSafeInteger(Number(paxSize)) || Number(paxSize) < 0) throw new ArchiveRefused(`the archive has a PAX size that is not a valid size (${JSON.stringify(paxSize.slice(0, 40))})`);
        size = Number(paxSize);
      }
    }
    if (this.longName !== "") name = this.longName;
    if (this.longLink !== "") linkname = this.longLink;
    this.longName = "";
    this.longLink = "";
    if (type === "\0") type = name.endsWith("/") ? "5" : "0";
    if (type === "S") throw new ArchiveRefused("the archive has a sparse file (GNU sparse entry), which the gate does not read; create it without --sparse");
    if (name.length > MAX_NAME || linkname.length > MAX_NAME) throw new ArchiveRefused(`the archive has an entry name longer than ${MAX_NAME} bytes`);
    const dataSize = HEADER_ONLY.has(type) ? 0 : size;
    const path = archivePath(name);
    this.checkLinks(path, type, linkname);
    if (this.o.held.includes(path) && type !== "5") {
      if (!REGULAR.has(type)) throw new ArchiveRefused(`the archive's ${path} is not a plain file (tar type ${JSON.stringify(type)}); the gate reads ${this.o.purpose} only from a plain file`);
      if (dataSize > MAX_TAG_FILE) throw new ArchiveRefused(`the archive's ${path} is ${dataSize} bytes; the gate reads at most ${MAX_TAG_FILE} bytes of it`);
      this.heldName = path;
      this.held = [header];
      this.heldData = [];
      this.startData("hold", dataSize);
      if (dataSize === 0) this.dataDone(out);
      return;
    }
    out.push({ pass: header });
    this.startData("pass", dataSize);
  }

  /**
   * dockerd follows symbolic links when it opens manifest.json or a Dockerfile, and the untar
   * writes through a link in a parent directory (`l -> .`, then `l/manifest.json`): an entry
   * beneath a link the archive made, a held file that is itself a link, or a link on the way to a
   * held file (`sub -> other`, the Dockerfile `sub/Dockerfile`) could hide what the gate checked.
   */
  private checkLinks(path: string, type: string, linkname: string): void {
    const depth = path === "" ? 0 : path.split("/").length;
    if (depth > MAX_DEPTH) throw new ArchiveRefused(`the archive has an entry ${depth} directories deep; the gate reads at most ${MAX_DEPTH}${this.o.depthNote}`);
    const dir = this.linkAbove(path);
    if (dir !== null) throw new ArchiveRefused(`the archive writes ${path} through the symbolic link ${dir} it made earlier; ${this.o.writer} never does this`);
    if (path === "" && type !== "5") throw new ArchiveRefused("the archive has an entry that replaces its own top directory");
    // A hard link to a symbolic link is a symbolic link too.
    const target = type === "1" ? archivePath(linkname) : "";
    if (target.split("/").length > MAX_DEPTH) throw new ArchiveRefused(`the archive has a link to a path more than ${MAX_DEPTH} directories deep; the gate reads at most ${MAX_DEPTH}${this.o.depthNote}`);
    const linkToLink = type === "1" && (this.symlinks.has(target) || this.linkAbove(target) !== null);
    if (type === "2" || linkToLink) {
      const beneath = this.o.held.find((h) => h.startsWith(`${path}/`));
      if (beneath !== undefined) throw new ArchiveRefused(`the archive makes ${path} a symbolic link, on the way to its ${beneath}; the gate reads ${this.o.purpose} only where no link leads elsewhere`);
      if (this.symlinks.has(path)) return;
      if (this.symlinks.size >= this.o.maxSymlinks || this.linkNameBytes + path.length > MAX_LINK_NAME_BYTES) throw new ArchiveRefused(`the archive has more than ${this.o.maxSymlinks} symbolic links, or more than ${MAX_LINK_NAME_BYTES >> 20} MiB of their names; the gate reads at most that many`);
      this.symlinks.add(path);
      this.linkNameBytes += path.length;
    } else if (this.symlinks.delete(path)) this.linkNameBytes -= path.length;
  }

  /**
   * The directory above `path` that is a symbolic link the archive made, or null. Each entry costs
   * at most MAX_DEPTH lookups (a long name made of many short parts cost one join per part).
   */
  private linkAbove(path: string): string | null {
    if (this.symlinks.size === 0) return null;
    for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
      const dir = path.slice(0, i);
      if (this.symlinks.has(dir)) return dir;
    }
    return null;
  }

  private startData(kind: DataKind, size: number): void {
    this.dataKind = kind;
    this.dataLeft = size;
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    this.phase = size > 0 || this.padLeft > 0 ? "data" : "header";
  }

  private dataDone(out: ScanStep[]): void {
    if (this.dataKind === "meta") this.metaDone();
    else if (this.dataKind === "hold") {
      out.push({ held: { name: this.heldName!, data: Buffer.concat(this.heldData), bytes: this.held } });
      this.held = [];
      this.heldData = [];
      this.heldName = null;
    }
    if (this.padLeft === 0) this.phase = "header";
  }

  private metaDone(): void {
    const data = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaType === "x") this.pax = parsePax(data);
    else if (this.metaType === "g") {
      // Go hands a global header to the untar (which ignores it) as an entry of its own: what
      // came before it no longer applies to the next entry.
      parsePax(data);
      this.pax = null;
      this.longName = "";
      this.longLink = "";
    } else if (this.metaType === "L") this.longName = cString(data);
    else this.longLink = cString(data);
  }
}

/** Adjacent passed pieces of one chunk as one (fewer writes upstream). */
function merged(steps: ScanStep[]): ScanStep[] {
  const out: ScanStep[] = [];
  let run: Buffer[] = [];
  const flush = () => {
    if (run.length === 1) out.push({ pass: run[0]! });
    else if (run.length > 1) out.push({ pass: Buffer.concat(run) });
    run = [];
  };
  for (const s of steps) {
    if ("pass" in s) {
      if (s.pass.length > 0) run.push(s.pass);
    } else {
      flush();
      out.push(s);
    }
  }
  flush();
  return out;
}
