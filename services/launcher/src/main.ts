import { NatsServerNotFoundError } from "@graft/natsd";
import { readEnv } from "./env.ts";
import { startLocalPlatform } from "./platform.ts";

// `npm start`: the whole platform on this machine, on embedded defaults.
const log = (line: string) => process.stdout.write(`${line}\n`);

let env: ReturnType<typeof readEnv>;
try {
  env = readEnv();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

let platform: Awaited<ReturnType<typeof startLocalPlatform>>;
try {
  platform = await startLocalPlatform(env, log);
} catch (error) {
  if (error instanceof NatsServerNotFoundError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Graft did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  log("[launcher] stopping...");
  await platform.stop();
  log("[launcher] stopped");
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
void platform.failed.then((reason) => {
  process.stderr.write(`[launcher] ${reason}; stopping everything\n`);
  void shutdown(1);
});

log("");
if (platform.dashboardUrl) log(`Dashboard: ${platform.dashboardUrl}`);
log(`GraphQL: ${platform.graphqlUrl}`);
log(`API key: ${platform.apiKeyNote}`);
log(`Join token: ${platform.joinTokenNote}`);
log(`NATS: ${platform.natsUrl}`);
log(`Data: ${env.graftHome}`);
log("Graft is up. Ctrl-C stops it; data is kept for the next start.");
const keyFrom = env.GRAFT_BOOTSTRAP_KEY ? "$GRAFT_BOOTSTRAP_KEY" : `$(cat ${env.graftHome}/local-api-key)`;
log(`CLI: npx graft login --url ${platform.graphqlUrl} --api-key "${keyFrom}"`);
