import { describe, expect, it } from "vitest";
import { BUILTIN_APP } from "../config/builtin-defaults.js";
import { admitCreate, blankImageClaims, imageOf, type Caller, type CreatePorts, type CreateSettings } from "./create-admission.js";
import type { Json } from "../docker/json-fields.js";

const alice: Caller = { uid: 1001, gid: 1001, pid: 1, name: "alice", groups: ["alice"], admin: false };
const settings: CreateSettings = {
  gate: { ...BUILTIN_APP.gate, allowed_bind_roots: ["/home/{user}", "/data/shared"], allowed_capabilities: ["NET_ADMIN"] },
  infrastructurePrefixes: ["ds01-grafana"],
  protectedLabel: "ds01.protected",
};
// A small fake filesystem: /home/alice/link → /etc, /home/alice/ok → itself.
const LINKS: Record<string, string> = { "/home/alice/link": "/etc", "/home/alice": "/home/alice", "/home/alice/ok": "/home/alice/ok", "/data/shared": "/data/shared", "/": "/", "/home": "/home", "/etc": "/etc" };
const ports: CreatePorts = {
  realpath: async (p) => {
    for (const [k, v] of Object.entries(LINKS).sort((a, b) => b[0].length - a[0].length)) {
      if (p === k) return v;
      if (p.startsWith(k + "/") && k !== "/") {
        const rest = p.slice(k.length);
        if (LINKS[p] === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
        return v + rest;
      }
    }
    throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  },
  containerOwner: async (ref) => (ref === "bobs" ? { id: "b".repeat(64), owner: "bob" } : ref === "mine" ? { id: "a".repeat(64), owner: "alice" } : null),
  volumeOwner: async (name) => (name === "bobvol" ? "bob" : name === "myvol" ? "alice" : name === "legacy" ? "" : null),
  networkOwner: async (ref) => (ref === "bobnet" ? { name: "bobnet", owner: "bob" } : ref === "mynet" ? { name: "mynet", owner: "alice" } : null),
  imageLabels: async (image): Promise<Record<string, string>> => (image === "baked" ? { "ds01.protected": "true", "ds01.gpu.uuids": "GPU-x", team: "a" } : {}),
};

/** The whole admission of a body: the checks, then the image's claims blanked (as the gate does). */
const admit = async (body: Json, name?: string) => {
  const d = await admitCreate(body, name, alice, settings, ports);
  if (d.ok) {
    const image = imageOf(d.body);
    blankImageClaims(d.body, image === null ? {} : await ports.imageLabels(image), alice, settings);
  }
  return d;
};

describe("admitCreate", () => {
  it("stamps the owner and keeps the caller's own labels", async () => {
    const d = await admit({ Image: "x", Labels: { project: "p", "ds01.user": "alice" } });
    expect(d.ok && d.body.Labels).toEqual({ project: "p", "ds01.user": "alice", "ds01.managed": "true" });
  });

  it("refuses HostConfig's fields at the body's top level, and a null HostConfig is checked and sent as an empty one", async () => {
    const bodies: Json[] = [{ Image: "x", HostConfig: null, Privileged: true }, { Image: "x", HostConfig: null, binds: ["/:/host"] }, { Image: "x", PortBindings: { "80/tcp": [{ HostPort: "80" }] } }, { Image: "x", HostConfig: {}, Memory: 1 << 40 }, { Image: "x", Cpuset: "0" }];
    for (const body of bodies) {
      const d = await admit(body);
      expect(d.ok, JSON.stringify(body)).toBe(false);
      expect(!d.ok && d.reason).toMatch(/at the top of the create body is an old API's form.*put it in HostConfig/);
    }
    const d = await admit({ Image: "x", HostConfig: null });
    expect(d.ok && d.body.HostConfig).toEqual({});
  });

  it("refuses host ports below gate.min_host_port, however written; Docker's own pick and higher ports pass", async () => {
    const published = (bindings: Json) => admit({ Image: "x", HostConfig: { PortBindings: bindings } });
    const reason = async (bindings: Json) => {
      const d = await published(bindings);
      return d.ok ? "allowed" : d.reason;
    };
    expect(await reason({ "80/tcp": [{ HostPort: "80" }] })).toMatch(/-p 80:80: host ports below 1024 .*\(-p 8080:80\)/);
    expect(await reason({ "53/udp": [{ HostIp: "0.0.0.0", HostPort: "1000-1100" }] })).toMatch(/-p 1000-1100:53: host ports below 1024/);
    expect(await reason({ "80/tcp": [{ HostPort: "0080" }] })).toMatch(/host ports below 1024/);
    expect(await reason({ "80/tcp": [{ HostPort: "http" }] })).toMatch(/the host port "http" \(for 80\/tcp\) cannot be read/);
    expect(await reason({ "80/tcp": [{ HostPort: 80 }] })).toMatch(/HostPort/);
    expect(await reason({ "80/tcp": "80" })).toMatch(/must be a list/);
    for (const ok of [{ "80/tcp": [{ HostPort: "8080" }] }, { "80/tcp": [{ HostPort: "" }, { HostPort: "0" }] }, { "80/tcp": null }, { "80/tcp": [{ HostPort: "1024-1030" }] }]) expect(await reason(ok), JSON.stringify(ok)).toBe("allowed");
    const open = await admitCreate({ Image: "x", HostConfig: { PortBindings: { "80/tcp": [{ HostPort: "80" }] } } }, undefined, alice, { ...settings, gate: { ...settings.gate, min_host_port: 0 } }, ports);
    expect(open.ok).toBe(true);
  });

  it("forwards the resolved bind source, and allows configured roots", async () => {
    const d = await admit({ Image: "x", HostConfig: { Binds: ["/home/alice/ok:/w:ro", "/data/shared:/d"] } });
    expect(d.ok && (d.body.HostConfig as { Binds: string[] }).Binds).toEqual(["/home/alice/ok:/w:ro", "/data/shared:/d"]);
  });

  it("resolves a missing tail from its deepest existing ancestor", async () => {
    const d = await admit({ Image: "x", HostConfig: { Mounts: [{ Type: "bind", Source: "/home/alice/new/dir", Target: "/w" }] } });
    expect(d.ok).toBe(true);
    const viaLink = await admit({ Image: "x", HostConfig: { Binds: ["/home/alice/link/new:/w"] } });
    expect(!viaLink.ok && viaLink.reason).toMatch(/resolves to \/etc\/new/);
  });

  it("creates named volumes that don't exist yet for the caller, refuses others' volumes", async () => {
    const d = await admit({ Image: "x", HostConfig: { Binds: ["fresh:/a", "myvol:/b"] } });
    expect(d.ok && d.volumesToCreate).toEqual(["fresh"]);
    const legacy = await admit({ Image: "x", HostConfig: { Binds: ["legacy:/c"] } });
    expect(!legacy.ok && legacy.reason).toMatch(/no owner on record/);
    const bob = await admit({ Image: "x", HostConfig: { Mounts: [{ Type: "volume", Source: "bobvol", Target: "/x" }] } });
    expect(!bob.ok && bob.reason).toMatch(/belongs to bob/);
  });

  it("allows a configured capability in any spelling, refuses the rest", async () => {
    expect((await admit({ Image: "x", HostConfig: { CapAdd: ["cap_net_admin"] } })).ok).toBe(true);
    const d = await admit({ Image: "x", HostConfig: { CapAdd: ["NET_ADMIN", "SYS_PTRACE"] } });
    expect(!d.ok && d.reason).toMatch(/SYS_PTRACE/);
  });

  it("blanks immunity and GPU claims baked into the image's labels", async () => {
    const d = await admit({ Image: "baked" });
    expect(d.ok && d.body.Labels).toMatchObject({ "ds01.protected": "", "ds01.gpu.uuids": "", "ds01.user": "alice" });
    expect(d.ok && (d.body.Labels as Record<string, string>).team).toBeUndefined(); // harmless image labels stay the image's
  });

  it("joins one's own networks only, and only local log drivers", async () => {
    expect((await admit({ Image: "x", HostConfig: { NetworkMode: "mynet" } })).ok).toBe(true);
    for (const body of [{ Image: "x", HostConfig: { NetworkMode: "bobnet" } }, { Image: "x", NetworkingConfig: { EndpointsConfig: { bobnet: {} } } }, { Image: "x", HostConfig: { LogConfig: { Type: "syslog", Config: {} } } }]) {
      expect((await admit(body as unknown as Json)).ok, JSON.stringify(body)).toBe(false);
    }
  });

  it("joins namespaces of one's own containers only, pinned to their ids", async () => {
    const pinned = await admit({ Image: "x", HostConfig: { NetworkMode: "container:mine", PidMode: "container:mine", VolumesFrom: ["mine:ro"], Links: ["mine:db"] } });
    expect(pinned.ok && pinned.body.HostConfig).toMatchObject({ NetworkMode: `container:${"a".repeat(64)}`, PidMode: `container:${"a".repeat(64)}`, VolumesFrom: [`${"a".repeat(64)}:ro`], Links: [`${"a".repeat(64)}:db`] });
    const d = await admit({ Image: "x", HostConfig: { IpcMode: "container:bobs" } });
    expect(!d.ok && d.reason).toMatch(/not yours/);
  });

  it("refuses malformed shapes instead of skipping them", async () => {
    for (const body of [{ Image: "x", HostConfig: { CapAdd: [1] } }, { Image: "x", HostConfig: "privileged" }, { Image: "x", HostConfig: { Privileged: "true" } }, { Image: "x", Labels: ["ds01.protected=true"] }, []]) {
      expect((await admit(body as Json)).ok).toBe(false);
    }
  });

  // Property-style: whichever spelling (case) a client uses for a forbidden field, it is refused.
  it("every case-variant of a forbidden field is refused", async () => {
    const variants = (s: string) => {
      const out = new Set<string>([s, s.toLowerCase(), s.toUpperCase()]);
      for (let i = 0; i < 20; i++) out.add([...s].map((c, j) => (((i >> j % 5) & 1) ? c.toUpperCase() : c.toLowerCase())).join(""));
      return [...out];
    };
    for (const hc of variants("HostConfig")) {
      for (const f of variants("Privileged")) {
        const d = await admit({ Image: "x", [hc]: { [f]: true } });
        expect(d.ok, `${hc}.${f}`).toBe(false);
      }
    }
  });
});
