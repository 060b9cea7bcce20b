import type { DocumentNode, GraphQLError } from "graphql";

/**
 * Parsed and validated documents by query text: subscribers sending the same operation cost
 * one parse and one validation between them. Only valid documents are kept (errors are cheap
 * to find again, and a client sending garbage must not fill the cache), only short ones, and
 * at most `limits.documents`; when full it starts over rather than track recency.
 */
export class ValidDocuments {
  readonly #documents = new Map<string, DocumentNode>();

  constructor(
    /** Parses and validates: the document, or why it is refused. */
    private readonly check: (query: string) => DocumentNode | GraphQLError[],
    private readonly limits = { documents: 500, queryChars: 10_000 },
  ) {}

  get(query: string): DocumentNode | GraphQLError[] {
    const known = this.#documents.get(query);
    if (known) return known;
    const checked = this.check(query);
    if (Array.isArray(checked) || query.length > this.limits.queryChars) return checked;
    if (this.#documents.size >= this.limits.documents) this.#documents.clear();
    this.#documents.set(query, checked);
    return checked;
  }
}
