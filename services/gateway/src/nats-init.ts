import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadOrCreateNatsAuth, natsServerConfig } from "@graft/natsd";

// `docker compose` init step (service `nats-init`): makes the NATS operator, accounts and the
// gateway's users once, into GRAFT_NATS_AUTH_DIR (a volume only nats-init, nats and the
// gateways mount), and writes the operator part of nats-server's configuration beside them.
// Trainers get nothing from here: each gets its own user from the gateway when it registers.
const dir = process.env.GRAFT_NATS_AUTH_DIR ?? "/auth";
const resolverDir = process.env.NATS_RESOLVER_DIR ?? "/data/accounts";
const auth = await loadOrCreateNatsAuth(dir);
// Public material only (operator and account JWTs): nats-server includes it.
writeFileSync(join(dir, "operator.conf"), natsServerConfig(auth, resolverDir), { mode: 0o644 });
console.log(`NATS operator ready in ${dir} (nats-auth.json is private to the gateway)`);
