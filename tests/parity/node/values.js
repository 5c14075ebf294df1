'use strict';
// Computes the input each step of a Template receives, the way Backstage 4.3.0 does it:
// the scaffolder router's server-side parameter check (each visible form page validated
// with `jsonschema`, values of hidden pages filtered out), then the REAL
// NunjucksWorkflowRunner executing the task, with every action replaced by a recorder.
// The runner renders each step's `if` and `input` itself (nunjitsu
// `renderValue(value, ctx, {coercion: 'json'})` on every string, through a JSON
// round-trip), so what the recorder sees is exactly what fetch:template would get.
//
// Usage: node --no-node-snapshot values.js TEMPLATE_YAML STEP_ID [PARAMETERS_JSON_FILE|-]
//        node --no-node-snapshot values.js --batch [JOBS_JSON_FILE|-]
//          (jobs: [{template, step, parameters}]; prints an array of results, exit 0)
// Output (stdout), exit 0:
//   {"ok": true, "step": {"id", "action", "skipped", "input"}, "values": <input.values>,
//    "steps": {<id>: {"action", "skipped", "input"}}}
// or, exit 1:
//   {"ok": false, "stage": "parameters"|"template"|"workflow", "errors": [...]}.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const yaml = require('yaml');
const { ScmIntegrations } = require('@backstage/integration');
const { ConfigReader } = require('@backstage/config');
const { resolveParameterSteps } = require('@backstage/plugin-scaffolder-common/alpha');
const {
  readJsonArg,
  quietLogger,
  describeError,
  emit,
  requireFromBackend,
  requirePackageFile,
} = require('./lib');

const jsonschema = requireFromBackend('jsonschema');
// Not in the package's "exports": load the compiled module by path (see lib.js).
const { NunjucksWorkflowRunner } = requirePackageFile(
  '@backstage/plugin-scaffolder-backend',
  'dist/scaffolder/tasks/NunjucksWorkflowRunner.cjs.js',
);

/** The Template entity in the file, parsed like the catalog parses YAML locations. */
function loadTemplate(file) {
  const docs = yaml.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new Error(`YAML error in ${file}: ${doc.errors[0].message}`);
    }
    const entity = doc.toJSON();
    if (entity && entity.kind === 'Template') {
      return entity;
    }
  }
  throw new Error(`no Template entity in ${file}`);
}

/**
 * Server-side parameter handling of POST /v2/tasks in 4.3.0's router: pages are resolved
 * (`when`) with scaffolder-common's resolveParameterSteps, then each visible page is
 * validated on its own with the npm `jsonschema` library; the first failing page wins.
 * The router's helper is not exported, so these few lines restate what it does.
 */
function checkParameters(template, values) {
  const pages = [template.spec.parameters ?? []].flat();
  const resolved = resolveParameterSteps(
    values,
    pages.map((schema) => ({ schema, when: schema.when })),
  );
  for (const [index, schema] of pages.entries()) {
    if (!resolved.visible[index]) continue;
    const result = jsonschema.validate(values, schema);
    if (!result.valid) {
      return { errors: result.errors.map((e) => e.stack), values: resolved.values };
    }
  }
  return { errors: [], values: resolved.values };
}

/** The task spec the router stores for a template run (ids/names defaulted the same way). */
function taskSpecFor(template, templateFile, parameters) {
  const spec = {
    apiVersion: template.apiVersion,
    steps: template.spec.steps.map((step, index) => ({
      ...step,
      id: step.id ?? `step-${index + 1}`,
      name: step.name ?? step.action,
    })),
    EXPERIMENTAL_recovery: template.spec.EXPERIMENTAL_recovery,
    output: template.spec.output ?? {},
    parameters,
    user: {},
    templateInfo: {
      entityRef: `template:${template.metadata.namespace ?? 'default'}/${template.metadata.name}`,
      baseUrl: `file://${path.resolve(templateFile)}`,
      entity: { metadata: template.metadata },
    },
  };
  // The task store keeps the spec as JSON; round-trip it the same way.
  return JSON.parse(JSON.stringify(spec));
}

/** An action registry whose every action records its (already rendered) input. */
function recordingRegistry(record) {
  return {
    async get(actionId) {
      return {
        id: actionId,
        supportsDryRun: true,
        async handler(ctx) {
          record.push({ id: ctx.step.id, action: actionId, input: ctx.input });
        },
      };
    },
    async list() {
      return new Map();
    },
  };
}

/** Minimal MetricsService: the runner's tracker only creates counters and histograms. */
const noMetrics = {
  createCounter: () => ({ add() {} }),
  createHistogram: () => ({ record() {} }),
  createUpDownCounter: () => ({ add() {} }),
  createGauge: () => ({ record() {} }),
};

async function runWorkflow(spec, workingDirectory) {
  const record = [];
  const runner = new NunjucksWorkflowRunner({
    actionRegistry: recordingRegistry(record),
    integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
    workingDirectory,
    logger: quietLogger(),
    config: new ConfigReader({}),
    metrics: noMetrics,
  });
  const task = {
    spec,
    taskId: 'parity',
    secrets: {},
    isDryRun: false,
    cancelSignal: new AbortController().signal,
    async getWorkspaceName() {
      return 'parity-task';
    },
    async emitLog() {},
    async getInitiatorCredentials() {
      return { $$type: '@backstage/BackstageCredentials', principal: { type: 'none' } };
    },
  };
  await runner.execute(task);
  return record;
}

/**
 * Compute every step's input for one template run; returns the JSON-ready result object
 * ({ok: true, step, values, steps} or {ok: false, stage, errors}).
 */
async function computeStep(templateFile, stepId, parameters) {
  let template;
  try {
    template = loadTemplate(templateFile);
  } catch (err) {
    return { ok: false, stage: 'template', errors: [describeError(err).message] };
  }
  const checked = checkParameters(template, parameters);
  if (checked.errors.length > 0) {
    return { ok: false, stage: 'parameters', errors: checked.errors };
  }
  const spec = taskSpecFor(template, templateFile, checked.values);
  const workingDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'mls-values-'));
  let record;
  try {
    record = await runWorkflow(spec, workingDirectory);
  } catch (err) {
    return { ok: false, stage: 'workflow', errors: [describeError(err).message] };
  } finally {
    fs.rmSync(workingDirectory, { recursive: true, force: true });
  }
  const steps = {};
  for (const step of spec.steps) {
    const ran = record.find((r) => r.id === step.id);
    steps[step.id] = { action: step.action, skipped: !ran, input: ran ? ran.input : null };
  }
  if (!(stepId in steps)) {
    return { ok: false, stage: 'template', errors: [`no step with id "${stepId}"`] };
  }
  const step = { id: stepId, ...steps[stepId] };
  return { ok: true, step, values: step.input ? step.input.values ?? null : null, steps };
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--batch') {
    // Many runs, one process: [{template, step, parameters}] in, an array of results out.
    let jobs;
    try {
      jobs = readJsonArg(args[1]);
      if (!Array.isArray(jobs)) throw new Error('the job list must be a JSON array');
    } catch (err) {
      process.stderr.write(`values.js: ${describeError(err).message}\n`);
      process.exitCode = 2;
      return;
    }
    const results = [];
    for (const job of jobs) {
      results.push(await computeStep(job.template, job.step, job.parameters));
    }
    emit(results);
    return;
  }
  const [templateFile, stepId, paramsArg] = args;
  if (!templateFile || !stepId) {
    process.stderr.write(
      'usage: values.js TEMPLATE_YAML STEP_ID [PARAMETERS_JSON|-]\n' +
        '       values.js --batch [JOBS_JSON|-]\n',
    );
    process.exitCode = 2;
    return;
  }
  let parameters;
  try {
    parameters = readJsonArg(paramsArg);
  } catch (err) {
    emit({ ok: false, stage: 'parameters', errors: [describeError(err).message] });
    process.exitCode = 1;
    return;
  }
  const result = await computeStep(templateFile, stepId, parameters);
  emit(result);
  process.exitCode = result.ok ? 0 : 1;
}

main();
