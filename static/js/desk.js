// Small page behaviours, loaded from the app's own origin so the Content-Security-Policy can
// forbid inline script. Listeners are delegated from the document, so they keep working on
// content htmx swaps in later.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;

    // "Select all" in a bulk table: <input type="checkbox" data-select-all="cases"> ticks
    // every checkbox named "cases" in the same form.
    var selectAll = target.closest("input[data-select-all]");
    if (selectAll) {
      var scope = selectAll.form || document;
      scope.querySelectorAll('input[type=checkbox][name="' + selectAll.dataset.selectAll + '"]').forEach(function (box) {
        box.checked = selectAll.checked;
      });
      return;
    }

    // Business calendar form: add a blank closure row from the formset's empty form
    // (Django numbers rows by index).
    var addRow = target.closest("[data-formset-add]");
    if (addRow) {
      var prefix = addRow.dataset.formsetAdd;
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById(addRow.dataset.template);
      var rows = document.getElementById(addRow.dataset.rows);
      if (!total || !template || !rows) return;
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", total.value));
      total.value = String(Number(total.value) + 1);
    }
  });

  // A polling element with data-poll-paused-while="<selector>" skips its refresh while anything
  // matches the selector (e.g. ticked rows of a bulk table), so a refresh never drops a selection.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!(elt instanceof Element) || !elt.dataset.pollPausedWhile) return;
    if (document.querySelector(elt.dataset.pollPausedWhile)) event.preventDefault();
  });
})();
