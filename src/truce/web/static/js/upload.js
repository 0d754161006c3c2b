/* Forms that carry evidence files: the size limit checked before anything is sent, and a progress bar while
   the files travel. Without this script the form still posts as usual and the server checks the limit. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("form[data-upload-form]"), function (form) {
    var input = form.querySelector("input[type=file]");
    if (!input) { return; }
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var warning = form.querySelector("#evidence-too-large");
    var progress = form.querySelector("#upload-progress"), status = form.querySelector("#upload-status");

    function tooLarge() {
      var total = Array.prototype.reduce.call(input.files || [], function (sum, f) { return sum + f.size; }, 0);
      if (total > limit) {
        warning.textContent = input.getAttribute("data-too-large");
        warning.hidden = false;
        input.setAttribute("aria-invalid", "true");
        return true;
      }
      warning.hidden = true;
      input.removeAttribute("aria-invalid");
      return false;
    }
    input.addEventListener("change", tooLarge);

    form.addEventListener("submit", function (event) {
      if (tooLarge()) { event.preventDefault(); input.focus(); return; }
      // Offline, a form with an outbox (outbox.js) keeps the record and its files on the device instead.
      if (form.hasAttribute("data-outbox") && !navigator.onLine) { return; }
      if (!input.files || !input.files.length || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      progress.hidden = false;
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var pct = Math.round(100 * e.loaded / e.total);
        progress.value = pct;
        status.textContent = status.getAttribute("data-sending").replace("{pct}", pct);
      });
      request.addEventListener("load", function () {
        var redirected = request.responseURL && request.responseURL.split("#")[0] !== form.action;
        if (request.status < 300 && redirected) { window.location.assign(request.responseURL); return; }
        // A refusal comes back as the page with its errors: show it as a normal post would.
        document.open();
        document.write(request.responseText);
        document.close();
      });
      request.addEventListener("error", function () { progress.hidden = true; form.submit(); });
      request.send(new FormData(form));
    });
  });
})();
