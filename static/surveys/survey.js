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
      scale.querySelectorAll("input").forEach(function (input) {
        var label = scale.querySelector('label[for="' + CSS.escape(input.id) + '"]');
        if (label) {
          label.classList.toggle("is-lit", Number(input.value) <= limit);
        }
      });
    });
  }

  form.addEventListener("change", function () {
    applyConditions();
    lightStars();
  });
  form.addEventListener("input", updateCounters);
  applyConditions();
  lightStars();
  updateCounters();
})();
