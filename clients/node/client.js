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
 * Read at most `limit` messages of a server stream, then cancel the call (QueryDatasets, health
 * Watch). Resolves with the messages and whether the server ended the stream.
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
  // Watch never ends by itself: read one message, then cancel.
  const call = health.Watch({ service: '' }, callMetadata(options.token));
  const { messages, ended } = await readStream(call, 1);
  assert.equal(messages[0].status, 'SERVING');
  assert.equal(ended, false, 'Watch never ends by itself: we cancelled it');
}

// The demo's LSSTCam raws (tests/test_node_client.py checks this against demo.DEMO).
const LSSTCAM_RAWS = 'LSSTCam/raw/all';
const LSSTCAM_RAW_COUNT = 32;

/** A Value oneof as a JavaScript value (int64 arrives as a string: converted when safe). */
function valueOf(value) {
  if (!value || !value.kind) return null;
  const raw = value[value.kind];
  return value.kind === 'intValue' ? Number(raw) : raw;
}

async function queryDatasetsStream({ gateway }, options) {
  const request = { label: DEMO_LABEL, datasetType: 'raw', collections: [LSSTCAM_RAWS] };
  const deadline = new Date(Date.now() + 30000);
  const call = gateway.QueryDatasets(request, callMetadata(options.token), { deadline });
  const { messages, ended } = await readStream(call, Infinity);
  assert.equal(ended, true, 'the server ends the stream after the last row');
  const refs = messages.flatMap((m) => m.refs);
  assert.equal(refs.length, LSSTCAM_RAW_COUNT);
  assert.ok(messages.every((m) => !m.truncated), 'no limit, nothing truncated');
  assert.equal(new Set(refs.map((r) => r.id)).size, refs.length, 'dataset ids are unique');
  for (const ref of refs) {
    assert.equal(ref.datasetType, 'raw');
    assert.equal(ref.run, LSSTCAM_RAWS);
    const values = ref.dataId.values;
    // Typed values: strings and integers stay apart on the wire.
    assert.equal(values.instrument.kind, 'stringValue');
    assert.equal(valueOf(values.instrument), 'LSSTCam');
    assert.equal(values.detector.kind, 'intValue');
    assert.equal(values.exposure.kind, 'intValue');
    assert.ok(Number.isInteger(valueOf(values.exposure)));
  }
  // A limit that cuts the result says so on the last message.
  const limited = gateway.QueryDatasets({ ...request, limit: 5 }, callMetadata(options.token), { deadline });
  const cut = await readStream(limited, Infinity);
  assert.equal(cut.messages.flatMap((m) => m.refs).length, 5);
  assert.equal(cut.messages[cut.messages.length - 1].truncated, true);
}

async function chainCollectionsMutation({ gateway }, options) {
  // A name of this run only: the scenarios may run twice against one repository.
  const parent = `node/chain-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const children = [LSSTCAM_RAWS, 'LATISS/raw/all'];
  const made = await unary(
    gateway,
    'ChainCollections',
    { label: DEMO_LABEL, parent, mode: 'CHAIN_MODE_REDEFINE', children, doc: 'made by the Node client' },
    options,
  );
  assert.deepEqual(made.children, children);
  assert.equal(made.created, true);
  const info = await unary(gateway, 'GetCollectionInfo', { label: DEMO_LABEL, name: parent }, options);
  assert.equal(info.collection.type, 'COLLECTION_TYPE_CHAINED');
  assert.deepEqual(info.collection.children, children);
  assert.equal(info.collection.doc, 'made by the Node client');

  // outer -> parent; adding outer to parent would make parent contain itself.
  const outer = `${parent}/outer`;
  await unary(
    gateway,
    'ChainCollections',
    { label: DEMO_LABEL, parent: outer, mode: 'CHAIN_MODE_REDEFINE', children: [parent] },
    options,
  );
  const error = await unary(
    gateway,
    'ChainCollections',
    { label: DEMO_LABEL, parent, mode: 'CHAIN_MODE_EXTEND', children: [outer] },
    options,
  ).then(
    () => assert.fail('a chain cycle was accepted'),
    (e) => e,
  );
  assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
  const errorDetails = errorInfo(error);
  assert.equal(errorDetails.domain, ERROR_DOMAIN);
  assert.equal(errorDetails.reason, 'COLLECTION_CYCLE');
  const after = await unary(gateway, 'GetCollectionInfo', { label: DEMO_LABEL, name: parent }, options);
  assert.deepEqual(after.collection.children, children, 'the refused edit changed nothing');
}

const SCENARIOS = {
  listRepositories,
  getRepository,
  unknownRepositoryIsNotFound,
  missingLabelIsInvalidArgument,
  healthWatchStreamCancels,
  queryDatasetsStream,
  chainCollectionsMutation,
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
