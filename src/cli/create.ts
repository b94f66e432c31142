// ds01 create --user U [--gpus N | --mig PROFILE] [--prefer-full] --image IMAGE [--name NAME] [--start]
//             [--label K=V]... [--json] [-- CMD...]
import { randomBytes } from "node:crypto";
import { createForUser } from "../allocation/create-flow.js";
import { formatEq } from "../allocation/numbers.js";
import { openAllocator } from "../compose/allocator.js";
import { checkContainerName, checkNotInfrastructure, gpuAsk, parseLabel, requestUser } from "../allocation/request-args.js";
import { InvalidInputError } from "../errors.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { ALLOCATE_INSTEAD, requireSystemAuthority } from "./authority.js";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  // Everything after the options is the container's command, dashes and all.
  const { values, positionals: cmd } = parseCommandArgs(argv, SPECS.create.options);
  if (!values.image) throw new InvalidInputError("--image needs an image name");
  const user = requestUser(ctx, values.user);
  const ask = gpuAsk(values, 0);
  const name = checkContainerName(values.name ?? `ds01-${randomBytes(3).toString("hex")}`);
  if (name.includes("._.")) throw new InvalidInputError(`--name ${name}: ds01 adds the ._.<user> suffix itself`);
  const extraLabels = Object.fromEntries((values.label ?? []).map(parseLabel));
  requireSystemAuthority(ctx, "ds01 create", ALLOCATE_INSTEAD);
  const opened = await openAllocator(ctx);
  try {
    checkNotInfrastructure(ctx, name, extraLabels, opened.config.monitoring);
    const c = await createForUser(opened.deps, { user, name, image: values.image, cmd, ...ask, start: values.start === true, extraLabels });
    const a = c.allocation;
    for (const n of c.notes) ctx.err(`ds01: note: ${n}\n`);
    if (values.json) {
      printJson(ctx, {
        id: c.id,
        name: c.name,
        user,
        started: c.started,
        uuids: a.uuids,
        slots: a.slots.map((s) => s.id),
        gpu_equivalent: a.gpuEquivalent,
        notes: c.notes,
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
