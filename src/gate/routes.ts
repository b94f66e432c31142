// Every Engine API endpoint the gate knows, and what kind of check it needs for a non-admin caller.
// An endpoint not listed here is admin only: a newer API must not open a hole by default.

export type Route =
  | { kind: "open" } // read-only or caller-scoped by nature: ping, version, images, pulls
  | { kind: "create" } // POST /containers/create
  | { kind: "list" } // GET /containers/json
  | { kind: "disk-usage" } // GET /system/df: other users' containers and the shared build cache are left out
  | { kind: "events" } // GET /events
  | { kind: "container"; ref: string; op: string } // an operation on one existing container
  | { kind: "exec-create"; ref: string } // POST /containers/{id}/exec
  | { kind: "exec"; execId: string; op: string } // /exec/{id}/start|resize|json
  | { kind: "commit" } // POST /commit?container=…
  | { kind: "build" } // POST /build
  | { kind: "buildkit-session" } // POST /session: BuildKit's file-sync session for the caller's own build
  | { kind: "image-pull" } // POST /images/create (a pull, or an import with fromSrc)
  | { kind: "image-tag" } // POST /images/{name}/tag?repo=&tag=
  | { kind: "image-load" } // POST /images/load: the tags its archive sets
  | { kind: "image-remove" } // DELETE /images/{name}
  | { kind: "volume-create" }
  | { kind: "volume"; name: string; op: "remove" }
  | { kind: "network-read" } // GET /networks, /networks/{id}: other users' endpoints are hidden
  | { kind: "network-create" }
  | { kind: "network"; ref: string; op: "remove" | "connect" | "disconnect" }
  | { kind: "admin"; what: string }; // never for a non-admin

interface Rule {
  method: string | readonly string[];
  pattern: RegExp;
  route: (m: RegExpExecArray) => Route;
}

const ID = "([A-Za-z0-9][A-Za-z0-9_.-]*)";
const IMAGE = "(.+)"; // image references contain `/` and `:`
const open = (): Route => ({ kind: "open" });
const admin = (what: string) => (): Route => ({ kind: "admin", what });

/** Container operations by their path suffix (after /containers/{id}). `""` with DELETE is rm. */
const CONTAINER_OPS: Readonly<Record<string, readonly string[]>> = {
  "/json": ["GET"],
  "/top": ["GET"],
  "/logs": ["GET"],
  "/changes": ["GET"],
  "/export": ["GET"],
  "/stats": ["GET"],
  "/resize": ["POST"],
  "/start": ["POST"],
  "/stop": ["POST"],
  "/restart": ["POST"],
  "/kill": ["POST"],
  "/update": ["POST"],
  "/rename": ["POST"],
  "/pause": ["POST"],
  "/unpause": ["POST"],
  "/attach": ["POST"],
  "/attach/ws": ["GET"],
  "/wait": ["POST"],
  "/archive": ["GET", "HEAD", "PUT"],
  "": ["DELETE"],
};

const RULES: readonly Rule[] = [
  { method: ["GET", "HEAD"], pattern: /^\/_ping$/, route: open },
  { method: "GET", pattern: /^\/version$/, route: open },
  { method: "GET", pattern: /^\/info$/, route: open },
  { method: "POST", pattern: /^\/auth$/, route: open },
  { method: "GET", pattern: /^\/system\/df$/, route: () => ({ kind: "disk-usage" }) },
  { method: "GET", pattern: /^\/events$/, route: () => ({ kind: "events" }) },

  { method: "GET", pattern: /^\/containers\/json$/, route: () => ({ kind: "list" }) },
  { method: "POST", pattern: /^\/containers\/create$/, route: () => ({ kind: "create" }) },
  { method: "POST", pattern: /^\/containers\/prune$/, route: admin("pruning containers") },
  { method: "POST", pattern: new RegExp(`^/containers/${ID}/exec$`), route: (m) => ({ kind: "exec-create", ref: m[1]! }) },
  {
    method: ["GET", "HEAD", "POST", "PUT", "DELETE"],
    pattern: new RegExp(`^/containers/${ID}(/json|/top|/logs|/changes|/export|/stats|/resize|/start|/stop|/restart|/kill|/update|/rename|/pause|/unpause|/attach/ws|/attach|/wait|/archive|)$`),
    route: (m) => ({ kind: "container", ref: m[1]!, op: m[2] === "" ? "remove" : m[2]!.slice(1) }),
  },
  { method: "POST", pattern: new RegExp(`^/exec/${ID}/(start|resize)$`), route: (m) => ({ kind: "exec", execId: m[1]!, op: m[2]! }) },
  { method: "GET", pattern: new RegExp(`^/exec/${ID}/json$`), route: (m) => ({ kind: "exec", execId: m[1]!, op: "json" }) },
  { method: "POST", pattern: /^\/commit$/, route: () => ({ kind: "commit" }) },

  { method: "GET", pattern: /^\/images\/json$/, route: open },
  { method: "GET", pattern: /^\/images\/search$/, route: open },
  { method: "GET", pattern: /^\/images\/get$/, route: open },
  { method: "POST", pattern: /^\/images\/load$/, route: () => ({ kind: "image-load" }) },
  { method: "POST", pattern: /^\/images\/create$/, route: () => ({ kind: "image-pull" }) },
  { method: "POST", pattern: /^\/images\/prune$/, route: admin("pruning images") },
  { method: "GET", pattern: new RegExp(`^/images/${IMAGE}/(json|history|get)$`), route: open },
  { method: "POST", pattern: new RegExp(`^/images/${IMAGE}/tag$`), route: () => ({ kind: "image-tag" }) },
  { method: "POST", pattern: new RegExp(`^/images/${IMAGE}/push$`), route: open },
  { method: "DELETE", pattern: new RegExp(`^/images/${IMAGE}$`), route: () => ({ kind: "image-remove" }) },
  { method: "GET", pattern: new RegExp(`^/distribution/${IMAGE}/json$`), route: open },
  { method: "POST", pattern: /^\/build$/, route: () => ({ kind: "build" }) },
  { method: "POST", pattern: /^\/build\/prune$/, route: admin("pruning the build cache") },
  { method: "POST", pattern: /^\/build\/cancel$/, route: open },
  { method: "POST", pattern: /^\/session$/, route: () => ({ kind: "buildkit-session" }) },
  { method: "POST", pattern: /^\/grpc$/, route: admin("BuildKit's raw control API (what docker buildx speaks; the gate cannot check it: build with DOCKER_BUILDKIT=0 docker build)") },

  { method: "GET", pattern: /^\/volumes$/, route: open },
  { method: "POST", pattern: /^\/volumes\/create$/, route: () => ({ kind: "volume-create" }) },
  { method: "POST", pattern: /^\/volumes\/prune$/, route: admin("pruning volumes") },
  { method: "GET", pattern: new RegExp(`^/volumes/${ID}$`), route: open },
  { method: "DELETE", pattern: new RegExp(`^/volumes/${ID}$`), route: (m) => ({ kind: "volume", name: m[1]!, op: "remove" }) },

  { method: "GET", pattern: /^\/networks$/, route: () => ({ kind: "network-read" }) },
  { method: "POST", pattern: /^\/networks\/create$/, route: () => ({ kind: "network-create" }) },
  { method: "POST", pattern: /^\/networks\/prune$/, route: admin("pruning networks") },
  { method: "GET", pattern: new RegExp(`^/networks/${ID}$`), route: () => ({ kind: "network-read" }) },
  { method: "DELETE", pattern: new RegExp(`^/networks/${ID}$`), route: (m) => ({ kind: "network", ref: m[1]!, op: "remove" }) },
  { method: "POST", pattern: new RegExp(`^/networks/${ID}/(connect|disconnect)$`), route: (m) => ({ kind: "network", ref: m[1]!, op: m[2] as "connect" | "disconnect" }) },

  { method: ["GET", "POST", "DELETE", "PUT"], pattern: /^\/(swarm|nodes|services|tasks|secrets|configs)(\/.*)?$/, route: (m) => ({ kind: "admin", what: `swarm (${m[1]})` }) },
  { method: ["GET", "POST", "DELETE"], pattern: /^\/plugins(\/.*)?$/, route: admin("plugins") },
];

export function classify(method: string, path: string): Route {
  for (const r of RULES) {
    const methods = typeof r.method === "string" ? [r.method] : r.method;
    if (!methods.includes(method)) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const route = r.route(m);
    if (route.kind === "container" && !CONTAINER_OPS[route.op === "remove" ? "" : `/${route.op}`]?.includes(method)) continue;
    return route;
  }
  return { kind: "admin", what: `${method} ${path} (an endpoint ds01's gate does not know)` };
}

/** Routes that never change what an image name refers to, whatever their method. */
const IMAGE_NEUTRAL: ReadonlySet<Route["kind"]> = new Set(["create", "list", "events", "container", "exec-create", "exec", "volume-create", "volume", "network-read", "network-create", "network"]);

/**
 * Whether forwarding this request may change images (a tag, pull, load, import, build, commit,
 * removal, prune, an endpoint the gate does not know): the image label cache is off meanwhile.
 * Reads (GET, HEAD) change nothing; anything not known to be neutral counts.
 */
export function mayChangeImages(route: Route, method: string): boolean {
  if (method === "GET" || method === "HEAD") return false;
  return !IMAGE_NEUTRAL.has(route.kind);
}
