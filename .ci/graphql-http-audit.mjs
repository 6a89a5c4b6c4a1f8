// Runs the GraphQL-over-HTTP audit of the specification's editors (the npm package
// `graphql-http`, its `auditServer`) against a running server and prints every result.
// Exits with 1 when a MUST or a SHOULD audit fails (MAY audits are reported, not enforced),
// and with 2 when the audit itself cannot run.
//
// Usage: node .ci/graphql-http-audit.mjs http://127.0.0.1:8080/graphql
// `graphql-http` is resolved from NODE_PATH or the working directory's node_modules, so run it
// from the folder it was installed into (see .ci/graphql-http-audit).

import { createRequire } from 'node:module';
import path from 'node:path';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

// Resolve the package from the current directory (where npm installed it), not from this
// script's folder, so that the repository needs no node_modules of its own.
const require = createRequire(path.join(process.cwd(), 'noop.js'));
let auditServer;
try {
  ({ auditServer } = require('graphql-http'));
} catch (error) {
  console.error(`graphql-http-audit: cannot load graphql-http: ${error.message}`);
  process.exit(2);
}

const results = await auditServer({ url });

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const failures = [];
for (const result of results) {
  counts[result.status] += 1;
  const level = result.name.split(' ')[0];
  const mark = result.status === 'ok' ? 'ok  ' : 'FAIL';
  console.log(`${mark} [${result.id}] ${result.name}`);
  if (result.status !== 'ok') {
    let body = '';
    try {
      body = await result.response.text();
    } catch {
      body = '(body unreadable)';
    }
    console.log(`       ${result.reason}`);
    console.log(`       status ${result.response.status}, content-type ${result.response.headers.get('content-type')}`);
    console.log(`       body ${body.slice(0, 300)}`);
    if (level === 'MUST' || level === 'SHOULD') {
      failures.push(result);
    }
  }
}

console.log(
  `\n${results.length} audits: ${counts.ok} passed, ` +
    `${counts.error} MUST failed, ${counts.warn} SHOULD failed, ${counts.notice} MAY failed`,
);
if (failures.length > 0) {
  console.error(`graphql-http-audit: ${failures.length} MUST or SHOULD audits failed`);
  process.exit(1);
}
