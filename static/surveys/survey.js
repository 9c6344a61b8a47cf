/* Survey page behaviour: show conditional questions as answers change (and say so), count
 * characters, light stars, save the one-click score once per choice, keep Enter from sending
 * the form from a scale, move focus to the error summary, keep the answers across a language
 * switch. Only a convenience: the server decides again which questions were shown. */
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

  // A follow-up question is placed right after the one that opens it (the server orders
  // them so); when one appears, a polite live region names it, and focus stays where it is,
  // since the customer may still be moving along the scale.
  var announcer = form.querySelector("[data-survey-announce]");

  function announce(text) {
    if (!announcer) { return; }
    // Emptied first, so the same question appearing twice is announced twice.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 100);
  }

  function applyConditions(announceNew) {
    var shownKeys = {};
    var appeared = [];
    // Document order puts every question after the one that opens it: a condition looks back.
    form.querySelectorAll("[data-question]").forEach(function (block) {
      var shown = true;
      var conditionKey = block.dataset.conditionKey;
      if (conditionKey) {
        var wanted = JSON.parse(block.dataset.conditionValues || "[]");
        shown = Boolean(shownKeys[conditionKey]) && answersFor(conditionKey).some(function (value) {
          return wanted.indexOf(value) !== -1;
        });
      }
      if (shown && block.hidden && block.dataset.label) {
        appeared.push(block.dataset.label);
      }
      block.hidden = !shown;
      // Disabled inputs are not posted, so a hidden answer never leaves the browser.
      block.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
      shownKeys[block.dataset.question] = shown;
    });
    if (announceNew && appeared.length) {
      announce(form.dataset.appearedText + " " + appeared.join(" "));
    }
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

  // One click from the email: the first scale question is saved on its own, so a customer who
  // leaves now is still counted. Once per deliberate choice: a click or Space saves at once;
  // arrow keys move the choice one step at a time (each step is a "change"), so those are
  // saved when the keys rest for SETTLE_MS or focus leaves the scale, never once per step.
  var SETTLE_MS = 1500;
  var scoreKey = form.dataset.scoreKey;
  var status = document.querySelector("[data-score-status]");
  var scoreScale = scoreKey ? form.querySelector('[data-question="' + CSS.escape(scoreKey) + '"]') : null;
  var saving = null;
  var pending = null;
  var settleTimer = null;
  var lastSaved = null;
  var stepping = false;

  function showStatus(text, ok) {
    if (!status) { return; }
    var box = document.createElement("div");
    box.className = "alert " + (ok ? "alert-success" : "alert-warning");
    box.textContent = text;
    status.replaceChildren(box);
  }

  // ``via`` tells the server where the score came from: "link" (the score link the email
  // was opened with) or "page" (chosen here). Only link clicks can be a mail scanner's sweep.
  // ``keepalive`` lets a save started as the page goes away finish (it cannot be aborted).
  function saveScore(value, via, keepalive) {
    var body = new FormData();
    body.append("action", "score");
    body.append("via", via);
    body.append(scoreKey, value);
    if (saving) { saving.abort(); }
    saving = keepalive ? null : new AbortController();
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: {"Accept": "application/json"},
      credentials: "omit",
      keepalive: Boolean(keepalive),
      signal: saving ? saving.signal : undefined
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok && data.saved) {
          lastSaved = value;
          showStatus(form.dataset.savedText, true);
        } else if (response.status === 409 || (data.state && data.state !== "rate_limited")) {
          window.location.reload();
        } else {
          // A refused save: the choice stays checked and goes with the Send button.
          showStatus(data.message || form.dataset.errorText, false);
        }
      });
    }).catch(function (error) {
      if (error.name !== "AbortError") { showStatus(form.dataset.errorText, false); }
    });
  }

  function cancelPendingScore() {
    window.clearTimeout(settleTimer);
    settleTimer = null;
    pending = null;
  }

  function flushScore(keepalive) {
    var value = pending;
    cancelPendingScore();
    if (value !== null && value !== lastSaved) {
      saveScore(value, "page", keepalive);
    }
  }

  function chooseScore(value) {
    pending = value;
    window.clearTimeout(settleTimer);
    if (stepping) {
      settleTimer = window.setTimeout(flushScore, SETTLE_MS);
    } else {
      flushScore(false);
    }
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.type === "radio" || target.type === "checkbox") {
      // Enter on a choice sends the whole form in most browsers (implicit submission): a
      // customer pressing it to pick a score lost the page. Space and the arrows choose.
      if (event.key === "Enter") {
        event.preventDefault();
      }
      stepping = event.key.indexOf("Arrow") === 0;
    }
  });
  form.addEventListener("pointerdown", function () { stepping = false; });

  if (scoreScale) {
    scoreScale.addEventListener("focusout", function (event) {
      if (!scoreScale.contains(event.relatedTarget)) {
        flushScore(false);
      }
    });
  }
  // The customer leaves (tab closed, app switched) with a choice not yet saved.
  window.addEventListener("pagehide", function () { flushScore(true); });

  form.addEventListener("change", function (event) {
    applyConditions(true);
    lightStars();
    if (scoreKey && event.target.name === scoreKey && event.target.checked) {
      chooseScore(event.target.value);
    }
    stepping = false;
  });
  // The submit carries the score itself.
  form.addEventListener("submit", cancelPendingScore);
  if (scoreKey && form.dataset.autosave !== undefined) {
    saveScore(form.dataset.autosave, "link", false);
  }

  // Switching language posts the answers so far to the other language's page, which shows
  // them again (nothing is stored, no cookie is set). Without the script the link still works.
  document.querySelectorAll(".survey-languages a[hreflang]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      flushScore(true);
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "language";
      form.appendChild(action);
      form.action = link.href;
      form.submit();
    });
  });

  // After a failed or refused submit the summary at the top takes focus; each of its links
  // moves focus to its question's first control and shows the whole question.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.querySelectorAll("[data-error-link]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.hash.slice(1));
        var block = target && target.closest("[data-question]");
        if (!target || !block) { return; }
        event.preventDefault();
        block.scrollIntoView({block: "start"});
        target.focus({preventScroll: true});
      });
    });
  }

  form.addEventListener("input", updateCounters);
  applyConditions(false);
  lightStars();
  updateCounters();
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
})();
