/**
 * The portal: the dashboard at / and GraphiQL at /graphiql (and at GET /graphql when a browser asks for HTML),
 * served entirely from files of this package. Nothing is loaded from a CDN or a font service, so both pages work
 * on a network with no internet access.
 *
 * - Our own pages and scripts live in ./public (copied next to the compiled file by `npm run build`; when running
 *   from dist without them we fall back to src/http/public).
 * - Third-party browser bundles (GraphiQL, React 18 UMD, graphql-ws UMD) are read from node_modules and served
 *   under a versioned path (/assets/vendor/<pkg>@<version>/<file>) with a one-year immutable cache. Their source
 *   map comments are removed so browsers do not ask for files we do not serve. None of them loads anything from
 *   the network at run time: GraphiQL's CSS embeds its fonts as data: URLs; the http(s) strings in its JS are in
 *   comments, docs links and error messages.
 * - Our own assets are referenced as /assets/<file>?v=<hash>: immutable when the hash matches, revalidated with an
 *   ETag otherwise. Bodies are gzipped once, lazily, and kept in memory.
 * - HTML pages carry a strict Content-Security-Policy: scripts only from this origin, no inline script or style,
 *   connections only to this origin over HTTP(S) and WebSocket.
 */
import { createHash } from 'crypto';
import { existsSync, readFileSync, readdirSync } from 'fs';
import path from 'path';
import { promisify } from 'util';
import { gzip } from 'zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface PortalOptions {
  /** Serve GraphiQL (config flag `graphiql`). The dashboard is always served. */
  graphiql: boolean;
  /** Path GraphQL is served on (default /graphql). */
  graphqlPath?: string;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Short content hash used in ?v= cache-busting URLs. */
  hash: string;
  /** Compressed once, off the event loop (GraphiQL's bundle takes a while), then kept. */
  gzip?: Promise<Buffer | null>;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const gzipAsync = promisify(gzip);
const ONE_YEAR = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Where our own pages live: next to this file (dist/http/public after a build) or in the source tree. */
export function publicDir(): string {
  const candidates = [path.join(__dirname, 'public'), path.resolve(__dirname, '..', '..', 'src', 'http', 'public')];
  for (const c of candidates) if (existsSync(path.join(c, 'index.html'))) return c;
  throw new Error(`portal: no public directory found (looked in ${candidates.join(', ')})`);
}

/** The root directory of an installed package (works for packages whose exports hide package.json). */
function packageRoot(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
      } catch {
        /* keep walking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`portal: cannot find the root of package ${name}`);
    dir = up;
  }
}

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Vendor files, by package, with the path of each file inside the package. */
const VENDOR: Record<string, Record<string, string>> = {
  graphiql: { 'graphiql.min.js': 'graphiql.min.js', 'graphiql.min.css': 'graphiql.min.css' },
  react: { 'react.production.min.js': 'umd/react.production.min.js' },
  'react-dom': { 'react-dom.production.min.js': 'umd/react-dom.production.min.js' },
  'graphql-ws': { 'graphql-ws.min.js': 'umd/graphql-ws.min.js' },
};

/** Remove source-map references (we do not serve the maps) from JS and CSS bundles. */
export function stripSourceMaps(text: string): string {
  return text
    .replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/g, '\n')
    .replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/g, '');
}

function makeAsset(body: Buffer, file: string, immutable: boolean): Asset {
  const digest = createHash('sha256').update(body).digest('base64url');
  return {
    body,
    type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    etag: `"${digest.slice(0, 27)}"`,
    hash: digest.slice(0, 10),
    immutable,
  };
}

/** A host header safe to echo into a CSP source expression, or null. */
function safeHost(host: string | undefined): string | null {
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : null;
}

export function contentSecurityPolicy(host: string | undefined): string {
  const h = safeHost(host);
  const connect = h ? `'self' ws://${h} wss://${h}` : `'self'`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // GraphiQL's CSS embeds its fonts (Roboto, Fira Code) and a few icons as data: URLs.
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

function acceptsGzip(req: FastifyRequest): boolean {
  const ae = req.headers['accept-encoding'];
  return typeof ae === 'string' && /\bgzip\b/.test(ae);
}

/** True for a browser navigation: GET/HEAD asking for HTML (not a GraphQL client, not a WebSocket upgrade). */
export function wantsHtml(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.headers.upgrade) return false;
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

export function registerPortal(fastify: FastifyInstance, opts: PortalOptions): void {
  const graphqlPath = opts.graphqlPath ?? '/graphql';
  const dir = publicDir();

  // Our own files: every regular file in the public directory (nothing outside it can be named).
  const own = new Map<string, Asset>();
  const listing = new Set(readdirSync(dir).filter((f) => !f.startsWith('.')));
  const ownFile = (name: string): Asset | undefined => {
    let a = own.get(name);
    if (!a) {
      if (!listing.has(name)) return undefined;
      a = makeAsset(readFileSync(path.join(dir, name)), name, false);
      own.set(name, a);
    }
    return a;
  };

  // Vendor files: read once, lazily (GraphiQL's bundle is 3.5 MB).
  const roots = new Map<string, { root: string; version: string }>();
  const pkg = (name: string) => {
    let r = roots.get(name);
    if (!r) {
      const root = packageRoot(name);
      r = { root, version: packageVersion(root) };
      roots.set(name, r);
    }
    return r;
  };
  const vendorUrl = (name: string, file: string) => `/assets/vendor/${name}@${pkg(name).version}/${file}`;
  const vendor = new Map<string, Asset>();
  const vendorFile = (name: string, version: string, file: string): Asset | undefined => {
    const has = Object.prototype.hasOwnProperty;
    if (!has.call(VENDOR, name) || !has.call(VENDOR[name], file)) return undefined;
    const rel = VENDOR[name][file];
    if (pkg(name).version !== version) return undefined;
    const key = `${name}/${file}`;
    let a = vendor.get(key);
    if (!a) {
      const text = stripSourceMaps(readFileSync(path.join(pkg(name).root, rel), 'utf8'));
      a = makeAsset(Buffer.from(text, 'utf8'), file, true);
      vendor.set(key, a);
    }
    return a;
  };

  const ownUrl = (name: string) => {
    const a = ownFile(name);
    if (!a) throw new Error(`portal: missing public file ${name}`);
    return `/assets/${name}?v=${a.hash}`;
  };

  // HTML pages are templates: {{vendor:pkg/file}}, {{asset:file}}, {{graphiqlLink}}, {{graphqlPath}}.
  const pages = new Map<string, { body: Buffer; etag: string }>();
  const page = (name: string): { body: Buffer; etag: string } => {
    let p = pages.get(name);
    if (!p) {
      const raw = readFileSync(path.join(dir, name), 'utf8');
      const html = raw.replace(/\{\{(\w+)(?::([^}]+))?\}\}/g, (_m, kind: string, arg?: string) => {
        switch (kind) {
          case 'vendor': {
            const [n, f] = (arg ?? '').split('/');
            return vendorUrl(n, f);
          }
          case 'asset':
            return ownUrl(arg ?? '');
          case 'graphqlPath':
            return graphqlPath;
          case 'graphiqlLink':
            return opts.graphiql ? '<a class="nav-link" href="/graphiql">GraphiQL</a>' : '';
          default:
            return '';
        }
      });
      const body = Buffer.from(html, 'utf8');
      p = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      pages.set(name, p);
    }
    return p;
  };

  const send = async (req: FastifyRequest, reply: FastifyReply, a: Asset, cache: string) => {
    reply
      .header('content-type', a.type)
      .header('cache-control', cache)
      .header('etag', a.etag)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    if (a.body.length > 1024 && acceptsGzip(req)) {
      if (a.gzip === undefined) a.gzip = gzipAsync(a.body, { level: 6 }).catch(() => null);
      const gz = await a.gzip;
      if (gz) return reply.header('content-encoding', 'gzip').send(gz);
    }
    return reply.send(a.body);
  };

  const sendPage = (req: FastifyRequest, reply: FastifyReply, name: string) => {
    const { body, etag } = page(name);
    reply
      .header('content-type', TYPES['.html'])
      .header('cache-control', REVALIDATE)
      .header('etag', etag)
      .header('content-security-policy', contentSecurityPolicy(req.headers.host))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('x-frame-options', 'SAMEORIGIN');
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(body);
  };

  fastify.get('/', async (req, reply) => sendPage(req, reply, 'index.html'));

  if (opts.graphiql) {
    fastify.get('/graphiql', async (req, reply) => sendPage(req, reply, 'graphiql.html'));
    // GET /graphql from a browser: GraphiQL instead of Apollo. GraphQL over HTTP (POST, or GET asking for JSON)
    // and WebSocket upgrades never reach this branch.
    fastify.addHook('onRequest', async (req, reply) => {
      if (req.url.split('?')[0] !== graphqlPath || !wantsHtml(req)) return;
      return sendPage(req, reply, 'graphiql.html');
    });
  }

  fastify.get<{ Params: { file: string }; Querystring: { v?: string } }>('/assets/:file', async (req, reply) => {
    const name = req.params.file;
    const a = name.endsWith('.html') ? undefined : ownFile(name);
    if (!a) return reply.code(404).send({ error: 'not found' });
    return send(req, reply, a, req.query.v === a.hash ? ONE_YEAR : REVALIDATE);
  });

  fastify.get<{ Params: { pkg: string; file: string } }>('/assets/vendor/:pkg/:file', async (req, reply) => {
    const at = req.params.pkg.lastIndexOf('@');
    const name = at > 0 ? req.params.pkg.slice(0, at) : '';
    // Without GraphiQL only the dashboard's own vendor file (graphql-ws) is served.
    const allowed = opts.graphiql || name === 'graphql-ws';
    const a = allowed && at > 0 ? vendorFile(name, req.params.pkg.slice(at + 1), req.params.file) : undefined;
    if (!a) return reply.code(404).send({ error: 'not found' });
    return send(req, reply, a, ONE_YEAR);
  });
}
