import { InvalidCursorError, InvalidPageRequestError, type Page } from "@graft/db";
import { BadUserInputError } from "./errors.ts";

/** A GraphQL connection: a page plus how many rows the filter matches. */
export type Connection<T> = Page<T> & { totalCount: number };

/** A page and its count read together; @graft/db's refusals become BAD_USER_INPUT on the argument at fault. */
export async function connection<T>(page: Promise<Page<T>>, totalCount: Promise<number>): Promise<Connection<T>> {
  try {
    const [read, count] = await Promise.all([page, totalCount]);
    return { ...read, totalCount: count };
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new BadUserInputError("after", error.message, undefined, { cause: error });
    }
    if (error instanceof InvalidPageRequestError) {
      throw new BadUserInputError(error.field, error.message, undefined, { cause: error });
    }
    throw error;
  }
}
