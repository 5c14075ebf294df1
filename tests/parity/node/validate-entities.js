'use strict';
// Validates catalog YAML files with Backstage's own validators, in the order the catalog
// applies them to an entity read from a location:
//   1. catalog-model's entityEnvelopeSchemaValidator and entitySchemaValidator;
//   2. the default policy chain (DefaultNamespace, NoForeignRootFields, FieldFormat,
//      SchemaValid), run on a copy because policies may fill in defaults;
//   3. the kind validators: catalog-model's built-in kinds, plus
//      plugin-scaffolder-common's templateEntityV1beta3Validator for Templates. An entity
//      no validator recognises (wrong kind/apiVersion pair) fails, as in the catalog.
//
// Usage: node --no-node-snapshot validate-entities.js FILE.yaml [FILE.yaml ...]
// Output (stdout): JSON array, one {file, document, kind, name, ok, errors} per YAML
// document (empty documents, e.g. a trailing `---`, are ignored like the catalog does).
// Exit 1 when any document fails, 2 on bad usage.

const fs = require('node:fs');
const yaml = require('yaml');
const model = require('@backstage/catalog-model');
const { templateEntityV1beta3Validator } = require('@backstage/plugin-scaffolder-common');
const { describeError, emit } = require('./lib');

const envelope = model.entityEnvelopeSchemaValidator();
const entitySchema = model.entitySchemaValidator();
const policies = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const kindValidators = [
  model.apiEntityV1alpha1Validator,
  model.componentEntityV1alpha1Validator,
  model.domainEntityV1alpha1Validator,
  model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator,
  model.userEntityV1alpha1Validator,
  templateEntityV1beta3Validator,
];

/** Run every check on one parsed document; returns the list of error messages. */
async function checkEntity(data) {
  const errors = [];
  // Each stage throws on the first problem it finds; keep going so one run reports
  // every stage's complaint.
  const stages = [
    ['envelope', () => envelope(data)],
    ['entity', () => entitySchema(data)],
    ['policies', () => policies.enforce(structuredClone(data))],
  ];
  for (const [stage, run] of stages) {
    try {
      await run();
    } catch (err) {
      errors.push(`${stage}: ${describeError(err).message}`);
    }
  }
  if (errors.length > 0) {
    return errors;
  }
  let recognised = false;
  for (const validator of kindValidators) {
    try {
      // check() is true when it owns the kind and the entity is valid, false when it
      // does not own the kind, and throws when it owns the kind but the entity is invalid.
      if (await validator.check(data)) {
        recognised = true;
        break;
      }
    } catch (err) {
      return [`kind ${data.kind}: ${describeError(err).message}`];
    }
  }
  if (!recognised) {
    errors.push(`kind: no validator recognised ${data.apiVersion} ${data.kind}`);
  }
  return errors;
}

/** Every document of one file, with YAML errors reported as failures. */
async function checkFile(file) {
  const results = [];
  let docs;
  try {
    docs = yaml.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return [{ file, document: 0, kind: null, name: null, ok: false, errors: [describeError(err).message] }];
  }
  for (const [index, doc] of docs.entries()) {
    const base = { file, document: index, kind: null, name: null };
    if (doc.errors.length > 0) {
      results.push({ ...base, ok: false, errors: doc.errors.map((e) => e.message) });
      continue;
    }
    const data = doc.toJSON();
    if (data === null || data === undefined) {
      continue;
    }
    if (typeof data !== 'object' || Array.isArray(data)) {
      results.push({ ...base, ok: false, errors: [`Expected object at root, got ${typeof data}`] });
      continue;
    }
    const errors = await checkEntity(data);
    results.push({
      ...base,
      kind: data.kind ?? null,
      name: data.metadata?.name ?? null,
      ok: errors.length === 0,
      errors,
    });
  }
  return results;
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: validate-entities.js FILE.yaml [FILE.yaml ...]\n');
    process.exitCode = 2;
    return;
  }
  const results = [];
  for (const file of files) {
    results.push(...(await checkFile(file)));
  }
  emit(results);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main();
