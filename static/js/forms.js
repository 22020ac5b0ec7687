// Forms people finish. Every page loads this; without it the forms work the same, less kindly.
// 1. After a failed save, the error summary (templates/_error_summary.html) takes focus, so the page
//    opens at the form that failed and a screen reader reads what to fix.
// 2. A link of the summary puts focus on its field, with the field's label in view.
// 3. A long text with a limit counts down as people type, and says by how much a text is over it;
//    the server refuses a longer text in any case (opmodel.fields.LimitedTextField).
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  }

  function focusField(event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  }

  // Browsers send each line break as CR LF, and the server counts both characters.
  function length(text) {
    return text.replace(/\r?\n/g, "\r\n").length;
  }

  function number(count) {
    return count.toLocaleString("en");
  }

  function addCounter(textarea) {
    var limit = parseInt(textarea.getAttribute("maxlength"), 10);
    var counter = document.createElement("p");
    counter.className = "counter";
    counter.id = textarea.id + "_counter";
    // Read out once typing pauses, not at every key.
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    var pause;
    // Show a text over the limit instead of cutting a paste short without a word.
    textarea.removeAttribute("maxlength");
    var described = textarea.getAttribute("aria-describedby");
    textarea.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    textarea.insertAdjacentElement("afterend", counter);
    counter.insertAdjacentElement("afterend", spoken);

    function update() {
      var used = length(textarea.value);
      var left = limit - used;
      if (!used) counter.textContent = "Up to " + number(limit) + " characters";
      else if (left >= 0) counter.textContent = number(left) + " of " + number(limit) + " characters left";
      else counter.textContent = number(-left) + (left === -1 ? " character" : " characters") + " over the limit of " + number(limit);
      counter.classList.toggle("over", left < 0);
    }
    textarea.addEventListener("input", function () {
      update();
      clearTimeout(pause);
      pause = setTimeout(function () {
        spoken.textContent = counter.textContent;
      }, 1000);
    });
    update();
  }

  document.querySelectorAll("textarea[maxlength]").forEach(addCounter);
  document.addEventListener("click", focusField);
  focusSummary();
})();
