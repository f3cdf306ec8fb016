// decoder.js against the golden frames (hololens_bridge/tests/golden): run with `npm test`.
// Good files must decode to the values in their .json; bad_* files must be rejected.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { ProtocolError, decodeMessage } from "../decoder.js";

const GOLDEN = fileURLToPath(new URL("../../tests/golden/", import.meta.url));
const names = readdirSync(GOLDEN).filter((f) => f.endsWith(".bin")).map((f) => f.slice(0, -4));

const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)),
  `${what}: ${a} != ${b}`);

test("golden directory has good and bad frames", () => {
  assert.ok(names.some((n) => n.startsWith("bad_")) && names.some((n) => !n.startsWith("bad_")));
});

for (const name of names) {
  const expected = JSON.parse(readFileSync(`${GOLDEN}${name}.json`, "utf8"));
  const data = readFileSync(`${GOLDEN}${name}.bin`);
  test(`golden ${name}`, () => {
    if (expected.reject) {
      assert.throws(() => decodeMessage(data), ProtocolError, expected.reason);
      return;
    }
    const msg = decodeMessage(data);
    const h = expected.header;
    assert.equal(msg.topic, expected.topic);
    assert.equal(msg.kind, expected.kind);
    assert.equal(msg.seq, h.seq);
    assert.equal(msg.stampNs, Number(h.stamp_ns));
    assert.equal(msg.sentNs, Number(h.sent_ns));
    assert.equal(msg.frameId, h.frame_id);
    if (msg.kind === "decision") {
      assert.equal(msg.policy, expected.policy);
      assert.deepEqual(msg.actionNames, expected.action_names);
      assert.deepEqual(msg.qValues, expected.q_values);
      assert.equal(msg.chosen, expected.chosen);
      return;
    }
    assert.equal(msg.n, expected.n);
    assert.equal(msg.encoding, h.encoding);
    assert.equal(msg.colormap, h.colormap);
    assert.deepEqual(msg.pose, h.pose);
    expected.xyz_first5.forEach((p, i) => p.forEach((v, k) =>
      close(msg.positions[3 * i + k], v, `${name} xyz[${i}][${k}]`)));
    expected.attention_first5.forEach((a, i) => close(msg.attention[i], a, `${name} att[${i}]`));
  });
}

test("a truncated message names the problem", () => {
  assert.throws(() => decodeMessage(new Uint8Array([5, 0, 0, 0, 99])), /truncated/);
});
