"""The widget in a real browser: JupyterLab 4 and Notebook 7 on localhost, Debian's Chromium driven by Playwright.

One Jupyter server (JupyterLab and Notebook 7 both live in it) on a free localhost port, with
empty token and password and a temporary root, settings and workspace dir. The Lab test runs a
notebook that shows two widgets (``%weights model --widget``, and a second one kept live
during ``fit`` by ``WeightWatch``), checks layer names, badges and drawn histograms, clicks a
trainable toggle and verifies in the kernel that it changed, takes a gradient step from the
step panel, and saves the screenshot the README shows (docs/widget.png).
"""

import json
import os
import re
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
REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "widget.png"
WAIT = 120_000  # ms: a cold TensorFlow import in the kernel takes a while on 2 cores

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run installs it)")

SETUP = (
    "%load_ext tf_weightmagic\nimport keras, numpy as np\nimport tf_weightmagic\n"
    "model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(8, 3, name='conv'),\n"
    "    keras.layers.BatchNormalization(name='bn'), keras.layers.Flatten(),\n"
    "    keras.layers.Dense(16, name='hidden'), keras.layers.Dense(3, name='head')], name='net')\n"
    "x = np.random.default_rng(0).normal(size=(64, 8, 8, 1)).astype('float32')\n"
    "y = np.random.default_rng(1).integers(0, 3, size=64)\n"
    "model.compile(keras.optimizers.Adam(0.02), 'sparse_categorical_crossentropy')"
)
LAB_CELLS = [
    SETUP,
    "%weights model --widget",
    "live = tf_weightmagic.inspect(model)\n"
    "model.fit(x, y, epochs=12, batch_size=16, verbose=0, callbacks=[tf_weightmagic.WeightWatch(live)])\nlive",
    "print('TRAINABLE', model.get_layer('hidden').trainable)",
]
NOTEBOOK7_CELLS = [
    "import keras, tf_weightmagic\n"
    "dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name='dense7')], name='small')\n"
    "tf_weightmagic.inspect(dense)",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(path: Path, cells: list) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Jupyter server (JupyterLab + Notebook 7) on a free localhost port; yields its URL."""
    root = tmp_path_factory.mktemp("lab")
    write_notebook(root / "widget.ipynb", LAB_CELLS)
    write_notebook(root / "notebook7.ipynb", NOTEBOOK7_CELLS)
    config = root / "config"
    config.mkdir()
    # window.jupyterapp in both front ends, so the test drives them through their own commands.
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "LabApp": {"expose_app_in_browser": True}, "JupyterNotebookApp": {"expose_app_in_browser": True}}))
    settings = root / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(root / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "settings"), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port_retries=0", "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={root / 'workspaces'}",
         "--ServerApp.disable_check_xsrf=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            json.load(urllib.request.urlopen(f"{url}/api/status", timeout=2))
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"Jupyter did not start:\n{(root / 'server.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def open_notebook(browser, url: str):
    """A page on ``url`` once the notebook's kernel is idle (a cold start can take a while)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    page.set_default_timeout(WAIT)
    page.goto(url)
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=WAIT)
    return page


def run_command(page, command: str, cell: int = None) -> None:
    page.evaluate(
        """async ([cmd, cell]) => {
             const app = window.jupyterapp;
             if (cell !== null) app.shell.currentWidget.content.activeCellIndex = cell;
             await app.commands.execute(cmd);
           }""",
        [command, cell],
    )


def wait_idle(page) -> None:
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=WAIT)


def test_jupyterlab_widget_renders_toggles_steps_and_is_live_during_fit(server, browser):
    page = open_notebook(browser, f"{server}/lab/tree/widget.ipynb")
    run_command(page, "notebook:run-all-cells")
    page.wait_for_function("document.querySelectorAll('[data-testid=tf-weightmagic]').length >= 2", timeout=3 * WAIT)
    widgets = page.locator("[data-testid=tf-weightmagic]")
    widget, live = widgets.nth(0), widgets.nth(1)

    # Look: layer names, build and trainable badges, drawn histograms.
    names = widget.locator("[data-testid=layer-name]").all_inner_texts()
    assert {"net", "conv", "bn", "hidden", "head"} <= set(names)
    assert widget.locator("[data-testid=badge-built]").filter(has_text="built").count() >= 5
    assert widget.locator("[data-testid=badge-trainable]").filter(has_text="trainable").count() >= 5
    widget.locator("[data-testid=layer-row][data-path$='hidden'] [data-testid=layer-name]").click()
    bars = widget.locator("[data-testid=variable-row][data-path$='hidden/kernel'] [data-testid=histogram] rect")
    bars.first.wait_for()
    assert bars.count() > 4

    # Act: the trainable toggle goes through the edit path, and the kernel sees it.
    toggle = widget.locator("[data-testid=trainable-toggle][data-path$='hidden']")
    assert toggle.is_checked()
    toggle.click()
    widget.locator("[data-testid=status]").filter(has_text="--trainable False").wait_for()
    widget.locator("[data-testid=badge-trainable]").filter(has_text="frozen").first.wait_for()
    assert not widget.locator("[data-testid=trainable-toggle][data-path$='hidden']").is_checked()
    wait_idle(page)
    run_command(page, "notebook:run-cell", cell=3)
    page.locator("[data-mime-type='application/vnd.jupyter.stdout']").filter(
        has_text=re.compile(r"TRAINABLE False")).wait_for()

    # A gradient step from the panel (x and y picked by name), its result shown in the widget.
    widget.locator("[data-testid=step]").click()
    widget.locator("[data-testid=status]").filter(has_text=re.compile(r"loss")).wait_for()
    assert "error" not in (widget.locator("[data-testid=status]").get_attribute("class") or "")

    # A bad request is refused in the kernel and the refusal shows.
    widget.locator("[data-testid=variable-row][data-path$='hidden/kernel']").click()
    widget.locator("[data-testid=detail-histogram]").wait_for()
    widget.locator("[data-testid=scale-input]").fill("1e300")
    widget.locator("[data-testid=scale]").click()
    widget.locator("[data-testid=status].error").filter(has_text="out of range").wait_for()

    # Live during fit: distribution-over-time strips, the detail pane with its heatmap.
    live.locator("[data-testid=layer-row][data-path$='conv'] [data-testid=layer-name]").click()
    live.locator("[data-testid=history-strip]").first.wait_for()
    live.locator("[data-testid=variable-row][data-path$='conv/kernel']").click()
    live.locator("[data-testid=heatmap]").wait_for()
    live.locator("[data-testid=detail-history]").wait_for()
    live.scroll_into_view_if_needed()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    live.screenshot(path=str(SCREENSHOT))
    page.close()


def test_notebook7_renders_the_widget(server, browser):
    page = open_notebook(browser, f"{server}/notebooks/notebook7.ipynb")
    run_command(page, "notebook:run-all-cells")
    widget = page.locator("[data-testid=tf-weightmagic]")
    widget.wait_for(timeout=3 * WAIT)
    widget.locator("[data-testid=layer-name]").filter(has_text="dense7").wait_for()
    assert widget.locator("[data-testid=layer-row][data-path$='dense7'] [data-testid=badge-built]").inner_text() == "built"
    page.close()
