/**
 * What an API key may do. MEMBER: its project's models, datasets, experiments and runs.
 * ADMIN: that, plus its project's API keys, and the fleet (join tokens, draining and removing
 * trainers), which every project shares.
 */
export const ROLES = ["ADMIN", "MEMBER"] as const;
export type Role = (typeof ROLES)[number];
