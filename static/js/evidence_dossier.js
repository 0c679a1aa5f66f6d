// The candidate's dossier of evidence: each description is saved a moment after typing stops.
// Progressive enhancement: without this script the form's buttons save and submit.
(function () {
  "use strict";

  var form = document.getElementById("evidence-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }

  var DEBOUNCE_MS = 1500;
  var RETRY_MS = 5000;
  var url = form.dataset.autosaveUrl;
  var token = form.elements.namedItem("csrfmiddlewaretoken").value;
  var timers = {};

  function message(name, values) {
    var text = form.dataset[name] || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(String(values[key]));
    });
    return text;
  }

  function setStatus(capacity, text) {
    var region = document.getElementById("status-" + capacity);
    if (region) {
      region.textContent = text;
    }
  }

  function save(textarea) {
    var capacity = textarea.dataset.capacity;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", token);
    body.append("capacity", capacity);
    body.append("text", textarea.value);
    setStatus(capacity, message("msgSaving"));
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (result.ok) {
          setStatus(capacity, message("msgSaved", { time: result.data.saved_at_display }));
        } else if (result.data && result.data.error) {
          // A refusal (the dossier was submitted elsewhere, a forbidden character): say it.
          setStatus(capacity, result.data.error.message);
        } else {
          throw new Error("save failed");
        }
      })
      .catch(function () {
        setStatus(capacity, message("msgError"));
        schedule(textarea, RETRY_MS);
      });
  }

  function schedule(textarea, delay) {
    var capacity = textarea.dataset.capacity;
    window.clearTimeout(timers[capacity]);
    timers[capacity] = window.setTimeout(function () {
      save(textarea);
    }, delay);
  }

  Array.prototype.forEach.call(document.querySelectorAll("textarea.evidence-text"), function (textarea) {
    textarea.addEventListener("input", function () {
      schedule(textarea, DEBOUNCE_MS);
    });
  });
})();
