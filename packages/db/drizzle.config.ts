import { defineConfig } from "drizzle-kit";

// `db:generate` only diffs the schema, so no database is needed for it; `db:migrate` uses DATABASE_URL.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgres:///postgres" },
});
