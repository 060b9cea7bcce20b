/** Public API of @graft/cli/client: a typed GraphQL client for the Graft gateway. */
export { GraftClient, type GraftClientOptions, isTerminal, type UploadResult } from "./client.ts";
export { GraftApiError, GraftConnectionError } from "./errors.ts";
export type * from "./operations.ts";
