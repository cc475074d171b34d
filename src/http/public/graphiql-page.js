/*
 * licensegraph GraphiQL page: GraphiQL 3 (React 18 UMD) served from this server, with
 * - a token box (kept in sessionStorage, shared with the dashboard) sent as "Authorization: Bearer <token>",
 * - subscriptions over graphql-ws on the same URL, the token in the connection_init payload.
 * No inline script (the page's Content-Security-Policy forbids it); nothing is loaded from elsewhere.
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'licensegraph.token';
  var mount = document.getElementById('graphiql');
  var endpoint = mount.getAttribute('data-endpoint') || '/graphql';
  var input = document.getElementById('token');
  var form = document.getElementById('token-form');
  var clearBtn = document.getElementById('token-clear');
  var status = document.getElementById('token-status');

  var DEFAULT_QUERY = [
    '# licensegraph GraphiQL',
    '#',
    '# Paste an access token above: it is sent',
    '# as the Authorization header (and in',
    '# connection_init for subscriptions).',
    '# Run with Ctrl-Enter or the play button.',
    '',
    'query LicenseReport {',
    '  licenseReport {',
    '    valid',
    '    stale',
    '    fetchedAt',
    '    summaryByFeature {',
    '      info { name issued used free }',
    '      checkouts { username hostname startTime }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  function readToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }
  function writeToken(t) {
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives for this page only */ }
  }
  function setStatus(text, kind) {
    status.textContent = text;
    status.className = 'lg-status' + (kind ? ' ' + kind : '');
  }

  var token = readToken();
  input.value = token;

  var wsClient = null;
  function wsUrl() {
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + endpoint;
  }
  function makeFetcher(tok) {
    if (wsClient) { try { wsClient.dispose(); } catch (e) { /* already closed */ } }
    wsClient = null;
    var auth = tok ? { Authorization: 'Bearer ' + tok } : {};
    if (window.graphqlWs && typeof window.graphqlWs.createClient === 'function') {
      wsClient = window.graphqlWs.createClient({
        url: wsUrl(),
        lazy: true,
        connectionParams: function () { return auth; },
        retryAttempts: 3,
      });
    }
    return window.GraphiQL.createFetcher({
      url: endpoint,
      headers: auth,
      wsClient: wsClient || undefined,
      enableIncrementalDelivery: false,
    });
  }

  // Without a token there is nothing to ask the server yet: no schema request (it could only fail with 401 and fill
  // the result pane with an error before the user did anything), and running a query shows how to sign in.
  var NO_TOKEN_HINT = 'No access token yet: paste one in the box above and press "Use token". ' +
    'An administrator makes one with: npx licensegraph token generate --username <name>';
  function hintFetcher() {
    return Promise.resolve({ errors: [{ message: NO_TOKEN_HINT, extensions: { code: 'UNAUTHENTICATED' } }] });
  }

  var root = null;
  function render() {
    var props = {
      fetcher: token ? makeFetcher(token) : hintFetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: false,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    };
    if (!token) props.schema = null; // null: GraphiQL skips introspection
    root.render(window.React.createElement(window.GraphiQL, props));
  }

  // Check the token once so the user knows at once whether it works.
  function verify(tok) {
    if (!tok) { setStatus('No token', ''); return; }
    setStatus('Checking…', '');
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer ' + tok },
      body: JSON.stringify({ query: '{ me { username role } }' }),
    }).then(function (res) {
      if (res.status === 401) { setStatus('Token rejected (401)', 'bad'); return null; }
      return res.json();
    }).then(function (body) {
      if (!body) return;
      if (body.data && body.data.me) setStatus('Signed in as ' + body.data.me.username + ' (' + body.data.me.role + ')', 'ok');
      else setStatus('Token set', 'ok');
    }).catch(function () { setStatus('Server unreachable', 'bad'); });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    token = input.value.trim().replace(/^Bearer\s+/i, '');
    input.value = token;
    writeToken(token);
    render();
    verify(token);
  });
  clearBtn.addEventListener('click', function () {
    token = '';
    input.value = '';
    writeToken('');
    render();
    setStatus('Token cleared', '');
    input.focus();
  });

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    mount.textContent = 'GraphiQL could not load its scripts.';
    return;
  }
  mount.textContent = '';
  root = window.ReactDOM.createRoot(mount);
  render();
  verify(token);
  if (!token) input.focus();
})();
