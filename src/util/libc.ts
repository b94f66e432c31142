// The C library through koffi (an FFI package that ships prebuilt binaries), for the few calls Node
// does not expose. koffi is CommonJS; loaded on first use, so commands that never need it don't pay.
import { createRequire } from "node:module";
import type Koffi from "koffi";

let loaded: { koffi: typeof Koffi; libc: ReturnType<typeof Koffi.load> } | null = null;

/** koffi and libc.so.6, loaded once per process. Throws where either cannot be loaded. */
export function libc(): { koffi: typeof Koffi; libc: ReturnType<typeof Koffi.load> } {
  if (loaded) return loaded;
  const koffi = createRequire(import.meta.url)("koffi") as typeof Koffi;
  loaded = { koffi, libc: koffi.load("libc.so.6") };
  return loaded;
}
