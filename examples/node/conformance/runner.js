// The Node kit's conformance runner (../../../shared/conformance/FORMAT.md):
//   node conformance/runner.js [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM]
//       --types TYPES.json --component WASM VECTORS.json
// TYPES.json is `mail-oauth-conformance --describe`'s output (examples/node/
// conformance.sh makes it). Every vector goes through the kit (MailOAuth) by
// WIT name: without --live, `http` answers from the vector's script and
// `transport` is the kit's own under a policy that allows nothing; with
// --live, only live vectors run, through the kit's real HTTP and TLS sockets
// under a policy of exactly the --allow targets. One JSON line per vector,
// then `N passed, M failed, K skipped`; exit 0 exactly when none failed.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { CallTrapped, MailOAuth, Policy } from '../src/index.js';
import { mismatch } from './pattern.js';
import { toJs, toJson } from './values.js';

function parse() {
  const { values, positionals } = parseArgs({
    options: {
      live: { type: 'boolean', default: false },
      allow: { type: 'string', multiple: true, default: [] },
      'allow-loopback': { type: 'boolean', default: false },
      'ca-file': { type: 'string' },
      component: { type: 'string' },
      types: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (!values.component || !values.types || positionals.length !== 1) {
    throw new Error('usage: runner.js [--live] [--allow TARGET]... [--allow-loopback] [--ca-file PEM] --types TYPES.json --component WASM VECTORS.json');
  }
  return { ...values, vectors: positionals[0] };
}

async function runVector(kit, types, vector, live) {
  if (Boolean(vector.live) !== live) {
    return { status: 'skip', why: live ? 'not a live vector' : 'a live vector (run with --live)' };
  }
  const type = types[vector.call];
  if (!type || type.direction !== 'export') return { status: 'fail', why: `the component exports no ${vector.call}` };
  if (type.params.length !== vector.args.length) {
    return { status: 'fail', why: `${vector.call} takes ${type.params.length} arguments, got ${vector.args.length}` };
  }
  let args;
  try {
    args = type.params.map(([name, ty], i) => toJs(vector.args[i], ty, `args[${i}] (${name})`));
  } catch (error) {
    return { status: 'fail', why: error.message };
  }
  let result;
  try {
    result = await kit.callResult(vector.call, args, live ? {} : { httpData: vector.http ?? [] });
  } catch (error) {
    if (error instanceof CallTrapped || error instanceof TypeError) return { status: 'fail', why: error.message };
    throw error;
  }
  const actual = type.result && Object.keys(type.result)[0] === 'result'
    ? toJson(result, type.result)
    : toJson(result.ok, type.result);
  const why = (live ? null : result.httpReport) ?? mismatch(vector.expect, actual);
  return why ? { status: 'fail', why, actual } : { status: 'pass', why: 'the result matches' };
}

async function main() {
  let args;
  try {
    args = parse();
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  const { vectors } = JSON.parse(readFileSync(args.vectors, 'utf8'));
  const types = JSON.parse(readFileSync(args.types, 'utf8'));
  const policy = args.live
    ? new Policy({
      allowOrigins: args.allow.filter((t) => t.includes('://')),
      allowTargets: args.allow.filter((t) => !t.includes('://')),
      allowLoopback: args['allow-loopback'],
      caFile: args['ca-file'] ?? null,
    })
    : new Policy();
  const kit = await MailOAuth.load(args.component, {
    policy,
    workers: 1,
    httpModule: args.live ? null : new URL('./script.js', import.meta.url),
  });
  const tally = { pass: 0, fail: 0, skip: 0 };
  const names = new Set();
  for (const [i, vector] of vectors.entries()) {
    const name = vector.name ?? `vectors[${i}]`;
    let outcome;
    if (names.has(name)) outcome = { status: 'fail', why: 'another vector has this name' };
    else {
      names.add(name);
      outcome = await runVector(kit, types, vector, args.live);
    }
    tally[outcome.status] += 1;
    console.log(JSON.stringify({ name, ...outcome }));
  }
  await kit.close();
  console.log(`${tally.pass} passed, ${tally.fail} failed, ${tally.skip} skipped`);
  return tally.fail === 0 ? 0 : 1;
}

process.exitCode = await main();
