/**
 * drizzle-kit configuration. Generate a migration after editing src/store/schema.ts:
 *   npx drizzle-kit generate --name <what_changed>
 * The generated SQL (src/store/migrations) is committed and applied by openStore() at start-up.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './src/store/migrations',
  strict: true,
  verbose: true,
});
