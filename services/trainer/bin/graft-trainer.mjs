#!/usr/bin/env node
// `graft-trainer`: one trainer node configured from the environment (src/main.ts). tsx
// compiles the TypeScript on load, so there is no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
