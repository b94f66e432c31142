import { describe, expect, it } from "vitest";
import { parseTarget, rebuildTarget } from "./target.js";

describe("parseTarget", () => {
  it("splits the version prefix, path and query", () => {
    const r = parseTarget("/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%22%5D%7D");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.target.versionPrefix).toBe("/v1.41");
    expect(r.target.path).toBe("/containers/json");
    expect(r.target.query.get("filters")).toEqual(['{"label":["a"]}']);
    expect(rebuildTarget(r.target, "/containers/abc/json")).toBe("/v1.41/containers/abc/json?all=1&filters=%7B%22label%22%3A%5B%22a%22%5D%7D");
  });

  it("accepts unversioned paths and image references with / and :", () => {
    const r = parseTarget("/images/registry.local:5000/team/img:1.0/json");
    expect(r.ok && r.target.path).toBe("/images/registry.local:5000/team/img:1.0/json");
    expect(r.ok && r.target.versionPrefix).toBe("");
  });

  it.each([
    ["/v1.41/containers/../x", /dot segments/],
    ["/v1.41/./containers/json", /dot segments/],
    ["/v1.41/containers/%2e%2e/json", /percent-encoded/],
    ["/v1.41//containers/json", /empty path segments/],
    ["/v1.41/containers/a\\b/json", /unexpected characters/],
    ["containers/json", /absolute path/],
    ["/containers/json?a=1;b=2", /`;`/],
    ["/containers/json?name=a&name=b", /more than once/],
    ["/containers/json?x=%zz", /malformed/],
  ])("refuses %s", (url, why) => {
    const r = parseTarget(url);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });

  it("lets parameters the gate does not decide on repeat (build tags, dockerode's Cmd)", () => {
    const r = parseTarget("/build?t=a&t=b");
    expect(r.ok && r.target.query.get("t")).toEqual(["a", "b"]);
    expect(parseTarget("/containers/create?Cmd=sh&Cmd=-c&name=x").ok).toBe(true);
  });

  it.each(["name", "networkmode", "cgroupparent", "container", "fromSrc"])("refuses %s given twice", (p) => {
    const r = parseTarget(`/x?${p}=a&${p}=b`);
    expect(r.ok).toBe(false);
  });
});
