'use strict';
// Runs Backstage's REAL `fetch:template` action (from @backstage/plugin-scaffolder-backend)
// on one or many jobs in a single process, because loading the scaffolder costs ~1 s.
//
// Usage: node --no-node-snapshot render.js [--modules DIR] [jobs.json|-]
//
// --modules DIR loads the Backstage packages from DIR/node_modules instead of this folder's,
// e.g. ../node-legacy (scaffolder-backend 4.0.2, the nunjucks engine in isolated-vm), so one
// script drives both engines the same way.
//
// A job is {out, skeleton?, template?, values?, input?}:
//   skeleton  directory to render; it is fetched as `./<basename>` relative to a template
//             file that would sit next to it, i.e. a plain local copy as for a template
//             registered from disk;
//   template  alternatively, the template.yaml path used as templateInfo.baseUrl, with
//             `input.url` taken from the job's input (as the template's step says);
//   out       the workspace directory (created if missing); files land in input.targetPath;
//   values    the step's `values` input;
//   input     any other fetch:template input (copyWithoutTemplating, templateFileExtension,
//             trimBlocks, lstripBlocks, replace, targetPath, ...).
// Output (stdout): a JSON array, one {ok: true} or {ok: false, error: {name, message}} per
// job, in job order. Exit status is 0 when every job ran (even if some failed to render),
// 2 when the arguments or the job list could not be read.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { readJsonArg, quietLogger, describeError, emit, requireFromBackend } = require('./lib');

/** Split argv into the modules folder (null: this folder's) and the job file argument. */
function parseArgs(argv) {
  const args = [...argv];
  let modules = null;
  const at = args.indexOf('--modules');
  if (at !== -1) {
    if (at + 1 >= args.length) {
      throw new Error('--modules needs a directory');
    }
    modules = path.resolve(args[at + 1]);
    args.splice(at, 2);
  }
  return { modules, jobsArg: args[0] };
}

/**
 * A require() that resolves from `modules` (as a file inside it would), or this script's
 * own require. The backend's dependencies are then found from wherever the backend is.
 */
function modulesRequire(modules) {
  if (modules === null) {
    return require;
  }
  if (!fs.existsSync(path.join(modules, 'node_modules'))) {
    throw new Error(`${modules} has no node_modules; run npm ci there`);
  }
  return createRequire(path.join(modules, 'package.json'));
}

/** A UrlReader that must never be reached: all our fetches are local file copies. */
const unusedReader = {
  async readUrl(url) {
    throw new Error(`parity oracle: unexpected remote read of ${url}`);
  },
  async readTree(url) {
    throw new Error(`parity oracle: unexpected remote read of ${url}`);
  },
  async search(url) {
    throw new Error(`parity oracle: unexpected remote search of ${url}`);
  },
};

/** Build the action once (it is stateless between invocations) and its input validator. */
function createAction(from) {
  const { createFetchTemplateAction } = from('@backstage/plugin-scaffolder-backend');
  const { ScmIntegrations } = from('@backstage/integration');
  const { ConfigReader } = from('@backstage/config');
  // No integrations config: github.com, gitlab.com, bitbucket.org and dev.azure.com are the
  // defaults a fresh Backstage app knows, which is what parseRepoUrl sees.
  const integrations = ScmIntegrations.fromConfig(new ConfigReader({}));
  const action = createFetchTemplateAction({ reader: unusedReader, integrations });
  // Same validator the workflow runner applies to an action's input before calling it.
  const jsonschema = requireFromBackend('jsonschema', from);
  return { action, jsonschema };
}

/** Turn a job into the action's input and templateInfo.baseUrl. */
function resolveJob(job) {
  if (!job || typeof job.out !== 'string') {
    throw new Error('job needs an "out" directory');
  }
  const input = { ...(job.input ?? {}) };
  let baseUrl;
  if (typeof job.skeleton === 'string') {
    const skeleton = path.resolve(job.skeleton);
    // fetchContents() strips "file://" and takes dirname(), so the template file itself
    // need not exist: it only anchors the relative url, as for a template on disk.
    baseUrl = `file://${path.join(path.dirname(skeleton), 'template.yaml')}`;
    input.url = `./${path.basename(skeleton)}`;
  } else if (typeof job.template === 'string') {
    baseUrl = `file://${path.resolve(job.template)}`;
    if (typeof input.url !== 'string') {
      throw new Error('a "template" job needs input.url');
    }
  } else {
    throw new Error('job needs "skeleton" or "template"');
  }
  if (job.values !== undefined) {
    input.values = job.values;
  }
  return { input, baseUrl, out: path.resolve(job.out) };
}

/** Run one job through the real handler; temporary directories are removed afterwards. */
async function runJob({ action, jsonschema }, job, index) {
  const { input, baseUrl, out } = resolveJob(job);
  const validation = jsonschema.validate(input, action.schema.input);
  if (!validation.valid) {
    // Same wording the runner uses, so a bad input reads as it would in Backstage.
    const err = new Error(
      `Invalid input passed to action ${action.id}, ${validation.errors.join(', ')}`,
    );
    err.name = 'InputError';
    throw err;
  }
  fs.mkdirSync(out, { recursive: true });
  const tmpDirs = [];
  try {
    await action.handler({
      input,
      workspacePath: out,
      templateInfo: { entityRef: 'template:default/parity', baseUrl },
      logger: quietLogger(),
      secrets: {},
      task: { id: `parity-${index}` },
      step: { id: 'fetch', name: 'fetch' },
      user: {},
      isDryRun: false,
      signal: new AbortController().signal,
      output() {},
      async checkpoint({ fn }) {
        return fn();
      },
      async createTemporaryDirectory() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mls-parity-'));
        tmpDirs.push(dir);
        return dir;
      },
      async getInitiatorCredentials() {
        return { $$type: '@backstage/BackstageCredentials', principal: { type: 'none' } };
      },
    });
  } finally {
    for (const dir of tmpDirs) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function main() {
  let jobs;
  let from;
  try {
    const { modules, jobsArg } = parseArgs(process.argv.slice(2));
    from = modulesRequire(modules);
    jobs = readJsonArg(jobsArg);
    if (!Array.isArray(jobs)) {
      throw new Error('the job list must be a JSON array');
    }
  } catch (err) {
    process.stderr.write(`render.js: ${describeError(err).message}\n`);
    process.exitCode = 2;
    return;
  }
  const action = createAction(from);
  const results = [];
  // Sequential on purpose: the handler is async but jobs may share output parents, and
  // one-at-a-time keeps each job's error tied to that job.
  for (const [index, job] of jobs.entries()) {
    try {
      await runJob(action, job, index);
      results.push({ ok: true });
    } catch (err) {
      results.push({ ok: false, error: describeError(err) });
    }
  }
  emit(results);
}

main();
