// Gives the C heap's free pages back to the system. glibc's free() returns memory only from the
// top of its heap; after a burst (200 concurrent listings of a 1,000-container engine: the answers'
// buffers) the gate's heap stayed ~60 MB larger with almost all of it free, since a few live
// allocations above keep it from shrinking. malloc_trim(0) also releases the whole free pages
// inside it (measured: 131 → 69 MB RSS, ~50 ms). Through koffi, which the gate loads anyway for
// SO_PEERCRED; where there is no malloc_trim (not glibc), this does nothing.
import { libc } from "./libc.js";

type Trim = (pad: number) => number;
let trim: Trim | null | undefined;

function load(): Trim | null {
  if (trim !== undefined) return trim;
  try {
    trim = libc().libc.func("int malloc_trim(size_t pad)") as Trim;
  } catch {
    trim = null;
  }
  return trim;
}

/** Releases the C heap's free memory; false where that is not possible here. */
export function mallocTrim(): boolean {
  const f = load();
  if (f === null) return false;
  f(0);
  return true;
}

/**
 * Every `everyMs`, trims when the resident set is `growthBytes` above its floor: the lowest RSS a
 * trim left, or the RSS a trim that released little left (that growth is live memory, not free
 * heap). A trim in the middle of a burst thus does not stop the one after it. A quiet process costs
 * one read of its RSS. The timer does not keep the process alive.
 */
export function trimAfterGrowth(opts: { everyMs: number; growthBytes: number; rss?: () => number; trim?: () => boolean }): { stop(): void } {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const trimNow = opts.trim ?? mallocTrim;
  let floor = rss();
  const timer = setInterval(() => {
    const before = rss();
    if (before - floor < opts.growthBytes) return;
    if (!trimNow()) return clearInterval(timer);
    const after = rss();
    if (after < floor || before - after < opts.growthBytes / 8) floor = after;
  }, opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
