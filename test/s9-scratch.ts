import { startGateway } from "@graft/gateway";
import { startNatsServer } from "@graft/natsd";

const s = await startNatsServer({ onLog: (l) => console.log("NATS", l) });
try {
  const g = await startGateway({
    port: 0,
    natsUrl: s.url,
    natsAuth: s.auth,
    builtinModels: [],
    memoryStorage: true,
    log: (l) => console.log(l),
  });
  console.log("gateway up", g.url);
  await g.stop();
} catch (e) {
  console.log("FAIL", e);
} finally {
  await s.stop();
}
