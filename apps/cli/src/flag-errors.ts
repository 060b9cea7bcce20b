import { GraftApiError } from "@graft/client";
import { UsageError } from "./errors.ts";

/** Gateway input field -> the flag that fills it, for one command. */
export type FlagsByField = Readonly<Record<string, string>>;

/**
 * Runs `send`; when the gateway refuses the value of a field a flag filled (BAD_USER_INPUT
 * with that `extensions.field`), the refusal becomes a usage error naming the flag (exit 2),
 * as if the CLI had checked it. The gateway's schema is the one place ranges are written.
 */
export async function withFlagErrors<T>(flags: FlagsByField, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof GraftApiError) || error.code !== "BAD_USER_INPUT" || !error.field) throw error;
    const flag = flags[error.field];
    if (!flag) throw error;
    const message = error.message.startsWith(`${error.field}: `)
      ? error.message.slice(`${error.field}: `.length)
      : error.message;
    throw new UsageError(message, flag, { cause: error });
  }
}
