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
}

export interface Registration {
  id: string;
  name: string;
  trainerToken: string;
}

export interface RegisterOptions {
  /** Give up after this long without an answer from the gateway. @default 120_000 */
  deadlineMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const MUTATION = `mutation RegisterTrainer($input: RegisterTrainerInput!) {
  registerTrainer(input: $input) { trainer { id name } trainerToken }
}`;

type GraphQLAnswer = {
  data?: { registerTrainer?: { trainer: { id: string; name: string }; trainerToken: string } } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

class TransientError extends Error {
  override name = "TransientError";
}

/**
 * Registers through the public GraphQL `registerTrainer` mutation. A trainer usually starts
 * beside (or before) the gateway, so connection errors and 5xx answers are retried with
 * backoff until the deadline; an answer that refuses us (bad join token) is final.
 */
export async function registerTrainer(
  gatewayUrl: string,
  input: RegistrationInput,
  options: RegisterOptions = {},
): Promise<Registration> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  let delay = 250;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(gatewayUrl, input);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      lastError = error;
    }
    if (Date.now() + delay > deadline) {
      throw new GatewayUnreachableError(gatewayUrl, options.deadlineMs ?? 120_000, { cause: lastError });
    }
    options.log?.(`gateway not ready (${(lastError as Error).message}); retrying in ${delay} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}

async function attempt(gatewayUrl: string, input: RegistrationInput): Promise<Registration> {
  let response: Response;
  try {
    response = await fetch(gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: MUTATION, variables: { input } }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    throw new TransientError(`cannot reach ${gatewayUrl}: ${(cause as Error).message}`, { cause });
  }
  if (response.status >= 500 || response.status === 429) {
    throw new TransientError(`gateway answered HTTP ${response.status}`);
  }
  let answer: GraphQLAnswer;
  try {
    answer = (await response.json()) as GraphQLAnswer;
  } catch (cause) {
    throw new RegistrationError(`gateway answered HTTP ${response.status} without JSON`, undefined, { cause });
  }
  const error = answer.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (code === "INTERNAL_SERVER_ERROR") throw new TransientError(`registerTrainer failed: ${error.message}`);
    throw new RegistrationError(`registerTrainer refused: ${error.message}${code ? ` (${code})` : ""}`, code);
  }
  const payload = answer.data?.registerTrainer;
  if (!payload) throw new RegistrationError("registerTrainer answered no trainer", undefined);
  return { id: payload.trainer.id, name: payload.trainer.name, trainerToken: payload.trainerToken };
}
