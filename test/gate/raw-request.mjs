// Sends one raw HTTP request (the bytes of the file argv[3]) to the Unix socket argv[2] and prints
// {"status":N,"body":"...","raw":"..."} of the first answer. Run as a test user to try what a
// client can't express: conflicting lengths, odd paths, smuggled bytes.
import { readFileSync } from "node:fs";
import { connect } from "node:net";

const [, , socketPath, file] = process.argv;
const s = connect({ path: socketPath });
let data = Buffer.alloc(0);
let done = false;
const finish = () => {
  if (done) return;
  done = true;
  const text = data.toString("utf8");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  process.stdout.write(JSON.stringify({ status: m ? Number(m[1]) : 0, body, raw: text.slice(0, 4000) }) + "\n");
  process.exit(0);
};
s.on("connect", () => s.write(readFileSync(file)));
s.on("data", (c) => {
  data = Buffer.concat([data, c]);
  const end = data.indexOf("\r\n\r\n");
  const len = /content-length: *(\d+)/i.exec(data.subarray(0, Math.max(0, end)).toString("latin1"));
  if (end >= 0 && len && data.length >= end + 4 + Number(len[1])) finish(); // one whole answer
});
s.on("end", finish);
s.on("error", finish);
setTimeout(finish, 10_000);
