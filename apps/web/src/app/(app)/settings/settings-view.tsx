"use client";
import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  CreateJoinTokenDocument,
  type JoinTokenFieldsFragment,
  JoinTokensDocument,
  RevokeApiKeyDocument,
  RevokeJoinTokenDocument,
  Role,
} from "@graft/client";
import { type FormEvent, useState } from "react";
import { Empty, ErrorBox, Loading, PageHeader } from "@/components/states.tsx";
import { gql } from "@/lib/client/graphql.ts";
import { useQuery } from "@/lib/client/use-query.ts";
import { formatDate } from "@/lib/format.ts";

/** What the two tables share: a join token's fields as listed (never its secret), and a key's role. */
type Credential = JoinTokenFieldsFragment & { role?: Role };

/** API keys of the project and the fleet's join tokens: create (secret shown once), revoke. ADMIN keys only. */
export function SettingsView() {
  const keys = useQuery(ApiKeysDocument, {});
  const tokens = useQuery(JoinTokensDocument, {});
  return (
    <>
      <PageHeader title="Settings" />
      <CredentialSection
        title="API keys"
        what="API key"
        hint="A MEMBER key works with this project's models, datasets and runs; an ADMIN key also manages keys, join tokens and the fleet."
        withRole
        state={keys}
        items={keys.data?.apiKeys}
        create={async (name, role) => {
          const { createApiKey } = await gql(CreateApiKeyDocument, { input: { name, role } });
          return createApiKey.secret;
        }}
        revoke={(id) => gql(RevokeApiKeyDocument, { id })}
      />
      <CredentialSection
        title="Join tokens"
        what="join token"
        hint="Trainer nodes join the fleet with a join token (graft trainer start --join-token ...). Revoking one stops new joins with it."
        state={tokens}
        items={tokens.data?.joinTokens}
        create={async (name) => {
          const { createJoinToken } = await gql(CreateJoinTokenDocument, { input: { name } });
          return createJoinToken.secret;
        }}
        revoke={(id) => gql(RevokeJoinTokenDocument, { id })}
      />
    </>
  );
}

function CredentialSection(props: {
  title: string;
  what: string;
  hint: string;
  withRole?: boolean;
  state: { error: Error | null; loading: boolean; refetch: () => Promise<void> };
  items: readonly Credential[] | undefined;
  create: (name: string, role: Role) => Promise<string>;
  revoke: (id: string) => Promise<unknown>;
}) {
  const { title, what, state, items } = props;
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const slug = what.replace(/\s+/g, "-").toLowerCase();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const role = data.get("role") === Role.Admin ? Role.Admin : Role.Member;
    if (!name) return setMessage(`Name the ${what}`);
    setMessage(null);
    try {
      setSecret({ name, value: await props.create(name, role) });
      form.reset();
      await state.refetch();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  async function revoke(credential: Credential) {
    if (!window.confirm(`Revoke ${what} ${credential.name}? Whatever uses it stops working.`)) return;
    setMessage(null);
    try {
      await props.revoke(credential.id);
      await state.refetch();
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <section className="panel" aria-labelledby={`${slug}-title`}>
      <h2 id={`${slug}-title`}>{title}</h2>
      <p className="muted">{props.hint}</p>
      <form className="filters" onSubmit={submit} aria-label={`Create ${what}`}>
        <div className="field">
          <label htmlFor={`${slug}-name`}>Name</label>
          <input id={`${slug}-name`} name="name" maxLength={200} />
        </div>
        {props.withRole ? (
          <div className="field">
            <label htmlFor={`${slug}-role`}>Role</label>
            <select id={`${slug}-role`} name="role" defaultValue={Role.Member}>
              <option value={Role.Member}>MEMBER</option>
              <option value={Role.Admin}>ADMIN</option>
            </select>
          </div>
        ) : null}
        <button className="button" type="submit">
          Create {what}
        </button>
      </form>
      {secret ? (
        <div className="state" role="status" data-testid={`${slug}-secret`}>
          <strong>
            New {what} {secret.name}:
          </strong>{" "}
          <code className="mono">{secret.value}</code>
          <p className="muted">Copy it now: it is shown this once and stored only as a hash.</p>
        </div>
      ) : null}
      {message ? (
        <p className="error-text" role="alert">
          {message}
        </p>
      ) : null}
      {state.error ? <ErrorBox error={state.error} retry={state.refetch} /> : null}
      {!items ? (
        state.loading ? (
          <Loading />
        ) : null
      ) : items.length === 0 ? (
        <Empty>No {what}s.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid={`${slug}s`}>
            <thead>
              <tr>
                <th>Name</th>
                <th>Starts with</th>
                {props.withRole ? <th>Role</th> : null}
                <th>Created</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>
                    {c.name}
                    {c.bootstrap ? <span className="muted"> (bootstrap)</span> : null}
                  </td>
                  <td className="mono">{c.prefix}…</td>
                  {props.withRole ? <td>{c.role}</td> : null}
                  <td>{formatDate(c.createdAt)}</td>
                  <td>{c.lastUsedAt ? formatDate(c.lastUsedAt) : "never"}</td>
                  <td>
                    <button
                      type="button"
                      className="button button-small button-danger"
                      onClick={() => revoke(c)}
                      aria-label={`Revoke ${c.name}`}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
