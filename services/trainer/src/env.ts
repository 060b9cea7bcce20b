import { hostname } from "node:os";
import { subjectToken } from "@graft/contracts";
import { z } from "zod";

/** The trainer's configuration from the environment; nothing else in the service reads process.env. */

const BACKENDS = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;

const poolName = z.string().refine((value) => {
  try {
    subjectToken(value, "pool");
    return true;
  } catch {
    return false;
  }
}, "pool names are letters, digits, '-' and '_'");

const defaultName = () => `${hostname().replace(/[^A-Za-z0-9_-]/g, "-")}-${process.pid}`.slice(0, 128);

export const envSchema = z.object({
  GATEWAY_URL: z.url({ protocol: /^https?$/ }),
  NATS_URL: z.string().min(1),
  GRAFT_JOIN_TOKEN: z.string().min(1),
  TRAINER_NAME: z.string().min(1).max(200).default(defaultName),
  TRAINER_POOL: poolName.default("default"),
  TRAINER_LABELS: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((label) => label.trim())
        .filter(Boolean),
    ),
  TRAINER_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).max(64).default(1),
  TRAINER_BACKEND: z.enum(BACKENDS).optional(),
  TRAINER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /**
   * The jobs consumer's ack wait (the gateway sets it, GRAFT_JOB_ACK_WAIT_MS); in-progress acks
   * go out at a third of it. @default read from the consumer
   */
  TRAINER_JOB_ACK_WAIT_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  /**
   * How long a stop signal waits for running jobs to reach their epoch boundary; then their
   * training threads are ended mid-batch and the trainer leaves (the jobs resume elsewhere
   * from their checkpoints). Below the launcher's 20 s SIGKILL grace.
   */
  /**
   * Where the trainer keeps state across restarts: its outbox of run events not yet acknowledged
   * by JetStream, the token of its last registration (which lets a restart replace its own
   * still-live registration), and its feature cache. One directory per trainer.
   * @default <os tmpdir>/graft-trainer/<TRAINER_NAME>
   */
  TRAINER_STATE_DIR: z.string().min(1).optional(),
  /**
   * Bound on the feature cache (<state dir>/feature-cache): features frozen fine-tunes
   * extracted, kept for later runs of the same base and dataset. 0 turns it off. @default 1024
   */
  TRAINER_FEATURE_CACHE_MB: z.coerce.number().int().min(0).max(1_048_576).default(1024),
  TRAINER_STOP_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
});

export type TrainerEnv = z.infer<typeof envSchema>;

export class InvalidEnvError extends Error {
  override name = "InvalidEnvError";
  constructor(readonly issues: Record<string, string[] | undefined>) {
    super(
      `invalid trainer environment:\n${Object.entries(issues)
        .map(([key, messages]) => `  ${key}: ${(messages ?? []).join("; ")}`)
        .join("\n")}`,
    );
  }
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): TrainerEnv {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new InvalidEnvError(z.flattenError(result.error).fieldErrors);
  return result.data;
}
