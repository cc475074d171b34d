import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import { printedSchema } from '../src/graphql/print-schema';

printedSchema().then((text) => {
  const out = path.resolve(__dirname, '..', 'schema.graphql');
  fs.writeFileSync(out, text);
  console.log(`wrote ${out}`);
});
