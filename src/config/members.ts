// groups/<group>.members: one user name a line; anything after `#` is a comment.
import type { ConfigProblem } from "./problems.js";

export function parseMembers(text: string, file: string, group: string): { users: string[]; problems: ConfigProblem[] } {
  const users: string[] = [];
  const problems: ConfigProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.split("#")[0]!.trim();
    if (line === "") return;
    if (/\s/.test(line)) {
      problems.push({
        severity: "warning",
        file,
        line: i + 1,
        col: raw.indexOf(line) + 1,
        path: `groups.${group}.members`,
        message: `line ignored: "${line}" is not one user name (write one name a line)`,
      });
      return;
    }
    users.push(line);
  });
  return { users, problems };
}
