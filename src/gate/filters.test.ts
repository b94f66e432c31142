import { describe, expect, it } from "vitest";
import { filterDiskUsageBody, filterListBody } from "./filters.js";

const mine = (id: string) => id.startsWith("a");
const keep = (id: string) => mine(id);

describe("filterDiskUsageBody", () => {
  it("keeps only the caller's containers, empties the build cache, and leaves images, volumes and sizes", () => {
    const df = { LayersSize: 7, Images: [{ Id: "sha256:i" }], Containers: [{ Id: "a1", Names: ["/x"] }, { Id: "b1" }, null, 3], Volumes: [{ Name: "v" }], BuildCache: [{ ID: "c", Description: "mount / from exec /bin/sh -c secret" }] };
    expect(JSON.parse(filterDiskUsageBody(Buffer.from(JSON.stringify(df)), keep).toString())).toEqual({ LayersSize: 7, Images: [{ Id: "sha256:i" }], Containers: [{ Id: "a1", Names: ["/x"] }], Volumes: [{ Name: "v" }], BuildCache: [] });
  });

  it("an answer it cannot read becomes an empty one, never passed through", () => {
    for (const bad of ["not json", "[]", "null", '{"Containers": {"Id": "b1"}}']) {
      const out = JSON.parse(filterDiskUsageBody(Buffer.from(bad), keep).toString()) as { Containers: unknown[] };
      expect(out.Containers, bad).toEqual([]);
    }
  });
});

describe("filterListBody", () => {
  it("drops rows that are not container objects", () => {
    expect(JSON.parse(filterListBody(Buffer.from(JSON.stringify([{ Id: "a1" }, null, "a2", { Id: "b2" }])), keep).toString())).toEqual([{ Id: "a1" }]);
  });
});
