// Pressroom newsroom: small additions to pages that work without this script.
// - character counters under fields that have a limit (data-limit),
// - a live countdown beside embargo instants (data-until).
"use strict";

(function () {
  function countCharacters(text) {
    // The domain counts Unicode scalar values, as Array.from does.
    return Array.from(text).length;
  }

  document.querySelectorAll("[data-limit]").forEach(function (field) {
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    if (!limit) return;
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.id = field.id + "-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var describedBy = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);
    function update() {
      var left = limit - countCharacters(field.value);
      counter.textContent = left >= 0
        ? left + " of " + limit + " characters left"
        : -left + " characters too many";
      counter.classList.toggle("over", left < 0);
    }
    field.addEventListener("input", update);
    update();
  });

  function countdown(element) {
    var until = Date.parse(element.getAttribute("data-until"));
    if (isNaN(until)) return;
    function update() {
      var seconds = Math.round((until - Date.now()) / 1000);
      if (seconds <= 0) {
        element.textContent = "(due now)";
        return;
      }
      var h = Math.floor(seconds / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      element.textContent = "(in " + (h ? h + " h " : "") + (h || m ? m + " min " : "") + s + " s)";
      setTimeout(update, 1000);
    }
    update();
  }
  document.querySelectorAll("[data-until]").forEach(countdown);
})();
