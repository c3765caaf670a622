/* Links drawn as buttons (class "button": "Start", "New assessment", ...) answer the Space key as buttons do.

   Such a link looks like a button, so a keyboard user presses Space on it, which on a plain link only scrolls the
   page (WCAG 2.1.1). Enter already follows it; without JavaScript it stays an ordinary link. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var link = event.target;
    if (event.key !== " " || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    if (link instanceof HTMLAnchorElement && link.classList.contains("button") && link.href) {
      event.preventDefault(); // no scrolling: the page is about to change
      link.click();
    }
  });
})();
