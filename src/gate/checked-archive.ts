// An upload whose archive the gate reads as it passes (tar-scan.ts): every byte goes on to dockerd
// as it arrives, except the entries the check must read, which wait until it has read them. A
// refusal stops the upload before the bytes that would have mattered: dockerd gets a block that is
// no tar header and then a body that never ends, so its untar fails and nothing comes of the
// upload, and the client gets the gate's 403. Used for `docker load` (image-load.ts: the tags it
// sets) and a classic `docker build` (build-context.ts: the images its Dockerfile starts from).
//
// A gzip archive is decompressed here and dockerd gets the plain tar the gate read (dockerd takes
// either), so what was checked is what arrives. bzip2, xz and zstd cannot be read here and are
// refused with the command that decompresses them first.
import type { ClientRequest, IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { createGunzip, type Gunzip } from "node:zlib";
import { errorText } from "../errors.js";
import { ArchiveRefused, compressionOf, MAGIC_BYTES, TarScanner, type HeldEntry, type ScanOptions, type ScanStep } from "./tar-scan.js";

/** What one kind of upload checks in its archive. */
export interface ArchiveCheck {
  scan: ScanOptions;
  /** Said before every refusal: "docker load (nothing was loaded)". */
  what: string;
  /** What the check reads in the archive: "the tags the archive sets". */
  reads: string;
  /** How to send a compressed archive instead, given the command that decompresses it ("xz -dc"). */
  decompressFirst: (command: string) => string;
  /** Reads one held entry; throws ArchiveRefused to refuse the upload. */
  check: (entry: HeldEntry) => Promise<void>;
}

/** Not a tar header (its checksum field is not a number): dockerd's tar reader fails on it. */
const POISON = Buffer.alloc(512, 0xff);
/** Bytes that may wait in the upload to dockerd before the source is paused (its own mark is 16 KiB). */
const UPSTREAM_BUFFER = 1024 * 1024;
/** How long a refused upload may take to hand dockerd the poison block before it is cut anyway. */
const CUT_AFTER_MS = 2000;

const DECOMPRESS: Record<string, string> = { bzip2: "bzip2 -dc", xz: "xz -dc", zstd: "zstd -dc" };

class Stopped extends Error {}

/** Past its own mark (so 'drain' comes) and past ours. */
function full(up: ClientRequest): boolean {
  return up.writableNeedDrain && up.writableLength >= UPSTREAM_BUFFER;
}

/** Resolves when `up` takes more bytes; Stopped when it closed first. */
function drained(up: ClientRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      up.off("close", gone);
      resolve();
    };
    const gone = () => {
      up.off("drain", done);
      reject(new Stopped());
    };
    up.once("drain", done);
    up.once("close", gone);
  });
}

/**
 * Streams the client's body to `upstream`, checked. `refuse` is called at most once, with the
 * reason (no `ds01:` prefix) and status, after which nothing more is forwarded and the upload to
 * dockerd is cut; the caller answers the client.
 */
export function forwardCheckedArchive(req: IncomingMessage, upstream: ClientRequest, archive: ArchiveCheck, refuse: (reason: string, status: number) => void): void {
  const scanner = new TarScanner(archive.scan);
  let source: Readable = req;
  let gunzip: Gunzip | null = null;
  let stopped = false;
  let wrote = false;
  let work: Promise<void> = Promise.resolve();

  const stop = (refusal: { reason: string; status: number } | null) => {
    if (stopped) return;
    stopped = true;
    source.off("data", onData);
    source.off("end", onEnd);
    req.off("data", onSniff);
    req.off("end", onSniffEnd);
    if (gunzip) {
      req.unpipe(gunzip);
      gunzip.destroy();
    }
    if (!refusal) return;
    refuse(refusal.reason, refusal.status);
    if (upstream.destroyed) return;
    if (!wrote) {
      upstream.destroy(); // nothing reached dockerd, not even the request head
      return;
    }
    const cut = setTimeout(() => upstream.destroy(), CUT_AFTER_MS);
    cut.unref();
    upstream.write(POISON, () => {
      clearTimeout(cut);
      upstream.destroy();
    });
  };
  const failed = (e: unknown) => {
    if (e instanceof Stopped) stop(null);
    else if (e instanceof ArchiveRefused) stop({ reason: `${archive.what}: ${e.message}`, status: 403 });
    else stop({ reason: `${archive.what}: the gate could not check ${archive.reads} (${errorText(e)}); try again`, status: 502 });
  };

  const send = async (bytes: Buffer) => {
    if (stopped) throw new Stopped();
    wrote = true;
    upstream.write(bytes);
    if (full(upstream)) await drained(upstream);
  };
  const run = async (steps: ScanStep[]) => {
    for (const s of steps) {
      if ("pass" in s) await send(s.pass);
      else {
        await archive.check(s.held);
        if (stopped) throw new Stopped();
        for (const b of s.held.bytes) await send(b);
      }
    }
  };
  // Work that must wait (a tag check, a full upstream) runs one job at a time while the source is
  // paused; the chunks of a layer, the usual case, are scanned and written at once.
  let queued = 0;
  const later = (job: () => Promise<void>) => {
    queued++;
    source.pause();
    work = work
      .then(async () => {
        if (!stopped) await job();
      })
      .catch(failed)
      .finally(() => {
        queued--;
        if (queued === 0 && !stopped) source.resume();
      });
  };
  const onData = (chunk: Buffer) => {
    if (queued > 0) return later(() => run(scanner.write(chunk)));
    let steps: ScanStep[];
    try {
      steps = scanner.write(chunk);
    } catch (e) {
      return failed(e);
    }
    let i = 0;
    for (; i < steps.length; i++) {
      const s = steps[i]!;
      if (!("pass" in s)) break;
      wrote = true;
      upstream.write(s.pass);
    }
    if (i === steps.length && !full(upstream)) return;
    const rest = steps.slice(i);
    later(async () => {
      if (full(upstream)) await drained(upstream);
      await run(rest);
    });
  };
  const onEnd = () =>
    later(async () => {
      scanner.end();
      upstream.end();
    });

  // The first bytes say whether the archive is compressed (dockerd decides by the same bytes).
  const first: Buffer[] = [];
  let firstLength = 0;
  const begin = (ended: boolean) => {
    req.off("data", onSniff);
    req.off("end", onSniffEnd);
    req.pause();
    const start = Buffer.concat(first);
    const compression = compressionOf(start);
    if (compression !== null && compression !== "gzip") {
      failed(new ArchiveRefused(`the archive is ${compression}-compressed, which the gate cannot read to check ${archive.reads}; decompress it first: ${archive.decompressFirst(DECOMPRESS[compression]!)}`));
      return;
    }
    if (compression === "gzip") {
      const z = createGunzip({ chunkSize: 256 * 1024 }); // fewer, larger pieces than its 16 KiB
      gunzip = z;
      source = z;
      z.on("error", (e) => failed(new ArchiveRefused(`the archive's gzip data is damaged (${e.message})`)));
      z.on("data", onData);
      z.on("end", onEnd);
      z.write(start);
      if (ended) z.end();
      else req.pipe(z);
      return;
    }
    req.on("data", onData); // req is paused: this does not start it
    req.on("end", onEnd);
    if (start.length > 0) onData(start);
    if (queued === 0 && !stopped) req.resume(); // else the job that waits resumes it
    if (ended) onEnd();
  };
  const onSniff = (c: Buffer) => {
    first.push(c);
    firstLength += c.length;
    if (firstLength >= MAGIC_BYTES) begin(false);
  };
  const onSniffEnd = () => begin(true);

  // Whoever ends the upload (the client hung up, dockerd answered or closed) ends the checking too.
  upstream.once("close", () => stop(null));
  req.on("error", () => stop(null));
  req.on("data", onSniff);
  req.on("end", onSniffEnd);
}
