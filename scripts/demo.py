"""The README's demo command: open demo.ipynb in JupyterLab, or, with no display, run it to HTML.

With no display (SSH, CI, a container) the notebook is executed top to bottom and a
static copy is written to demo_output/demo.html.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo_output"


def has_display() -> bool:
    if os.environ.get("CI"):
        return False
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def execute() -> Path:
    """Run every cell (an error stops the run) and write the executed notebook as HTML."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    OUT.mkdir(exist_ok=True)
    nb = nbformat.read(ROOT / "demo.ipynb", as_version=4)
    # TensorFlow's C++ start-up log goes to the kernel's own stderr, not into the cells. With no
    # widget state saved, nbconvert shows each widget's static HTML report (a saved view would need
    # the widget's JavaScript from the network).
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}},
                   extra_arguments=["--IPKernelApp.capture_fd_output=False"], store_widget_state=False).execute()
    nbformat.write(nb, OUT / "demo.ipynb")
    html, _ = HTMLExporter().from_notebook_node(nb)
    target = OUT / "demo.html"
    target.write_text(html)
    return target


def main() -> None:
    OUT.mkdir(exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the kernel inherits it: no TensorFlow start-up log in cells
    if has_display() and "--execute" not in sys.argv:
        subprocess.run([sys.executable, "-m", "jupyter", "lab", str(ROOT / "demo.ipynb")], check=True)
    else:
        print(f"no display: executed demo.ipynb, static copy at {execute()}")


if __name__ == "__main__":
    main()
