import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";

/** Shortest operator-chosen secret (GRAFT_BOOTSTRAP_KEY, GRAFT_JOIN_TOKEN) the gateway accepts. */
export const MIN_SECRET_LENGTH = 32;
/**
 * Fewest guesses (log10) an attacker must make, as zxcvbn estimates them: 10^24 is about 80
 * bits. A generated secret (`graft_` + 32 random bytes) estimates far above it; repeated
 * characters, sequences, keyboard walks and common passwords fall far below.
 */
export const MIN_SECRET_GUESSES_LOG10 = 24;

export class WeakSecretError extends Error {
  override name = "WeakSecretError";
}

let estimator: ZxcvbnFactory | undefined;

/**
 * Refuses an operator-chosen secret that is short or guessable, naming the variable and how
 * to make a good one. Checked once, when the gateway starts.
 */
export function assertStrongSecret(secret: string, variable: string): void {
  const fix = `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`;
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new WeakSecretError(
      `${variable} is too short (${secret.length} characters; at least ${MIN_SECRET_LENGTH}); ${fix}`,
    );
  }
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  const guesses = estimator.check(secret).guessesLog10;
  if (guesses < MIN_SECRET_GUESSES_LOG10) {
    throw new WeakSecretError(
      `${variable} is too easy to guess (about 10^${Math.floor(guesses)} guesses; at least 10^${MIN_SECRET_GUESSES_LOG10}): repeated characters, sequences, keyboard walks and common passwords are refused; ${fix}`,
    );
  }
}
