// CgroupFs on node:fs. Writes open the file for writing without truncating or creating it on a real
// cgroup tree (cgroupfs files exist or the controller is missing); on a fixture tree the file is
// created as a plain file.
import { lstatSync, utimesSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, unlink, writeFile } from "node:fs/promises";
import type { CgroupFs } from "./cgroup-fs.js";

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

export const nodeCgroupFs: CgroupFs = {
  async read(path) {
    try {
      return await readFile(path, "utf8");
    } catch (e) {
      if (code(e) === "ENOENT") return null;
      throw e;
    }
  },
  write: (path, value) => writeFile(path, value),
  mkdirp: async (path) => void (await mkdir(path, { recursive: true })),
  async rmdir(path) {
    try {
      await rmdir(path);
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
    }
  },
  async unlink(path) {
    try {
      await unlink(path);
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
    }
  },
  async subdirs(path) {
    try {
      return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return null;
      throw e;
    }
  },
  async files(path) {
    try {
      return (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    } catch (e) {
      if (code(e) === "ENOENT" || code(e) === "ENOTDIR") return [];
      throw e;
    }
  },
  // Stat and utimes of a cgroup directory are answered by the kernel from memory: done in place,
  // not as a trip through libuv's thread pool (a create checks its user's parent every time).
  // Writes stay asynchronous: lowering memory.limit_in_bytes can make the kernel reclaim first.
  async mtimeMs(path) {
    try {
      return lstatSync(path).mtimeMs;
    } catch (e) {
      if (code(e) === "ENOENT") return null;
      throw e;
    }
  },
  async touch(path, at) {
    try {
      utimesSync(path, at / 1000, at / 1000);
    } catch {
      // best effort
    }
  },
};
