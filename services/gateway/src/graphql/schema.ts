import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { GraphQLSchema } from "graphql";
import { resolvers } from "./resolvers/index.ts";

/** The public contract, read from the repository root (schema-first). */
export const SCHEMA_PATH = new URL("../../../../schema.graphql", import.meta.url);

export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: readFileSync(SCHEMA_PATH, "utf8"), resolvers: resolvers as never });
}
