// What the control socket answers `ds01 check` with: the report as check prints it, and whether
// the pass counts as failed (Docker unavailable, actions failed).
import type { PassReport } from "../pass/run-pass.js";
import { reportJson, reportText } from "../pass/report-format.js";
import type { PassAnswer } from "./control-socket.js";

export function passAnswer(report: PassReport): Omit<PassAnswer, "ok"> {
  const failedActions = report.results.filter((r) => !r.executed && r.error !== null).length;
  const error = report.dockerError !== null ? `Docker unavailable: ${report.dockerError}` : failedActions > 0 ? `${failedActions} action(s) failed` : null;
  return { text: reportText(report), json: reportJson(report), error };
}
