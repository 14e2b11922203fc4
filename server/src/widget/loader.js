// Farewell loader: the one <script> a site embeds. It must stay under 3 KB gzipped, so the
// survey itself (survey.js) is fetched only when a survey is about to open. Full-line comments
// and indentation are stripped when the server starts; keep statements ;-terminated.
(function () {
  var me = document.currentScript;
  var site = me && me.getAttribute('data-site');
  if (!site || window.farewell) return;
  var host = new URL(me.src).origin;
  var exitMode = me.hasAttribute('data-exit');
  var store = window.localStorage;
  var prefix = 'farewell:' + site + ':';
  var DAY = 864e5;

  function get(key, fallback) {
    try { var v = store.getItem(prefix + key); return v ? JSON.parse(v) : fallback; } catch (e) { return fallback; }
  }
  function set(key, value) {
    try { if (value == null) store.removeItem(prefix + key); else store.setItem(prefix + key, JSON.stringify(value)); } catch (e) {}
  }
  // A version 4 UUID; randomUUID is missing on plain-http pages.
  function uuid() {
    return crypto.randomUUID ? crypto.randomUUID() : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, function (c) { return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16); });
  }

  var params = new URLSearchParams(location.search);
  var rid = get('rid');
  if (!rid) { rid = uuid(); set('rid', rid); }
  // The exit window answers for the site's visitor, under the site's respondent id.
  if (exitMode) rid = params.get('rid') || rid;
  var gpc = navigator.globalPrivacyControl === true;
  function optedOut() { return gpc || get('out', false); }

  // ---- the queue on the device: kept until the server acknowledges it ----
  function queue() { return get('q', []); }
  function enqueue(kind, value) {
    if (optedOut()) return;
    var q = queue();
    q.push({ k: uuid(), t: kind, v: value });
    set('q', q);
    flush();
  }
  var retry = 0, timer, busy;
  function payload(items, optOut) {
    var b = { site: site, respondent: rid, responses: [], amendments: [], impressions: [] };
    items.forEach(function (i) { b[i.t].push(i.v); });
    if (optOut != null) b.opt_out = optOut;
    return JSON.stringify(b);
  }
  function flush() {
    var items = queue().slice(0, 30), change = get('change');
    if (busy || (!items.length && change == null)) return;
    if (!navigator.onLine) return;
    busy = 1;
    fetch(host + '/api/v1/batch', { method: 'POST', body: payload(items, change), keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
      .then(function (r) {
        if (r.status == 429 || r.status >= 500) throw r;
        var sent = items.map(function (i) { return i.k; });
        set('q', queue().filter(function (i) { return sent.indexOf(i.k) < 0; }));
        if (change != null && get('change') === change) set('change', null);
        retry = 0; busy = 0;
        if (queue().length) flush();
      })
      .catch(function () {
        busy = 0;
        retry = Math.min(retry ? retry * 2 : 2000, 6e4);
        clearTimeout(timer);
        timer = setTimeout(flush, retry);
      });
  }
  addEventListener('online', flush);
  addEventListener('pagehide', function () {
    var items = queue(), change = get('change');
    if (items.length || change != null) navigator.sendBeacon(host + '/api/v1/batch', payload(items.slice(0, 30), change));
  });

  // ---- configuration and who may be asked ----
  var config, shown;
  function history() { return get('h', {}); }
  function remember(survey, what) {
    var h = history(), now = Date.now();
    h.last = now;
    h[survey] = h[survey] || {};
    h[survey][what] = now;
    set('h', h);
  }
  function eligible(s) {
    if (optedOut() || shown) return false;
    var h = history(), now = Date.now(), x = h[s.id] || {};
    if (h.last && now - h.last < config.global_cooldown_days * DAY) return false;
    if (x.a && now - x.a < s.cooldown_after_answer_days * DAY) return false;
    if (x.d && now - x.d < s.cooldown_after_dismiss_days * DAY) return false;
    var sample = get('s', {});
    if (sample[s.id] == null) { sample[s.id] = Math.random() < s.sample_rate; set('s', sample); }
    return sample[s.id];
  }

  // ---- opening a survey: survey.js is loaded only now ----
  function open(s, trigger, force) {
    if (!s || optedOut() || !(force || eligible(s)) || shown) return;
    shown = 1;
    if (trigger == 'armed_exit' && !exitMode) { set('armed', null); button(); }
    var script = document.createElement('script');
    script.src = host + '__SURVEY_JS__';
    script.onload = function () {
      var start = function (how) { ask(function () {
        window.__farewellSurvey({
          host: host, config: config, survey: s, trigger: how, respondent: rid,
          page: exitMode ? params.get('path') : location.pathname, referrer: exitMode ? null : document.referrer,
          exitWindow: exitMode, send: enqueue, remember: remember, optOut: api.optOut
        });
      }); };
      // The exit window first waits (survey.js: __farewellWatch) for the visitor to leave.
      if (trigger == 'watch') window.__farewellWatch(params.get('origin'), function () { start('armed_exit'); });
      else start(trigger);
    };
    document.head.appendChild(script);
  }

  // Only now, with a survey about to open, the server is asked whether this visitor left the
  // program on the preferences page (page views ask nothing about the visitor). A choice made
  // here and not yet sent wins; if the server cannot be reached, the local choice stands and
  // the server still refuses an answer from anyone who left.
  function ask(then) {
    if (get('change') != null) return then();
    fetch(host + '/api/v1/sites/' + site + '/participation', { method: 'POST', body: JSON.stringify({ respondent: rid }), credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
      .then(function (r) { return r.json(); })
      .then(function (p) { if (p.opted_out != null) set('out', p.opted_out); }, function () {})
      .then(function () { if (optedOut()) { shown = 0; button(); } else then(); });
  }

  // ---- the armed exit flow ----
  function armedSurvey() {
    var a = get('armed');
    return a && config.surveys.filter(function (s) { return s.id == a.survey; })[0];
  }
  function arm(s) {
    s = s || config.surveys.filter(function (x) { return x.triggers.armed_exit; })[0] || config.surveys[0];
    if (!s || optedOut()) return;
    var w = window.open(host + '/w/exit?site=' + site + '&survey=' + s.id + '&lang=' + config.lang + '&rid=' + rid + '&path=' + encodeURIComponent(location.pathname) + '&origin=' + encodeURIComponent(location.origin), 'farewell-exit', 'popup,width=480,height=680');
    set('armed', { survey: s.id, window: !!w, at: Date.now() });
    remember(s.id, 'a');
    button();
    if (!w) fallback(s);
  }
  // Without the exit window (popup blocked), the armed survey opens in the page when the visitor
  // heads out: the pointer leaving the top (desktop), or coming back to a hidden tab (mobile).
  function fallback(s) {
    exitIntent(function () { open(s, 'armed_exit', 1); }, 0);
    onReturn(function () { open(s, 'armed_exit', 1); });
  }
  function button() {
    if (!config) return;
    var s = config.surveys.filter(function (x) { return x.triggers.armed_exit && x.button_position != 'hidden'; })[0];
    var old = document.getElementById('farewell-arm');
    if (old) old.remove();
    if (!s || optedOut() || (!get('armed') && !eligible(s))) return;
    var b = document.createElement(get('armed') ? 'p' : 'button');
    b.id = 'farewell-arm';
    b.lang = config.lang;
    b.dir = config.dir;
    b.setAttribute('role', get('armed') ? 'status' : 'button');
    b.textContent = get('armed') ? s.texts.armed : s.texts.arm_button;
    b.style.cssText = 'position:fixed;bottom:16px;' + (s.button_position == 'bottom-left' ? 'left' : 'right') + ':16px;z-index:2147483646;max-width:18em;min-height:44px;padding:10px 16px;border-radius:22px;border:0;font:15px system-ui;background:#2d5bd7;color:#fff;margin:0';
    if (!get('armed')) b.onclick = function () { arm(s); };
    document.body.appendChild(b);
  }

  // ---- triggers ----
  function exitIntent(fire, minSeconds) {
    var start = Date.now();
    document.addEventListener('mouseout', function (e) {
      if (!e.relatedTarget && e.clientY <= 0 && Date.now() - start >= minSeconds * 1e3) fire();
    });
  }
  function onReturn(fire) {
    var hiddenAt;
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) hiddenAt = Date.now();
      else if (hiddenAt && Date.now() - hiddenAt > 1500) fire();
    });
  }
  function triggers() {
    var pages = (+sessionStorage.getItem(prefix + 'pv') || 0) + 1;
    sessionStorage.setItem(prefix + 'pv', pages);
    var t0 = +sessionStorage.getItem(prefix + 't0') || Date.now();
    sessionStorage.setItem(prefix + 't0', t0);
    config.surveys.forEach(function (s) {
      var t = s.triggers;
      if (t.pages_viewed && pages >= t.pages_viewed) open(s, 'pages_viewed');
      if (t.time_on_site_seconds) setTimeout(function () { open(s, 'time_on_site'); }, Math.max(0, t0 + t.time_on_site_seconds * 1e3 - Date.now()));
      if (t.exit_intent && matchMedia('(pointer:fine)').matches) exitIntent(function () { open(s, 'exit_intent'); }, t.exit_intent_min_seconds);
      if (t.mobile_return && matchMedia('(pointer:coarse)').matches) onReturn(function () { open(s, 'mobile_return'); });
    });
  }

  // Pages of the site answer the exit window's pings while the survey is armed.
  addEventListener('message', function (e) {
    if (e.origin == host && e.data && e.data.farewell == 'ping' && get('armed')) e.source.postMessage({ farewell: 'pong' }, host);
  });

  var api = window.farewell = {
    show: function (id) { if (config) open(id ? config.surveys.filter(function (s) { return s.id == id; })[0] : config.surveys[0], 'api', 1); },
    arm: function () { if (config) arm(); },
    optOut: function () { set('out', true); set('change', true); set('armed', null); button(); flush(); },
    optIn: function () { set('out', false); set('change', false); button(); flush(); },
    optedOut: optedOut,
    flush: flush
  };

  // Global Privacy Control is an opt-out: the first page that sees it sends the queue with one.
  if (gpc && !get('out', false)) api.optOut(); else flush();
  // The same for every visitor of the site: cached by the browser, a CDN and the server.
  fetch(host + '/api/v1/sites/' + site + '/config?lang=' + (document.documentElement.lang || ''), { credentials: 'omit' })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (c) {
      config = c;
      if (optedOut()) return;
      if (exitMode) return open(config.surveys.filter(function (s) { return s.id == params.get('survey'); })[0] || config.surveys[0], 'watch', 1);
      var a = get('armed');
      // An exit window lives for one visit: after two hours the arming is spent.
      if (a && Date.now() - a.at > 72e5) set('armed', null);
      else if (a && !a.window) fallback(armedSurvey());
      if (document.body) button(); else addEventListener('DOMContentLoaded', button);
      triggers();
    })
    .catch(function () {});
})();
