/**
 * licensegraph's package entry: the typed client SDK.
 *
 *   import { createClient, formatReport } from 'licensegraph';
 *   const report = await createClient({ url: 'http://localhost:4000', token }).licenses().report();
 *
 * The server itself is started with `npx licensegraph serve`; embedders can import buildApp from
 * 'licensegraph/dist/server' (src/server.ts) but that is not part of this stable entry.
 */
export * from './client';
