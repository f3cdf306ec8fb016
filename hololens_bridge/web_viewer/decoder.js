// xai_bridge wire protocol, schema v1 (hololens_bridge/PROTOCOL.md): decoder + validation.
//
// Pure functions, no DOM: the browser viewer (main.js) and Node (test/decoder.test.mjs) both use
// this module. Input is one WebSocket message as the gateway frames it:
//
//   uint32 LE topic_len | topic bytes | uint32 LE header_len | header bytes (msgpack map) | payload
//
// Every rejection throws a ProtocolError whose message names the problem
// (PROTOCOL.md "Validation").

import { decode as msgpackDecode } from "@msgpack/msgpack";

export const SCHEMA_VERSION = 1;
export const COLORMAPS = ["jet", "turbo", "viridis", "gray"];

/** Bytes per point of each encoding: q16 = 3 x int16 + uint8, f32 = 4 x float32. */
const POINT_BYTES = { q16: 7, f32: 16 };
/** (type, count) of the two fields each encoding carries; their offsets come from the header. */
const LAYOUT = {
  q16: { position: ["int16", 3], attention: ["uint8", 1] },
  f32: { position: ["float32", 3], attention: ["float32", 1] },
};
const TYPE_BYTES = { int16: 2, uint8: 1, float32: 4 };

export class ProtocolError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProtocolError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function fail(message) {
  throw new ProtocolError(message);
}

function toBytes(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return fail(`expected an ArrayBuffer or a typed array, got ${typeof data}`);
}

/** Split one gateway WebSocket message into its [topic, header, payload] byte views. */
export function unpackWs(data) {
  const bytes = toBytes(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const take = (what) => {
    if (pos + 4 > bytes.length) fail(`message truncated: no room for the ${what} length`);
    const len = view.getUint32(pos, true);
    pos += 4;
    if (pos + len > bytes.length) {
      fail(`message truncated: ${what} needs ${len} bytes, ${bytes.length - pos} left`);
    }
    const part = bytes.subarray(pos, pos + len);
    pos += len;
    return part;
  };
  const topic = take("topic");
  const header = take("header");
  return [topic, header, bytes.subarray(pos)];
}

const isInt = (x) => Number.isInteger(x) || typeof x === "bigint";
const toNum = (x) => (typeof x === "bigint" ? Number(x) : x);

function requireKey(header, key, check, what) {
  if (!(key in header)) fail(`header has no '${key}'`);
  const value = header[key];
  if (!check(value)) fail(`header '${key}' must be ${what}, got ${JSON.stringify(value)}`);
  return value;
}

function decodeHeader(headerBytes) {
  let header;
  try {
    header = msgpackDecode(headerBytes);
  } catch (err) {
    fail(`header is not valid msgpack: ${err.message}`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)
      || header instanceof Uint8Array || header instanceof Map) {
    fail("header is not a msgpack map");
  }
  return header;
}

/**
 * Decode and validate one message.
 *
 * @param {ArrayBuffer|Uint8Array} data one gateway WebSocket message (or a golden .bin file).
 * @returns a cloud `{kind:"cloud", topic, seq, stampNs, sentNs, frameId, n, encoding, colormap,
 *   pose, positions: Float32Array(3n) metres in frame_id, attention: Float32Array(n), header}` or a
 *   decision `{kind:"decision", topic, seq, stampNs, sentNs, frameId, policy, actionNames,
 *   qValues, chosen, header}`. Times are numbers in ns since the Unix epoch (float precision).
 * @throws {ProtocolError} naming the problem.
 */
export function decodeMessage(data) {
  const [topicBytes, headerBytes, payload] = unpackWs(data);
  let topic;
  try {
    topic = utf8.decode(topicBytes);
  } catch {
    fail("topic is not UTF-8");
  }
  const header = decodeHeader(headerBytes);
  const v = requireKey(header, "v", isInt, "an int");
  if (toNum(v) !== SCHEMA_VERSION) fail(`unknown schema version v=${v} (this viewer reads v=1)`);
  const kind = requireKey(header, "kind", (x) => typeof x === "string", "a string");
  const common = {
    kind,
    topic,
    header,
    seq: toNum(requireKey(header, "seq", isInt, "an int")),
    stampNs: toNum(requireKey(header, "stamp_ns", isInt, "an int")),
    sentNs: toNum(requireKey(header, "sent_ns", isInt, "an int")),
    frameId: requireKey(header, "frame_id", (x) => typeof x === "string", "a string"),
  };
  if (kind === "cloud") return { ...common, ...decodeCloud(header, payload) };
  if (kind === "decision") return { ...common, ...decodeDecision(header, payload) };
  return fail(`unknown kind '${kind}'`);
}

function decodeCloud(header, payload) {
  const n = toNum(requireKey(header, "n", isInt, "an int"));
  if (n < 0) fail(`n must not be negative, got ${n}`);
  const encoding = requireKey(header, "encoding", (x) => typeof x === "string", "a string");
  if (!(encoding in POINT_BYTES)) fail(`unknown encoding '${encoding}'`);
  const fields = requireKey(header, "fields", Array.isArray, "a list");
  const scale = requireKey(header, "scale", (x) => Number.isFinite(x) && x > 0, "a number > 0");
  const origin = requireKey(header, "origin",
    (x) => Array.isArray(x) && x.length === 3 && x.every(Number.isFinite), "[x, y, z]");
  const range = requireKey(header, "attention_range",
    (x) => Array.isArray(x) && x.length === 2 && x.every(Number.isFinite), "[lo, hi]");
  const colormap = requireKey(header, "colormap", (x) => typeof x === "string", "a string");
  const pose = header.pose ?? null;
  const nums = (x, len) => Array.isArray(x) && x.length === len && x.every(Number.isFinite);
  if (pose !== null && (typeof pose !== "object" || typeof pose.frame !== "string"
      || !nums(pose.t, 3) || !nums(pose.q, 4))) {
    fail("pose must be {frame: str, t: [x, y, z], q: [x, y, z, w]} or nil");
  }

  // Every declared field must fit in the payload; the two required ones must be where v1 says.
  const byName = {};
  for (const f of fields) {
    if (f === null || typeof f !== "object" || typeof f.name !== "string") {
      fail("each field must be a map with a 'name'");
    }
    const size = TYPE_BYTES[f.type];
    if (size === undefined) fail(`field '${f.name}' has unknown type '${f.type}'`);
    const count = toNum(f.count);
    const offset = toNum(f.offset);
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(offset) || offset < 0) {
      fail(`field '${f.name}' needs int count >= 0 and int offset >= 0`);
    }
    const end = offset + n * count * size;
    if (end > payload.length) {
      fail(`field '${f.name}' runs past the end of the payload (${end} > ${payload.length} bytes)`);
    }
    byName[f.name] = { type: f.type, count, offset };
  }
  for (const [name, [type, count]] of Object.entries(LAYOUT[encoding])) {
    const f = byName[name];
    if (!f) fail(`${encoding} cloud has no '${name}' field`);
    if (f.type !== type || f.count !== count) {
      fail(`${encoding} field '${name}' must be ${type} x ${count}, got ${f.type} x ${f.count}`);
    }
  }
  const expected = POINT_BYTES[encoding] * n;
  if (payload.length !== expected) {
    fail(`payload is ${payload.length} bytes, ${encoding} with n=${n} needs ${expected}`);
  }

  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const pos = byName.position.offset;
  const att = byName.attention.offset;
  const positions = new Float32Array(3 * n);
  const attention = new Float32Array(n);
  if (encoding === "q16") {
    for (let i = 0; i < 3 * n; i++) {
      positions[i] = origin[i % 3] + view.getInt16(pos + 2 * i, true) * scale;
    }
    for (let i = 0; i < n; i++) {
      attention[i] = range[0] + (payload[att + i] / 255) * (range[1] - range[0]);
    }
  } else {
    for (let i = 0; i < 3 * n; i++) {
      positions[i] = origin[i % 3] + view.getFloat32(pos + 4 * i, true) * scale;
    }
    for (let i = 0; i < n; i++) attention[i] = view.getFloat32(att + 4 * i, true);
  }
  return { n, encoding, colormap, pose, positions, attention };
}

function decodeDecision(header, payload) {
  if (payload.length !== 0) fail(`decision payload must be empty, got ${payload.length} bytes`);
  const policy = requireKey(header, "policy", (x) => typeof x === "string", "a string");
  const actionNames = requireKey(header, "action_names",
    (x) => Array.isArray(x) && x.every((s) => typeof s === "string"), "a list of strings");
  const qValues = requireKey(header, "q_values",
    (x) => Array.isArray(x) && x.every((q) => typeof q === "number"), "a list of numbers");
  if (qValues.length && qValues.length !== actionNames.length) {
    fail(`q_values has ${qValues.length} entries for ${actionNames.length} actions`);
  }
  const chosen = toNum(requireKey(header, "chosen", isInt, "an int"));
  if (chosen < 0 || chosen >= actionNames.length) {
    fail(`chosen=${chosen} is not an index into ${actionNames.length} action_names`);
  }
  return { policy, actionNames, qValues, chosen };
}
