/* Survey page behaviour: show conditional questions as answers change, count characters,
 * light stars. Only a convenience: the server decides again which questions were shown. */
(function () {
  "use strict";
  var form = document.querySelector("[data-survey-form]");
  if (!form) {
    return;
  }

  // The strings a display condition compares with: numbers, choice values, "yes"/"no".
  function answersFor(key) {
    var block = form.querySelector('[data-question="' + CSS.escape(key) + '"]');
    if (!block) {
      return [];
    }
    var values = [];
    block.querySelectorAll('[name="' + CSS.escape(key) + '"]').forEach(function (input) {
      if (input.disabled) {
        return;
      }
      if (input.type === "radio") {
        if (input.checked) { values.push(input.value); }
      } else if (input.type === "checkbox") {
        if (block.dataset.kind === "yes_no") {
          values.push(input.checked ? "yes" : "no");
        } else if (input.checked) {
          values.push(input.value);
        }
      } else if (input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function applyConditions() {
    var shownKeys = {};
    // Document order is question order, so a condition only ever looks back.
    form.querySelectorAll("[data-question]").forEach(function (block) {
      var shown = true;
      var conditionKey = block.dataset.conditionKey;
      if (conditionKey) {
        var wanted = JSON.parse(block.dataset.conditionValues || "[]");
        shown = Boolean(shownKeys[conditionKey]) && answersFor(conditionKey).some(function (value) {
          return wanted.indexOf(value) !== -1;
        });
      }
      block.hidden = !shown;
      // Disabled inputs are not posted, so a hidden answer never leaves the browser.
      block.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
      shownKeys[block.dataset.question] = shown;
    });
  }

  function updateCounters() {
    form.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var field = document.getElementById(counter.dataset.counterFor);
      var count = counter.querySelector("[data-count]");
      if (field && count) {
        count.textContent = String(field.value.length);
      }
    });
  }

  function lightStars() {
    form.querySelectorAll(".survey-scale--rating").forEach(function (scale) {
      var chosen = scale.querySelector("input:checked");
      var limit = chosen ? Number(chosen.value) : 0;
      // The stars are also said in words ("3 stars"), not by colour alone.
      var said = scale.querySelector("[data-stars-said]");
      var chosenLabel = chosen && scale.querySelector('label[for="' + CSS.escape(chosen.id) + '"] .visually-hidden');
      if (said) { said.textContent = chosenLabel ? chosenLabel.textContent : ""; }
      scale.querySelectorAll("input").forEach(function (input) {
        var label = scale.querySelector('label[for="' + CSS.escape(input.id) + '"]');
        if (label) {
          label.classList.toggle("is-lit", Number(input.value) <= limit);
        }
      });
    });
  }

  // One click from the email: the first scale question is saved as soon as it is chosen
  // (and again when changed), so a customer who leaves now is still counted.
  var scoreKey = form.dataset.scoreKey;
  var status = document.querySelector("[data-score-status]");
  var saving = null;

  function showStatus(text, ok) {
    if (!status) { return; }
    var box = document.createElement("div");
    box.className = "alert " + (ok ? "alert-success" : "alert-warning");
    box.textContent = text;
    status.replaceChildren(box);
  }

  // ``via`` tells the server where the score came from: "link" (the score link the email
  // was opened with) or "page" (chosen here). Only link clicks can be a mail scanner's sweep.
  function saveScore(value, via) {
    var body = new FormData();
    body.append("action", "score");
    body.append("via", via);
    body.append(scoreKey, value);
    if (saving) { saving.abort(); }
    saving = new AbortController();
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: {"Accept": "application/json"},
      credentials: "omit",
      signal: saving.signal
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok && data.saved) {
          showStatus(form.dataset.savedText, true);
        } else if (response.status === 409 || (data.state && data.state !== "rate_limited")) {
          window.location.reload();
        } else {
          showStatus(data.message || form.dataset.errorText, false);
        }
      });
    }).catch(function (error) {
      if (error.name !== "AbortError") { showStatus(form.dataset.errorText, false); }
    });
  }

  form.addEventListener("change", function (event) {
    applyConditions();
    lightStars();
    if (scoreKey && event.target.name === scoreKey && event.target.checked) {
      saveScore(event.target.value, "page");
    }
  });
  if (scoreKey && form.dataset.autosave !== undefined) {
    saveScore(form.dataset.autosave, "link");
  }
  form.addEventListener("input", updateCounters);
  applyConditions();
  lightStars();
  updateCounters();
})();
