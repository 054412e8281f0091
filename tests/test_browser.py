"""The widget in a real browser: JupyterLab on localhost, Debian's Chromium driven by Playwright."""

import json
import re
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "widget.png"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)")

CELLS = [
    "%load_ext tf_weightmagic\nimport keras, numpy as np\n"
    "model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(8, 3, name='conv'),\n"
    "    keras.layers.BatchNormalization(name='bn'), keras.layers.Flatten(),\n"
    "    keras.layers.Dense(16, name='hidden'), keras.layers.Dense(3, name='head')], name='net')\n"
    "x = np.random.default_rng(0).normal(size=(32, 8, 8, 1)).astype('float32')\n"
    "y = np.random.default_rng(1).integers(0, 3, size=32)\n"
    "model.compile('adam', 'sparse_categorical_crossentropy')",
    "%weights model --widget",
    "import tf_weightmagic\nwatch_inspector = tf_weightmagic.inspect(model)\n"
    "model.fit(x, y, epochs=3, verbose=0, callbacks=[tf_weightmagic.WeightWatch(watch_inspector)])\nwatch_inspector",
    "print('TRAINABLE', model.get_layer('hidden').trainable)",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free localhost port, with empty token and password, in a temporary root."""
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "widget.ipynb")
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / "config"), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               TF_CPP_MIN_LOG_LEVEL="3")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={root / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            json.load(urllib.request.urlopen(f"{url}/api/status", timeout=2))
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url
    server.terminate()
    server.wait(timeout=30)


def run_command(page, command: str, cell: int = None) -> None:
    script = "async ([cmd, cell]) => { const app = window.jupyterapp;"
    script += " if (cell !== null) app.shell.currentWidget.content.activeCellIndex = cell;"
    script += " await app.commands.execute(cmd); }"
    page.evaluate(script, [command, cell])


def test_widget_renders_and_its_toggle_changes_the_kernel(lab):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{lab}/lab/tree/widget.ipynb")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=120_000)
        page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                               timeout=120_000)
        run_command(page, "notebook:run-all-cells")
        widgets = page.locator("[data-testid=tf-weightmagic]")
        widgets.first.wait_for(timeout=180_000)
        page.wait_for_function("document.querySelectorAll('[data-testid=tf-weightmagic]').length >= 2", timeout=180_000)
        widget = widgets.first

        names = widget.locator("[data-testid=layer-name]").all_inner_texts()
        assert {"net", "conv", "bn", "hidden", "head"} <= set(names)
        assert widget.locator("[data-testid=badge-built]").count() >= 5
        assert widget.locator("[data-testid=badge-trainable]").count() >= 5

        widget.locator("[data-testid=layer-row][data-path$='hidden']").click()
        hist = widget.locator("[data-testid=variable-row] [data-testid=histogram] rect")
        hist.first.wait_for(timeout=30_000)
        assert hist.count() > 4

        toggle = widget.locator("[data-testid=trainable-toggle][data-path$='hidden']")
        assert toggle.is_checked()
        toggle.click()
        widget.locator("[data-testid=status]").filter(has_text="trainable").wait_for(timeout=60_000)
        assert not widget.locator("[data-testid=trainable-toggle][data-path$='hidden']").is_checked()

        run_command(page, "notebook:run-cell", cell=3)
        stdout = page.locator("[data-mime-type='application/vnd.jupyter.stdout']")
        stdout.filter(has_text=re.compile("TRAINABLE False")).wait_for(timeout=60_000)

        live = widgets.nth(1)
        live.locator("[data-testid=layer-row][data-path$='conv']").click()
        live.locator("[data-testid=history-strip]").first.wait_for(timeout=30_000)
        live.locator("[data-testid=variable-row][data-path$='conv/kernel']").click()
        live.locator("[data-testid=heatmap]").wait_for(timeout=30_000)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        live.screenshot(path=str(SCREENSHOT))
        browser.close()
