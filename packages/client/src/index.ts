/**
 * Public API of @graft/client: the one GraphQL client of Graft's programs (CLI, dashboard,
 * trainer registration, tests). Add exports here with intention; everything else is internal.
 */

export { GraftApiError, GraftConnectionError, GraftError, type GraphQLErrorItem } from "./errors.ts";
export {
  type FetcherOptions,
  GraftFetcher,
  type GraphQLDocument,
  type GraphQLResponse,
  type RequestBody,
  type SendOptions,
} from "./fetcher.ts";
export { GraftClient, type GraftClientOptions } from "./graft-client.ts";
// Typed documents, operation result and variable types, input types, and runtime enums.
export * from "./graphql.generated.ts";
export { isTerminal } from "./run-status.ts";
export {
  createSubscriptionClient,
  iterate,
  type SubscriptionHandlers,
  type SubscriptionOptions,
  subscribe,
} from "./subscriptions.ts";
export type * from "./types.ts";
export { type UploadResult, upload } from "./uploads.ts";
