/*
 * licensegraph dashboard: plain JavaScript, no build step, no third-party code except graphql-ws (served by this
 * server). Reads the live report over GraphQL with the token the user signs in with (kept in sessionStorage),
 * updates live from the graphql-ws subscriptions when the server offers them and polls otherwise.
 *
 * URL parameters (seconds, 1..3600): ?poll= how often the report is re-read without a subscription (default 5);
 * ?recheck= how often it is re-read beside a live subscription (default 30).
 */
(function () {
  'use strict';

  var TOKEN_KEY = 'licensegraph.token';
  var endpoint = document.body.getAttribute('data-endpoint') || '/graphql';
  var params = new URLSearchParams(location.search);
  function seconds(name, dflt) { return Math.round(Math.min(3600, Math.max(1, Number(params.get(name)) || dflt)) * 1000); }
  var POLL_MS = seconds('poll', 5);
  /** With a live subscription the report is still re-read now and then (server state, stale data). */
  var LIVE_POLL_MS = seconds('recheck', 30);
  var WS_RETRY_MS = 60000;
  var WS_RETRY_MAX_MS = 10 * 60000;
  var MAX_CHECKOUT_ROWS = 1000;
  var LOCAL_SAMPLES = 2000;

  var REPORT_QUERY = [
    'query DashboardReport {',
    '  licenseReport {',
    '    valid stale fetchedAt',
    '    issues { code message }',
    '    servers { id label status stale error fetchedAt checkedAt issues { code message } }',
    '    summaryByFeature {',
    '      info { name issued used free }',
    '      vendor uncounted reserved checkedOut valid expiry daysToExpiry utilization',
    '      issues { code message }',
    '      reservations { count kind target }',
    '      queued { username hostname count startTime startedAt }',
    '      checkouts { username hostname display startTime startedAt count }',
    '      server { id label status stale }',
    '    }',
    '  }',
    '}',
  ].join('\n');

  var HISTORY_QUERY = [
    'query DashboardHistory($name: String!, $server: String, $since: DateTime, $until: DateTime, $bucket: TimeBucket!, $timeZone: String) {',
    '  feature(name: $name, server: $server) {',
    '    history(since: $since, until: $until, bucket: $bucket, timeZone: $timeZone) { bucketStart issued used peak knownSeconds }',
    '  }',
    '}',
  ].join('\n');
  /** Whether this server records history (Feature.history); without introspection we just try. */
  var CAPABILITIES_QUERY = 'query DashboardCapabilities { __type(name: "Feature") { fields { name } } }';

  /**
   * Each event only triggers a re-read of the report, so the page always shows the report's numbers. Usage and
   * checkout events do not fire while a server is DOWN; alerts (SERVER_DOWN rules, when configured) do, and the
   * periodic re-check covers the rest.
   */
  var SUBSCRIPTIONS = [
    'subscription DashboardUsage { featureUsageChanged { serverId feature } }',
    'subscription DashboardCheckouts { checkoutEvents { serverId feature type } }',
    'subscription DashboardAlerts { licenseAlerts { serverId status } }',
  ];

  var RANGES = {
    '24h': { ms: 24 * 3600e3, bucket: 'HOUR', bucketMs: 3600e3, label: 'the last 24 hours' },
    '7d': { ms: 7 * 86400e3, bucket: 'HOUR', bucketMs: 3600e3, label: 'the last 7 days' },
    '30d': { ms: 30 * 86400e3, bucket: 'DAY', bucketMs: 86400e3, label: 'the last 30 days' },
    '90d': { ms: 90 * 86400e3, bucket: 'DAY', bucketMs: 86400e3, label: 'the last 90 days' },
  };
  var TIME_ZONE = (function () { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; } })();

  // ---------------------------------------------------------------------------------------------------------------
  // Small helpers

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null || attrs[k] === false) continue;
        if (k === 'text') el.textContent = attrs[k];
        else if (k === 'class') el.className = attrs[k];
        else el.setAttribute(k, attrs[k] === true ? '' : String(attrs[k]));
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return el;
  }
  var SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, text) {
    var el = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs[k] != null) el.setAttribute(k, String(attrs[k]));
    if (text != null) el.textContent = text;
    return el;
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  var nf = new Intl.NumberFormat();
  function num(n) { return n == null ? '—' : nf.format(n); }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  var DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  function hm(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  function hms(d) { return hm(d) + ':' + pad(d.getSeconds()); }
  /** The way lmstat prints a start time: "Mon 1/20 10:30". */
  function lmDate(d) { return DAYS[d.getDay()] + ' ' + (d.getMonth() + 1) + '/' + d.getDate() + ' ' + hm(d); }
  function shortDate(d) { return (d.getMonth() + 1) + '/' + d.getDate(); }
  function ago(ms) {
    if (!(ms >= 0)) return '';
    var sec = Math.floor(ms / 1000);
    if (sec < 60) return sec + ' s';
    var min = Math.floor(sec / 60);
    if (min < 60) return min + ' min';
    var hr = Math.floor(min / 60);
    if (hr < 48) return hr + ' h ' + (min % 60) + ' min';
    return Math.floor(hr / 24) + ' d ' + (hr % 24) + ' h';
  }
  function parseDate(v) { if (!v) return null; var d = new Date(v); return isNaN(d.getTime()) ? null : d; }

  function readToken() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function writeToken(t) {
    try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off */ }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // GraphQL over HTTP

  function AuthError(message) { this.name = 'AuthError'; this.message = message || 'Unauthorized'; }
  AuthError.prototype = Object.create(Error.prototype);

  function gql(query, variables, token) {
    return fetch(endpoint, {
      method: 'POST',
      cache: 'no-store',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: 'Bearer ' + (token || S.token),
      },
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (res) {
      if (res.status === 401) throw new AuthError();
      return res.json().then(function (body) {
        if (!body || (body.data == null && body.errors && body.errors.length)) {
          var e = new Error((body && body.errors && body.errors[0] && body.errors[0].message) || 'HTTP ' + res.status);
          e.graphql = body && body.errors;
          throw e;
        }
        return body;
      }, function () { throw new Error('HTTP ' + res.status + ' ' + res.statusText); });
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  var S = {
    token: '',
    report: null,
    features: [],
    byKey: new Map(),
    selectedKey: null,
    featureFilter: '',
    checkoutFilter: '',
    checkoutFeature: '',
    sort: { key: 'since', dir: -1 },
    range: '24h',
    lastOk: null,
    lastError: null,
    mode: 'connecting',
    live: null,
    liveSupported: true,
    wsRetryMs: WS_RETRY_MS,
    historySupported: null,
    historyProbe: null,
    samples: new Map(),
    inflight: false,
    pending: false,
    timer: 0,
    debounce: 0,
    started: false,
  };

  function keyOf(f) { return (f.server ? f.server.id : '') + '/' + f.info.name; }

  // ---------------------------------------------------------------------------------------------------------------
  // Sign in / out

  function showSignin(message) {
    stopLive();
    clearTimeout(S.timer);
    S.started = false;
    $('dashboard').hidden = true;
    $('session').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    var input = $('token');
    input.setAttribute('aria-invalid', message ? 'true' : 'false');
    input.focus();
  }

  function signOut(message) {
    S.token = '';
    writeToken('');
    S.report = null;
    showSignin(message);
  }

  function signIn(token, fromStorage) {
    var btn = $('signin-submit');
    btn.disabled = true;
    $('signin-error').textContent = '';
    return gql('query DashboardMe { me { username role } }', null, token).then(function (body) {
      S.token = token;
      writeToken(token);
      var me = body.data && body.data.me;
      $('whoami').textContent = me ? 'Signed in as ' + me.username + ' (' + me.role.toLowerCase() + ')' : '';
      start();
    }, function (err) {
      if (err instanceof AuthError) {
        writeToken('');
        showSignin(fromStorage
          ? 'Your session ended: the server no longer accepts the saved token (401 Unauthorized). Sign in again.'
          : 'This token was not accepted (401 Unauthorized). Check that it was copied whole and has not expired or been revoked.');
      } else {
        showSignin('Could not reach licensegraph: ' + err.message + '. Check the connection and try again.');
      }
    }).then(function () { btn.disabled = false; });
  }

  function start() {
    $('signin').hidden = true;
    $('dashboard').hidden = false;
    $('session').hidden = false;
    S.started = true;
    setMode('connecting');
    refresh();
    connectLive();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reading the report

  function schedule(ms) {
    clearTimeout(S.timer);
    if (!S.started) return;
    S.timer = setTimeout(refresh, ms);
  }

  function refreshSoon() {
    clearTimeout(S.debounce);
    S.debounce = setTimeout(refresh, 150);
  }

  function refresh() {
    if (!S.started) return;
    if (S.inflight) { S.pending = true; return; }
    S.inflight = true;
    gql(REPORT_QUERY).then(function (body) {
      S.lastOk = new Date();
      S.lastError = null;
      applyReport(body.data.licenseReport);
    }, function (err) {
      if (err instanceof AuthError) { signOut('Your token is no longer accepted (401 Unauthorized): it may have expired or been revoked. Sign in again.'); return; }
      S.lastError = err.message || String(err);
      renderBanners();
      renderUpdated();
      if (S.mode !== 'live') setMode('offline');
    }).then(function () {
      S.inflight = false;
      if (!S.started) return;
      if (S.pending) { S.pending = false; refresh(); return; }
      schedule(S.mode === 'live' ? LIVE_POLL_MS : POLL_MS);
    });
  }

  function applyReport(report) {
    var prev = S.byKey;
    S.report = report;
    S.features = report.summaryByFeature;
    S.byKey = new Map();
    var changes = [];
    var now = Date.now();
    S.features.forEach(function (f) {
      var k = keyOf(f);
      S.byKey.set(k, f);
      var p = prev.get(k);
      if (p && (p.info.used !== f.info.used || p.info.issued !== f.info.issued || p.checkouts.length !== f.checkouts.length)) {
        changes.push({ key: k, f: f, was: p.info.used });
      }
      recordSample(k, f, now);
    });
    if (S.selectedKey == null || !S.byKey.has(S.selectedKey)) {
      var first = S.features[0];
      if (S.selectedKey == null && first) S.selectedKey = keyOf(first);
    }
    if (S.mode === 'offline' || S.mode === 'connecting') setMode(S.live && S.live.connected ? 'live' : 'polling');
    renderAll(changes);
    if (changes.length && prev.size) announceChanges(changes);
  }

  function announceChanges(changes) {
    var parts = changes.slice(0, 3).map(function (c) {
      var f = c.f;
      if (f.uncounted || f.info.used == null) return f.info.name + ': ' + f.checkouts.length + ' checkouts';
      return f.info.name + ': ' + f.info.used + ' of ' + num(f.info.issued) + ' in use (was ' + num(c.was) + ')';
    });
    if (changes.length > 3) parts.push('and ' + (changes.length - 3) + ' more');
    announce('Updated. ' + parts.join('; ') + '.');
  }

  function announce(text) {
    var el = $('announcer');
    el.textContent = '';
    setTimeout(function () { el.textContent = text; }, 30);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Rendering

  function renderAll(changes) {
    renderUpdated();
    renderBanners();
    renderTiles();
    renderFeatures(changes);
    renderFeatureSelect();
    renderCheckouts();
    renderHistory(false);
  }

  function renderUpdated() {
    var el = $('updated');
    if (!S.report) { el.textContent = S.lastError ? 'Could not load the report: ' + S.lastError : 'Loading…'; return; }
    var read = parseDate(S.report.fetchedAt);
    var text = 'Updated ' + (S.lastOk ? hms(S.lastOk) : '—');
    if (read) text += ' · license data read at ' + hms(read);
    el.textContent = text;
  }

  function setMode(mode) {
    S.mode = mode;
    var el = $('live');
    el.setAttribute('data-mode', mode);
    var text = mode === 'live' ? 'Live' : mode === 'polling' ? 'Refreshing every ' + Math.round(POLL_MS / 1000) + ' s' : mode === 'offline' ? 'Connection lost' : 'Connecting…';
    $('live-text').textContent = text;
    el.title = mode === 'live' ? 'Updates arrive over a WebSocket subscription' : mode === 'polling' ? 'Live updates are not available; the report is re-read periodically' : '';
  }

  function serverIssueText(srv) {
    if (srv.error) return srv.error;
    var msgs = (srv.issues || []).map(function (i) { return i.message; });
    return msgs.join(' ');
  }

  var bannerSig = new Map();
  function renderBanners() {
    var box = $('banners');
    var want = [];
    if (S.lastError) {
      want.push({
        id: 'conn', kind: 'stale', role: 'alert',
        title: 'Cannot reach licensegraph.',
        text: (S.report ? 'Showing the data from ' + (S.lastOk ? hms(S.lastOk) : 'earlier') + '. ' : '') + 'Retrying every ' + Math.round(POLL_MS / 1000) + ' s.',
        detail: S.lastError,
      });
    }
    var servers = (S.report && S.report.servers) || [];
    servers.forEach(function (srv) {
      var name = srv.label && srv.label !== srv.id ? srv.label + ' (' + srv.id + ')' : srv.id;
      var checked = parseDate(srv.checkedAt);
      var read = parseDate(srv.fetchedAt);
      if (srv.status === 'DOWN') {
        want.push({
          id: 'down:' + srv.id, kind: 'down', role: 'alert', server: srv.id,
          title: 'License server ' + name + ' is DOWN.',
          text: (srv.stale && read ? 'Showing its last good data, read at ' + lmDate(read) + '. ' : 'Its features are not shown. ') + (checked ? 'Last checked ' + hms(checked) + '.' : ''),
          detail: serverIssueText(srv) || 'The license server did not answer.',
        });
      } else if (srv.stale) {
        want.push({
          id: 'stale:' + srv.id, kind: 'stale', role: 'alert', server: srv.id,
          title: 'Data from ' + name + ' is stale.',
          text: 'The last read failed; showing data read at ' + (read ? lmDate(read) + ' (' + ago(Date.now() - read.getTime()) + ' ago)' : 'an earlier time') + '.',
          detail: serverIssueText(srv),
        });
      } else if (srv.status === 'UNKNOWN') {
        want.push({ id: 'unknown:' + srv.id, kind: 'info', role: 'status', server: srv.id, title: 'The state of ' + name + ' is unknown.', text: '', detail: serverIssueText(srv) });
      }
    });
    var seen = new Set();
    want.forEach(function (b) {
      seen.add(b.id);
      var sig = [b.kind, b.title, b.text, b.detail].join('|');
      var el = box.querySelector('[data-banner="' + CSS.escape(b.id) + '"]');
      if (el && bannerSig.get(b.id) === sig) return;
      var node = h('div', { class: 'banner banner-' + b.kind, role: b.role, 'data-banner': b.id, 'data-server': b.server || null },
        bannerIcon(b.kind),
        h('div', null,
          h('strong', { text: b.title }), b.text ? ' ' + b.text : null,
          b.detail ? h('p', { class: 'detail', text: b.detail }) : null));
      if (el) box.replaceChild(node, el); else box.appendChild(node);
      bannerSig.set(b.id, sig);
    });
    Array.prototype.slice.call(box.children).forEach(function (el) {
      var id = el.getAttribute('data-banner');
      if (!seen.has(id)) { box.removeChild(el); bannerSig.delete(id); }
    });
  }

  function bannerIcon(kind) {
    var svg = s('svg', { class: 'icon', viewBox: '0 0 20 20', 'aria-hidden': 'true', focusable: 'false' });
    if (kind === 'info') {
      svg.appendChild(s('circle', { cx: 10, cy: 10, r: 8, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }));
      svg.appendChild(s('path', { d: 'M10 9v5M10 6v.5', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }));
    } else {
      svg.appendChild(s('path', { d: 'M10 2.5 18.5 17h-17z', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      svg.appendChild(s('path', { d: 'M10 8v4M10 14.5v.5', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }));
    }
    return svg;
  }

  function renderTiles() {
    var r = S.report;
    var servers = r.servers || [];
    var up = servers.filter(function (x) { return x.status === 'UP'; }).length;
    var used = 0, issued = 0, checkouts = 0, queued = 0;
    S.features.forEach(function (f) {
      if (!f.uncounted && f.info.used != null && f.info.issued != null) { used += f.info.used; issued += f.info.issued; }
      checkouts += f.checkouts.length;
      f.queued.forEach(function (q) { queued += q.count; });
    });
    setTile('t-servers', nf.format(up), nf.format(servers.length), up < servers.length);
    setTile('t-features', nf.format(S.features.length));
    setTile('t-used', nf.format(used), nf.format(issued));
    setTile('t-checkouts', nf.format(checkouts));
    setTile('t-queued', nf.format(queued), null, queued > 0);
  }
  function setTile(id, value, of, bad) {
    var el = $(id);
    clear(el);
    el.appendChild(document.createTextNode(value));
    if (of != null) el.appendChild(h('span', { class: 'of', text: ' / ' + of }));
    el.classList.toggle('bad', !!bad);
  }

  // Feature rows are kept (keyed) across refreshes so focus and selection survive updates.
  var rowByKey = new Map();

  function featureMatches(f, q) {
    if (!q) return true;
    var hay = (f.info.name + ' ' + (f.vendor || '') + ' ' + (f.server ? f.server.id + ' ' + f.server.label : '')).toLowerCase();
    return q.split(/\s+/).every(function (t) { return hay.indexOf(t) >= 0; });
  }

  function renderFeatures(changes) {
    var tbody = $('features').tBodies[0];
    var q = S.featureFilter.trim().toLowerCase();
    var multiServer = ((S.report && S.report.servers) || []).length > 1;
    var list = S.features.filter(function (f) { return featureMatches(f, q); });
    var changed = new Set((changes || []).map(function (c) { return c.key; }));
    var keep = new Set();
    list.forEach(function (f, i) {
      var k = keyOf(f);
      keep.add(k);
      var row = rowByKey.get(k);
      if (!row) { row = createRow(k); rowByKey.set(k, row); }
      updateRow(row, f, multiServer);
      if (changed.has(k)) flash(row);
      if (tbody.children[i] !== row) tbody.insertBefore(row, tbody.children[i] || null);
    });
    rowByKey.forEach(function (row, k) {
      if (!keep.has(k)) { if (row.parentNode) row.parentNode.removeChild(row); if (!S.byKey.has(k)) rowByKey.delete(k); }
    });
    var empty = $('features-empty');
    if (list.length === 0) {
      empty.hidden = false;
      var down = ((S.report && S.report.servers) || []).filter(function (x) { return x.status === 'DOWN'; }).length;
      empty.textContent = S.features.length === 0
        ? (down ? 'No features to show: the license server is down.' : 'No features reported.')
        : 'No feature matches “' + S.featureFilter.trim() + '”.';
    } else {
      empty.hidden = true;
    }
  }

  function flash(row) {
    var cells = row.querySelectorAll('td.num');
    Array.prototype.forEach.call(cells, function (c) {
      c.classList.remove('changed');
      void c.offsetWidth;
      c.classList.add('changed');
    });
  }

  function createRow(k) {
    var btn = h('button', { type: 'button', class: 'fname' });
    var meta = h('span', { class: 'fmeta' });
    var used = h('span', { class: 'seg-used' });
    var reserved = h('span', { class: 'seg-reserved' });
    var bar = h('div', { class: 'bar', role: 'meter', 'aria-valuemin': 0 }, used, reserved);
    var pct = h('span', { class: 'pct' });
    var row = h('tr', { 'data-key': k, 'data-selected': 'false' },
      h('th', { scope: 'row' }, btn, meta),
      h('td', { class: 'col-bar' }, bar, pct),
      h('td', { class: 'num used' }, h('span', { class: 'big' })),
      h('td', { class: 'num issued' }),
      h('td', { class: 'num free' }),
      h('td', { class: 'notes' }, h('div', { class: 'badges' })));
    row.addEventListener('click', function (ev) {
      if (ev.target !== btn) selectFeature(k, true);
    });
    btn.addEventListener('click', function () { selectFeature(k, true); });
    return row;
  }

  function updateRow(row, f, multiServer) {
    var info = f.info;
    row.setAttribute('data-feature', info.name);
    row.setAttribute('data-server', f.server ? f.server.id : '');
    row.setAttribute('data-selected', String(keyOf(f) === S.selectedKey));
    var btn = row.querySelector('.fname');
    if (btn.getAttribute('data-name') !== info.name) {
      btn.setAttribute('data-name', info.name);
      clear(btn);
      // Long names break after an underscore or dash rather than mid-word.
      info.name.split(/(?<=[_-])/).forEach(function (part, i) {
        if (i) btn.appendChild(h('wbr'));
        btn.appendChild(document.createTextNode(part));
      });
    }
    btn.setAttribute('aria-pressed', String(keyOf(f) === S.selectedKey));
    var meta = [];
    if (multiServer && f.server) meta.push(f.server.label || f.server.id);
    if (f.vendor) meta.push(f.vendor);
    row.querySelector('.fmeta').textContent = meta.join(' · ');

    var bar = row.querySelector('.bar');
    var segUsed = bar.children[0], segRes = bar.children[1];
    var pct = row.querySelector('.pct');
    var counted = !f.uncounted && info.issued != null && info.used != null;
    bar.classList.toggle('uncounted', !counted);
    bar.classList.remove('high', 'full');
    var queued = 0;
    f.queued.forEach(function (q) { queued += q.count; });
    if (counted) {
      var issued = info.issued;
      var reserved = Math.min(f.reserved || 0, info.used);
      var usedW = issued > 0 ? Math.min(100, ((info.used - reserved) / issued) * 100) : (info.used > 0 ? 100 : 0);
      var resW = issued > 0 ? Math.min(100 - usedW, (reserved / issued) * 100) : 0;
      segUsed.style.width = usedW.toFixed(2) + '%';
      segRes.style.width = resW.toFixed(2) + '%';
      var u = issued > 0 ? info.used / issued : (info.used > 0 ? 1 : 0);
      if (u >= 1) bar.classList.add('full'); else if (u >= 0.85) bar.classList.add('high');
      bar.setAttribute('aria-valuemax', String(issued));
      bar.setAttribute('aria-valuenow', String(Math.min(info.used, issued)));
      var vt = info.used + ' of ' + issued + ' in use, ' + num(info.free) + ' free';
      if (f.reserved) vt += ', ' + f.reserved + ' reserved';
      if (queued) vt += ', ' + queued + ' queued';
      bar.setAttribute('aria-valuetext', vt);
      bar.setAttribute('aria-label', info.name + ' usage');
      pct.textContent = Math.round(u * 100) + '% in use' + (f.reserved ? ' · ' + f.reserved + ' reserved' : '');
    } else {
      segUsed.style.width = '0';
      segRes.style.width = '0';
      bar.removeAttribute('aria-valuemax');
      bar.removeAttribute('aria-valuenow');
      var held = f.checkedOut != null ? f.checkedOut : f.checkouts.length;
      bar.setAttribute('aria-valuetext', f.uncounted ? 'Uncounted license, ' + held + ' held' : 'Counts not reported');
      bar.setAttribute('aria-label', info.name + ' usage');
      pct.textContent = f.uncounted ? 'Uncounted · ' + held + ' held' : 'Counts not reported';
    }
    row.querySelector('td.used .big').textContent = num(info.used);
    row.querySelector('td.issued').textContent = f.uncounted ? 'uncounted' : num(info.issued);
    row.querySelector('td.free').textContent = num(info.free);

    var badges = row.querySelector('.badges');
    clear(badges);
    if (f.reserved) {
      var res = (f.reservations || []).map(function (r) { return r.count + ' for ' + r.kind + ' ' + r.target; }).join(', ');
      badges.appendChild(h('span', { class: 'badge badge-reserved', title: 'Reserved: ' + res, text: f.reserved + ' reserved' }));
    }
    if (queued) badges.appendChild(h('span', { class: 'badge badge-queue', title: 'Requests waiting for a license', text: queued + ' queued' }));
    if (f.uncounted) badges.appendChild(h('span', { class: 'badge badge-uncounted', text: 'uncounted' }));
    if (f.daysToExpiry != null && f.daysToExpiry <= 30) {
      badges.appendChild(h('span', { class: 'badge badge-expiry', title: 'Expires ' + f.expiry, text: f.daysToExpiry < 0 ? 'expired' : f.daysToExpiry === 0 ? 'expires today' : 'expires in ' + f.daysToExpiry + ' d' }));
    }
    if (f.server && f.server.stale) badges.appendChild(h('span', { class: 'badge badge-invalid', text: 'stale' }));
    if (!f.valid) {
      var why = (f.issues || []).map(function (i) { return i.message; }).join(' ');
      badges.appendChild(h('span', { class: 'badge badge-invalid', title: why, text: 'check failed' }));
    }
  }

  function selectFeature(k, user) {
    S.selectedKey = k;
    rowByKey.forEach(function (row, key) {
      row.setAttribute('data-selected', String(key === k));
      var b = row.querySelector('.fname');
      if (b) b.setAttribute('aria-pressed', String(key === k));
    });
    if (user) {
      var f = S.byKey.get(k);
      if (f) {
        S.checkoutFeature = k;
        $('checkout-feature').value = k;
        renderCheckouts();
      }
    }
    renderHistory(true);
  }

  function renderFeatureSelect() {
    var sel = $('checkout-feature');
    var want = [''].concat(S.features.map(keyOf));
    var have = Array.prototype.map.call(sel.options, function (o) { return o.value; });
    if (want.join('\n') !== have.join('\n')) {
      var multi = ((S.report && S.report.servers) || []).length > 1;
      clear(sel);
      sel.appendChild(h('option', { value: '', text: 'All features' }));
      S.features.forEach(function (f) {
        sel.appendChild(h('option', { value: keyOf(f), text: f.info.name + (multi && f.server ? ' (' + f.server.id + ')' : '') }));
      });
    }
    if (S.checkoutFeature && !S.byKey.has(S.checkoutFeature)) S.checkoutFeature = '';
    sel.value = S.checkoutFeature;
  }

  function checkoutRows() {
    var rows = [];
    S.features.forEach(function (f) {
      var k = keyOf(f);
      if (S.checkoutFeature && S.checkoutFeature !== k) return;
      f.checkouts.forEach(function (c) {
        rows.push({ user: c.username, host: c.hostname, display: c.display, feature: f.info.name, count: c.count, since: parseDate(c.startedAt), startTime: c.startTime, queued: false });
      });
      f.queued.forEach(function (c) {
        rows.push({ user: c.username, host: c.hostname, display: null, feature: f.info.name, count: c.count, since: parseDate(c.startedAt), startTime: c.startTime, queued: true });
      });
    });
    return rows;
  }

  function renderCheckouts() {
    var all = checkoutRows();
    var q = S.checkoutFilter.trim().toLowerCase();
    var terms = q ? q.split(/\s+/) : [];
    var rows = terms.length ? all.filter(function (r) {
      var hay = (r.user + ' ' + r.host + ' ' + r.feature + ' ' + (r.display || '')).toLowerCase();
      return terms.every(function (t) { return hay.indexOf(t) >= 0; });
    }) : all;
    var key = S.sort.key, dir = S.sort.dir;
    rows.sort(function (a, b) {
      var x, y;
      if (key === 'count') { x = a.count; y = b.count; }
      else if (key === 'since') { x = a.since ? a.since.getTime() : 0; y = b.since ? b.since.getTime() : 0; }
      else { x = String(a[key]).toLowerCase(); y = String(b[key]).toLowerCase(); }
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.user < b.user ? -1 : a.user > b.user ? 1 : 0;
    });
    var tbody = $('checkouts').tBodies[0];
    var frag = document.createDocumentFragment();
    var now = Date.now();
    rows.slice(0, MAX_CHECKOUT_ROWS).forEach(function (r) {
      var since = r.since
        ? h('td', { class: 'since' }, h('time', { datetime: r.since.toISOString(), title: r.since.toString(), text: lmDate(r.since) }), h('span', { class: 'since-rel', text: ago(now - r.since.getTime()) }))
        : h('td', { class: 'since', text: r.startTime || '—' });
      frag.appendChild(h('tr', { 'data-user': r.user, 'data-host': r.host },
        h('td', { class: 'user' }, r.user, r.queued ? ' ' : null, r.queued ? h('span', { class: 'badge badge-queued', text: 'queued' }) : null),
        h('td', { class: 'host', title: r.display && r.display !== r.host ? 'display ' + r.display : null, text: r.host }),
        h('td', { class: 'feature', text: r.feature }),
        h('td', { class: 'num count', text: String(r.count) }),
        since));
    });
    if (rows.length === 0) {
      frag.appendChild(h('tr', null, h('td', { colspan: 5, class: 'empty', text: all.length ? 'No checkout matches the filter.' : 'No licenses are checked out.' })));
    }
    clear(tbody);
    tbody.appendChild(frag);
    var nCheckouts = all.filter(function (r) { return !r.queued; }).length;
    var text = rows.length === all.length
      ? nf.format(nCheckouts) + ' checkout' + (nCheckouts === 1 ? '' : 's')
      : 'Showing ' + nf.format(rows.length) + ' of ' + nf.format(all.length);
    var nq = all.length - nCheckouts;
    if (nq) text += ' · ' + nq + ' queued';
    if (rows.length > MAX_CHECKOUT_ROWS) text += ' · first ' + MAX_CHECKOUT_ROWS + ' shown';
    $('checkout-count').textContent = text;
    Array.prototype.forEach.call($('checkouts').tHead.querySelectorAll('th'), function (th) {
      var b = th.querySelector('button');
      th.setAttribute('aria-sort', b && b.getAttribute('data-sort') === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // History

  function recordSample(k, f, t) {
    var arr = S.samples.get(k);
    if (!arr) { arr = []; S.samples.set(k, arr); }
    var last = arr[arr.length - 1];
    if (last && last.used === f.info.used && last.issued === f.info.issued && t - last.t < 60000) return;
    arr.push({ t: t, used: f.info.used, issued: f.info.issued });
    if (arr.length > LOCAL_SAMPLES) arr.splice(0, arr.length - LOCAL_SAMPLES);
  }

  var historyCache = new Map();
  var historySeq = 0;

  function probeHistory() {
    if (!S.historyProbe) {
      S.historyProbe = gql(CAPABILITIES_QUERY).then(function (body) {
        var t = body.data && body.data.__type;
        if (t && t.fields) S.historySupported = t.fields.some(function (x) { return x.name === 'history'; });
      }, function () { /* introspection is off: try the history query itself */ });
    }
    return S.historyProbe;
  }

  function renderHistory(force) {
    var f = S.selectedKey ? S.byKey.get(S.selectedKey) : null;
    $('history-feature').textContent = f ? '· ' + f.info.name : '';
    if (!f) { $('history-note').textContent = ''; drawChart(null, null); return; }
    if (S.historySupported === null) {
      probeHistory().then(function () { if (S.historySupported !== null) renderHistory(force); else loadHistory(f, force); });
      return;
    }
    loadHistory(f, force);
  }

  function loadHistory(f, force) {
    var range = RANGES[S.range];
    var until = Date.now();
    var since = until - range.ms;
    if (S.historySupported === false) { drawLocal(f, since, until); return; }
    var ck = S.selectedKey + '|' + S.range;
    var cached = historyCache.get(ck);
    if (cached && !force && until - cached.at < 60000) { drawServer(f, cached.points, since, until); return; }
    if (cached) drawServer(f, cached.points, since, until);
    var seq = ++historySeq;
    gql(HISTORY_QUERY, {
      name: f.info.name,
      server: f.server ? f.server.id : null,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      bucket: range.bucket,
      timeZone: TIME_ZONE,
    }).then(function (body) {
      if (seq !== historySeq) return;
      var hist = body.data && body.data.feature && body.data.feature.history;
      if (!hist) { drawLocal(f, since, until); return; }
      S.historySupported = true;
      var points = hist.map(function (b) {
        var t = parseDate(b.bucketStart).getTime();
        return { t: t, t2: t + range.bucketMs, used: b.knownSeconds === 0 ? null : b.used, peak: b.knownSeconds === 0 ? null : b.peak, issued: b.issued };
      }).sort(function (a, b) { return a.t - b.t; });
      historyCache.set(ck, { at: Date.now(), points: points });
      drawServer(f, points, since, until);
    }, function (err) {
      if (seq !== historySeq) return;
      if (err instanceof AuthError) return;
      // The server has no Feature.history (an older licensegraph): chart what this page has seen.
      if (err.graphql) S.historySupported = false;
      drawLocal(f, since, until);
    });
  }

  function drawServer(f, points, since, until) {
    if (!points.some(function (p) { return p.used != null || p.peak != null; })) {
      drawLocal(f, since, until, 'licensegraph has not recorded history for this range yet');
      return;
    }
    $('history-note').textContent = 'Recorded by licensegraph: mean licenses in use per ' + (RANGES[S.range].bucket === 'DAY' ? 'day' : 'hour') + ', the peak in each, and the licenses issued (dashed).';
    drawChart(f, { points: points, since: since, until: until, stepped: true });
  }

  function drawLocal(f, since, until, why) {
    var arr = (S.samples.get(S.selectedKey) || []).filter(function (p) { return p.t >= since; });
    var points = arr.map(function (p) { return { t: p.t, used: p.used, peak: p.used, issued: p.issued }; });
    var from = arr.length ? new Date(arr[0].t) : new Date();
    $('history-note').textContent = (why || 'This server does not record history') + '; showing what this page has seen since ' + hm(from) + '.';
    drawChart(f, { points: points, since: Math.max(since, arr.length ? arr[0].t - 60000 : since), until: until, stepped: false, local: true });
  }

  var TICK_STEPS = [15e3, 30e3, 60e3, 2 * 60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 3 * 3600e3,
    4 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3, 14 * 86400e3];
  /** Round time ticks (whole minutes, hours or local days) for a window. */
  function timeTicks(t0, t1, maxTicks) {
    var span = t1 - t0;
    var step = TICK_STEPS[TICK_STEPS.length - 1];
    for (var i = 0; i < TICK_STEPS.length; i++) if (span / TICK_STEPS[i] <= maxTicks) { step = TICK_STEPS[i]; break; }
    var day = new Date(t0);
    day.setHours(0, 0, 0, 0);
    var out = [];
    var k = Math.ceil((t0 - day.getTime()) / step);
    for (var t = day.getTime() + k * step; t <= t1 && out.length < 50; t += step) {
      var d = new Date(t);
      // Past a DST change, realign to the local clock.
      if (step >= 3600e3 && step < 86400e3 && d.getMinutes() !== 0) { d.setMinutes(0, 0, 0); t = d.getTime(); }
      if (step >= 86400e3 && d.getHours() !== 0) { d.setHours(0, 0, 0, 0); t = d.getTime(); }
      if (t < t0) continue;
      var label = step >= 86400e3 ? shortDate(d) : step < 60e3 ? hms(d) : (d.getHours() === 0 && d.getMinutes() === 0 ? shortDate(d) : hm(d));
      out.push({ t: t, label: label });
    }
    return out;
  }

  var lastChart = null;
  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      if (lastChart && Math.abs(($('chart').clientWidth || 0) - lastChart.width) > 8) drawChart(lastChart.f, lastChart.data);
    }, 150);
  });

  function niceMax(v) {
    if (!(v > 0)) return 4;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function drawChart(f, data) {
    var box = $('chart');
    clear(box);
    var tbody = $('history-table').tBodies[0];
    clear(tbody);
    // Drawn at the container's pixel width so text keeps its size; redrawn when the window is resized.
    var W = Math.max(320, Math.round(box.clientWidth || 640) - 24), H = 260, L = 46, R = 16, T = 30, B = 30;
    lastChart = { f: f, data: data, width: box.clientWidth };
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-labelledby': 'chart-title chart-desc', preserveAspectRatio: 'xMidYMid meet' });
    var title = s('title', { id: 'chart-title' }, f ? 'Licenses in use for ' + f.info.name + ' over ' + RANGES[S.range].label : 'History');
    var desc = s('desc', { id: 'chart-desc' }, '');
    svg.appendChild(title);
    svg.appendChild(desc);
    box.appendChild(svg);
    var pts = data ? data.points.filter(function (p) { return p.used != null || p.peak != null; }) : [];
    if (!f || pts.length === 0) {
      svg.appendChild(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, f ? 'No history recorded for this range yet.' : 'Select a feature to see its history.'));
      desc.textContent = 'No data.';
      return;
    }
    var t0 = data.since, t1 = data.until;
    var maxV = 0;
    pts.forEach(function (p) { maxV = Math.max(maxV, p.used || 0, p.peak || 0, p.issued || 0); });
    var yMax = niceMax(maxV * 1.08);
    var x = function (t) { return L + ((t - t0) / (t1 - t0)) * (W - L - R); };
    var y = function (v) { return T + (1 - v / yMax) * (H - T - B); };

    // Grid and axes
    var grid = s('g', { class: 'grid' });
    var axis = s('g', { class: 'axis' });
    for (var i = 0; i <= 4; i++) {
      var v = (yMax / 4) * i;
      grid.appendChild(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      axis.appendChild(s('text', { x: L - 8, y: y(v) + 4, 'text-anchor': 'end' }, nf.format(Math.round(v * 10) / 10)));
    }
    var span = t1 - t0;
    var maxTicks = Math.max(3, Math.floor((W - L - R) / 80));
    timeTicks(t0, t1, maxTicks).forEach(function (tk) {
      var tx = x(tk.t);
      grid.appendChild(s('line', { x1: tx, x2: tx, y1: T, y2: H - B, class: 'vgrid' }));
      axis.appendChild(s('text', { x: tx, y: H - B + 18, 'text-anchor': 'middle' }, tk.label));
    });
    svg.appendChild(grid);
    svg.appendChild(axis);

    // Series: stepped per bucket for server history, straight between samples for local ones.
    function path(key) {
      var dstr = '';
      var started = false;
      pts.forEach(function (p, idx) {
        var val = p[key];
        if (val == null) { started = false; return; }
        var xa = x(Math.max(t0, p.t));
        var next = pts[idx + 1];
        var xb = data.stepped ? x(Math.min(t1, p.t2 || (next ? next.t : t1))) : null;
        dstr += (started ? ' L' : ' M') + xa.toFixed(1) + ',' + y(val).toFixed(1);
        if (data.stepped) dstr += ' L' + xb.toFixed(1) + ',' + y(val).toFixed(1);
        started = true;
      });
      if (!data.stepped && started) {
        var lastP = pts[pts.length - 1];
        if (lastP[key] != null) dstr += ' L' + x(t1).toFixed(1) + ',' + y(lastP[key]).toFixed(1);
      }
      return dstr.trim();
    }
    var usedPath = path('used');
    if (usedPath) {
      var firstX = usedPath.match(/^M([\d.]+)/);
      var lastX = usedPath.match(/([\d.]+),[\d.]+$/);
      if (firstX && lastX) {
        svg.appendChild(s('path', { class: 'used-area', d: usedPath + ' L' + lastX[1] + ',' + y(0) + ' L' + firstX[1] + ',' + y(0) + ' Z' }));
      }
    }
    var issuedPath = path('issued');
    if (issuedPath) svg.appendChild(s('path', { class: 'issued', d: issuedPath }));
    if (usedPath) svg.appendChild(s('path', { class: 'used', d: usedPath }));
    if (!data.local) {
      var peakPath = path('peak');
      if (peakPath) svg.appendChild(s('path', { class: 'peak', d: peakPath }));
    }

    // The peak of the range, marked and labelled.
    var peak = null;
    pts.forEach(function (p) {
      var pv = p.peak != null ? p.peak : p.used;
      if (pv != null && (!peak || pv > peak.v)) peak = { v: pv, p: p };
    });
    if (peak) {
      var px = x(Math.max(t0, peak.p.t));
      if (data.stepped) px = (px + x(Math.min(t1, peak.p.t2 || peak.p.t + (t1 - t0) / Math.max(1, pts.length)))) / 2;
      var py = y(peak.v);
      svg.appendChild(s('circle', { class: 'peak-dot', cx: px.toFixed(1), cy: py.toFixed(1), r: 4.5 }));
      var when = new Date(peak.p.t);
      var pl = 'Peak ' + nf.format(peak.v) + ' · ' + (span > 2 * 86400e3 ? shortDate(when) + ' ' : '') + hm(when);
      var anchor = px > W - 140 ? 'end' : px < L + 60 ? 'start' : 'middle';
      svg.appendChild(s('text', { class: 'peak-label', x: px.toFixed(1), y: Math.max(T - 8, py - 10).toFixed(1), 'text-anchor': anchor, 'data-peak': peak.v }, pl));
    }

    // Legend
    var lg = s('g', { class: 'legend', transform: 'translate(' + L + ',12)' });
    var items = [['used', 'In use']];
    if (!data.local) items.push(['peak', 'Peak']);
    items.push(['issued', 'Issued']);
    var lx = 0;
    items.forEach(function (it) {
      lg.appendChild(s('line', { class: it[0], x1: lx, x2: lx + 18, y1: 0, y2: 0 }));
      lg.appendChild(s('text', { x: lx + 23, y: 4 }, it[1]));
      lx += 23 + it[1].length * 7 + 16;
    });
    svg.appendChild(lg);

    var last = pts[pts.length - 1];
    desc.textContent = (peak ? 'Peak ' + peak.v + ' at ' + lmDate(new Date(peak.p.t)) + '. ' : '') +
      (last && last.used != null ? 'Latest: ' + last.used + (last.issued != null ? ' of ' + last.issued : '') + ' in use.' : '');

    // The same data as a table (for screen readers and copying).
    pts.slice().reverse().slice(0, 500).forEach(function (p) {
      tbody.appendChild(h('tr', null,
        h('td', { text: lmDate(new Date(p.t)) }),
        h('td', { class: 'num', text: p.used == null ? '—' : nf.format(Math.round(p.used * 10) / 10) }),
        h('td', { class: 'num', text: num(p.peak) }),
        h('td', { class: 'num', text: num(p.issued) })));
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Live updates over graphql-ws (falls back to polling)

  function stopLive() {
    if (S.live) {
      S.live.stopped = true;
      S.live.unsubs.forEach(function (u) { try { u(); } catch (e) { /* closed */ } });
      try { S.live.client.dispose(); } catch (e) { /* closed */ }
    }
    S.live = null;
  }

  function connectLive() {
    stopLive();
    if (!S.liveSupported || !window.graphqlWs || typeof window.graphqlWs.createClient !== 'function') { setMode('polling'); return; }
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + endpoint;
    var live = { client: null, unsubs: [], connected: false, stopped: false };
    S.live = live;
    function fallback(retry) {
      if (live.stopped) return;
      live.connected = false;
      if (S.live === live) {
        stopLive();
        if (S.started) {
          setMode(S.lastError ? 'offline' : 'polling');
          schedule(POLL_MS);
          if (retry && S.liveSupported) {
            setTimeout(function () { if (S.started && !S.live) connectLive(); }, S.wsRetryMs);
            S.wsRetryMs = Math.min(WS_RETRY_MAX_MS, S.wsRetryMs * 2);
          }
        }
      }
    }
    live.client = window.graphqlWs.createClient({
      url: url,
      lazy: false,
      keepAlive: 25000,
      retryAttempts: 3,
      // Errors reach the subscription sinks below; nothing to log.
      onNonLazyError: function () { /* handled by the sinks */ },
      connectionParams: function () { return { Authorization: 'Bearer ' + S.token }; },
      on: {
        connected: function () {
          if (live.stopped) return;
          live.connected = true;
          S.wsRetryMs = WS_RETRY_MS;
          setMode('live');
          schedule(LIVE_POLL_MS);
          refreshSoon();
        },
        closed: function (ev) {
          if (live.stopped) return;
          var code = ev && ev.code;
          // 4401/4403: the server refused the token; the next HTTP read decides whether to sign out.
          if (code === 4401 || code === 4403) { fallback(false); refreshSoon(); return; }
          if (live.connected) { live.connected = false; setMode('polling'); schedule(POLL_MS); }
        },
      },
    });
    var active = SUBSCRIPTIONS.length;
    SUBSCRIPTIONS.forEach(function (query) {
      var unsub = live.client.subscribe({ query: query }, {
        next: function () { if (!live.stopped) refreshSoon(); },
        error: function (err) {
          if (live.stopped) return;
          // GraphQL errors (an array): the server does not offer this subscription (an older licensegraph, or not
          // for this role); the others may still work. Anything else: the socket failed.
          if (Array.isArray(err)) {
            if (--active === 0) { S.liveSupported = false; fallback(false); }
          } else fallback(true);
        },
        complete: function () { /* the server ended the stream */ },
      });
      live.unsubs.push(unsub);
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Wiring

  $('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (!t) { showSignin('Enter an access token.'); return; }
    signIn(t, false);
  });
  $('signout').addEventListener('click', function () {
    signOut('');
    $('token').value = '';
  });
  $('refresh').addEventListener('click', function () { refresh(); renderHistory(true); });
  $('feature-filter').addEventListener('input', function (ev) { S.featureFilter = ev.target.value; if (S.report) renderFeatures(null); });
  $('checkout-filter').addEventListener('input', function (ev) { S.checkoutFilter = ev.target.value; if (S.report) renderCheckouts(); });
  $('checkout-feature').addEventListener('change', function (ev) { S.checkoutFeature = ev.target.value; if (S.report) renderCheckouts(); });
  Array.prototype.forEach.call($('checkouts').tHead.querySelectorAll('button[data-sort]'), function (b) {
    b.addEventListener('click', function () {
      var k = b.getAttribute('data-sort');
      if (S.sort.key === k) S.sort.dir = -S.sort.dir;
      else S.sort = { key: k, dir: k === 'since' || k === 'count' ? -1 : 1 };
      renderCheckouts();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('.segmented button[data-range]'), function (b) {
    b.addEventListener('click', function () {
      S.range = b.getAttribute('data-range');
      Array.prototype.forEach.call(document.querySelectorAll('.segmented button[data-range]'), function (o) {
        o.setAttribute('aria-pressed', String(o === b));
      });
      renderHistory(true);
    });
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && S.started) refresh();
  });

  var saved = readToken();
  if (saved) {
    $('token').value = '';
    signIn(saved, true);
  } else {
    showSignin('');
  }
})();
