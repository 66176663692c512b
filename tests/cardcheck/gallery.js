// The card gallery's page script: renders one Adaptive Card at a time with the official renderer (npm
// `adaptivecards`, loaded before this script) and reports what broke. Used by tests/cardcheck/gallery.py.
"use strict";

const AC = window.AdaptiveCards;

// Teams' light theme, as far as the stock host config goes: its font stack (with a Japanese font on Linux).
const hostConfig = new AC.HostConfig({
  fontFamily: "'Segoe UI', 'Noto Sans CJK JP', 'Noto Sans JP', sans-serif",
});

// The renderer's `lang` pattern carries the /g flag, so after one valid "ja" the next valid "en" is rejected
// (the same fix as in node/cardcheck.js).
AC.CardElement.langProperty.regEx = new RegExp(AC.CardElement.langProperty.regEx.source, "i");

// Teams shows **bold** and _italic_ in TextBlocks (its markdown subset); the stock renderer needs a processor.
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = escapeHtml(text)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|\s)_(.+?)_(?=\s|$)/g, "$1<em>$2</em>")
    .replace(/\n/g, "<br>");
  result.didProcess = true;
};

// Teams draws Chart.* elements; the stock renderer does not know them. Show each as a labelled box with its data
// points, so the gallery shows where Teams draws a chart and what it is fed (not what the chart looks like).
function chartPoints(data) {
  return (Array.isArray(data) ? data : []).map((point) => ({
    label: String(point.x ?? point.legend ?? point.title ?? ""),
    value: point.y ?? point.value,
  }));
}
function registerChart(typeName) {
  class TeamsChart extends AC.CardElement {
    getJsonTypeName() {
      return typeName;
    }
    internalParse(source, context) {
      super.internalParse(source, context);
      this.chartTitle = source.title;
      this.points = chartPoints(source.data);
    }
    internalRender() {
      const box = document.createElement("div");
      box.className = "teams-chart";
      const caption = document.createElement("div");
      caption.className = "teams-chart-caption";
      caption.textContent = `${typeName}${this.chartTitle ? ` “${this.chartTitle}”` : ""} — Teams draws a chart here`;
      box.appendChild(caption);
      for (const point of this.points) {
        const row = document.createElement("div");
        row.textContent = `${point.label}: ${point.value}`;
        box.appendChild(row);
      }
      return box;
    }
  }
  AC.GlobalRegistry.elements.register(typeName, TeamsChart, AC.Versions.v1_5);
}

// Renders `card` into #card; returns the problems a person would notice: nothing drawn, parse errors.
window.renderCard = (card, chartTypes) => {
  chartTypes.filter((name) => !AC.GlobalRegistry.elements.findByName(name)).forEach(registerChart);
  const host = document.getElementById("card");
  host.replaceChildren();
  const problems = [];
  const adaptiveCard = new AC.AdaptiveCard();
  adaptiveCard.hostConfig = hostConfig;
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  try {
    adaptiveCard.parse(card, context);
  } catch (error) {
    return { problems: [`the renderer could not parse the card: ${error.message}`], text: "", height: 0 };
  }
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    problems.push(`${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  const rendered = adaptiveCard.render();
  if (!rendered) {
    problems.push("the renderer drew nothing");
  } else {
    host.appendChild(rendered);
  }
  return { problems, text: host.innerText.trim(), height: host.getBoundingClientRect().height };
};
