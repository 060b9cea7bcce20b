/**
 * Public API of @graft/gateway: start a gateway in-process (launcher, tests). Add exports
 * here with intention.
 */
export { type Gateway, type GatewayConfig, startGateway } from "./start-gateway.ts";
