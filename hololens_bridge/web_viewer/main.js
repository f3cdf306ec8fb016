// xai_bridge browser viewer: WebSocket (gateway /ws) -> decoder.js -> THREE.Points.
//
// Frames. A cloud's points are in its frame_id, which PROTOCOL.md gives in the ROS camera optical
// convention: x right, y down, z forward. three.js is y up, x right, and a camera looks down -z,
// so without a pose a cloud is drawn with OPTICAL_TO_THREE, a 180° turn about x:
// (x, y, z) -> (x, -y, -z); the sensor then looks into the screen like the default three camera.
// With a pose (frame_id -> robot world, REP-103: x forward, y left, z up) the points are first
// moved into world and then drawn with WORLD_TO_THREE: (x, y, z) -> (-y, z, -x).
// Both are applied as the Points object's matrix, so the vertex data stay as decoded.

import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { decodeMessage } from "./decoder.js";

const OPTICAL_TO_THREE = new THREE.Matrix4().set(
  1, 0, 0, 0,
  0, -1, 0, 0,
  0, 0, -1, 0,
  0, 0, 0, 1,
);
const WORLD_TO_THREE = new THREE.Matrix4().set(
  0, -1, 0, 0,
  0, 0, 1, 0,
  -1, 0, 0, 0,
  0, 0, 0, 1,
);
const BACKGROUND = 0x15171c;

// ---- colormaps: value in [0, 1] -> sRGB in [0, 1] ----------------------------------------------

// The same stops as xai_core.attention.jet (0 dark blue, 1 dark red).
const JET_STOPS = [[0, 0, 128], [0, 0, 255], [0, 255, 255], [0, 255, 0], [255, 255, 0],
  [255, 0, 0], [128, 0, 0]];
const COLORMAP_FUNCS = {
  jet(t) {
    const x = t * (JET_STOPS.length - 1);
    const i = Math.min(Math.floor(x), JET_STOPS.length - 2);
    const f = x - i;
    return [0, 1, 2].map((k) => (JET_STOPS[i][k] * (1 - f) + JET_STOPS[i + 1][k] * f) / 255);
  },
  // Polynomial fit of Google's Turbo (A. Mikhailov, 2019).
  turbo(t) {
    const p = (c) => c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5]))));
    return [
      p([0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943]),
      p([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]),
      p([0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]),
    ];
  },
  // Polynomial fit of matplotlib's viridis.
  viridis(t) {
    const p = (c) => c.reduceRight((acc, ck) => ck + t * acc, 0);
    return [
      p([0.27772733, 0.10509304, -0.33086183, -4.6342305, 6.22826994, 4.776385, -5.43545586]),
      p([0.00540734, 1.40461353, 0.21484756, -5.79910097, 14.17993337, -13.74514538, 4.64585261]),
      p([0.33409981, 1.38459016, 0.09509516, -19.33244096, 56.69055260, -65.35303263, 26.31243525]),
    ];
  },
  gray: (t) => [t, t, t],
};

/** 256-entry lookup tables in linear RGB (three.js colour management turns them back to sRGB). */
const LUTS = Object.fromEntries(Object.entries(COLORMAP_FUNCS).map(([name, fn]) => {
  const lut = new Float32Array(256 * 3);
  const color = new THREE.Color();
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = fn(i / 255).map((c) => Math.min(1, Math.max(0, c)));
    color.setRGB(r, g, b, THREE.SRGBColorSpace);
    lut.set([color.r, color.g, color.b], 3 * i);
  }
  return [name, lut];
}));

// ---- state + test hooks -------------------------------------------------------------------------

const viewer = { framesReceived: 0, framesRejected: 0, lastPointCount: 0, lastTopic: null,
  lastAction: null, connected: false };
window.xaiViewer = viewer;

const $ = (id) => document.getElementById(id);
const ui = { threshold: 0, colormap: "auto", pointSize: 3 };
const clouds = new Map(); // topic -> { cloud, points, dirty }
let fitPending = true;
const arrivals = []; // receive times (ms) of cloud messages in the last second
let latency = null; // of the latest cloud, measured on arrival: { e2e, wire } in ms

// ---- three.js scene -----------------------------------------------------------------------------

const container = $("view");
let renderer;
try {
  renderer = new THREE.WebGLRenderer({ antialias: true });
} catch (err) {
  $("status").textContent = `WebGL unavailable: ${err.message}`;
  throw err;
}
renderer.setPixelRatio(window.devicePixelRatio);
container.appendChild(renderer.domElement);
const scene = new THREE.Scene();
scene.background = new THREE.Color(BACKGROUND);
const camera = new THREE.PerspectiveCamera(60, 1, 0.01, 1000);
camera.position.set(0, 0.5, 2);
const controls = new OrbitControls(camera, renderer.domElement);
controls.enableDamping = true;
scene.add(new THREE.AxesHelper(0.3)); // the optical / world origin: x red, y green, z blue

function resize() {
  const { clientWidth: w, clientHeight: h } = container;
  renderer.setSize(w, h, false);
  camera.aspect = w / Math.max(h, 1);
  camera.updateProjectionMatrix();
}
new ResizeObserver(resize).observe(container);
resize();

/** frame_id -> three.js: OPTICAL_TO_THREE, or WORLD_TO_THREE * pose (validated by decoder.js). */
function cloudMatrix(cloud) {
  const pose = cloud.pose;
  if (!pose) return OPTICAL_TO_THREE.clone();
  const inWorld = new THREE.Matrix4().compose(
    new THREE.Vector3(...pose.t), new THREE.Quaternion(...pose.q), new THREE.Vector3(1, 1, 1));
  return WORLD_TO_THREE.clone().multiply(inWorld);
}

/** Rebuild one topic's geometry: hide points under the threshold, colour the rest. */
function rebuild(entry) {
  const { cloud } = entry;
  const name = ui.colormap === "auto" ? cloud.colormap : ui.colormap;
  const lut = LUTS[name] ?? LUTS.jet;
  const { positions, attention, n } = cloud;
  let shown = 0;
  for (let i = 0; i < n; i++) if (attention[i] >= ui.threshold) shown++;
  const pos = new Float32Array(3 * shown);
  const col = new Float32Array(3 * shown);
  for (let i = 0, j = 0; i < n; i++) {
    const a = attention[i];
    if (a < ui.threshold) continue;
    const k = 3 * Math.round(Math.min(1, Math.max(0, a)) * 255);
    pos.set(positions.subarray(3 * i, 3 * i + 3), 3 * j);
    col.set(lut.subarray(k, k + 3), 3 * j);
    j++;
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  geometry.setAttribute("color", new THREE.BufferAttribute(col, 3));
  geometry.computeBoundingSphere();
  if (!entry.points) {
    const material = new THREE.PointsMaterial({ size: ui.pointSize, sizeAttenuation: false,
      vertexColors: true });
    entry.points = new THREE.Points(geometry, material);
    entry.points.matrixAutoUpdate = false;
    scene.add(entry.points);
  } else {
    entry.points.geometry.dispose();
    entry.points.geometry = geometry;
  }
  entry.points.matrix.copy(cloudMatrix(cloud));
  entry.points.updateMatrixWorld(true);
  entry.shown = shown;
  entry.dirty = false;
}

/** Point the orbit camera at the clouds from behind the sensor. */
function fitView() {
  const box = new THREE.Box3();
  for (const { points } of clouds.values()) if (points) box.expandByObject(points);
  if (box.isEmpty()) return false;
  const sphere = box.getBoundingSphere(new THREE.Sphere());
  const r = Math.max(sphere.radius, 0.1);
  controls.target.copy(sphere.center);
  camera.position.copy(sphere.center).add(new THREE.Vector3(0, 0.35 * r, 2.2 * r));
  controls.update();
  return true;
}

// ---- panel --------------------------------------------------------------------------------------

function markAllDirty() {
  for (const entry of clouds.values()) entry.dirty = true;
}
$("threshold").addEventListener("input", (e) => {
  ui.threshold = Number(e.target.value);
  $("threshold-value").textContent = ui.threshold.toFixed(2);
  markAllDirty();
});
$("colormap").addEventListener("change", (e) => {
  ui.colormap = e.target.value;
  markAllDirty();
});
$("size").addEventListener("input", (e) => {
  ui.pointSize = Number(e.target.value);
  $("size-value").textContent = String(ui.pointSize);
  for (const { points } of clouds.values()) if (points) points.material.size = ui.pointSize;
});
$("reset-view").addEventListener("click", () => {
  fitPending = true;
});

function showDecision(d) {
  const name = d.actionNames[d.chosen] ?? `action #${d.chosen}`;
  viewer.lastAction = name;
  $("decision").textContent = `${name}  (${d.policy})`;
  const rows = d.qValues.map((q, i) => {
    const tr = document.createElement("tr");
    if (i === d.chosen) tr.className = "chosen";
    const label = document.createElement("td");
    label.textContent = d.actionNames[i] ?? `#${i}`;
    const value = document.createElement("td");
    value.textContent = q.toFixed(3);
    tr.append(label, value);
    return tr;
  });
  $("qvalues").replaceChildren(...rows);
}

/** Panel stats, 4 times a second: cloud messages in the last second, points, latency. */
function showStats() {
  const now = performance.now();
  while (arrivals.length && arrivals[0] < now - 1000) arrivals.shift();
  $("stat-fps").textContent = String(arrivals.length);
  let shown = 0;
  let total = 0;
  for (const entry of clouds.values()) {
    shown += entry.shown ?? 0;
    total += entry.cloud.n;
  }
  $("stat-points").textContent = `${shown.toLocaleString()} / ${total.toLocaleString()}`;
  if (latency) {
    const { e2e, wire } = latency;
    $("stat-latency").textContent = `${e2e.toFixed(0)} ms (since sent ${wire.toFixed(0)} ms)`;
  }
  $("stat-topics").textContent = [...clouds.keys()].join(", ") || "–";
}
setInterval(showStats, 250);

// ---- WebSocket ----------------------------------------------------------------------------------

function wsUrl() {
  const override = new URLSearchParams(location.search).get("ws");
  if (override) return override;
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}

function onMessage(event) {
  let msg;
  try {
    msg = decodeMessage(event.data);
  } catch (err) {
    viewer.framesRejected++;
    $("stat-rejected").textContent = String(viewer.framesRejected);
    console.warn("rejected message:", err.message);
    return;
  }
  viewer.framesReceived++;
  viewer.lastTopic = msg.topic;
  if (msg.kind === "decision") {
    showDecision(msg);
    return;
  }
  viewer.lastPointCount = msg.n;
  arrivals.push(performance.now());
  // stamp_ns is the robot's clock, sent_ns the gateway host's: clock skew shows up here.
  const nowNs = Date.now() * 1e6;
  latency = { e2e: (nowNs - msg.stampNs) / 1e6, wire: (nowNs - msg.sentNs) / 1e6 };
  const entry = clouds.get(msg.topic) ?? {};
  entry.cloud = msg;
  entry.dirty = true; // the latest cloud per topic wins; it is drawn on the next animation frame
  clouds.set(msg.topic, entry);
}

function connect() {
  const url = wsUrl();
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    viewer.connected = true;
    $("status").textContent = `connected to ${url}`;
    $("status").className = "status ok";
  };
  ws.onmessage = onMessage;
  ws.onclose = () => {
    viewer.connected = false;
    $("status").textContent = `disconnected from ${url}; retrying…`;
    $("status").className = "status bad";
    setTimeout(connect, 1000);
  };
}

// ---- main loop ----------------------------------------------------------------------------------

renderer.setAnimationLoop(() => {
  for (const entry of clouds.values()) if (entry.dirty) rebuild(entry);
  if (fitPending && fitView()) fitPending = false;
  controls.update();
  renderer.render(scene, camera);
});
connect();
