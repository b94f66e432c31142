// Fires N container creates at once at the gate socket (argv: socket image runLabel n gpus) and
// prints one JSON line: {"created":[ids],"refused":[messages]}. Run as a test user.
import { request } from "node:http";

const [, , socketPath, image, run, n, gpus] = process.argv;
const body = JSON.stringify({
  Image: image,
  Cmd: ["true"],
  Labels: { "ds01.test.run": run },
  HostConfig: { DeviceRequests: [{ Driver: "", Count: Number(gpus), Capabilities: [["gpu"]] }] },
});
const one = () =>
  new Promise((resolve) => {
    const req = request({ socketPath, method: "POST", path: "/v1.41/containers/create", headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(text || "{}") }));
    });
    req.on("error", (e) => resolve({ status: 0, body: { message: String(e) } }));
    req.setTimeout(120_000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
const answers = await Promise.all(Array.from({ length: Number(n) }, one));
process.stdout.write(JSON.stringify({ created: answers.filter((a) => a.status === 201).map((a) => a.body.Id), refused: answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.body.message}`) }) + "\n");
