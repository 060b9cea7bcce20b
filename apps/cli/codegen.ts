import type { CodegenConfig } from "@graphql-codegen/cli";

// Client operation types come from the root schema, so the CLI cannot drift from the contract.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: "src/client/operations.graphql",
  generates: {
    "src/client/operations.generated.ts": {
      plugins: ["typescript-operations"],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: { DateTime: "string", JSON: "unknown", ID: "string" },
        skipTypename: true,
        onlyOperationTypes: true,
      },
    },
  },
};
export default config;
