'use strict';
// A WebSocket flood from another process (so that the server's latency is measured apart from the attacker's
// own work): argv url token connections subscriptionsPerConnection. Prints a JSON summary line every 100 ms
// (connections acked / closed 4429 / refused 429, error messages received) and stays connected until stdin closes.
const WebSocket = require('ws');
const [url, token, nConn, nSub] = process.argv.slice(2);
const SUB = 'subscription { featureUsageChanged { feature } }';
const conns = [];
let settled = 0;
for (let i = 0; i < Number(nConn); i++) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const c = { acked: false, refused: 0, code: 0, errors: 0 };
  conns.push(c);
  const done = () => {
    if (!c.done) {
      c.done = true;
      settled++;
    }
  };
  ws.on('unexpected-response', (_req, res) => {
    c.refused = res.statusCode;
    ws.terminate();
    done();
  });
  ws.on('open', () =>
    ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })),
  );
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.type === 'connection_ack') {
      c.acked = true;
      done();
      for (let j = 0; j < Number(nSub); j++)
        ws.send(JSON.stringify({ id: `s${j}`, type: 'subscribe', payload: { query: SUB } }));
    } else if (m.type === 'error') c.errors++;
  });
  ws.on('close', (code) => {
    c.code = code;
    done();
  });
  ws.on('error', () => undefined);
}
setInterval(() => {
  const acked = conns.filter((c) => c.acked && !c.code);
  process.stdout.write(
    JSON.stringify({
      settled: settled === conns.length,
      acked: acked.length,
      closed4429: conns.filter((c) => c.code === 4429).length,
      refused429: conns.filter((c) => c.refused === 429).length,
      errors: acked.reduce((n, c) => n + c.errors, 0),
    }) + '\n',
  );
}, 100);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
