import type { Viewer } from "../auth/authenticate.ts";
import type { Domain, EventPlanePort } from "../domain/index.ts";
import type { Loaders } from "./loaders.ts";

/** Per operation: the caller (null until authenticated), the domain scoped to it, loaders. */
export interface GraphQLContext {
  viewer: Viewer | null;
  /** Why authentication failed, reported if the operation needs a key. */
  authError: Error | null;
  domain: Domain;
  loaders: Loaders;
  events: EventPlanePort | null;
}
