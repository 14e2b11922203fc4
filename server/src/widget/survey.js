// Farewell survey: loaded by the loader only when a survey is about to open. Renders inside a
// shadow root so the site's CSS cannot break it (nor it the site's). Every text comes from the
// server's configuration in the visitor's language and is set as text, never as HTML.
(function () {
  var CSS = [
    ':host{all:initial}',
    '.card{position:fixed;bottom:16px;right:16px;z-index:2147483647;box-sizing:border-box;width:min(460px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;background:#fff;color:#1d2330;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.3);padding:20px;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
    '.card[dir=rtl]{right:auto;left:16px}',
    '.page .card{position:relative;bottom:auto;right:auto;margin:24px auto;box-shadow:none;max-height:none}',
    'h2{font-size:1.3em;margin:0 40px 8px 0}.card[dir=rtl] h2{margin:0 0 8px 40px}',
    'p{margin:8px 0}',
    '.close{position:absolute;top:10px;right:10px;width:44px;height:44px;border:0;background:none;font-size:26px;cursor:pointer;color:#5b6478}',
    '.card[dir=rtl] .close{right:auto;left:10px}',
    '.scale{display:grid;grid-template-columns:repeat(11,minmax(0,1fr));gap:4px;margin:8px 0 2px}',
    '[role=radio]{min-height:44px;display:flex;align-items:center;justify-content:center;border:1px solid #c9cfdb;border-radius:6px;cursor:pointer;font-weight:600;user-select:none}',
    '[role=radio][aria-checked=true]{background:#2d5bd7;border-color:#2d5bd7;color:#fff}',
    ':focus-visible{outline:3px solid #0f3fae;outline-offset:2px}',
    '.ends{display:flex;justify-content:space-between;font-size:.85em;color:#5b6478}',
    'label{display:block;margin:12px 0 4px;font-weight:600}',
    'label.check{display:flex;gap:8px;align-items:center;font-weight:400;min-height:44px;margin:4px 0}',
    'textarea,input[type=email]{box-sizing:border-box;width:100%;font:inherit;padding:8px;border:1px solid #c9cfdb;border-radius:6px}',
    'input[type=checkbox],input[type=radio]{width:22px;height:22px;flex:none}',
    '.reasons{border:0;padding:0;margin:12px 0 0}.reasons legend{font-weight:600;padding:0}',
    '.count,.small{font-size:.85em;color:#5b6478}',
    '.error{color:#c0392b;font-weight:600}',
    '.send{min-height:44px;padding:8px 20px;border:0;border-radius:6px;background:#2d5bd7;color:#fff;font:inherit;cursor:pointer;margin-top:8px}',
    '.link{background:none;border:0;padding:0;font:inherit;font-size:.85em;color:#2d5bd7;text-decoration:underline;cursor:pointer;min-height:24px}',
    '.hp{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}',
    // One row at every width from 320 px: 11 targets of at least 24 px (WCAG 2.2 target size).
    '@media (max-width:480px){.card{right:6px;bottom:6px;width:calc(100vw - 12px);padding:16px 10px}.card[dir=rtl]{left:6px}.scale{gap:2px}.close{top:4px;right:4px}.card[dir=rtl] .close{left:4px}}'
  ].join('');

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = '';
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + ([3, 5, 7, 9].indexOf(i) >= 0 ? '-' : '');
    return h;
  }

  // 128 random bits, hex: the answer's edit secret. Only a request carrying it may add to the
  // answer later; the server keeps just its hash.
  function secret() {
    var b = crypto.getRandomValues(new Uint8Array(16)), h = '';
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h;
  }

  // h('p', {class: 'x'}, 'text', child…): builds elements; strings become text nodes.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k.slice(0, 2) == 'on') el.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] != null && attrs[k] !== false) el.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c != null) el.appendChild(typeof c == 'string' || typeof c == 'number' ? document.createTextNode(String(c)) : c);
    }
    return el;
  }

  // The exit window: pings the site's tab (its opener) every second; the loader on each page of
  // the site answers, with the site's respondent id. When the tab is closed, or has gone to another origin (no answer for
  // four seconds, which also covers the gap while one page of the site loads the next), the
  // visitor has left: `leave` opens the survey.
  window.__farewellWatch = function (origin, leave) {
    var seen = Date.now(), done = false, rid, journey;
    window.addEventListener('message', function (e) {
      var m = e.origin == origin && e.data && e.data.farewell;
      if (m == 'pong') { seen = Date.now(); rid = e.data.rid; journey = e.data.j; }
      // Un-armed on the site (the pill dismissed): nothing to wait for.
      if (m == 'cancel') { done = true; clearInterval(tick); window.close(); }
    });
    var tick = setInterval(function () {
      var gone = !window.opener || window.opener.closed;
      if (!gone) try { window.opener.postMessage({ farewell: 'ping' }, origin); } catch (e) {}
      if (!done && (gone || Date.now() - seen > 4e3)) {
        done = true;
        clearInterval(tick);
        // The waiting window is small; the survey needs room.
        try { window.resizeTo(500, 720); window.focus(); } catch (e) {}
        leave(rid, journey);
      }
    }, 1e3);
  };

  // The visit so far, from the loader's counts [pages viewed, first seen, errors]: numbers only,
  // the time as the start of its bucket.
  function journey(v) {
    if (!v || !v[1]) return {};
    var s = Math.min((Date.now() - v[1]) / 1e3, 6e5);
    return { pages_viewed: Math.min(v[0], 1e4) || undefined, errors_seen: Math.min(v[2], 1e3), seconds_on_site: [3600, 1800, 600, 300, 120, 60, 30, 10].find(function (b) { return s >= b; }) || 0 };
  }

  // Told to the host page as events, and (with data-datalayer on the script) to its dataLayer:
  // the survey and the band, never text; nothing once the visitor opted out, nor from the exit
  // window, which is not the site's page.
  function emit(o, kind, detail) {
    if (o.exitWindow || window.farewell.optedOut()) return;
    document.dispatchEvent(new CustomEvent('farewell:' + kind, { detail: detail }));
    if (o.me.hasAttribute('data-datalayer')) (window.dataLayer = window.dataLayer || []).push({ event: 'farewell_' + kind, farewell_survey: detail.survey, farewell_band: detail.band });
  }

  // The attributes the site set (the visit's fourth item, strings): those a server can take
  // (it keeps only the keys the site declared); the user and account go only with consent.
  // Checked as the server checks them (trimmed, counted in characters, no control character),
  // so that a value it would refuse never costs the answer it rides with.
  function own(x, k) {
    var s = {}.hasOwnProperty.call(x, k) && typeof x[k] == 'string' ? x[k].trim() : '';
    return /[\u0000-\u001f\u007f-\u009f]/.test(s) ? '' : s;
  }
  function attributes(v) {
    var a = {}, x = v && v[3] || {};
    for (var k in x) {
      var s = own(x, k);
      if (k != 'user' && k != 'account' && s && Array.from(s).length <= 64 && !/[,;=@]/.test(s)) a[k] = s;
    }
    return a;
  }
  function identity(v) {
    var x = v && v[3] || {}, ids = {}, user = own(x, 'user'), account = own(x, 'account');
    if (user && Array.from(user).length <= 200) ids.user_id = user;
    if (account && Array.from(account).length <= 200) ids.account = account;
    return ids;
  }

  function band(score) { return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor'; }

  // Only now, with a survey about to open, the server is asked whether this visitor left the
  // program (page views ask nothing about the visitor). If it cannot be reached, the device's
  // own choice stands, and the server still refuses an answer from anyone who left.
  window.__farewellSurvey = function (o) {
    if (o.unsent) return render(o);
    fetch(o.host + '/api/v1/sites/' + o.site + '/participation', { method: 'POST', body: JSON.stringify({ respondent: o.respondent }), credentials: 'omit' })
      .then(function (r) { return r.json(); })
      .then(function (p) { if (p.opted_out) o.left(); else render(o); }, function () { render(o); });
  };

  function render(o) {
    var s = o.survey, t = s.texts, c = o.config, rtl = c.dir == 'rtl';
    var id = uuid(), key = secret(), opened = Date.now(), score = null, finished = false;
    // Events carry the answer's context (never its referrer), so the funnel follows the filters.
    // Each also carries the visit so far (numbers only) and is told to the host page.
    var context = function (referrer) { return Object.assign({ path: o.page || undefined, referrer: referrer, trigger: o.trigger }, journey(o.visit)); };
    var event = function (kind) {
      o.send('impressions', { id: uuid(), survey: s.id, kind: kind, language: c.lang, context: context(), attributes: attributes(o.visit) });
      emit(o, kind, { survey: s.id, band: score == null ? undefined : band(score) });
    };
    event('shown');

    var host = h('div', { id: 'farewell-survey', 'class': o.exitWindow ? 'page' : null });
    var root = host.attachShadow({ mode: 'open' });
    root.appendChild(h('style', null, CSS));
    var wrap = h('div', { 'class': o.exitWindow ? 'page' : null });
    var card = h('section', { 'class': 'card', role: 'dialog', 'aria-labelledby': 'fw-title', lang: c.lang, dir: c.dir });
    wrap.appendChild(card);
    root.appendChild(wrap);

    function close() {
      if (!finished && score == null) { event('dismissed'); o.remember(s.id, 'd'); }
      finished = true;
      host.remove();
      document.removeEventListener('keydown', onEscape);
      if (o.exitWindow) window.close();
    }
    function onEscape(e) { if (e.key == 'Escape') close(); }
    document.addEventListener('keydown', onEscape);

    function thanks(text) {
      finished = true;
      card.replaceChildren(
        h('button', { 'class': 'close', type: 'button', 'aria-label': t.close, onclick: close }, '×'),
        h('h2', { id: 'fw-title', tabindex: '-1' }, t.thanks),
        h('p', { role: 'status' }, text)
      );
      card.querySelector('h2').focus();
      // The exit window's work is done: it closes itself a little later.
      if (o.exitWindow) setTimeout(function () { window.close(); }, 12e4);
    }

    // ---- the 0–10 scale: an APG radio group with a roving tab stop ----
    var radios = [];
    var scale = h('div', { role: 'radiogroup', 'class': 'scale', 'aria-labelledby': 'fw-question' });
    function choose(value, focus) {
      radios.forEach(function (r, i) {
        r.setAttribute('aria-checked', i == value ? 'true' : 'false');
        r.tabIndex = i == value ? 0 : -1;
      });
      if (focus) radios[value].focus();
      if (score === value) return;
      var first = score == null;
      score = value;
      if (first) {
        o.send('responses', {
          id: id, edit_secret: key, survey: s.id, score: value, language: c.lang, respondent: o.respondent,
          consent: { notice_version: c.notice.version, choices: { improvement_program: true } },
          context: context(o.referrer || undefined), attributes: attributes(o.visit),
          hp: card.querySelector('.hp input').value, elapsed_ms: Date.now() - opened
        });
        o.remember(s.id, 'a');
        event('answered');
      } else {
        o.send('amendments', { id: id, edit_secret: key, score: value });
      }
      followUp.textContent = t['follow_up_' + band(value)];
      showReasons(band(value));
      details.hidden = false;
    }

    // ---- the exit reason: the options of the score's band, each stored once chosen ----
    var reasons = h('fieldset', { 'class': 'reasons', hidden: true }), reasonBand;
    function showReasons(b) {
      var q = s.reason, options = q && q.options[b];
      if (b == reasonBand) return;
      reasonBand = b;
      reasons.hidden = !options;
      if (!options) return;
      reasons.replaceChildren(h('legend', null, q.question));
      options.forEach(function (option) {
        var radio = h('input', { type: 'radio', name: 'fw-reason', value: option[0], onchange: function () {
          o.send('amendments', { id: id, edit_secret: key, reason: option[0] });
        } });
        reasons.append(h('label', { 'class': 'check' }, radio, option[1]));
      });
    }
    for (var i = 0; i <= 10; i++) {
      var label = i == 0 ? '0 — ' + t.not_likely : i == 10 ? '10 — ' + t.extremely_likely : String(i);
      var r = h('div', { role: 'radio', 'aria-checked': 'false', 'aria-label': label, tabindex: i == 0 ? '0' : '-1', 'data-score': i }, i);
      r.addEventListener('click', choose.bind(null, i, true));
      radios.push(r);
      scale.appendChild(r);
    }
    scale.addEventListener('keydown', function (e) {
      var current = score == null ? radios.indexOf(root.activeElement) : score, next = null;
      if (current < 0) current = 0;
      var forward = rtl ? 'ArrowLeft' : 'ArrowRight', back = rtl ? 'ArrowRight' : 'ArrowLeft';
      if (e.key == forward || e.key == 'ArrowDown') next = (current + 1) % 11;
      else if (e.key == back || e.key == 'ArrowUp') next = (current + 10) % 11;
      else if (e.key == 'Home') next = 0;
      else if (e.key == 'End') next = 10;
      else if (e.key == ' ' || e.key == 'Enter') next = radios.indexOf(root.activeElement);
      if (next != null && next >= 0) { e.preventDefault(); choose(next, true); }
    });

    // ---- follow-up, comment and contact: added to the stored answer by its id ----
    var followUp = h('label', { 'for': 'fw-comment' });
    var left = h('span', { 'class': 'count', id: 'fw-count', 'aria-live': 'polite' }, '2000 ' + t.characters_left);
    var comment = h('textarea', { id: 'fw-comment', rows: '3', maxlength: '2000', 'aria-describedby': 'fw-count', oninput: function () { left.textContent = (2000 - comment.value.length) + ' ' + t.characters_left; } });
    var email = h('input', { type: 'email', id: 'fw-email', autocomplete: 'email', maxlength: '254' });
    var emailRow = h('div', { hidden: true }, h('label', { 'for': 'fw-email' }, t.email), email);
    var contact = h('input', { type: 'checkbox', id: 'fw-contact', onchange: function () { emailRow.hidden = !contact.checked; } });
    // Offered only when the site named the visitor's user or account; unticked, nothing of
    // either is sent.
    var ids = identity(o.visit), identifiable = ids.user_id || ids.account;
    var identify = h('input', { type: 'checkbox', id: 'fw-identify' });
    var error = h('p', { 'class': 'error', role: 'alert' });
    var details = h('form', {
      hidden: true, novalidate: true,
      onsubmit: function (e) {
        e.preventDefault();
        var address = email.value.trim();
        // An address is never dropped in silence: without the choice ticked, the visitor is
        // asked to tick it or clear the address.
        // Whether to stop is decided here, not by the text (a survey may override it empty).
        var broken = contact.checked && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address);
        var unticked = !contact.checked && address;
        if (broken || unticked) {
          error.textContent = !broken ? t.tick_or_clear : address ? t.email_invalid : t.email_missing;
          emailRow.hidden = false;
          email.setAttribute('aria-invalid', 'true');
          (contact.checked ? email : contact).focus();
          return;
        }
        email.removeAttribute('aria-invalid');
        // The contact choice has now been shown: what the visitor chose is recorded either way.
        var extra = { id: id, edit_secret: key, choices: { contact: contact.checked } };
        if (comment.value.trim()) extra.comment = comment.value;
        if (contact.checked) extra.contact_email = address;
        if (identifiable) {
          extra.choices.identify = identify.checked;
          if (identify.checked) Object.assign(extra, ids);
        }
        o.send('amendments', extra);
        thanks(t.saved);
      }
    },
      reasons, followUp, h('span', { 'class': 'small' }, ' ' + t.comment_optional), comment, left,
      h('label', { 'class': 'check' }, contact, t.contact_me), emailRow,
      identifiable ? h('label', { 'class': 'check' }, identify, t.identify_me) : null, error,
      h('button', { 'class': 'send', type: 'submit' }, t.send)
    );

    card.append(
      h('button', { 'class': 'close', type: 'button', 'aria-label': t.close, onclick: close }, '×'),
      h('h2', { id: 'fw-title' }, t.title),
      h('p', { id: 'fw-question' }, t.question),
      scale,
      h('div', { 'class': 'ends', 'aria-hidden': 'true' }, h('span', null, t.not_likely), h('span', null, t.extremely_likely)),
      h('div', { 'class': 'hp', 'aria-hidden': 'true' }, h('input', { tabindex: '-1', autocomplete: 'off', name: 'website' })),
      details,
      h('p', { 'class': 'small' }, t.stored_under + ' ', h('a', { href: o.host + c.notice.path + '?site=' + c.site + '&rid=' + o.respondent, target: '_blank', rel: 'noopener' }, t.notice + ' (v' + c.notice.version + ')'), '.'),
      h('button', { 'class': 'link', type: 'button', onclick: function () { o.optOut(); thanks(t.opted_out); } }, t.opt_out)
    );
    var waiting = document.getElementById('waiting');
    if (waiting) waiting.hidden = true;
    (document.body || document.documentElement).appendChild(host);
    // The editor's preview shows a score's follow-up, and never takes the focus from the
    // field being typed in.
    if (o.score != null) choose(o.score);
    else if (!o.preview) radios[0].focus();
  }
})();
