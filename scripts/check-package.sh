#!/usr/bin/env bash
# Proves the package a user would install works: `npm pack`, then
#   1. `npm install -g` of the tarball into an empty prefix (runtime dependencies only): `licensegraph --version`,
#      `licensegraph parse` of a real capture, `licensegraph serve` answering /healthz and the report, and
#      `licensegraph user list` through the running server's admin socket;
#   2. another project that uses the installed package, type-checks `import { createClient } from 'licensegraph'` with the
#      package's own declarations (strict), and reads the live report from that server with it.
# Needs a built dist/ (npm ci / npm run build). Prints "package: ok" and exits 0, or says what failed and exits 1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/licensegraph-pkg.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "package: FAILED: $*" >&2; exit 1; }

cd "$ROOT"
[ -f dist/cli/index.js ] || fail "no dist/: run npm run build first"
TGZ="$(npm pack --ignore-scripts --silent --pack-destination "$WORK" | tail -1)"
TGZ="$WORK/$TGZ"
echo "package: packed $(basename "$TGZ") ($(du -k "$TGZ" | cut -f1) KiB, $(tar tzf "$TGZ" | wc -l) files)"

# 1. a global install in an empty prefix
PREFIX="$WORK/prefix"
npm install -g --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "$TGZ" >/dev/null 2>"$WORK/install.log" || { cat "$WORK/install.log" >&2; fail "npm install -g"; }
LG="$PREFIX/bin/licensegraph"
for dev in typescript ts-node jest; do
  [ ! -e "$PREFIX/lib/node_modules/licensegraph/node_modules/$dev" ] || fail "development dependency $dev was installed"
done
version="$("$LG" --version)"
[ "$version" = "$(node -p "require('$ROOT/package.json').version")" ] || fail "--version printed '$version'"
"$LG" parse --time-zone UTC "$ROOT/test/fixtures/lmstat/mjtrangoni__flexlm_exporter__lmstat_app8.txt" 2>/dev/null >"$WORK/parsed.json"
node -e "const r=require('$WORK/parsed.json'); const f=r.summaryByFeature.find(x=>x.info.name==='msimhdlsim'); if(!f||f.info.issued!==125||f.info.used!==4) process.exit(1)" || fail "parse printed unexpected numbers"

PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
DATA="$WORK/data"
(cd "$WORK" && LICENSEGRAPH_DATA_DIR="$DATA" PORT="$PORT" exec "$LG" serve >"$WORK/serve.out" 2>"$WORK/serve.err") &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; fail "serve exited"; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$WORK/serve.err" >&2; fail "serve never answered /healthz"; }
TOKEN="$(grep -oE 'lg_[A-Za-z0-9_-]+' "$WORK/serve.err" | head -1)"
[ -n "$TOKEN" ] || fail "no admin token printed at first start"
LICENSEGRAPH_DATA_DIR="$DATA" "$LG" user list | grep -q admin || fail "user list (admin socket) did not list admin"

# 2. a project that imports the typed client
APP="$WORK/consumer"
mkdir -p "$APP"
# the package as installed above (its files and its runtime dependencies), linked where npm would put it
mkdir -p "$APP/node_modules"
ln -s "$PREFIX/lib/node_modules/licensegraph" "$APP/node_modules/licensegraph"
cat >"$APP/report.ts" <<'TS'
import { createClient } from 'licensegraph';

async function main(): Promise<void> {
  const client = createClient({ url: process.argv[2], token: process.argv[3] });
  const report = await client.licenses().report();
  const used: number = report.summaryByFeature.reduce((n, f) => n + (f.info.used ?? 0), 0);
  console.log(JSON.stringify({ features: report.summaryByFeature.length, used }));
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
TS
node "$ROOT/node_modules/typescript/bin/tsc" --strict --noEmitOnError --module commonjs --target es2022 --moduleResolution node --types node --typeRoots "$ROOT/node_modules/@types" --outDir "$APP/out" "$APP/report.ts" || fail "the client's types did not type-check"
out="$(cd "$APP" && node out/report.js "http://127.0.0.1:$PORT" "$TOKEN")" || fail "the client could not read the report"
node -e "const r=JSON.parse(process.argv[1]); if(!(r.features>=20)) process.exit(1)" "$out" || fail "the client read $out"
echo "package: ok ($version; global install, parse, serve, admin socket, typed client read $out)"
