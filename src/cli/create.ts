// ds01 create --user U [--gpus N | --mig PROFILE] [--prefer-full] --image IMAGE [--name NAME] [--start]
//             [--label K=V]... [--json] [-- CMD...]
import { randomBytes } from "node:crypto";
import { createForUser } from "../allocation/create-flow.js";
import { formatEq } from "../allocation/numbers.js";
import { openAllocator } from "../allocation/open-allocator.js";
import { checkContainerName, checkNotInfrastructure, gpuAsk, parseLabel, requestUser } from "../allocation/request-args.js";
import { InvalidInputError } from "../errors.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";

const USAGE =
  "ds01 create [--user U] [--gpus N | --mig PROFILE] [--prefer-full] --image IMAGE [--name NAME] [--start] [--label K=V]... [--json] [-- CMD...]";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseCommandArgs(
    own,
    {
      user: { type: "string" },
      gpus: { type: "string" },
      mig: { type: "string" },
      "prefer-full": { type: "boolean" },
      image: { type: "string" },
      name: { type: "string" },
      start: { type: "boolean" },
      label: { type: "string", multiple: true },
      json: { type: "boolean" },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new InvalidInputError(`unexpected argument ${positionals[0]} (put the command after --)\nusage: ${USAGE}`);
  if (!values.image) throw new InvalidInputError(`--image is required\nusage: ${USAGE}`);
  const user = requestUser(ctx, values.user);
  const ask = gpuAsk(values, 0);
  const name = checkContainerName(values.name ?? `ds01-${randomBytes(3).toString("hex")}`);
  if (name.includes("._.")) throw new InvalidInputError(`--name ${name}: ds01 adds the ._.<user> suffix itself`);
  const extraLabels = Object.fromEntries((values.label ?? []).map(parseLabel));
  const opened = await openAllocator(ctx);
  try {
    checkNotInfrastructure(ctx, name, extraLabels, opened.config.monitoring);
    const c = await createForUser(opened.deps, { user, name, image: values.image, cmd, ...ask, start: values.start === true, extraLabels });
    const a = c.allocation;
    if (values.json) {
      printJson(ctx, {
        id: c.id,
        name: c.name,
        user,
        started: c.started,
        uuids: a.uuids,
        slots: a.slots.map((s) => s.id),
        gpu_equivalent: a.gpuEquivalent,
      });
    } else {
      const gpus = a.uuids.length ? ` with ${a.slots.map((s) => s.id).join(", ")} (${formatEq(a.gpuEquivalent)} GPU-equivalents)` : " without GPUs";
      ctx.out(`${c.started ? "created and started" : "created"} ${c.name} (${c.id.slice(0, 12)})${gpus}\n`);
    }
    return 0;
  } finally {
    opened.close();
  }
}
