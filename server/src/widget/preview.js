// The survey editor's preview (administration): the survey drawn by the real survey script,
// in the language chosen beside it, from the texts typed in the editor's form. That form is in
// the page that frames this one, on the same origin. Nothing is sent or remembered: every way
// the widget would talk to the server does nothing here.
(function () {
  var frame = window.frameElement, form = frame && frame.closest('form');
  if (!form) return;
  var languages = JSON.parse(document.body.getAttribute('data-languages'));
  var box = frame.closest('.survey-preview');
  var lang = box.querySelector('[data-preview=lang]'), device = box.querySelector('[data-preview=device]');
  var score = null, nothing = function () {};

  // What a visitor would read: the typed text, or the default where the field is empty, with
  // the product's name filled in (as the server's SurveySettings::texts_for does).
  function texts(code) {
    var product = form.elements['form[product_name]'];
    var name = product ? product.value.trim() : '';
    var defaults = languages[code].texts, out = {};
    for (var key in defaults) {
      var field = form.elements['form[texts][' + code + '][' + key + ']'];
      var text = field && field.value.trim() ? field.value.trim() : defaults[key];
      out[key] = text.split('{product}').join(name);
    }
    return out;
  }

  function draw() {
    var code = languages[lang.value] ? lang.value : 'en';
    var old = document.getElementById('farewell-survey');
    if (old) old.remove();
    frame.setAttribute('data-device', device.value);
    window.__farewellSurvey({
      unsent: true, preview: true, exitWindow: true, score: score, host: '', site: '', respondent: '',
      survey: { id: '', texts: texts(code) },
      config: { lang: code, dir: languages[code].dir, site: '', notice: { path: '#', version: 1 } },
      send: nothing, remember: nothing, optOut: nothing, left: nothing
    });
  }

  // A field of the follow-up shows the survey as it is after a score in that band; any field
  // of a language switches the preview to that language.
  var bands = { follow_up_detractor: 3, follow_up_passive: 7, follow_up_promoter: 10, comment_optional: 10, contact_me: 10, email: 10, send: 10 };
  form.addEventListener('focusin', function (e) {
    var m = /^form\[texts\]\[(\w+)\]\[(\w+)\]$/.exec(e.target.name || '');
    if (!m) return;
    lang.value = m[1];
    score = m[2] in bands ? bands[m[2]] : null;
    draw();
  });
  form.addEventListener('input', function (e) { if (e.target != lang && e.target != device) draw(); });
  lang.addEventListener('change', function () { score = null; draw(); });
  device.addEventListener('change', draw);
  // The frame is as tall as the survey, so the editor's page scrolls, not the frame.
  new ResizeObserver(function () {
    frame.style.height = document.documentElement.scrollHeight + 'px';
  }).observe(document.body);
  draw();
})();
