import { describe, expect, it } from "vitest";
import { ImageLabelCache, type Labels } from "./image-label-cache.js";
import { classify, mayChangeImages } from "./routes.js";

/** A cache over a fake engine whose images can be changed, reads counted, the grace run by hand. */
function setup(opts: { maxAgeMs?: number; maxEntries?: number } = {}) {
  const images = new Map<string, Labels>([["app", { a: "1" }]]);
  let now = 1_000_000;
  let reads = 0;
  let hold: Promise<void> | null = null;
  const graces: (() => void)[] = [];
  const cache = new ImageLabelCache({
    read: async (ref) => {
      reads++;
      const labels = images.get(ref) ?? null;
      if (hold) await hold;
      return labels;
    },
    clock: { now: () => now },
    later: (fn) => graces.push(fn),
    ...opts,
  });
  return {
    cache,
    images,
    reads: () => reads,
    advance: (ms: number) => (now += ms),
    holdReads: () => {
      let release = () => undefined as void;
      hold = new Promise<void>((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    graceOver: () => graces.splice(0).forEach((g) => g()),
  };
}

describe("ImageLabelCache", () => {
  it("reads every time while dockerd's image events are not followed", async () => {
    const t = setup();
    expect(await t.cache.labels("app")).toEqual({ a: "1" });
    expect(await t.cache.labels("app")).toEqual({ a: "1" });
    expect(t.reads()).toBe(2);
    expect(t.cache.size).toBe(0);
  });

  it("keeps an image's labels while the events are followed, and drops them at any image event", async () => {
    const t = setup();
    t.cache.watching(true);
    await t.cache.labels("app");
    await t.cache.labels("app");
    expect(t.reads()).toBe(1);
    t.images.set("app", { "ds01.protected": "true" });
    t.cache.changed();
    expect(await t.cache.labels("app")).toEqual({ "ds01.protected": "true" });
    expect(t.reads()).toBe(2);
  });

  it("keeps nothing once the event stream is down", async () => {
    const t = setup();
    t.cache.watching(true);
    await t.cache.labels("app");
    t.cache.watching(false);
    t.images.set("app", { b: "2" });
    expect(await t.cache.labels("app")).toEqual({ b: "2" });
    expect(await t.cache.labels("app")).toEqual({ b: "2" });
    expect(t.reads()).toBe(3);
  });

  it("reads afresh while an image-changing request is forwarded, and after it until the grace is over", async () => {
    const t = setup();
    t.cache.watching(true);
    await t.cache.labels("app");
    const end = t.cache.begin();
    t.images.set("app", { c: "3" });
    expect(await t.cache.labels("app")).toEqual({ c: "3" });
    end();
    t.images.set("app", { d: "4" });
    expect(await t.cache.labels("app")).toEqual({ d: "4" });
    expect(t.cache.size).toBe(0);
    t.graceOver();
    await t.cache.labels("app");
    await t.cache.labels("app");
    expect(t.reads()).toBe(4);
    expect(t.cache.size).toBe(1);
  });

  it("an end called twice counts once (two requests in flight keep it off until both are over)", async () => {
    const t = setup();
    t.cache.watching(true);
    const a = t.cache.begin();
    const b = t.cache.begin();
    a();
    a();
    t.graceOver();
    await t.cache.labels("app");
    expect(t.cache.size).toBe(0);
    b();
    t.graceOver();
    await t.cache.labels("app");
    expect(t.cache.size).toBe(1);
  });

  it("does not keep a read that began before an image changed", async () => {
    const t = setup();
    t.cache.watching(true);
    const release = t.holdReads();
    const reading = t.cache.labels("app"); // the old labels, on their way
    t.images.set("app", { e: "5" });
    t.cache.changed();
    release();
    expect(await reading).toEqual({ a: "1" });
    expect(t.cache.size).toBe(0);
    expect(await t.cache.labels("app")).toEqual({ e: "5" });
  });

  it("keeps no answer for an image that does not exist", async () => {
    const t = setup();
    t.cache.watching(true);
    expect(await t.cache.labels("missing")).toEqual({});
    t.images.set("missing", { f: "6" });
    expect(await t.cache.labels("missing")).toEqual({ f: "6" });
  });

  it("reads again past the maximum age, and holds at most maxEntries names", async () => {
    const t = setup({ maxAgeMs: 1000, maxEntries: 2 });
    t.cache.watching(true);
    await t.cache.labels("app");
    t.advance(1001);
    await t.cache.labels("app");
    expect(t.reads()).toBe(2);
    for (const n of ["x", "y", "z"]) t.images.set(n, {});
    for (const n of ["x", "y", "z"]) await t.cache.labels(n);
    expect(t.cache.size).toBe(2);
  });

  it("hands out labels that a caller cannot change for the next one", async () => {
    const t = setup();
    t.cache.watching(true);
    const got = await t.cache.labels("app");
    expect(() => ((got as Record<string, string>).a = "changed")).toThrow();
    expect(await t.cache.labels("app")).toEqual({ a: "1" });
  });
});

describe("mayChangeImages", () => {
  const changes = (method: string, path: string) => mayChangeImages(classify(method, path), method);

  it("counts every request that can point a name at another image", () => {
    for (const [m, p] of [
      ["POST", "/images/app/tag"],
      ["POST", "/images/create"],
      ["POST", "/images/load"],
      ["DELETE", "/images/app"],
      ["POST", "/images/prune"],
      ["POST", "/build"],
      ["POST", "/session"],
      ["POST", "/grpc"],
      ["POST", "/commit"],
      ["POST", "/some/future/endpoint"],
    ] as const) expect(changes(m, p), `${m} ${p}`).toBe(true);
  });

  it("leaves out reads and container, volume and network operations", () => {
    for (const [m, p] of [
      ["GET", "/images/app/json"],
      ["HEAD", "/_ping"],
      ["POST", "/containers/create"],
      ["DELETE", "/containers/abc"],
      ["POST", "/containers/abc/start"],
      ["POST", "/containers/abc/exec"],
      ["POST", "/exec/abc/start"],
      ["POST", "/volumes/create"],
      ["POST", "/networks/create"],
    ] as const) expect(changes(m, p), `${m} ${p}`).toBe(false);
  });
});
