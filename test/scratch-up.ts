import { startWebServer } from "@graft/web/testing";
import { setup } from "./support/gateway.ts";

const p = await setup("pglite");
const web = await startWebServer({ graphqlUrl: p.gateway.url });
console.log(JSON.stringify({ web: web.url, gw: p.gateway.url, key: p.gateway.apiKey, join: p.gateway.joinToken }));
process.on("SIGTERM", async () => {
  await web.stop();
  await p.cleanup();
  process.exit(0);
});
setInterval(() => {}, 1000);
