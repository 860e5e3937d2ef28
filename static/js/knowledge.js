// Reply templates on the case page: "Insert into reply" puts the template's text (already filled
// in for this case) into the reply box and remembers which template version it came from; the
// reply event records it. Delegated from the document, so htmx swaps need no re-binding.
(function () {
  if (window.deskKnowledgeBound) return;
  window.deskKnowledgeBound = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-macro-version]");
    if (!button) return;
    var body = document.querySelector(".composer textarea[name=body]");
    var version = document.querySelector(".composer input[name=macro_version]");
    if (!body || !version) return;
    body.value = body.value.trim() ? body.value.trim() + "\n\n" + button.dataset.text : button.dataset.text;
    version.value = button.dataset.macroVersion;
    body.focus();
  });
})();
