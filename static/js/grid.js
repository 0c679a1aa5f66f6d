// Scoring grid: autosave with the version check, a local draft, and what is left to assess.
// Progressive enhancement: without this script the form saves and submits as a plain form.
(function () {
  "use strict";

  var form = document.getElementById("grid-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }

  var DEBOUNCE_MS = 1000;
  var RETRY_MS = 5000;
  var url = form.dataset.autosaveUrl;
  var draftKey = "cqpi:grille:" + form.dataset.sheetId;
  var versionInput = form.elements.namedItem("version");
  var statusRegion = document.getElementById("grid-save-status");
  var leftRegion = document.getElementById("grid-left");
  var conflictBox = document.getElementById("grid-conflict");
  var draftBox = document.getElementById("grid-draft");

  var timer = null;
  var inFlight = false;
  var dirty = false; // changes the server has not acknowledged yet
  var conflict = false;
  var pendingSubmitter = null;
  var submitting = false;
  var pendingPiece = null; // a piece's form waiting for the marks to be saved first

  function message(name, values) {
    var text = form.dataset[name] || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(String(values[key]));
    });
    return text;
  }

  function setStatus(text) {
    if (statusRegion) {
      statusRegion.textContent = text;
    }
  }

  function timeNow() {
    return new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }

  // --- What the page holds -------------------------------------------------------

  function isScoreField(element) {
    var name = element.name || "";
    return /^(c\d+_(outcome|comment)|i\d+)$/.test(name);
  }

  function snapshot() {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!isScoreField(element)) {
        return;
      }
      if (element.type === "radio") {
        if (element.checked) {
          fields[element.name] = element.value;
        }
      } else {
        fields[element.name] = element.value;
      }
    });
    return fields;
  }

  function apply(fields) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!isScoreField(element) || !(element.name in fields)) {
        return;
      }
      if (element.type === "radio") {
        element.checked = element.value === fields[element.name];
      } else {
        element.value = fields[element.name];
      }
    });
  }

  function sameFields(a, b) {
    var keys = Object.keys(a).concat(Object.keys(b));
    return keys.every(function (key) {
      return (a[key] || "") === (b[key] || "");
    });
  }

  function updateLeft() {
    if (!leftRegion) {
      return;
    }
    var total = parseInt(form.dataset.total, 10) || 0;
    var assessed = 0;
    Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]:checked"), function (radio) {
      if (/_outcome$/.test(radio.name) && radio.value !== "not_assessed") {
        assessed += 1;
      }
    });
    var left = total - assessed;
    var name = left === 0 ? "msgLeftNone" : left === 1 ? "msgLeftOne" : "msgLeftMany";
    leftRegion.textContent = message(name, { count: left, total: total });
  }

  // --- The local draft: survives a closed tab or a dropped connection ---------------

  function readDraft() {
    try {
      return JSON.parse(window.localStorage.getItem(draftKey) || "null");
    } catch (error) {
      return null;
    }
  }

  function writeDraft() {
    try {
      window.localStorage.setItem(
        draftKey,
        JSON.stringify({ version: parseInt(versionInput.value, 10), at: Date.now(), fields: snapshot() })
      );
    } catch (error) {
      // Private browsing or a full storage: autosave still runs, only the local copy is lost.
    }
  }

  function clearDraft() {
    try {
      window.localStorage.removeItem(draftKey);
    } catch (error) {
      // nothing to clear
    }
  }

  function offerDraft() {
    var draft = readDraft();
    if (!draft || !draft.fields) {
      return;
    }
    if (sameFields(draft.fields, snapshot())) {
      clearDraft();
      return;
    }
    var when = new Date(draft.at).toLocaleString("fr-FR", {
      day: "2-digit",
      month: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    var older = draft.version !== parseInt(versionInput.value, 10);
    document.getElementById("grid-draft-message").textContent = message(
      older ? "msgDraftOlder" : "msgDraft",
      { time: when }
    );
    draftBox.hidden = false;
    document.getElementById("grid-draft-restore").addEventListener("click", function () {
      apply(draft.fields);
      draftBox.hidden = true;
      updateLeft();
      changed();
      var first = form.querySelector("input, textarea");
      if (first) {
        first.focus();
      }
    });
    document.getElementById("grid-draft-discard").addEventListener("click", function () {
      clearDraft();
      draftBox.hidden = true;
    });
  }

  // --- Saving ------------------------------------------------------------------------

  function showConflict(text) {
    conflict = true;
    window.clearTimeout(timer);
    document.getElementById("grid-conflict-message").textContent = text;
    conflictBox.hidden = false;
    setStatus("");
    document.getElementById("grid-reload").focus();
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  function changed() {
    dirty = true;
    writeDraft();
    updateLeft();
    if (!conflict) {
      schedule(DEBOUNCE_MS);
    }
  }

  function afterSave() {
    inFlight = false;
    if (pendingPiece !== null) {
      // Saved (or kept in the local draft if the save failed): the piece may leave now.
      var piece = pendingPiece;
      pendingPiece = null;
      submitting = true;
      piece.dataset.marksSaved = "1";
      piece.requestSubmit();
      return;
    }
    if (pendingSubmitter !== null && !conflict) {
      var submitter = pendingSubmitter;
      pendingSubmitter = null;
      submitting = true;
      form.requestSubmit(submitter);
    }
  }

  function save() {
    if (conflict || inFlight || !dirty) {
      return;
    }
    if (navigator.onLine === false) {
      setStatus(message("msgOffline"));
      return;
    }
    var body = new FormData(form);
    body.delete("action");
    body.delete("confirm");
    var sent = snapshot();
    inFlight = true;
    setStatus(message("msgSaving"));
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { status: response.status, data: data };
        });
      })
      .then(function (result) {
        if (result.status === 200) {
          versionInput.value = result.data.version;
          if (sameFields(sent, snapshot())) {
            dirty = false;
            clearDraft();
          } else {
            writeDraft();
            schedule(DEBOUNCE_MS);
          }
          setStatus(message("msgSaved", { time: result.data.saved_at_display || timeNow() }));
        } else if (result.status === 409) {
          showConflict(result.data.error.message);
        } else if (result.data && result.data.error) {
          setStatus(result.data.error.message);
        } else {
          throw new Error("unexpected answer");
        }
      })
      .catch(function () {
        setStatus(navigator.onLine === false ? message("msgOffline") : message("msgError"));
        schedule(RETRY_MS);
      })
      .then(afterSave, afterSave);
  }

  // --- Wiring ---------------------------------------------------------------------------

  form.addEventListener("input", function (event) {
    if (isScoreField(event.target)) {
      changed();
    }
  });
  form.addEventListener("change", function (event) {
    if (isScoreField(event.target) && event.target.type === "radio") {
      changed();
    }
  });

  // A plain save or submit while an autosave is on its way waits for its new version.
  form.addEventListener("submit", function (event) {
    if (submitting) {
      return;
    }
    window.clearTimeout(timer);
    if (inFlight) {
      event.preventDefault();
      pendingSubmitter = event.submitter || null;
    } else {
      submitting = true; // the form carries the marks: no parallel save on the way out
    }
  });

  // Attaching a piece reloads the page: the marks typed just before are saved first, so that
  // they come back from the server rather than from the local draft.
  Array.prototype.forEach.call(document.querySelectorAll("form.evidence-form"), function (piece) {
    piece.addEventListener("submit", function (event) {
      if (piece.dataset.marksSaved === "1" || conflict || navigator.onLine === false) {
        return;
      }
      if (!dirty && !inFlight) {
        return;
      }
      event.preventDefault();
      window.clearTimeout(timer);
      pendingPiece = piece;
      if (!inFlight) {
        save();
      }
    });
  });

  window.addEventListener("online", function () {
    if (dirty) {
      schedule(0);
    }
  });
  window.addEventListener("offline", function () {
    if (dirty) {
      setStatus(message("msgOffline"));
    }
  });
  // Leaving the page: one last try, which the browser completes even after the tab closes.
  // Offline, the local draft holds the marks: a request queued now could reach the server
  // after the grid was reopened elsewhere, and make the restored draft a conflict.
  window.addEventListener("pagehide", function () {
    if (!dirty || conflict || inFlight || submitting || navigator.onLine === false) {
      return;
    }
    var body = new FormData(form);
    body.delete("action");
    body.delete("confirm");
    try {
      fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true });
    } catch (error) {
      // the local draft is still there
    }
  });

  document.getElementById("grid-reload").addEventListener("click", function () {
    writeDraft();
    window.location.reload();
  });

  offerDraft();
})();
