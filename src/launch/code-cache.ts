// V8's code cache for the bundled CLI's CommonJS chunks (dist/bundle/*.cjs), kept between processes:
// a one-shot command then skips most of compiling what it runs (Node 20 has no
// module.enableCompileCache; this is what the v8-compile-cache package does).
//
// Safety: the cache is bytecode that runs as this user, so only this user may have written it. Its
// directory is this user's own (root: /var/cache/ds01; others: ~/.cache/ds01 from the password
// database, not $HOME, so `sudo` does not read or write a user's files), created 0700, and used only
// while it is a real directory owned by this user that no one else may write; a file in it is used
// only when it is a regular file owned by this user. Each installed bundle has a folder of its own
// there (named by a hash of the bundle's path), so two installs never prune each other's files.
// A file's name carries a hash of the chunk's content and of the Node version, so a rebuilt chunk or
// another Node never meets an old cache, and V8 itself rejects data that does not fit
// (cachedDataRejected: compiled normally, written anew).
// Files are written to a temporary name and renamed. Nothing here may fail a command: any error
// means compiling without a cache.
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { userInfo } from "node:os";
import { basename, dirname, join } from "node:path";
import vm from "node:vm";

const SUFFIX = ".v8cache";

/** The directory this user's code cache lives in, or null when there is none to use. */
export function defaultCacheDir(): string | null {
  try {
    const uid = process.geteuid?.();
    if (uid === undefined) return null;
    return uid === 0 ? "/var/cache/ds01" : join(userInfo().homedir, ".cache", "ds01");
  } catch {
    return null;
  }
}

/** True when `dir` exists (or could be made) as a directory of this user's that no one else may write. */
export function ownCacheDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function ownFile(path: string): Buffer | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

export interface CodeCacheCounts {
  /** Chunks compiled with accepted cached data. */
  hits: number;
  /** Chunks compiled without (no file, or V8 rejected it). */
  misses: number;
  /** Cache files written. */
  written: number;
}

export interface CodeCache {
  counts: CodeCacheCounts;
  /** Writes the caches of the chunks that had none (also run at process exit). */
  flush(): void;
  /** Restores the normal compile (tests). */
  uninstall(): void;
}

type Compile = (this: Module, content: string, filename: string) => unknown;
interface ModuleInternals {
  prototype: { _compile: Compile; require(id: string): unknown };
  wrap(content: string): string;
  _resolveFilename(request: string, parent: Module, isMain: boolean, options?: unknown): string;
  _cache: Record<string, Module>;
}

/**
 * Compiles every CommonJS file directly in `codeDir` with the code cache in `cacheDir` (when that is
 * this user's own directory); other files compile as usual.
 */
export function installCodeCache(bundleDir: string, cacheDir: string | null): CodeCache {
  // Module filenames are real paths.
  const codeDir = realOrSame(bundleDir);
  const M = Module as unknown as ModuleInternals;
  const loader = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  const counts: CodeCacheCounts = { hits: 0, misses: 0, written: 0 };
  const original = M.prototype._compile;
  const pending: { script: vm.Script; file: string }[] = [];
  // Each chunk's cache file name in this build, to tell the stale ones.
  const current = new Map<string, string>();
  // Without the loader constant (early Node 20), a vm.Script could not import(): no cache at all.
  const dir = cacheDir === null ? null : join(cacheDir, createHash("sha256").update(codeDir).digest("hex").slice(0, 16));
  const usable = dir !== null && loader !== undefined && ownCacheDir(cacheDir!) && ownCacheDir(dir);
  const flush = () => {
    for (const { script, file } of pending.splice(0)) {
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: "wx" });
        renameSync(tmp, file);
        counts.written++;
      } catch {
        // a cache that cannot be written is simply not there next time
      }
    }
    if (counts.written > 0 && dir !== null) removeStale(codeDir, dir, current);
  };
  if (usable) {
    M.prototype._compile = function (this: Module, content: string, filename: string) {
      if (dirname(filename) !== codeDir || !filename.endsWith(".cjs")) return original.call(this, content, filename);
      const key = createHash("sha256").update(`${process.version}\0${process.arch}\0`).update(content).digest("hex").slice(0, 32);
      const file = join(dir!, `${basename(filename)}.${key}${SUFFIX}`);
      current.set(basename(filename), basename(file));
      const cachedData = ownFile(file);
      const script = new vm.Script(M.wrap(content), { filename, cachedData, importModuleDynamically: loader as never });
      if (cachedData !== undefined && !script.cachedDataRejected) counts.hits++;
      else {
        counts.misses++;
        pending.push({ script, file });
      }
      const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
      const mod = this as Module & { require(id: string): unknown };
      const require = Object.assign((id: string) => mod.require(id), {
        resolve: (request: string, options?: unknown) => M._resolveFilename(request, mod, false, options),
        main: (process as { mainModule?: Module }).mainModule,
        cache: M._cache,
      });
      return fn.call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
    };
    process.once("exit", flush);
  }
  return {
    counts,
    flush,
    uninstall() {
      M.prototype._compile = original;
      process.removeListener("exit", flush);
    },
  };
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Removes cache files of chunks no longer in the bundle, and other builds' files of the chunks loaded now. */
function removeStale(codeDir: string, cacheDir: string, current: ReadonlyMap<string, string>): void {
  try {
    const chunks = new Set(readdirSync(codeDir));
    for (const name of readdirSync(cacheDir)) {
      if (!name.endsWith(SUFFIX)) continue;
      const chunk = name.slice(0, name.lastIndexOf(".", name.length - SUFFIX.length - 1));
      const now = current.get(chunk);
      if (!chunks.has(chunk) || (now !== undefined && now !== name)) rmSync(join(cacheDir, name), { force: true });
    }
  } catch {
    // pruning is tidiness, not correctness
  }
}
