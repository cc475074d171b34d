import * as fs from 'fs';
import * as path from 'path';
import { printedSchema } from '../../src/graphql/print-schema';

test('schema.graphql is what the code emits (run `npm run emit-schema` after changing a type)', async () => {
  const checkedIn = fs.readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8');
  expect(checkedIn).toBe(await printedSchema());
});
