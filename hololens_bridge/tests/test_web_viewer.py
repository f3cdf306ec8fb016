"""The browser viewer end to end: bridge -> gateway -> headless Chromium, judged by its pixels.

Needs ``web_viewer/node_modules`` (``npm ci``, done by ``scripts/setup.sh``) and Debian's
``/usr/bin/chromium`` (driven by Playwright; no browser download). The decoder's golden-frame test
(``web_viewer/test/decoder.test.mjs``) runs here too, under Node.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from xai_bridge.codec import encode_cloud, encode_decision
from xai_bridge.gateway import DEFAULT_STATIC_DIR, WebGateway
from xai_bridge.transport import BridgePublisher

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",  # WebGL on the CPU in a headless container
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 960, "height": 600}
BACKGROUND = np.array([0x15, 0x17, 0x1C])  # main.js BACKGROUND
ACTIONS = ["stop", "forward", "turn_left", "turn_right"]
SETUP_HINT = "web_viewer/node_modules is missing: run scripts/setup.sh (it runs `npm ci` there)"


def require_node_modules() -> None:
    if not (DEFAULT_STATIC_DIR / "node_modules" / "three" / "build" / "three.module.js").is_file():
        pytest.fail(SETUP_HINT, pytrace=False)


def plane_cloud(seq: int) -> list[bytes]:
    """A 200 x 100 grid (20k points) 2 m x 1.2 m, 2 m in front of an optical camera.

    Attention rises left to right, 0 -> 1, so a jet-coloured plane runs blue -> red.
    """
    u, v = np.meshgrid(np.linspace(-1.0, 1.0, 200), np.linspace(-0.6, 0.6, 100))
    xyz = np.stack([u, v, np.full_like(u, 2.0)], axis=-1).reshape(-1, 3).astype(np.float32)
    attention = ((u.reshape(-1) + 1.0) / 2.0).astype(np.float32)
    return encode_cloud(
        "cloud/attention",
        xyz,
        attention,
        seq=seq,
        stamp_ns=time.time_ns(),
        frame_id="head_rgbd_sensor_rgb_frame",
    )


def decision(seq: int) -> list[bytes]:
    return encode_decision(
        seq=seq,
        stamp_ns=time.time_ns(),
        frame_id="base_link",
        policy="aqt_test",
        action_names=ACTIONS,
        q_values=[0.05, 0.25, 0.875, -0.5],
        chosen=2,
    )


def set_control(page: Page, selector: str, value: str, event: str) -> None:
    """Set a form control's value and fire the event main.js listens to."""
    page.eval_on_selector(
        selector, f"(el, v) => {{ el.value = v; el.dispatchEvent(new Event('{event}')); }}", value
    )


def test_decoder_reads_golden_frames_under_node() -> None:
    require_node_modules()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run scripts/setup.sh", pytrace=False)
    result = subprocess.run(
        [node, "--test", "test/"],
        cwd=DEFAULT_STATIC_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_viewer_draws_coloured_cloud(
    bridge: tuple[BridgePublisher, WebGateway], tmp_path: Path
) -> None:
    require_node_modules()
    if not CHROMIUM.is_file():
        pytest.skip("Debian chromium not installed: scripts/setup.sh installs it")
    from playwright.sync_api import sync_playwright

    pub, gateway = bridge
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(gateway.url)
            page.wait_for_function("window.xaiViewer && window.xaiViewer.connected", timeout=15_000)

            seq = 0
            deadline = time.monotonic() + 15.0
            while page.evaluate("window.xaiViewer.framesReceived") < 2 or (
                page.evaluate("window.xaiViewer.lastAction") is None
            ):
                assert time.monotonic() < deadline, f"viewer received nothing; errors: {errors}"
                pub.publish(plane_cloud(seq))
                pub.publish(decision(seq))
                seq += 1
                page.wait_for_timeout(100)
            # Let at least two animation frames draw the latest cloud.
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            state = page.evaluate("window.xaiViewer")
            shot = tmp_path / "web_viewer.png"
            page.screenshot(path=str(shot))
            decision_text = page.text_content("#decision") or ""
            # The threshold slider hides low attention (the blue half), the select recolours.
            set_control(page, "#threshold", "0.5", "input")
            set_control(page, "#colormap", "gray", "change")
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            shot_gray = tmp_path / "web_viewer_gray_threshold.png"
            page.screenshot(path=str(shot_gray))
            page.wait_for_function(
                "document.querySelector('#stat-points').textContent.startsWith('10,000 / 20,000')",
                timeout=5_000,
            )
        finally:
            browser.close()

    assert not errors, errors
    assert state["lastPointCount"] == 20_000
    assert "turn_left" in decision_text

    rgb = np.asarray(Image.open(shot).convert("RGB")).astype(np.int32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    red = (r > 200) & (g < 60) & (b < 60)
    blue = (b > 200) & (r < 60) & (g < 60)
    background = int((np.abs(rgb - BACKGROUND).max(axis=-1) <= 8).sum())
    total = rgb.shape[0] * rgb.shape[1]
    # The jet plane covers about 17% of the view; strongly red and strongly blue bands are each
    # about a ninth of its width (thousands of pixels), the axes helper only a few hundred.
    counts = f"red={red.sum()} blue={blue.sum()} background={background} of {total}; see {shot}"
    assert red.sum() > 2000 and blue.sum() > 2000, counts
    assert background > total // 3, counts
    # Optical x (right) stays right on screen: high attention (red) lies right of low (blue).
    red_x, blue_x = np.nonzero(red)[1].mean(), np.nonzero(blue)[1].mean()
    assert red_x > blue_x + 100, (red_x, blue_x)

    gray = np.asarray(Image.open(shot_gray).convert("RGB")).astype(np.int32)
    bright_gray = (gray.min(axis=-1) > 180) & (gray.max(axis=-1) - gray.min(axis=-1) < 12)
    assert bright_gray.sum() > 2000, f"no bright gray points after the colormap change: {shot_gray}"
    assert ((gray[..., 0] > 200) & (gray[..., 1] < 60)).sum() < 300, "jet red left after 'gray'"
