import { describe, expect, it } from "vitest";
import { defaultStateDir } from "./state-dir.js";

describe("defaultStateDir", () => {
  it.each([
    ["--state-dir wins", { stateDir: "/x", env: { DS01_STATE_DIR: "/y", HOME: "/home/a" }, uid: 0 }, "/x"],
    ["then DS01_STATE_DIR", { stateDir: null, env: { DS01_STATE_DIR: "/y", HOME: "/home/a" }, uid: 1000 }, "/y"],
    ["root: /var/lib/ds01", { stateDir: null, env: { HOME: "/root" }, uid: 0 }, "/var/lib/ds01"],
    // No private ~/.local/state/ds01: a non-root caller reads the system's state or nothing.
    ["user: /var/lib/ds01 too", { stateDir: null, env: { HOME: "/home/a" }, uid: 1000 }, "/var/lib/ds01"],
    ["empty DS01_STATE_DIR is ignored", { stateDir: null, env: { DS01_STATE_DIR: "", HOME: "/home/a" }, uid: 1000 }, "/var/lib/ds01"],
  ] as const)("%s", (_n, ctx, dir) => expect(defaultStateDir({ ...ctx, env: { ...ctx.env } })).toBe(dir));
});
