import { z } from "zod";

/**
 * The two kinds of id Graft checks at its edges. Row ids are UUIDs the database makes; ids
 * that travel in NATS subjects and artifact keys (run, trainer, model ids, pool names) are
 * id tokens: nothing that could break a subject or climb out of a key prefix.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** A database row id (UUID, any case). Anything else names no row, and PostgreSQL would reject it in a comparison. */
export const isUuid = (value: unknown): value is string => typeof value === "string" && UUID.test(value);

/** 1-128 letters, digits, '-' and '_': safe as a NATS subject token and inside an artifact key. */
export const isIdToken = (value: unknown): value is string => typeof value === "string" && ID_TOKEN.test(value);

export const idTokenSchema = z.string().regex(ID_TOKEN, "ids are letters, digits, '-' and '_'");
