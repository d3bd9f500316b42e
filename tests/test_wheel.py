"""The package works installed, not only from a checkout.

One test builds the sdist and the wheel as a release does, checks them with twine, installs
the wheel into a fresh virtual environment (PyTorch first) and runs the README's usage
example there, from a folder outside the checkout and with the checkout off `sys.path`.
It takes a minute or more, most of it installing PyTorch and the dependencies.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The PyTorch the project tests with. A bare `torch`, or a range that admits a newer
# release, can pull a CUDA build of several GB on Linux. TORCH_INDEX_URL, when set, is the
# index PyTorch's CPU-only wheels come from (the CI workflows set it where they have one).
TORCH = "torch==2.13.0"


def project_version() -> str:
    """The one version, as written in pyproject.toml's [project] table."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)


def readme_usage() -> str:
    """The first Python block under the README's "Usage" heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    usage = text.split("\n## Usage", 1)[1]
    return re.search(r"```python\n(.*?)```", usage, re.S).group(1)


def run(cmd: list[str], cwd: Path, timeout: int = 900, env: dict | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# What runs in the fresh environment after the README example: where everything came from.
CHECK = textwrap.dedent(
    """
    import json, sys
    from importlib.metadata import version
    from pathlib import Path

    import ani_graph
    from ani_graph import page

    static = Path(page.STATIC)
    js = (static / "player.js").read_text(encoding="utf-8")
    css = (static / "player.css").read_text(encoding="utf-8")
    html = anim.to_html()
    print(json.dumps({
        "package": ani_graph.__file__,
        "static": str(static),
        "version": ani_graph.__version__,
        "metadata_version": version("ani-graph"),
        "sys_path": sys.path,
        "inputs": g.inputs,
        "outputs": g.outputs,
        "svg": g.to_svg()[:5],
        "frames": len(anim.frames),
        "player_inlined": all(
            line in html
            for name, text in (("player.js", js), ("player.css", css))
            for line in page.compact_source(name, text).splitlines()
            if "</" not in line and "export default" not in line
        ),
        "axes": type(g.plot()).__name__,
    }))
    """
)


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_environment_and_runs_the_readme_example(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], cwd=tmp_path)
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheels[0]), str(sdists[0])], cwd=tmp_path)

    version = project_version()
    assert wheels[0].name == f"ani_graph-{version}-py3-none-any.whl"
    names = zipfile.ZipFile(wheels[0]).namelist()
    for needed in ("py.typed", "static/player.js", "static/player.css", "tracing/__init__.py"):
        assert f"ani_graph/{needed}" in names, f"{needed} missing from the wheel: {names}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    strays = [n for n in names if not n.startswith(("ani_graph/", f"ani_graph-{version}.dist-info/"))]
    assert not strays, f"the wheel holds files outside the package (tests, notebooks, ...): {strays}"
    metadata = zipfile.ZipFile(wheels[0]).read(f"ani_graph-{version}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata and "Classifier: Framework :: Jupyter" in metadata

    # Nothing of the test's own interpreter leaks in: a PYTHONPATH naming the checkout would
    # even make pip take the checkout's metadata for an installed ani-graph.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["MPLBACKEND"] = "Agg"
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    python = str(venv_python(venv))
    index = os.environ.get("TORCH_INDEX_URL")
    pip = [python, "-m", "pip", "install", "-q"]
    run([*pip, TORCH, *(["--index-url", index] if index else [])], cwd=tmp_path, env=env)
    run([*pip, str(wheels[0])], cwd=tmp_path, env=env)

    work = tmp_path / "example"
    work.mkdir()
    (work / "example.py").write_text(readme_usage() + CHECK, encoding="utf-8")
    # -I: isolated mode, so neither PYTHONPATH, the user's site-packages nor the current
    # folder puts a checkout on sys.path.
    out = run([python, "-I", "example.py"], cwd=work, env=env)
    report = json.loads(out.strip().splitlines()[-1])

    site = venv.resolve()
    assert Path(report["package"]).resolve().is_relative_to(site), report["package"]
    assert Path(report["static"]).resolve().is_relative_to(site), report["static"]
    assert not [p for p in report["sys_path"] if p and Path(p).resolve().is_relative_to(ROOT)], report["sys_path"]
    assert report["version"] == report["metadata_version"] == version
    assert report["inputs"] == ["x", "a", "c"] and report["outputs"] == ["y"]
    assert report["svg"] == "<svg " and report["frames"] > 4 and report["axes"] == "Axes"
    assert report["player_inlined"], "the page does not carry the installed player.js and player.css"
    gif = (work / "sin.gif").read_bytes()
    assert gif[:6] in (b"GIF87a", b"GIF89a") and len(gif) > 10_000
