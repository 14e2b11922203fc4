// Farewell loader: the one <script> a site embeds. It must stay under 3 KB compressed, so the
// survey itself (survey.js) is fetched only when a survey is about to open. The server minifies
// it (oxc) when it starts: write it for reading.
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
  // A random version 4 UUID. randomUUID is missing on plain-http pages; a blob URL ends in one
  // (random, made by the browser) everywhere.
  function uuid() {
    return crypto.randomUUID ? crypto.randomUUID() : URL.createObjectURL(new Blob()).slice(-36);
  }

  var params = new URLSearchParams(location.search);
  var rid = get('rid');
  if (!rid) { rid = uuid(); set('rid', rid); }
  var gpc = navigator.globalPrivacyControl === true;
  var touch = matchMedia('(pointer:coarse)').matches;
  function optedOut() { return gpc || get('out', false); }

  // ---- the visit so far, numbers only: pages viewed, when it began, JavaScript errors raised
  // (a count: never the message, the script or the stack). Nothing is counted once opted out.
  // Storage a page (or the browser) refuses counts nothing and stops nothing else.
  var watched;
  function tally(key, add) {
    try {
      var ss = sessionStorage, n = +ss.getItem(prefix + key) || 0;
      if (add && !optedOut()) ss.setItem(prefix + key, n += add);
      return n;
    } catch (e) { return 0; }
  }
  if (!exitMode) {
    tally('pv', 1);
    tally('t0') || tally('t0', Date.now());
    ['error', 'unhandledrejection'].map(e => addEventListener(e, () => tally('er', 1)));
  }
  // What the site says of the visit (data-attributes, farewell.set), never personal data, and
  // the user (farewell.identify) and account it names, sent only if the visitor agrees: the
  // fourth item of the visit. Own keys with a string, number or boolean, as strings: nothing
  // else is kept (or could be posted to the exit window).
  var attrs = {};
  // null or '' takes a key away (a signed-out page: farewell.identify(null)).
  function put(o) { Object.keys(o || {}).map(k => { var v = o[k]; (v ?? '') === '' ? delete attrs[k] : /^(st|n|b)/.test(typeof v) && (attrs[k] = '' + v); }); }
  try { put(JSON.parse(me.dataset.attributes)); } catch (e) {}
  // The exit window has no visit of its own: it has what the site's page last told it.
  function visit() { return exitMode ? watched : ['pv', 't0', 'er'].map(k => tally(k)).concat(attrs); }

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
    var b = { site, respondent: rid };
    items.forEach(i => { (b[i.t] = b[i.t] || []).push(i.v); });
    if (optOut != null) b.opt_out = optOut;
    return JSON.stringify(b);
  }
  function flush() {
    var items = queue().slice(0, 30), change = get('change');
    if (busy || (!items.length && change == null)) return;
    if (!navigator.onLine) return;
    busy = 1;
    fetch(host + '/api/v1/batch', { method: 'POST', body: payload(items, change), keepalive: true, credentials: 'omit' })
      .then(r => {
        if (r.status == 429 || r.status >= 500) throw r;
        var sent = items.map(i => i.k);
        set('q', queue().filter(i => sent.indexOf(i.k) < 0));
        if (change != null && get('change') === change) set('change', null);
        retry = 0; busy = 0;
        if (queue().length) flush();
      })
      .catch(() => {
        busy = 0;
        retry = Math.min(retry ? retry * 2 : 2000, 6e4);
        clearTimeout(timer);
        timer = setTimeout(flush, retry);
      });
  }
  addEventListener('online', flush);
  addEventListener('pagehide', () => {
    var items = queue(), change = get('change');
    if (items.length || change != null) navigator.sendBeacon(host + '/api/v1/batch', payload(items.slice(0, 30), change));
  });

  // ---- configuration and who may be asked ----
  var config, shown;
  function remember(survey, what) {
    var h = get('h', {}), now = Date.now();
    h.last = now;
    h[survey] = h[survey] || {};
    h[survey][what] = now;
    set('h', h);
  }
  // On which pages a survey may open: `*` is any run within a path segment, `**` any run across
  // segments (the server sends `X/**` as `X` too); `!` excludes. No include pattern: any page.
  // One pass over the path per pattern character (no backtracking, however long the path),
  // as `domain::targeting::glob` on the server: m[j] is whether the pattern so far matches
  // the path's first j characters.
  function glob(p, s) {
    var m = [1], i = 0, j, any;
    for (; i < p.length; i++) {
      if (p[i] == '*') {
        any = p[i + 1] == '*';
        if (any) i++;
        for (j = 1; j <= s.length; j++) m[j] = m[j] || m[j - 1] && (any || s[j - 1] != '/');
      } else {
        for (j = s.length; j > 0; j--) m[j] = m[j - 1] && s[j - 1] == p[i];
        m[0] = 0;
      }
    }
    return !!m[s.length];
  }
  function targeted(s) {
    var p = s.pages || [], path = location.pathname, inc = p.filter(x => x[0] != '!');
    return !p.some(x => x[0] == '!' && glob(x.slice(1), path)) && (!inc.length || inc.some(x => glob(x, path)));
  }
  function eligible(s) {
    if (optedOut() || shown || !targeted(s)) return false;
    var h = get('h', {}), now = Date.now(), x = h[s.id] || {};
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
    script.onload = () => {
      // survey.js first asks the server whether this visitor left the program (perhaps on the
      // preferences page), unless a choice made here is still unsent; `left` records it.
      var start = how => window.__farewellSurvey({
        host, site, config, survey: s, trigger: how, respondent: rid, unsent: get('change') != null,
        page: exitMode ? params.get('path') : location.pathname, referrer: exitMode ? null : document.referrer,
        exitWindow: exitMode, send: enqueue, remember, optOut: api.optOut, visit: visit(), me,
        left: () => { set('out', true); shown = 0; button(); }
      });
      // The exit window first waits (survey.js: __farewellWatch) for the visitor to leave.
      if (trigger == 'watch') window.__farewellWatch(params.get('origin'), (r, j) => { rid = r || rid; watched = j; start('armed_exit'); });
      else start(trigger);
    };
    document.head.append(script);
  }

  // ---- the armed exit flow ----
  function armedSurvey() {
    var a = get('armed');
    return a && config.surveys.find(s => s.id == a.survey);
  }
  // On desktop a small waiting window (the only way to ask after the tab is closed); on touch
  // devices no window or tab at all: the survey shows in the page when the visitor comes back.
  function arm(s) {
    s = s || config.surveys.find(x => x.triggers.armed_exit) || config.surveys[0];
    if (!s || optedOut()) return;
    var w = !touch && window.open(host + '/w/exit?' + new URLSearchParams({ site, survey: s.id, lang: config.lang, path: location.pathname, origin: location.origin }), 'farewell-exit', 'width=420,height=340');
    set('armed', { survey: s.id, window: !!w, at: Date.now() });
    remember(s.id, 'a');
    button();
    if (!w) fallback(s);
  }
  // The armed survey may have gone from the configuration since: un-arm all the same.
  function unarm(s) { set('armed', null); s && remember(s.id, 'd'); button(); }
  // Without the exit window (popup blocked), the armed survey opens in the page when the visitor
  // heads out: the pointer leaving the top (desktop), or coming back to a hidden tab (mobile).
  function fallback(s) {
    exitIntent(() => { open(s, 'armed_exit', 1); }, 0);
    onReturn(() => { open(s, 'armed_exit', 1); });
  }
  function button() {
    if (!config) return;
    var s = config.surveys.find(x => x.triggers.armed_exit && x.button_position != 'hidden' && targeted(x));
    var old = document.getElementById('farewell-arm');
    if (old) old.remove();
    if (!s || optedOut() || (!get('armed') && !eligible(s))) return;
    var a = get('armed'), b = document.createElement(a ? 'p' : 'button');
    b.id = 'farewell-arm';
    b.lang = config.lang;
    b.dir = config.dir;
    b.textContent = a ? (touch ? s.texts.armed_touch : s.texts.armed) : s.texts.arm_button;
    b.style.cssText = 'position:fixed;bottom:16px;' + (s.button_position == 'bottom-left' ? 'left' : 'right') + ':16px;z-index:2147483646;max-width:18em;min-height:44px;padding:10px 16px;border-radius:22px;border:0;font:15px system-ui;background:#2d5bd7;color:#fff;margin:0;display:flex;gap:8px;align-items:center';
    if (a) {
      // Armed: a status, not a button, with its own way out (dismissing un-arms).
      b.setAttribute('role', 'status');
      var x = document.createElement('button');
      x.textContent = '\u00d7';
      x.setAttribute('aria-label', s.texts.cancel);
      x.style.cssText = 'width:32px;height:32px;border:0;border-radius:50%;background:#fff;font:18px system-ui';
      x.onclick = () => { unarm(s); };
      b.append(x);
    } else b.onclick = () => { arm(s); };
    document.body.append(b);
  }

  // ---- triggers ----
  function exitIntent(fire, minSeconds) {
    var start = Date.now();
    document.addEventListener('mouseout', e => {
      if (!e.relatedTarget && e.clientY <= 0 && Date.now() - start >= minSeconds * 1e3) fire();
    });
  }
  function onReturn(fire) {
    var hiddenAt;
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) hiddenAt = Date.now();
      else if (hiddenAt && Date.now() - hiddenAt > 1500) fire();
    });
  }
  function triggers() {
    var pages = tally('pv'), t0 = tally('t0') || Date.now();
    config.surveys.forEach(s => {
      var t = s.triggers;
      if (t.pages_viewed && pages >= t.pages_viewed) open(s, 'pages_viewed');
      if (t.time_on_site_seconds) setTimeout(() => { open(s, 'time_on_site'); }, Math.max(0, t0 + t.time_on_site_seconds * 1e3 - Date.now()));
      if (t.exit_intent && !touch) exitIntent(() => { open(s, 'exit_intent'); }, t.exit_intent_min_seconds);
      if (t.mobile_return && touch) onReturn(() => { open(s, 'mobile_return'); });
    });
  }

  // Pages of the site answer the exit window's pings while the survey is armed.
  // Once un-armed they answer "cancel", and the window closes; its Cancel un-arms them.
  addEventListener('message', e => {
    var m = e.origin == host && e.data && e.data.farewell, a = get('armed');
    // The pong carries the site's respondent id: the exit window answers for this visitor,
    // and the id never travels in a URL.
    if (m == 'ping') e.source.postMessage({ farewell: a ? 'pong' : 'cancel', rid, j: a && visit() }, host);
    if (m == 'cancel' && a && config) unarm(armedSurvey());
  });

  var api = window.farewell = {
    show: id => { if (config) open(id ? config.surveys.find(s => s.id == id) : config.surveys[0], 'api', 1); },
    arm: () => { if (config) arm(); },
    optOut: () => { set('out', true); set('change', true); set('armed', null); button(); flush(); },
    optIn: () => { set('out', false); set('change', false); button(); flush(); },
    optedOut,
    flush,
    set: put,
    identify: user => { put({ user: user || null }); }
  };

  // Global Privacy Control is an opt-out: the first page that sees it sends the queue with one.
  if (gpc && !get('out', false)) api.optOut(); else flush();
  // The same for every visitor of the site: cached by the browser, a CDN and the server (sent
  // without cookies: to another origin, fetch sends none by default).
  fetch(host + '/api/v1/sites/' + site + '/config?lang=' + (document.documentElement.lang || ''))
    .then(r => r.ok ? r.json() : Promise.reject(r.status))
    .then(c => {
      config = c;
      if (optedOut()) return;
      if (exitMode) {
        var cancel = document.getElementById('farewell-cancel');
        if (cancel) cancel.onclick = () => { try { window.opener.postMessage({ farewell: 'cancel' }, params.get('origin')); } catch (e) {} window.close(); };
        return open(config.surveys.find(s => s.id == params.get('survey')) || config.surveys[0], 'watch', 1);
      }
      var a = get('armed');
      // An exit window lives for one visit: after two hours the arming is spent.
      if (a && Date.now() - a.at > 72e5) set('armed', null);
      else if (a && !a.window) {
        // Back on the site from elsewhere (the next visit): the survey that was promised.
        if (document.referrer.indexOf(location.origin + '/') && Date.now() - a.at > 3e3) open(armedSurvey(), 'armed_exit', 1);
        else fallback(armedSurvey());
      }
      if (document.body) button(); else addEventListener('DOMContentLoaded', button);
      triggers();
    })
    .catch(() => {});
})();
