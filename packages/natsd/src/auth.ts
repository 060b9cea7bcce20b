import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
} from "@nats-io/jwt";

/**
 * NATS decentralized auth (operator mode): an operator signs two accounts, `SYS` (the server's
 * system account, used only to push account updates) and `GRAFT` (every Graft subject,
 * JetStream and the object store). Users are JWTs signed by an account key, so the gateway can
 * mint a trainer's user at registration without the server reloading anything, and revoke it
 * by pushing a new account JWT. Works with nats-server 2.9 (Debian's).
 */
export interface NatsAuth {
  /** Signs account JWTs; the gateway needs it to push revocations. */
  operatorSeed: string;
  operatorJwt: string;
  systemAccountSeed: string;
  systemAccountJwt: string;
  /** Signs user JWTs in the GRAFT account (trainers are minted with it). */
  accountSeed: string;
  /** The GRAFT account JWT as first issued (preloaded into the server). */
  accountJwt: string;
  /** The gateway's user: every right in the GRAFT account. */
  gatewayCreds: string;
  /** A SYS-account user: publishes `$SYS.REQ.CLAIMS.UPDATE` (revocations). */
  systemCreds: string;
}

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * Limits of the GRAFT account: JetStream on, unlimited within the server's own limits
 * (a stream's own `max_bytes` bounds it).
 */
const CONNECTION_LIMITS = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const GRAFT_ACCOUNT_LIMITS = {
  ...CONNECTION_LIMITS,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** Generates a fresh operator, its two accounts and the gateway's and system users. */
export async function generateNatsAuth(): Promise<NatsAuth> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator("graft", operator, { system_account: system.getPublicKey() });
  // No JetStream in the system account; unset limits would mean zero connections.
  const systemAccountJwt = await encodeAccount("SYS", system, { limits: CONNECTION_LIMITS }, { signer: operator });
  const accountJwt = await encodeAccount("GRAFT", account, { limits: GRAFT_ACCOUNT_LIMITS }, { signer: operator });
  const gateway = createUser();
  const gatewayJwt = await encodeUser("gateway", gateway, account);
  const systemUser = createUser();
  const systemUserJwt = await encodeUser("gateway-sys", systemUser, system);
  return {
    operatorSeed: dec(operator.getSeed()),
    operatorJwt,
    systemAccountSeed: dec(system.getSeed()),
    systemAccountJwt,
    accountSeed: dec(account.getSeed()),
    accountJwt,
    gatewayCreds: dec(fmtCreds(gatewayJwt, gateway)),
    systemCreds: dec(fmtCreds(systemUserJwt, systemUser)),
  };
}

/** The auth file inside a directory (GRAFT_HOME for `npm start`). */
export const natsAuthFile = (dir: string) => join(dir, "nats-auth.json");

/**
 * Reads the auth file in `dir`, generating it on first use. The file holds private keys:
 * the directory is made 0700 and the file 0600, so only this user reads them.
 */
export async function loadOrCreateNatsAuth(dir: string): Promise<NatsAuth> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = natsAuthFile(dir);
  if (existsSync(file)) return readNatsAuth(file);
  const auth = await generateNatsAuth();
  writeFileSync(file, `${JSON.stringify(auth, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return auth;
}

/** Reads an auth file written by loadOrCreateNatsAuth. */
export function readNatsAuth(file: string): NatsAuth {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<NatsAuth>;
  for (const key of [
    "operatorSeed",
    "operatorJwt",
    "systemAccountSeed",
    "systemAccountJwt",
    "accountSeed",
    "accountJwt",
    "gatewayCreds",
    "systemCreds",
  ] as const) {
    if (typeof parsed[key] !== "string") throw new Error(`${file} has no ${key}; delete it to generate a new one`);
  }
  return parsed as NatsAuth;
}

const publicKeyOf = (seed: string) => fromSeed(enc(seed)).getPublicKey();

/** Public key (id) of the GRAFT account. */
export const graftAccountId = (auth: NatsAuth) => publicKeyOf(auth.accountSeed);

/**
 * The nats-server configuration for operator mode. The `full` resolver keeps account JWTs
 * in `resolverDir` and accepts updates pushed on `$SYS.REQ.CLAIMS.UPDATE` (signed by the
 * operator), so revocations take effect without a restart; the preload seeds it on first start
 * (a newer JWT already in the directory wins).
 */
export function natsServerConfig(auth: NatsAuth, resolverDir: string): string {
  const system = publicKeyOf(auth.systemAccountSeed);
  const account = graftAccountId(auth);
  return [
    `operator: ${JSON.stringify(auth.operatorJwt)}`,
    `system_account: ${system}`,
    `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false, interval: "2m" }`,
    "resolver_preload: {",
    `  ${system}: ${JSON.stringify(auth.systemAccountJwt)}`,
    `  ${account}: ${JSON.stringify(auth.accountJwt)}`,
    "}",
    // A client has 2 s by default to answer the nonce with its signature; a gateway or trainer
    // whose event loop is busy (PGlite starting, a 2-core machine under load) missed that and
    // failed with "Authentication Timeout". Still bounded, so an idle unauthenticated socket goes.
    "authorization: { timeout: 10 }",
    "",
  ].join("\n");
}
