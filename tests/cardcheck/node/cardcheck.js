// The official Adaptive Cards renderer's parser and validator, as a long-lived checker for the Python tests.
// Protocol: one JSON line in ({"cards": [card, ...]}), one JSON line out ({"results": [[{path, message}], ...]}).
// A whole batch travels as one line each way, so neither side can block on a full pipe.
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");
// The package's `main` does not load in plain Node; its UMD bundle does.
const AC = require("adaptivecards/dist/adaptivecards.js");

const MAX_VERSION = AC.Versions.v1_5;

// Teams renders these chart elements; the stock renderer does not know them. Register exactly these names
// so every other unknown type is still reported. Their properties are checked by the JSON schema.
const charts = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "teams-charts.schema.json"), "utf8"));
for (const typeName of Object.keys(charts.definitions)) {
  class TeamsChart extends AC.CardElement {
    getJsonTypeName() {
      return typeName;
    }
    internalRender() {
      return undefined;
    }
  }
  AC.GlobalRegistry.elements.register(typeName, TeamsChart, AC.Versions.v1_5);
}

// Every object of the raw JSON and its path, e.g. "body[2].items[0]" (the parsed tree drops unknown elements,
// so its indices are not the JSON's).
function indexPaths(node, at, paths) {
  if (Array.isArray(node)) {
    node.forEach((item, index) => indexPaths(item, `${at}[${index}]`, paths));
  } else if (node && typeof node === "object") {
    paths.set(node, at);
    for (const [key, value] of Object.entries(node)) {
      indexPaths(value, `${at}.${key}`, paths);
    }
  }
  return paths;
}

// Paths of every object in the raw JSON whose "type" is `typeName` (the parser reports unknown types without one).
function pathsOfType(paths, typeName) {
  return [...paths].filter(([node]) => node.type === typeName).map(([, at]) => `${at}.type`);
}

function clean(path) {
  return path.replace(/^\./, "") || "(card)";
}

// The renderer's `lang` pattern carries the /g flag, so RegExp.exec keeps its lastIndex from one match to the
// next: after a valid "ja", a valid "en" is rejected. Same pattern, without the flag.
AC.CardElement.langProperty.regEx = new RegExp(AC.CardElement.langProperty.regEx.source, "i");

function check(json) {
  const problems = [];
  const paths = indexPaths(json, "", new Map());
  const sources = new Map();
  const remember = (parsed, source) => sources.set(parsed, source);
  const pathOf = (parsed) => paths.get(sources.get(parsed)) ?? "";
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(MAX_VERSION);
  context.onParseElement = remember;
  context.onParseAction = remember;
  try {
    card.parse(json, context);
  } catch (error) {
    return [{ path: "(card)", message: `the renderer could not parse the card: ${error.message}` }];
  }
  const report = (event, at) => problems.push({ path: clean(at), message: `${AC.ValidationEvent[event.event]}: ${event.message}` });
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    const unknown = /^Unknown (?:element|action) type "(.*)"/.exec(event.message);
    const found = unknown ? pathsOfType(paths, unknown[1]) : [];
    for (const at of found.length ? found : [event.source ? pathOf(event.source) : ""]) {
      report(event, at);
    }
  }
  for (const event of card.validateProperties().validationEvents) {
    report(event, event.source ? pathOf(event.source) : "");
  }
  if (card.version && !AC.isVersionLessOrEqual(card.version, MAX_VERSION)) {
    problems.push({ path: "version", message: `card version ${card.version} is above ${MAX_VERSION}, the highest Teams renders` });
  }
  return problems;
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) {
    return;
  }
  let reply;
  try {
    reply = { results: JSON.parse(line).cards.map(check) };
  } catch (error) {
    reply = { error: String(error && error.stack ? error.stack : error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
