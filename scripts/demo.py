"""`make demo`: the headline example, sin(a·x + c) at x=2, a=3, c=4, rendered to demo/."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ani_graph import TorchGraph  # noqa: E402
from ani_graph.examples import sin_example  # noqa: E402


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "demo"
    out.mkdir(exist_ok=True)
    g = TorchGraph(sin_example, [2, 3, 4])
    print(f"y = sin(a·x + c) = {float(g.value('y')):.4f};  ∂y/∂x = a·cos(a·x + c) = {float(g.grad('x')):.4f}")
    plt.figure(figsize=(9, 4))
    g.plot(with_all=True)
    plt.savefig(out / "graph.png", dpi=120, bbox_inches="tight")
    g.animate(direction="both").save(out / "index.html")
    print(out / "graph.png")
    print(out / "index.html")


if __name__ == "__main__":
    main()
