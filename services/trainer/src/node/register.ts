import {
  GraftApiError,
  GraftConnectionError,
  GraftFetcher,
  type GraphQLResponse,
  RegisterTrainerDocument,
  type RegisterTrainerMutation,
} from "@graft/client";
import { GatewayUnreachableError, RegistrationError } from "./errors.ts";

export interface RegistrationInput {
  joinToken: string;
  name: string;
  host: string;
  pool: string;
  backend: string;
  devices: string[];
  labels: string[];
  cpuCount: number;
  memoryBytes: number;
  maxConcurrentRuns: number;
  /** The token of this node's last registration, which a still-live registration asks for. */
  previousTrainerToken?: string;
}

export interface Registration {
  id: string;
  name: string;
  trainerToken: string;
  /** This node's NATS user (a `.creds` text): its own subjects only. */
  natsCredentials: string;
}

export interface RegisterOptions {
  /** Give up after this long without an answer from the gateway. @default 120_000 */
  deadlineMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

class TransientError extends Error {
  override name = "TransientError";
  /** Set when the gateway answered and refused for now (CONFLICT), rather than not answering. */
  refusal?: RegistrationError;
}

/**
 * Registers through the public GraphQL `registerTrainer` mutation. A trainer usually starts
 * beside (or before) the gateway, so connection errors, 5xx answers and a CONFLICT with a
 * live registration of the same name are retried with backoff until the deadline; an answer
 * that refuses us (bad join token) is final.
 */
export async function registerTrainer(
  gatewayUrl: string,
  input: RegistrationInput,
  options: RegisterOptions = {},
): Promise<Registration> {
  // No API key: the join token in the input is the credential. Each try gives up after 10 s.
  const gateway = new GraftFetcher({ url: gatewayUrl, timeoutMs: 10_000 });
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  let delay = 250;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(gateway, input);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      lastError = error;
    }
    if (Date.now() + delay > deadline) {
      if (lastError instanceof TransientError && lastError.refusal) throw lastError.refusal;
      throw new GatewayUnreachableError(gatewayUrl, options.deadlineMs ?? 120_000, { cause: lastError });
    }
    options.log?.(`gateway not ready (${(lastError as Error).message}); retrying in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}

async function attempt(gateway: GraftFetcher, input: RegistrationInput): Promise<Registration> {
  let answer: GraphQLResponse<RegisterTrainerMutation>;
  try {
    answer = await gateway.execute(RegisterTrainerDocument, { input });
  } catch (cause) {
    // Nothing answered, or a proxy in front of a gateway still starting did.
    if (cause instanceof GraftConnectionError && (cause.status === undefined || retryableStatus(cause.status))) {
      throw new TransientError(cause.message, { cause });
    }
    if (cause instanceof GraftConnectionError || cause instanceof GraftApiError) {
      throw new RegistrationError(`registerTrainer refused: ${cause.message}`, cause.code, { cause });
    }
    throw cause;
  }
  if (retryableStatus(answer.status)) throw new TransientError(`gateway answered HTTP ${answer.status}`);
  const error = answer.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (code === "INTERNAL_SERVER_ERROR") throw new TransientError(`registerTrainer failed: ${error.message}`);
    // Our own earlier registration, still live (a restart that lost its state directory):
    // it goes OFFLINE within the liveness timeout, and then this one is let in.
    if (code === "CONFLICT") {
      const retry = new TransientError(`registerTrainer: ${error.message}`);
      retry.refusal = new RegistrationError(`registerTrainer refused: ${error.message} (CONFLICT)`, code);
      throw retry;
    }
    throw new RegistrationError(`registerTrainer refused: ${error.message}${code ? ` (${code})` : ""}`, code);
  }
  const payload = answer.data?.registerTrainer;
  if (!payload) throw new RegistrationError("registerTrainer answered no trainer", undefined);
  return {
    id: payload.trainer.id,
    name: payload.trainer.name,
    trainerToken: payload.trainerToken,
    natsCredentials: payload.natsCredentials,
  };
}

const retryableStatus = (status: number) => status >= 500 || status === 429;
