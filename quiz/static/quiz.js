// Fact or opinion? — small improvements; every form works without this file.
(function () {
  "use strict";

  // Spot questions: each word becomes a toggle button (aria-pressed) that ticks its hidden checkbox.
  function enhanceSpot(container) {
    container.querySelectorAll(".word").forEach(function (word) {
      var box = word.querySelector("input[type=checkbox]");
      var label = word.querySelector("label");
      if (!box || !label) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "word-toggle";
      button.textContent = label.textContent;
      button.setAttribute("aria-pressed", box.checked ? "true" : "false");
      if (box.disabled) { button.disabled = true; }
      button.addEventListener("click", function () {
        box.checked = !box.checked;
        button.setAttribute("aria-pressed", box.checked ? "true" : "false");
      });
      word.appendChild(button);
    });
    container.classList.add("enhanced");
  }

  // A submit button sends its form once: a double click stores nothing twice anyway, but says so.
  function sendOnce(form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[data-once]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-spot] .spot-words").forEach(enhanceSpot);
    document.querySelectorAll("form").forEach(sendOnce);
    var feedback = document.getElementById("feedback");
    if (feedback) { feedback.focus(); }
  });
})();
