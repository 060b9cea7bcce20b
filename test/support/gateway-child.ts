// A gateway as its own process for tests that kill it (`kill -9` is a real crash): the config
// comes as JSON in GRAFT_TEST_GATEWAY_CONFIG; prints `GraphQL: <url>` once serving.
// Spawned by gateway-process.ts; unlike main.ts it seeds only the built-ins a test needs.
import { type GatewayConfig, startGateway } from "@graft/gateway";

const config = JSON.parse(process.env.GRAFT_TEST_GATEWAY_CONFIG ?? "{}") as GatewayConfig;
const gateway = await startGateway({ ...config, log: (line) => console.error(line) });
console.log(`GraphQL: ${gateway.url}`);
process.once("SIGTERM", () => {
  void gateway.stop().finally(() => process.exit(0));
});
