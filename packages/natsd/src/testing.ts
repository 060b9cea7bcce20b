/**
 * Test helpers of @graft/natsd: connection options for a server started by startNatsServer,
 * which always requires credentials (operator mode).
 */
import { credsAuthenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { NatsServer } from "./index.ts";

/** Options to connect to `server` as the gateway does: every right in the Graft account. */
export function gatewayConnectOptions(server: Pick<NatsServer, "url" | "auth">): NodeConnectionOptions {
  return {
    servers: server.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(server.auth.gatewayCreds)),
  };
}

/** Options to connect with a `.creds` text (a trainer's, as registerTrainer returns it). */
export function credsConnectOptions(url: string, creds: string, inboxPrefix?: string): NodeConnectionOptions {
  return {
    servers: url,
    authenticator: credsAuthenticator(new TextEncoder().encode(creds)),
    ...(inboxPrefix ? { inboxPrefix } : {}),
  };
}
