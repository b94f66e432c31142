// How the counters' files under /proc and the cgroup tree are read. The daemon reads them through
// the promise API, so its event loop keeps serving (the allocation broker, /metrics) while a pass
// samples a large fleet. A one-shot command has nothing else to serve: it reads them synchronously,
// a few microseconds of system call each, where each promise read is an open, a stat, a read and a
// close through the thread pool (about three times the CPU over 200 containers, measured).
// Either way an unreadable file or link is null, never an error.
import { readFileSync, readlinkSync } from "node:fs";
import { readFile, readlink } from "node:fs/promises";

export interface HostReads {
  text(path: string): Promise<string | null>;
  link(path: string): Promise<string | null>;
}

export const asyncHostReads: HostReads = {
  text: (path) => readFile(path, "utf8").catch(() => null),
  link: (path) => readlink(path).catch(() => null),
};

function orNull<T>(read: () => T): Promise<T | null> {
  try {
    return Promise.resolve(read());
  } catch {
    return Promise.resolve(null);
  }
}

export const syncHostReads: HostReads = {
  text: (path) => orNull(() => readFileSync(path, "utf8")),
  link: (path) => orNull(() => readlinkSync(path)),
};
