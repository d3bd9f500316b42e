"""`make demo`: the headline example, sin(a·x + c) at x=2, a=3, c=4, rendered to demo/."""

from pathlib import Path

from ani_graph import TorchGraph
from ani_graph.examples import sin_example


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "demo"
    out.mkdir(exist_ok=True)
    g = TorchGraph(sin_example, [2, 3, 4])
    print(f"y = sin(a·x + c) = {float(g.value('y')):.4f};  ∂y/∂x = a·cos(a·x + c) = {float(g.grad('x')):.4f}")
    written = []
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        plt.figure(figsize=(9, 4))
        g.plot(with_all=True)
        plt.savefig(out / "graph.png", dpi=120, bbox_inches="tight")
        written.append(out / "graph.png")
    except ImportError as err:  # drawing not available in this version
        print(f"static plot skipped: {err}")
    try:
        anim = g.animate(direction="both")
        anim.save(out / "index.html")
        written.append(out / "index.html")
    except ImportError as err:
        print(f"animation skipped: {err}")
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
