import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { LABEL } from "../../src/constants/labels.js";
import { loadUnit, value } from "./unit-file.js";
import { repoPath, runTool, skipReason, which } from "./tools.js";

const DIR = repoPath("deploy/monitoring");
const FILE = join(DIR, "docker-compose.yaml");
const TEXT = readFileSync(FILE, "utf8");

interface Service {
  image: string;
  container_name?: string;
  restart?: unknown;
  network_mode?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  labels?: Record<string, string>;
}
const compose = parse(TEXT) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = Object.entries(compose.services);

describe("monitoring docker-compose.yaml", () => {
  it("runs Prometheus, Alertmanager, Grafana and dcgm-exporter", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["alertmanager", "dcgm-exporter", "grafana", "prometheus"]);
    for (const [name, s] of services) expect(s.image, name).toMatch(/:[\w.-]+$/); // pinned tags
  });

  it('leaves dcgm-exporter restarts to systemd (restart: "no", with a comment) and restarts the rest', () => {
    expect(compose.services["dcgm-exporter"]!.restart).toBe("no");
    expect(TEXT).toMatch(/restart lifecycle managed by systemd[\s\S]*ds01-dcgm-exporter\.service[\s\S]*dcgm-exporter:\n/);
    for (const [name, s] of services) if (name !== "dcgm-exporter") expect(s.restart, name).toBe("unless-stopped");
  });

  it("names the dcgm container and image exactly as the systemd unit does", () => {
    const unit = loadUnit(repoPath("deploy/systemd/ds01-dcgm-exporter.service"));
    const dcgm = compose.services["dcgm-exporter"]!;
    expect(value(unit, "Service", "ExecStart")).toBe(`/usr/bin/docker start -a ${dcgm.container_name}`);
    expect(value(unit, "Service", "ExecStop")).toBe(`/usr/bin/docker stop -t 30 ${dcgm.container_name}`);
    expect(value(unit, "Service", "ExecStartPre")).toBe(`-/usr/bin/docker pull ${dcgm.image}`);
  });

  it("listens on loopback only", () => {
    expect(TEXT).not.toContain("0.0.0.0");
    for (const [name, s] of services) {
      if (s.network_mode === "host") {
        // No port publishing on the host network: the program itself must be told to bind loopback.
        expect(s.ports, name).toBeUndefined();
        const settings = [...(s.command ?? []), ...Object.values(s.environment ?? {})].join(" ");
        expect(settings, name).toMatch(/(^|[\s=])127\.0\.0\.1(:\d+)?(\s|$)/);
      } else {
        expect(s.ports?.length, name).toBeGreaterThan(0);
        for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      }
    }
    expect(compose.services.prometheus!.command).toContain("--web.listen-address=127.0.0.1:9090");
    expect(compose.services.alertmanager!.command).toContain("--web.listen-address=127.0.0.1:9093");
    expect(compose.services.grafana!.environment!.GF_SERVER_HTTP_ADDR).toBe("127.0.0.1");
  });

  it("labels every container protected and monitoring, so ds01 never acts on it", () => {
    for (const [name, s] of services) {
      expect(s.labels?.[LABEL.protected], name).toBe("true");
      expect(s.labels?.[LABEL.monitoring], name).toBe("true");
    }
  });

  it("mounts only files that exist in the repository, and declares its named volumes", () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const [source] = v.split(":");
        if (source!.startsWith(".") || source!.startsWith("/")) {
          expect(existsSync(resolve(DIR, source!)), `${name}: ${source}`).toBe(true);
        } else {
          expect(named.has(source!), `${name}: volume ${source}`).toBe(true);
        }
      }
    }
  });

  it("wires the mounted files to where the programs read them", () => {
    const prom = compose.services.prometheus!;
    expect(prom.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(prom.volumes).toContain("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    expect(prom.volumes).toContain("./prometheus/rules:/etc/prometheus/rules:ro");
    const provider = parse(readFileSync(join(DIR, "grafana/provisioning/dashboards/ds01.yaml"), "utf8")) as {
      providers: { options: { path: string } }[];
    };
    expect(compose.services.grafana!.volumes).toContain(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    expect(compose.services.alertmanager!.volumes).toContain("./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro");
  });

  it("has no default Grafana admin password", () => {
    expect(compose.services.grafana!.environment!.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });
});

// docker-compose (v1, Debian's package) validates the file against the Compose schema and
// interpolates variables. It needs no Docker engine for `config`.
describe(`docker-compose config${skipReason("docker-compose")}`, () => {
  const has = which("docker-compose") !== null;
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };

  it.skipIf(!has)("accepts the file", async () => {
    const r = await runTool("docker-compose", ["-f", FILE, "config", "-q"], 30_000, { ...env, GRAFANA_ADMIN_PASSWORD: "test" });
    expect(r.code, r.all).toBe(0);
  });

  it.skipIf(!has)("refuses to run without a Grafana admin password", async () => {
    const r = await runTool("docker-compose", ["-f", FILE, "config", "-q"], 30_000, env);
    expect(r.code).not.toBe(0);
    expect(r.all).toContain("set GRAFANA_ADMIN_PASSWORD");
  });
});
