// Visitor pages ship no wasm: they are complete HTML forms, and this script (inlined by the
// page shell under the page's CSP nonce) makes them better when it runs. Without it every form
// still posts and every page still works.
//
// The hosted survey behaves as the widget's survey does: the score is stored the moment it is
// chosen, with an edit secret made here, so an answer is not lost when the visitor leaves
// before pressing Send; a changed score, the comment and the contact choice follow as
// amendments carrying that secret; the follow-up question follows the score's band, the comment
// is counted, and the thanks replace the form in place. Texts come from the page's data-
// attributes and are set as text, never as HTML.
(function () {
  // A browser's respondent id reaches the notice and preferences pages in their address (so
  // that they work without script). It is taken out of the address bar and this tab's history
  // entry, so that the address is not copied or shared with it (it downloads and erases the
  // browser's answers); the page's links and forms carry it on. The browser's list of visited
  // addresses keeps what was opened.
  if (history.replaceState && /[?&]rid=/.test(location.search)) {
    var query = new URLSearchParams(location.search);
    query.delete('rid');
    var rest = query.toString();
    history.replaceState(history.state, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }

  function secret() {
    var b = crypto.getRandomValues(new Uint8Array(16)), h = '';
    for (var i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h;
  }

  // A server function, posted as the plain form would be but asking for JSON back.
  function post(path, fields) {
    return fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(fields),
      credentials: 'same-origin'
    }).then(function (r) {
      if (r.ok) return null;
      return r.json().then(function (e) { return e; }, function () { return { Transport: r.status }; });
    });
  }

  function band(score) { return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor'; }

  function survey(form) {
    var field = function (name) { return form.elements[name]; };
    // A new id for this page load: a page restored from history (Back, a reopened tab) must
    // not reuse the id, and so the answer, of the page it was.
    if (crypto.randomUUID) field('id').value = crypto.randomUUID();
    var key = secret(), saved = false, score = null, queue = Promise.resolve(null);
    var error = form.querySelector('.error');
    var followUp = form.querySelector('.follow-up');
    var count = form.querySelector('.comment-count');
    var comment = field('comment'), contact = field('contact'), email = field('contact_email');
    var base = { site_key: field('site_key').value, id: field('id').value, edit_secret: key };
    var first = Object.assign({
      survey_id: field('survey_id').value, notice_version: field('notice_version').value,
      shown_at: field('shown_at').value
    }, base);

    // Errors appear at the form, in the server's words when it named a field.
    function show(problem) {
      form.querySelectorAll('[aria-invalid]').forEach(function (el) { el.removeAttribute('aria-invalid'); });
      if (!problem) { error.hidden = true; error.textContent = ''; return problem; }
      var invalid = problem.Invalid, target = invalid && form.querySelector('[name="' + invalid.field + '"]');
      error.textContent = invalid ? invalid.reason : form.dataset.unreachable;
      error.hidden = false;
      if (target) { target.setAttribute('aria-invalid', 'true'); target.focus(); }
      return problem;
    }

    // Posts run one after another, so an amendment never overtakes the answer it amends. The
    // answer itself is posted again until it is stored (a retry of a stored id is harmless).
    function then(step) {
      queue = queue.catch(function () { return { Transport: 0 }; }).then(step);
      return queue;
    }
    function storeScore() {
      if (saved) return post('/fn/amend_answer', Object.assign({ score: score }, base));
      return post('/fn/submit_answer', Object.assign({ score: score, website: field('website').value }, first))
        .then(function (problem) { saved = !problem; return problem; });
    }

    // The exit reason: only the options of the score's band show; a choice is stored at once
    // (once the score is), and again with the rest.
    var reasons = form.querySelectorAll('.reason');
    function showReasons(b) {
      reasons.forEach(function (set) {
        set.hidden = set.dataset.band != b;
        if (set.hidden) set.querySelectorAll('input').forEach(function (r) { r.checked = false; });
      });
    }
    showReasons(null);
    function reason() {
      var chosen = form.querySelector('input[name=reason]:checked');
      return chosen ? chosen.value : null;
    }

    form.addEventListener('change', function (e) {
      if (e.target.name == 'reason') {
        // Queued behind the score: stored once the score is (and sent again with the rest).
        var chosen = e.target.value;
        then(function () {
          return saved ? post('/fn/amend_answer', Object.assign({ reason: chosen }, base)) : null;
        }).then(show, function () { show({}); });
        return;
      }
      if (e.target.name != 'score') return;
      followUp.textContent = followUp.dataset[band(+e.target.value)];
      showReasons(band(+e.target.value));
      if (+e.target.value === score) return;
      score = +e.target.value;
      then(function () { return storeScore(); }).then(show, function () { show({}); });
    });

    comment.addEventListener('input', function () { count.textContent = comment.value.length; });

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (score == null) return;
      var button = form.querySelector('button[type=submit]');
      // The score again: a change whose reply was lost is stored now.
      var rest = Object.assign({ contact: contact.checked ? 'true' : 'false', score: score }, base);
      if (comment.value.trim()) rest.comment = comment.value;
      if (reason()) rest.reason = reason();
      // A typed address goes too: the server asks to tick the box or clear it, never drops it.
      if (email.value.trim()) rest.contact_email = email.value;
      button.disabled = true;
      then(function () {
        return (saved ? Promise.resolve(null) : storeScore()).then(function (problem) {
          return problem || post('/fn/amend_answer', rest);
        });
      }).then(function (problem) {
        button.disabled = false;
        if (show(problem)) return;
        var thanks = document.createElement('section');
        var h = document.createElement('h1'), p = document.createElement('p');
        thanks.className = 'thanks';
        thanks.setAttribute('role', 'status');
        h.textContent = form.dataset.thanks;
        h.tabIndex = -1;
        p.textContent = form.dataset.saved;
        thanks.append(h, p);
        var title = form.previousElementSibling;
        if (title && title.tagName == 'H1') title.remove();
        form.replaceWith(thanks);
        h.focus();
      }, function () { button.disabled = false; show({}); });
    });
  }

  var form = document.querySelector('form.survey-form');
  if (form && window.fetch && window.crypto && crypto.getRandomValues) survey(form);

  // Destructive forms ask first.
  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
  });
  document.body.setAttribute('data-enhanced', 'true');
})();
