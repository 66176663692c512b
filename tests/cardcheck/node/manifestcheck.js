// Validates Teams app manifests and localization files offline with @microsoft/app-manifest.
// Usage: node manifestcheck.js FILE... ; prints {"FILE": ["error", ...], ...} as one JSON line.
// Every file's $schema must be one the package bundles: it would otherwise fetch it from the network.
"use strict";

const fs = require("fs");
const path = require("path");
const { AppManifestUtils } = require("@microsoft/app-manifest");
const Ajv04 = require("ajv-draft-04");
const addFormats = require("ajv-formats");

function bundledSchema(url) {
  const suffix = url && AppManifestUtils.getLocalSchemaSuffix(url);
  const packageRoot = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));
  const file = suffix && path.join(packageRoot, "build", suffix);
  return file && fs.existsSync(file) ? file : undefined;
}

async function check(file) {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  if (!bundledSchema(json.$schema)) {
    return [`$schema ${JSON.stringify(json.$schema)} is not bundled with @microsoft/app-manifest (no offline check)`];
  }
  if (!/Localization\.schema\.json$/.test(json.$schema)) {
    return AppManifestUtils.validateAgainstSchema(json);
  }
  // The localization schemas hold a pattern that is invalid as a unicode RegExp (`\b]`), so the package's own
  // validator cannot compile them; same draft-04 validator and formats, with non-unicode patterns.
  const ajv = new Ajv04({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const validate = ajv.compile(await AppManifestUtils.fetchSchema(json.$schema));
  return validate(json) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}. Details: ${JSON.stringify(e.params)}`);
}

(async () => {
  const results = {};
  for (const file of process.argv.slice(2)) {
    results[file] = await check(file);
  }
  process.stdout.write(JSON.stringify(results) + "\n");
})().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(2);
});
