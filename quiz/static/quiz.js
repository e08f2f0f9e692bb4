// Fact or opinion? — small improvements; every form works without this file.
(function () {
  "use strict";

  // Spot questions: each word becomes a toggle button (aria-pressed) that ticks its hidden checkbox.
  // The words form one toolbar (WAI-ARIA toolbar pattern): one Tab stop, arrow keys move between
  // words, Home and End jump to the first and last, Space or Enter presses.
  function enhanceSpot(container) {
    var buttons = [];
    container.querySelectorAll(".word").forEach(function (word) {
      var box = word.querySelector("input[type=checkbox]");
      var label = word.querySelector("label");
      if (!box || !label) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "word-toggle";
      button.textContent = label.textContent;
      button.tabIndex = -1;
      button.setAttribute("aria-pressed", box.checked ? "true" : "false");
      if (box.disabled) { button.disabled = true; }
      button.addEventListener("click", function () {
        box.checked = !box.checked;
        button.setAttribute("aria-pressed", box.checked ? "true" : "false");
        moveTo(buttons.indexOf(button), false);
      });
      word.appendChild(button);
      buttons.push(button);
    });
    if (!buttons.length) { return; }
    container.setAttribute("role", "toolbar");
    container.setAttribute("aria-labelledby", container.getAttribute("data-label"));
    container.classList.add("enhanced");

    function moveTo(index, focus) {
      buttons.forEach(function (b, n) { b.tabIndex = n === index ? 0 : -1; });
      if (focus) { buttons[index].focus(); }
    }
    moveTo(0, false);
    container.addEventListener("keydown", function (event) {
      var at = buttons.indexOf(document.activeElement);
      if (at < 0) { return; }
      var to = {ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1,
                Home: 0, End: buttons.length - 1}[event.key];
      if (to === undefined) { return; }
      event.preventDefault();
      moveTo(Math.max(0, Math.min(buttons.length - 1, to)), true);
    });
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
    // A question shown at the attempt's plain address gets its own (?q=N) in the address bar, so
    // that Back, after answering, returns to this question rather than to "the next one".
    var own = document.querySelector("[data-address]");
    if (own && window.history.replaceState && window.location.search.indexOf("q=") < 0) {
      window.history.replaceState(null, "", own.getAttribute("data-address") + window.location.hash);
    }
    var feedback = document.getElementById("feedback");
    if (feedback) { feedback.focus(); }
  });
})();
