// Scratch launcher for poking at the dashboard by hand: nats + gateway + one trainer + next start.
import { startGateway } from "@graft/gateway";
import { startNatsServer } from "@graft/natsd";
import { startTrainerProcess, stopTrainers } from "../../../test/support/trainer.ts";
import { ensureWebBuild, startWebServer } from "./index.ts";

const nats = await startNatsServer();
const gateway = await startGateway({
  port: 0,
  natsUrl: nats.url,
  memoryStorage: true,
  trainerOfflineAfterMs: 5000,
  builtinModels: process.env.DEV_MODELS === "none" ? [] : ["digits-cnn"],
});
const trainer = startTrainerProcess({
  gatewayUrl: gateway.url,
  natsUrl: nats.url,
  joinToken: gateway.joinToken,
  name: "dev-trainer",
});
ensureWebBuild(console.log);
const web = await startWebServer({ graphqlUrl: gateway.url });
console.log(JSON.stringify({ web: web.url, graphql: gateway.url, apiKey: gateway.apiKey }));
const stop = async () => {
  await web.stop();
  await stopTrainers([trainer]);
  await gateway.stop();
  await nats.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
