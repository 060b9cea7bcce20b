import { type GraftClient, type JoinTokenFieldsFragment, Role } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { paint, print, printJson, table } from "../output.ts";
import { oneOf } from "../parse.ts";

/** What `graft keys` and `graft join-tokens` both list: a join token's fields, and a key's role. */
type Listed = JoinTokenFieldsFragment & { role?: Role };

interface CredentialKind {
  command: string;
  what: string;
  list(client: GraftClient, all: boolean): Promise<Listed[]>;
  create(client: GraftClient, name: string, role: Role): Promise<{ item: Listed; secret: string }>;
  revoke(client: GraftClient, id: string): Promise<Listed>;
  /** How to use a new secret, printed beside it. */
  usage: string;
  withRole: boolean;
}

const KINDS: CredentialKind[] = [
  {
    command: "keys",
    what: "API key",
    withRole: true,
    list: (client, all) => client.apiKeys(all),
    create: async (client, name, role) => {
      const { apiKey, secret } = await client.createApiKey({ name, role });
      return { item: apiKey, secret };
    },
    revoke: (client, id) => client.revokeApiKey(id),
    usage: "use it with `graft login --api-key <key>` or GRAFT_API_KEY",
  },
  {
    command: "join-tokens",
    what: "join token",
    withRole: false,
    list: (client, all) => client.joinTokens(all),
    create: async (client, name) => {
      const { joinToken, secret } = await client.createJoinToken(name);
      return { item: joinToken, secret };
    },
    revoke: (client, id) => client.revokeJoinToken(id),
    usage: "trainers join with `graft trainer start --join-token <token>`",
  },
];

const when = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");

/** `graft keys create|list|revoke` and `graft join-tokens create|list|revoke` (ADMIN keys). */
export function keysCommands(program: Command): void {
  for (const kind of KINDS) {
    const group = program.command(kind.command).description(`${kind.what}s (needs an ADMIN key)`);

    const create = group
      .command("create")
      .description(`create a ${kind.what}; its secret is printed this once`)
      .requiredOption("--name <name>", `what the ${kind.what} is for`);
    if (kind.withRole) {
      create.option(
        "--role <role>",
        "MEMBER (the project's data) or ADMIN (also keys, join tokens, fleet)",
        oneOf(Object.values(Role), (v) => v.toUpperCase()),
        Role.Member,
      );
    }
    create.action(async (opts: { name: string; role?: Role }, command: Command) => {
      const ctx = contextOf(command);
      const { item, secret } = await kind.create(ctx.client(), opts.name, opts.role ?? Role.Member);
      if (ctx.json) return printJson({ ...item, secret });
      print(`Created ${kind.what} ${item.name} (${item.id})${item.role ? `, role ${item.role}` : ""}:`);
      print(secret);
      print(paint(`Shown this once; only its hash is stored. ${kind.usage}.`, "gray"));
    });

    group
      .command("list")
      .description(`list ${kind.what}s, newest first`)
      .option("--all", "include revoked ones")
      .action(async (opts: { all?: boolean }, command: Command) => {
        const ctx = contextOf(command);
        const items = await kind.list(ctx.client(), Boolean(opts.all));
        if (ctx.json) return printJson(items);
        const headers = ["ID", "NAME", ...(kind.withRole ? ["ROLE"] : []), "STARTS WITH", "CREATED", "LAST USED"];
        print(
          table(
            opts.all ? [...headers, "REVOKED"] : headers,
            items.map((k) => [
              k.id,
              `${k.name}${k.bootstrap ? " (bootstrap)" : ""}`,
              ...(kind.withRole ? [k.role ?? "-"] : []),
              `${k.prefix}…`,
              when(k.createdAt),
              when(k.lastUsedAt),
              ...(opts.all ? [when(k.revokedAt)] : []),
            ]),
          ),
        );
      });

    group
      .command("revoke <id>")
      .description(`revoke a ${kind.what}: it stops working at once`)
      .action(async (id: string, _opts: unknown, command: Command) => {
        const ctx = contextOf(command);
        const item = await kind.revoke(ctx.client(), id);
        if (ctx.json) return printJson(item);
        print(`Revoked ${kind.what} ${item.name} (${item.id})`);
      });
  }
}
