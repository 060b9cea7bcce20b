import { MAX_JSON_DEPTH, valueDepth } from "@graft/contracts";
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from "graphql";

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: "DateTime",
  description: "ISO-8601 timestamp with offset.",
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError("DateTime cannot represent an invalid date");
    return date.toISOString();
  },
  parseValue(value) {
    const date = new Date(String(value));
    if (typeof value !== "string" || Number.isNaN(date.getTime()))
      throw new GraphQLError("DateTime must be an ISO-8601 string");
    return date;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError("DateTime must be an ISO-8601 string");
    }
    return new Date(ast.value);
  },
});

function literal(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literal(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError("unsupported JSON literal");
  }
}

/** Deeper values would overflow the stack wherever they are later stringified or walked. */
function shallow<T>(value: T): T {
  if (valueDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new GraphQLError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, {
      extensions: { code: "BAD_USER_INPUT", limit: "JSON_DEPTH" },
    });
  return value;
}

export const JSONScalar = new GraphQLScalarType({
  name: "JSON",
  description: `Any JSON value, nested at most ${MAX_JSON_DEPTH} levels.`,
  serialize: (value) => value,
  parseValue: (value) => shallow(value),
  parseLiteral: (ast, variables) => shallow(literal(ast, variables)),
});
