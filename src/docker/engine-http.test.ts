import { describe, expect, it } from "vitest";
import { engineQuery, engineTarget } from "./engine-http.js";

describe("engineTarget", () => {
  it.each([
    [undefined, "unix:///var/run/docker.sock"],
    ["unix:///tmp/proxy.sock", "unix:///tmp/proxy.sock"],
    ["tcp://127.0.0.1:2376", "127.0.0.1:2376"],
    ["tcp://localhost", "localhost:2375"],
  ])("%s → %s", (host, label) => {
    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      expect(engineTarget(host).label).toBe(label);
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
  });

  it("refuses TLS endpoints rather than talking plain HTTP to them", () => {
    expect(() => engineTarget("https://docker.example:2376")).toThrow(/TLS/);
  });
});

describe("engineQuery", () => {
  it("encodes booleans, numbers and JSON filters the way the Engine API reads them", () => {
    expect(engineQuery({ all: true, t: 10, filters: { label: ["a=b"] }, skip: undefined })).toBe(
      `?all=true&t=10&filters=${encodeURIComponent('{"label":["a=b"]}')}`,
    );
    expect(engineQuery({})).toBe("");
  });
});

describe("defaultEngineSocket", () => {
  it("uses dockerd's own socket when the gate moved it and this process may use it", async () => {
    const { defaultEngineSocket, GATED_ENGINE_SOCKET } = await import("./engine-http.js");
    expect(defaultEngineSocket((p) => p === GATED_ENGINE_SOCKET)).toBe("/run/ds01/engine.sock");
    expect(defaultEngineSocket(() => false)).toBe("/var/run/docker.sock");
  });
});
