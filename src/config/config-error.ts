import { InvalidInputError } from "../errors.js";
import { formatProblem, type ConfigProblem } from "./problems.js";

/** The config directory has errors. `problems` (from InvalidInputError) holds the formatted error lines. */
export class ConfigError extends InvalidInputError {
  constructor(
    readonly dir: string,
    /** Every error and warning, in file order. */
    readonly details: readonly ConfigProblem[],
  ) {
    const errors = details.filter((p) => p.severity === "error");
    super(`invalid config in ${dir}: ${errors.length} error${errors.length === 1 ? "" : "s"}`, errors.map(formatProblem));
  }
}
