import { lexicographicSortSchema, printSchema } from 'graphql';
import { getSchema } from './schema';

export const SCHEMA_HEADER =
  '# Emitted from the type-graphql classes by `npm run emit-schema`. Do not edit by hand: a test fails on drift.\n\n';

export async function printedSchema(): Promise<string> {
  return SCHEMA_HEADER + printSchema(lexicographicSortSchema(await getSchema())) + '\n';
}
