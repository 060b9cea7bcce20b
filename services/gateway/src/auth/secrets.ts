import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Secrets are stored only as sha256 hex; the plain value is shown once. */
export const hashSecret = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

export const generateSecret = (prefix: string) => `${prefix}${randomBytes(32).toString("base64url")}`;

export const API_KEY_PREFIX = "graft_";
export const JOIN_TOKEN_PREFIX = "graftjoin_";
export const TRAINER_TOKEN_PREFIX = "grafttrainer_";
/** Dashboard sessions: a Bearer token with this prefix is a session, anything else an API key. */
export const SESSION_PREFIX = "graftsession_";

/** The part of a key shown to people to tell keys apart; never enough to use it. */
export const displayPrefix = (secret: string) => secret.slice(0, 10);

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Longest secret looked up at all; generated ones are under 60 characters. */
const MAX_SECRET_LENGTH = 512;

/** Printable ASCII without spaces: anything else cannot be a Graft secret, so it is not looked up. */
export const isSecretShaped = (value: string) =>
  value.length > 0 && value.length <= MAX_SECRET_LENGTH && /^[\x21-\x7e]+$/.test(value);

/** `Bearer <token>` -> token; undefined for anything else. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
