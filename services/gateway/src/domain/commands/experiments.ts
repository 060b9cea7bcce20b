import type { MetricName } from "@graft/contracts";
import { experiments, type ProjectScope, type SortDirection } from "@graft/db";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError, ConflictError } from "../errors.ts";
import { checkName } from "../input.ts";
import type { ExperimentRow } from "../rows.ts";

export interface CreateExperimentInput {
  name: string;
  description?: string | null;
  objectiveMetric?: MetricName | null;
  objectiveDirection?: SortDirection | null;
}

export class ExperimentCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  async create(input: CreateExperimentInput): Promise<ExperimentRow> {
    const name = checkName(input.name, "input.name");
    if (input.description && input.description.length > 10_000) {
      throw new BadUserInputError("input.description", "input.description is longer than 10000 characters");
    }
    const [row] = await this.deps.db
      .insert(experiments)
      .values({
        projectId: this.scope.projectId,
        name,
        description: input.description ?? null,
        objectiveMetric: input.objectiveMetric ?? "valAccuracy",
        objectiveDirection: input.objectiveDirection ?? "DESC",
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new ConflictError(`an experiment named ${JSON.stringify(name)} already exists`);
    return row;
  }
}
