#!/usr/bin/env node
// A Node.js client of the CM Service Butler gateway, built from protos/ at run time
// (@grpc/proto-loader, no generated code). CI runs it against a real demo gateway
// (tests/test_node_client.py); each scenario is one async function in SCENARIOS.
//
//   node client.js [--address 127.0.0.1:50051 | --address unix:/path] [--token T] [--scenario NAME]
//
// The address and token default to CM_BUTLER_GATEWAY_CLIENT_ADDRESS / _TOKEN, as for the Python
// client. Prints one "ok <scenario>" line per scenario, then "N passed, M failed"; exit code 1 when
// any scenario failed.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const GATEWAY_PROTOS = path.resolve(__dirname, '..', '..', 'protos');
const VENDORED_PROTOS = path.resolve(__dirname, 'protos'); // google.rpc status + grpc.health.v1
const ERROR_DOMAIN = 'butler-gateway.cmservice.lsst.org';
const DEMO_LABEL = 'demo';

const LOADER_OPTIONS = {
  keepCase: false, // registry_dialect -> registryDialect
  longs: String, // int64 values arrive as strings: exact beyond 2^53
  enums: String, // REPOSITORY_STATE_READY, not 2
  defaults: true,
  oneofs: true, // Value.kind says which field is set
  includeDirs: [GATEWAY_PROTOS, VENDORED_PROTOS],
};

const definitions = protoLoader.loadSync(
  [
    'lsst/cmservice/butler/v1/gateway.proto',
    'google/rpc/status.proto',
    'google/rpc/error_details.proto',
    'grpc/health/v1/health.proto',
  ],
  LOADER_OPTIONS,
);
const loaded = grpc.loadPackageDefinition(definitions);
const GatewayService = loaded.lsst.cmservice.butler.v1.ButlerGatewayService;
const HealthService = loaded.grpc.health.v1.Health;

/** Options of the clients: the bearer token and the x-caller header travel with every call. */
function callMetadata(token) {
  const metadata = new grpc.Metadata();
  metadata.set('x-caller', 'node-client');
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** The gateway and health clients on one channel. */
function connect(address) {
  const gateway = new GatewayService(address, grpc.credentials.createInsecure());
  const health = new HealthService(address, grpc.credentials.createInsecure(), {
    channelOverride: gateway.getChannel(),
  });
  return { gateway, health };
}

/** A unary call as a promise, with a deadline. */
function unary(client, method, request, { token, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + timeoutMs);
    client[method](request, callMetadata(token), { deadline }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/**
 * Read at most `limit` messages of a server stream, then cancel the call: the generic helper that
 * QueryDatasets will use. Resolves with the messages and whether the server ended the stream.
 */
function readStream(call, limit) {
  return new Promise((resolve, reject) => {
    const messages = [];
    let settled = false;
    call.on('data', (message) => {
      messages.push(message);
      if (messages.length >= limit && !settled) {
        settled = true;
        call.cancel(); // the gateway stops producing
        resolve({ messages, ended: false });
      }
    });
    call.on('end', () => {
      if (!settled) {
        settled = true;
        resolve({ messages, ended: true });
      }
    });
    call.on('error', (error) => {
      if (settled && error.code === grpc.status.CANCELLED) return; // our own cancel
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

/**
 * The google.rpc.ErrorInfo of a failed call, decoded from the `grpc-status-details-bin` trailer.
 * Returns null when the failure carries none (for example a refused connection).
 */
function errorInfo(error) {
  const raw = error.metadata && error.metadata.get('grpc-status-details-bin')[0];
  if (!raw) return null;
  const status = decode('google.rpc.Status', raw);
  assert.equal(status.code, error.code, 'the rich status agrees with the call status');
  for (const detail of status.details) {
    if (detail.type_url === 'type.googleapis.com/google.rpc.ErrorInfo') {
      return decode('google.rpc.ErrorInfo', detail.value);
    }
  }
  return null;
}

// grpc-js hands the trailer over as bytes: decode google.rpc.Status and ErrorInfo with protobufjs.
const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  const vendored = path.join(VENDORED_PROTOS, target);
  return fs.existsSync(vendored) ? vendored : protobuf.util.path.resolve(origin, target);
};
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });

function decode(typeName, bytes) {
  const type = root.lookupType(typeName);
  return type.toObject(type.decode(bytes), { defaults: true });
}

// ---- scenarios -----------------------------------------------------------------------------------

async function listRepositories({ gateway }, options) {
  const response = await unary(gateway, 'ListRepositories', {}, options);
  const labels = response.repositories.map((r) => r.label);
  assert.ok(labels.includes(DEMO_LABEL), `the demo repository is listed: ${labels}`);
  const demo = response.repositories.find((r) => r.label === DEMO_LABEL);
  assert.equal(demo.state, 'REPOSITORY_STATE_READY');
  assert.equal(demo.registryDialect, 'sqlite');
  assert.equal(demo.writeable, true);
  assert.ok(demo.lastRefreshTime && Number(demo.lastRefreshTime.seconds) > 0);
}

async function getRepository({ gateway }, options) {
  const response = await unary(gateway, 'GetRepository', { label: DEMO_LABEL }, options);
  assert.equal(response.repository.label, DEMO_LABEL);
  assert.match(response.repository.configUri, /butler\.yaml$/);
}

async function unknownRepositoryIsNotFound({ gateway }, options) {
  const error = await unary(gateway, 'GetRepository', { label: 'no-such-repo' }, options).then(
    () => assert.fail('GetRepository of an unknown label succeeded'),
    (e) => e,
  );
  assert.equal(error.code, grpc.status.NOT_FOUND);
  const info = errorInfo(error);
  assert.ok(info, 'an ErrorInfo in grpc-status-details-bin');
  assert.equal(info.domain, ERROR_DOMAIN);
  assert.equal(info.reason, 'REPOSITORY_NOT_FOUND');
  assert.equal(info.metadata.label, 'no-such-repo');
  assert.ok(info.metadata.request_id, 'the gateway request id, to find its log line');
}

async function missingLabelIsInvalidArgument({ gateway }, options) {
  const error = await unary(gateway, 'RefreshRepository', { label: '' }, options).then(
    () => assert.fail('RefreshRepository without a label succeeded'),
    (e) => e,
  );
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(errorInfo(error).reason, 'MISSING_LABEL');
}

async function healthWatchStreamCancels({ health }, options) {
  // A server stream exists today only in grpc.health.v1; QueryDatasets will use the same helper.
  const call = health.Watch({ service: '' }, callMetadata(options.token));
  const { messages, ended } = await readStream(call, 1);
  assert.equal(messages[0].status, 'SERVING');
  assert.equal(ended, false, 'Watch never ends by itself: we cancelled it');
}

// TODO(QueryDatasets): when the RPC lands, stream the demo's raw datasets through readStream() and
// assert the data IDs (typed Value oneofs: intValue / stringValue) and the row count, e.g.
//   async function queryDatasetsStream({ gateway }, options) {
//     const call = gateway.QueryDatasets({ label: DEMO_LABEL, datasetType: 'raw', ... },
//                                        callMetadata(options.token), { deadline });
//     const { messages } = await readStream(call, Infinity);
//     ...
//   }
// TODO(ChainCollections): when the RPC lands, redefine a fresh CHAINED collection in the demo
// (mode REDEFINE, children = two demo RUN collections), read it back, and assert a cycle is
// FAILED_PRECONDITION with ErrorInfo reason COLLECTION_CYCLE, e.g.
//   async function chainCollectionsMutation({ gateway }, options) { ... }

const SCENARIOS = {
  listRepositories,
  getRepository,
  unknownRepositoryIsNotFound,
  missingLabelIsInvalidArgument,
  healthWatchStreamCancels,
};

function parseArgs(argv) {
  const args = {
    address: process.env.CM_BUTLER_GATEWAY_CLIENT_ADDRESS || '127.0.0.1:50051',
    token: process.env.CM_BUTLER_GATEWAY_CLIENT_TOKEN || '',
    scenarios: [],
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--address') args.address = value;
    else if (flag === '--token') args.token = value;
    else if (flag === '--scenario') args.scenarios.push(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const names = args.scenarios.length ? args.scenarios : Object.keys(SCENARIOS);
  const clients = connect(args.address);
  let passed = 0;
  let failed = 0;
  for (const name of names) {
    const scenario = SCENARIOS[name];
    try {
      if (!scenario) throw new Error(`no scenario ${name}; known: ${Object.keys(SCENARIOS)}`);
      await scenario(clients, { token: args.token });
      console.log(`ok ${name}`);
      passed += 1;
    } catch (error) {
      console.log(`FAILED ${name}: ${error.stack || error}`);
      failed += 1;
    }
  }
  clients.gateway.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

module.exports = { SCENARIOS, connect, unary, readStream, errorInfo, callMetadata };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 2;
  });
}
