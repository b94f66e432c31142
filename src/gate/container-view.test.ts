import { describe, expect, it } from "vitest";
import { container, gpuUuid } from "../../test/helpers/fleet.js";
import { flush } from "../../test/helpers/manual-timers.js";
import { DEFAULT_IDENTITY_OPTIONS } from "../docker/identity.js";
import type { ContainerInfo } from "../model/container.js";
import { fixedClock } from "../util/clock.js";
import { silentLogger } from "../util/log.js";
import { ContainerView } from "./container-view.js";

const info = (name: string, gpu: number): ContainerInfo => {
  const { identity: _i, ...rest } = container({ name, gpus: [gpuUuid(gpu)], labels: { "ds01.user": "alice" } });
  return rest;
};

function setup() {
  const clock = fixedClock(1_000_000);
  const engine = { listed: [info("a", 0)], byId: new Map<string, ContainerInfo>(), failInspect: false, hold: null as Promise<void> | null };
  const runtime = {
    list: async () => {
      await engine.hold;
      return engine.listed;
    },
    inspect: async (id: string) => {
      if (engine.failInspect) throw new Error("engine hiccup");
      return engine.byId.get(id) ?? null;
    },
  };
  const view = new ContainerView({ runtime: () => runtime, identity: () => DEFAULT_IDENTITY_OPTIONS, clock, log: silentLogger });
  const names = () => view.observation([])?.containers.map((c) => c.name).sort() ?? null;
  return { clock, engine, view, names };
}

const ev = (action: string, id: string, time = 0) => ({ action, id, name: null, labels: {}, time });

describe("the gate's container view", () => {
  it("is not used before a listing, nor while the event stream is down", async () => {
    const { view, names } = setup();
    expect(names()).toBeNull();
    view.streamState(true);
    expect(names()).toBeNull(); // the first use starts the listing; until it is done the engine is listed per request
    await view.relist();
    expect(names()).toEqual(["a"]);
    view.streamState(false);
    expect(names()).toBeNull();
  });

  it("follows create and destroy events between listings, and says when the listing began", async () => {
    const { view, names, engine, clock } = setup();
    view.streamState(true);
    names(); // in use (a GPU create asked)
    await view.relist();
    const listedAt = clock.now();
    clock.advance(5_000);
    const b = info("b", 1);
    engine.byId.set(b.id, b);
    view.onEvent(ev("create", b.id));
    await flush();
    expect(names()).toEqual(["a", "b"]);
    expect(view.observation([])!.listedAt).toBe(listedAt); // reservations confirmed since still count
    view.onEvent(ev("destroy", engine.listed[0]!.id));
    expect(names()).toEqual(["b"]);
  });

  it("an inspect that fails makes the view unusable until a listing has seen everything again", async () => {
    const { view, names, engine } = setup();
    view.streamState(true);
    names();
    await view.relist();
    engine.failInspect = true;
    let release!: () => void;
    engine.hold = new Promise((r) => (release = r));
    const c = info("c", 2);
    engine.listed = [...engine.listed, c];
    view.onEvent(ev("create", c.id));
    await flush();
    expect(names()).toBeNull(); // c may hold a GPU the view does not know of
    release();
    await view.relist();
    expect(names()).toEqual(["a", "c"]);
  });

  it("unused, it inspects nothing after events, and used again it starts from a new listing", async () => {
    const { view, names, engine, clock } = setup();
    let inspects = 0;
    const inspect = engine.byId.get.bind(engine.byId);
    engine.byId.get = (id: string) => (inspects++, inspect(id));
    view.streamState(true);
    const b = info("b", 1);
    engine.byId.set(b.id, b);
    engine.listed = [...engine.listed, b];
    view.onEvent(ev("create", b.id));
    await flush();
    expect(inspects).toBe(0);
    expect(names()).toBeNull(); // first use: listed first
    await view.relist();
    expect(names()).toEqual(["a", "b"]);
    clock.advance(11 * 60_000); // idle: events are no longer followed
    engine.listed = engine.listed.filter((x) => x.id !== b.id);
    view.onEvent(ev("destroy", b.id));
    expect(names()).toBeNull(); // not the stale picture
    await view.relist();
    expect(names()).toEqual(["a"]);
  });
});
