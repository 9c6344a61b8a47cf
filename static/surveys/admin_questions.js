/* Question inline. A new question gets the next order number, so it lands last; settings that
 * do not apply to the chosen kind are tucked away (unless they hold a value the server must
 * still judge, so an error is never hidden). */
(function () {
  "use strict";
  var CHOICE_KINDS = ["single_choice", "multi_choice"];
  var SCALE_KINDS = ["nps", "csat", "ces", "rating"];

  function show(element, visible) {
    if (element) {
      element.hidden = !visible;
    }
  }

  function hasValue(row, selector) {
    var input = row.querySelector(selector);
    if (!input) {
      return false;
    }
    return input.type === "checkbox" ? input.checked : input.value.trim() !== "";
  }

  function fitToKind(row) {
    var kindSelect = row.querySelector('select[name$="-kind"]');
    if (!kindSelect) {
      return;
    }
    var kind = kindSelect.value;
    var choices = row.querySelector(".field-choices");
    show(choices && choices.closest("fieldset"), CHOICE_KINDS.indexOf(kind) !== -1 || hasValue(row, 'textarea[name$="-choices"]'));
    show(row.querySelector(".form-row.field-dimension"), SCALE_KINDS.indexOf(kind) !== -1 || hasValue(row, 'select[name$="-dimension"]'));
    show(
      row.querySelector(".form-row.field-raises_complaint"),
      kind === "yes_no" || hasValue(row, 'input[name$="-raises_complaint"]')
    );
  }

  function nextOrder(row) {
    var input = row.querySelector('input[name$="-order"]');
    if (!input) {
      return;
    }
    var highest = -1;
    document.querySelectorAll('input[name$="-order"]').forEach(function (other) {
      if (other !== input && other.closest(".empty-form") === null && other.value !== "") {
        highest = Math.max(highest, Number(other.value));
      }
    });
    input.value = String(highest + 1);
  }

  document.addEventListener("formset:added", function (event) {
    nextOrder(event.target);
    fitToKind(event.target);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches('select[name$="-kind"]')) {
      fitToKind(event.target.closest(".inline-related"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".inline-related").forEach(fitToKind);
  });
})();
