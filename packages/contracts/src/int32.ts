import { z } from "zod";

/**
 * An integer that fits both a PostgreSQL `integer` column and a GraphQL `Int` (32 bits,
 * signed). A received number past it would pass `int()` and then fail where it is stored or
 * served, so receivers refuse it at the schema.
 */
export const int32Schema = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
