import type { CodegenConfig } from "@graphql-codegen/cli";

// The UI's operation types come from the root schema so the dashboard cannot drift from the contract.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/lib/operations.graphql",
  generates: {
    "src/lib/graphql.generated.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        skipTypename: true,
        scalars: { DateTime: "string", JSON: "unknown", ID: "string" },
      },
    },
  },
};

export default config;
