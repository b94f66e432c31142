import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifestJson, paxEntry, tarArchive, tarEntry, tarHeader } from "../../test/helpers/tar-builder.js";
import { archivePath, ArchiveRefused, compressionOf, MAX_TAG_FILE, parsePax, TarScanner, type HeldEntry } from "./tar-scan.js";

/** Feeds `archive` in pieces of `size` bytes; returns what was passed (held entries released in place) and the held entries. */
function scan(archive: Buffer, size = archive.length): { out: Buffer; held: HeldEntry[] } {
  const s = new TarScanner();
  const parts: Buffer[] = [];
  const held: HeldEntry[] = [];
  for (let i = 0; i < archive.length; i += size) {
    for (const step of s.write(archive.subarray(i, i + size))) {
      if ("pass" in step) parts.push(Buffer.from(step.pass));
      else {
        held.push(step.held);
        parts.push(...step.held.bytes.map((b) => Buffer.from(b)));
      }
    }
  }
  s.end();
  return { out: Buffer.concat(parts), held };
}

function refusal(archive: Buffer, size?: number): string {
  try {
    scan(archive, size);
  } catch (e) {
    if (e instanceof ArchiveRefused) return e.message;
    throw e;
  }
  throw new Error("the archive was not refused");
}

const layer = Buffer.alloc(3000, 7);
const saved = tarArchive([
  { name: "abc/", type: "5" },
  { name: "abc/layer.tar", data: layer },
  { name: "cfg.json", data: "{}" },
  { name: "manifest.json", data: manifestJson(["alice/app:v1"]) },
  { name: "repositories", data: JSON.stringify({ "alice/app": { v1: "abc" } }) },
]);

describe("TarScanner", () => {
  it("hands every byte on, in order and unchanged, however the stream is cut, and holds the tag files whole", () => {
    for (const size of [1, 7, 511, 512, 513, 4096, saved.length]) {
      const { out, held } = scan(saved, size);
      expect(out.equals(saved), `pieces of ${size}`).toBe(true);
      expect(held.map((h) => h.name)).toEqual(["manifest.json", "repositories"]);
      expect(JSON.parse(held[0]!.data.toString())).toEqual([{ Config: "cfg.json", RepoTags: ["alice/app:v1"], Layers: [] }]);
    }
  });

  it("releases nothing of a tag file before it is complete: its header and data come only in its held step", () => {
    const s = new TarScanner();
    const at = saved.indexOf(Buffer.from("manifest.json"));
    const before = s.write(saved.subarray(0, at + 512 + 10)); // its header and the start of its data
    const passed = Buffer.concat(before.flatMap((step) => ("pass" in step ? [step.pass] : [])));
    expect(before.some((step) => "held" in step)).toBe(false);
    expect(passed.length).toBe(at); // everything up to its header, nothing after
  });

  it("finds the tag files by the name the untar would give them", () => {
    for (const name of ["./manifest.json", "/manifest.json", "x/../manifest.json", "../manifest.json", "manifest.json/"]) {
      const { held } = scan(tarArchive([{ name, data: "[]" }]));
      expect(held.map((h) => h.name), name).toEqual(["manifest.json"]);
    }
    expect(scan(tarArchive([{ name: "sub/manifest.json", data: "[]" }, { name: "Manifest.json", data: "[]" }])).held).toEqual([]);
    expect(archivePath("a/./b/../../c")).toBe("c");
  });

  it("reads a name from a PAX record, a GNU long name and a USTAR prefix, as Go does", () => {
    const pax = Buffer.concat([paxEntry({ path: "manifest.json" }), tarEntry({ name: "innocent", data: "[]" })]);
    expect(scan(tarArchive([pax])).held.map((h) => h.name)).toEqual(["manifest.json"]);
    const long = Buffer.concat([tarEntry({ name: "././@LongLink", type: "L", data: "manifest.json\0" }), tarEntry({ name: "innocent", data: "[]" })]);
    expect(scan(tarArchive([long])).held.map((h) => h.name)).toEqual(["manifest.json"]);
    const prefixed = tarHeader({ name: "manifest.json" }, 2);
    prefixed.write("..", 345, "latin1"); // prefix "..": "../manifest.json"
    fixChecksum(prefixed);
    expect(scan(tarArchive([Buffer.concat([prefixed, Buffer.from("[]"), Buffer.alloc(510)])])).held.map((h) => h.name)).toEqual(["manifest.json"]);
    // A PAX size replaces the header's.
    const sized = Buffer.concat([paxEntry({ size: "600" }), tarHeader({ name: "manifest.json" }, 0), Buffer.alloc(1024, 0x20)]);
    expect(scan(tarArchive([sized])).held[0]!.data.length).toBe(600);
  });

  it("a global PAX header ends what the records before it said about the next entry", () => {
    const g = tarEntry({ name: "g", type: "g", data: "" });
    const archive = tarArchive([paxEntry({ path: "manifest.json" }), g, { name: "plain", data: "[]" }]);
    expect(scan(archive).held).toEqual([]);
  });

  it("reads header-only types (links, directories) without data, whatever their size field says", () => {
    const dir = tarEntry({ name: "d/", type: "\0", size: 1024 }); // a legacy directory: no data follows
    const { held } = scan(tarArchive([dir, { name: "manifest.json", data: "[]" }]));
    expect(held.map((h) => h.name)).toEqual(["manifest.json"]);
  });

  it("takes a base-256 size as Go does", () => {
    const h = tarHeader({ name: "big" }, 0);
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h.writeUInt32BE(1024, 132);
    fixChecksum(h);
    const { out } = scan(tarArchive([Buffer.concat([h, Buffer.alloc(1024)]), { name: "manifest.json", data: "[]" }]));
    expect(out.length).toBe(512 + 1024 + 1024 + 1024);
  });

  it("passes what follows the end marker unread (dockerd reads it away)", () => {
    const archive = Buffer.concat([tarArchive([{ name: "a", data: "x" }]), Buffer.from("trailing bytes")]);
    expect(scan(archive, 100).out.equals(archive)).toBe(true);
  });

  it("refuses what is not a tar stream, or is cut off inside a header or an entry", () => {
    expect(refusal(tarArchive([{ name: "a", data: "x", badChecksum: true }]))).toMatch(/checksum is wrong/);
    expect(refusal(Buffer.from("just some text, no tar at all".padEnd(600)))).toMatch(/checksum is wrong/);
    expect(refusal(saved.subarray(0, 1024 + 512 + 100))).toMatch(/ends in the middle of an entry/); // inside the layer
    expect(refusal(saved.subarray(0, 100))).toMatch(/ends in the middle of a tar header/);
    const zeroThenMore = Buffer.concat([Buffer.alloc(512), tarEntry({ name: "manifest.json", data: "[]" })]);
    expect(refusal(zeroThenMore)).toMatch(/end-of-archive block is followed by more/);
    const badSize = tarHeader({ name: "a" }, 0);
    badSize.write("12x4", 124, "latin1");
    fixChecksum(badSize);
    expect(refusal(tarArchive([badSize]))).toMatch(/size is not a number/);
  });

  it("takes an end right after the last entry, or inside its padding, as the end (as Go does)", () => {
    const noMarker = tarArchive([{ name: "manifest.json", data: "[]" }], { end: false });
    expect(scan(noMarker).held).toHaveLength(1);
    expect(scan(noMarker.subarray(0, 512 + 2)).held).toHaveLength(1);
    expect(scan(Buffer.alloc(0)).out.length).toBe(0);
  });

  it("refuses a tag file that is a link, or too large, and entries written through a link", () => {
    expect(refusal(tarArchive([{ name: "manifest.json", type: "2", linkname: "abc/json" }]))).toMatch(/manifest.json is not a plain file/);
    expect(refusal(tarArchive([{ name: "x", data: "[]" }, { name: "repositories", type: "1", linkname: "x" }]))).toMatch(/repositories is not a plain file/);
    expect(refusal(tarArchive([{ name: "l", type: "2", linkname: "." }, { name: "l/manifest.json", data: "[]" }]))).toMatch(/through the symbolic link l/);
    expect(refusal(tarArchive([{ name: "l", type: "2", linkname: "/" }, { name: "h", type: "1", linkname: "l" }, { name: "h/index.json", data: "{}" }]))).toMatch(/through the symbolic link h/);
    expect(refusal(tarArchive([{ name: "manifest.json", data: "", size: MAX_TAG_FILE + 1 }]))).toMatch(/manifest.json is 1048577 bytes; the gate reads at most/);
    // A link replaced by a directory is a directory again.
    expect(scan(tarArchive([{ name: "l", type: "2", linkname: "." }, { name: "l", type: "5" }, { name: "l/x", data: "1" }])).held).toEqual([]);
    // docker save links a layer shared by two images: nothing is written beneath it.
    expect(scan(tarArchive([{ name: "b/layer.tar", type: "2", linkname: "../a/layer.tar" }, { name: "manifest.json", data: "[]" }])).held).toHaveLength(1);
  });

  it("refuses sparse files and an archive compressed inside its compression", () => {
    expect(refusal(tarArchive([{ name: "s", type: "S", data: "" }]))).toMatch(/sparse/);
    expect(refusal(tarArchive([paxEntry({ "GNU.sparse.major": "1" }), { name: "s", data: "x" }]))).toMatch(/sparse/);
    const gz = tarHeader({ name: "\x1f\x8b\x08name" }, 0);
    expect(refusal(tarArchive([gz]))).toMatch(/starts like gzip-compressed data/);
  });

  it("agrees with GNU tar's own archives: PAX and GNU long names, links, directories", () => {
    const dir = mkdtempSync(join(tmpdir(), "ds01-tarscan-"));
    try {
      const deep = join(dir, "src", "d".repeat(120), "e".repeat(120));
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, "f".repeat(110)), "long");
      writeFileSync(join(dir, "src", "manifest.json"), manifestJson(["x:1"]));
      symlinkSync("manifest.json", join(dir, "src", "m-link"));
      for (const format of ["gnu", "posix", "ustar", "v7"]) {
        const file = join(dir, `a-${format}.tar`);
        const members = format === "gnu" || format === "posix" ? ["."] : ["./manifest.json", "./m-link"];
        execFileSync("tar", ["-C", join(dir, "src"), `--format=${format}`, "-cf", file, ...members]);
        const archive = execFileSync("cat", [file]);
        const { out, held } = scan(archive, 1000);
        expect(out.equals(archive), format).toBe(true);
        expect(held.map((h) => h.name), format).toEqual(["manifest.json"]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("parsePax", () => {
  it("reads records as Go does and refuses malformed ones", () => {
    expect(parsePax(Buffer.from("12 path=abc\n10 size=5\n"))).toEqual(new Map([["path", "abc"], ["size", "5"]]));
    for (const bad of ["13 path=abc\n", "12 path=abc ", "x path=abc\n", "9 =value\n", "12 path=a\0c\n"]) {
      expect(() => parsePax(Buffer.from(bad)), JSON.stringify(bad)).toThrow(ArchiveRefused);
    }
  });
});

function fixChecksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
}

describe("TarScanner: names as Go's reader gives them (review 2026-12-03)", () => {
  it("does not let a GNU header with a non-numeric access time hide a symbolic link's real place (Go reads sub/d, not d)", () => {
    // dockerd makes the link at sub/d -> .. (the load's top), so sub/d/manifest.json is its manifest.json.
    const archive = tarArchive([{ name: "d", type: "2", linkname: "..", format: "gnu", gnuAtime: "sub" }, { name: "sub/d/manifest.json", data: manifestJson(["victim:v1"]) }]);
    expect(refusal(archive)).toMatch(/GNU tar header whose access or change time is not a number/);
  });

  it("reads GNU headers with numeric times (GNU tar --incremental) as before", () => {
    const h = tarHeader({ name: "f", format: "gnu" }, 2);
    h.write("00000000001\0", 345, "latin1");
    h.write("00000000002\0", 357, "latin1");
    fixChecksum(h);
    const { held } = scan(tarArchive([Buffer.concat([h, Buffer.from("[]"), Buffer.alloc(510)]), { name: "manifest.json", data: "[]" }]));
    expect(held.map((x) => x.name)).toEqual(["manifest.json"]);
  });
});

describe("TarScanner: bounded work per entry (review 2026-12-03)", () => {
  it("refuses names and link targets more than 64 directories deep (a 4 KiB name of 2000 parts cost seconds per MiB of archive, the gate's one thread held)", () => {
    const deep = (n: number) => Array.from({ length: n }, () => "a").join("/");
    const longName = (name: string) => tarEntry({ name: "././@LongLink", type: "L", data: `${name}\0` });
    expect(refusal(tarArchive([longName(deep(2040)), { name: "x", type: "5" }]))).toMatch(/an entry 2040 directories deep; the gate reads at most 64/);
    expect(refusal(tarArchive([{ name: "l", type: "2", linkname: "x" }, tarEntry({ name: "././@LongLink", type: "K", data: `${deep(65)}\0` }), { name: "h", type: "1", linkname: "x" }]))).toMatch(/a link to a path more than 64 directories deep/);
    // 64 deep is read, and a link above such a path is still found.
    expect(scan(tarArchive([longName(deep(64)), { name: "x", data: "1" }])).held).toEqual([]);
    expect(refusal(tarArchive([{ name: "a/a", type: "2", linkname: "." }, longName(deep(64)), { name: "x", data: "1" }]))).toMatch(/through the symbolic link a\/a/);
  });
});

describe("compressionOf", () => {
  it("knows a zstd stream that starts with a skippable frame (newer engines decompress it as zstd)", () => {
    const skippable = Buffer.alloc(16);
    skippable.writeUInt32LE(0x184d2a53, 0);
    skippable.writeUInt32LE(4, 4);
    expect(compressionOf(skippable)).toBe("zstd");
    expect(compressionOf(tarHeader({ name: "plain" }, 0))).toBeNull();
    // A tar header that is also a skippable frame, before a zstd frame of another archive.
    expect(refusal(tarArchive([{ name: "\x50\x2a\x4d\x18\x00\x02\x00\x00", data: "x" }]))).toMatch(/starts like zstd-compressed data/);
  });
});
