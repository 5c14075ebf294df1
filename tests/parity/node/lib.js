'use strict';
// Shared plumbing for the parity oracle scripts: loading Backstage's own modules,
// reading JSON input, and quiet stand-ins for the services a Backstage app would inject.
// Only our own glue lives here; every behaviour under test comes from Backstage's code.

const fs = require('node:fs');
const path = require('node:path');

/**
 * require() a module as @backstage/plugin-scaffolder-backend itself would resolve it, so
 * we get exactly the copies (jsonschema, nunjitsu, ...) that it uses at run time. `from`
 * locates the backend: this folder's by default, or another modules folder's require.
 */
function requireFromBackend(id, from = require) {
  const backendDir = path.dirname(from.resolve('@backstage/plugin-scaffolder-backend/package.json'));
  return require(require.resolve(id, { paths: [backendDir] }));
}

/**
 * Load a file of a package's dist/ by path. Needed for modules that the package does not
 * list in its "exports" (e.g. NunjucksWorkflowRunner), which a bare require() refuses.
 */
function requirePackageFile(pkg, relative) {
  const dir = path.dirname(require.resolve(`${pkg}/package.json`));
  return require(path.join(dir, relative));
}

/** Read all of stdin (synchronously: the scripts are one-shot filters). */
function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

/** JSON from the file named by `arg`, or from stdin when `arg` is missing or '-'. */
function readJsonArg(arg) {
  const text = arg && arg !== '-' ? fs.readFileSync(arg, 'utf8') : readStdin();
  return JSON.parse(text);
}

/** A LoggerService look-alike that drops everything (stdout is reserved for our JSON). */
function quietLogger() {
  const logger = {
    info() {},
    warn() {},
    error() {},
    debug() {},
    child() {
      return logger;
    },
  };
  return logger;
}

/** Plain-data view of an error for the JSON report. */
function describeError(err) {
  if (err && typeof err === 'object') {
    return { name: String(err.name ?? 'Error'), message: String(err.message ?? err) };
  }
  return { name: 'Error', message: String(err) };
}

/** Print one JSON document on stdout and keep the process alive until it is flushed. */
function emit(value) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

module.exports = {
  requireFromBackend,
  requirePackageFile,
  readJsonArg,
  quietLogger,
  describeError,
  emit,
};
