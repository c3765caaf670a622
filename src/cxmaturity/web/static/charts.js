/* Charts of the results dashboard: renders each Vega-Lite spec of the page into its container.

   The specs are JSON data blocks (<script type="application/json" id="chart-...">) written by the server from
   cxmaturity.reporting.charts; each container names its block in data-chart. Progressive enhancement only: without
   JavaScript (or if a chart fails) the table next to each chart shows the same numbers.

   Content Security Policy: script-src 'self' without 'unsafe-eval' and style-src 'self'. So Vega runs with its
   expression interpreter (ast: true) instead of compiling expressions with new Function, and neither vega-embed nor
   the tooltip injects a <style> element (their styles are in style.css). */
(function () {
  "use strict";
  var containers = document.querySelectorAll("[data-chart]");
  if (!containers.length || typeof window.vegaEmbed !== "function") {
    return;
  }
  var options = {
    renderer: "svg",
    actions: false,
    ast: true,
    defaultStyle: false,
    tooltip: { disableDefaultStyle: true, theme: "light" }
  };
  // Axis labels and tooltips write numbers and dates the way the page's language does (0,75 and 42 % in German; a
  // time axis's "Dez. 2026"): the server writes d3's number and time locales for it from the same Babel data as its
  // tables (i18n/formats.py: d3_locale, base.html), so this script keeps no tables of month or day names.
  var localeBlock = document.getElementById("number-locale");
  if (localeBlock) {
    var locales = JSON.parse(localeBlock.textContent);
    options.formatLocale = locales.number;
    options.timeFormatLocale = locales.time;
  }

  // A screen reader meets the chart as one image, named by the spec's description (the chart's numbers in words),
  // as in the executive report (reporting/svg.py): the marks and axes inside are hidden, so it does not read out
  // dozens of shapes with raw field names. The figure's caption and the table beside it say the rest.
  function nameAsOneImage(container, spec) {
    var svg = container.querySelector("svg");
    if (!svg) {
      return;
    }
    var figure = container.closest("figure");
    var title = figure && figure.querySelector(".chart-title");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", spec.description || (title ? title.textContent : "Chart"));
    svg.removeAttribute("aria-roledescription");
    Array.prototype.forEach.call(svg.querySelectorAll("[role], [aria-roledescription]"), function (part) {
      part.removeAttribute("role");
      part.removeAttribute("aria-roledescription");
    });
    Array.prototype.forEach.call(svg.children, function (child) {
      child.setAttribute("aria-hidden", "true");
    });
  }

  Array.prototype.forEach.call(containers, function (container) {
    var block = document.getElementById(container.getAttribute("data-chart"));
    if (!block) {
      return;
    }
    var spec;
    try {
      spec = JSON.parse(block.textContent);
    } catch (err) {
      console.error("chart " + block.id + ": the spec is not valid JSON", err);
      return;
    }
    window.vegaEmbed(container, spec, options).then(function () {
      nameAsOneImage(container, spec);
      container.classList.add("chart-rendered");
      // The chart now shows what the table shows: fold the table away (it stays one click or key press away).
      var figure = container.closest("figure");
      var table = figure && figure.querySelector("details.chart-data");
      if (table) {
        table.open = false;
      }
    }).catch(function (err) {
      container.classList.add("chart-failed");
      console.error("chart " + block.id + " could not be drawn", err);
    });
  });
})();
