"""PyTorch baseline for train-bench: the same small CNN and MLP as weightslab-train, batch 64,
SGD with momentum 0.9, on random 1x28x28 inputs with 10 classes (the digits have the same shape;
data loading is excluded on both sides' bare loops). Prints steps/s per model.

Run outside CI in a throwaway venv:
    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch   # ~5 GB with its CUDA wheels
    /tmp/torchvenv/bin/python crates/train/bench/torch_baseline.py [--steps 300] [--threads 2]
"""

import argparse
import time

import torch
from torch import nn


def cnn(classes: int = 10) -> nn.Module:
    # conv 1->8 3x3 pad 1 + ReLU + pool2, conv 8->16 3x3 pad 1 + ReLU + pool2, 784->64->classes
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, classes),
    )


def mlp(classes: int = 10) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, classes),
    )


def bench(model: nn.Module, steps: int, batch: int, pool: torch.Tensor, labels: torch.Tensor) -> float:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)

    def one_step() -> None:
        idx = torch.randint(0, pool.shape[0], (batch,), generator=g)
        x, y = pool[idx], labels[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(20):
        one_step()
    start = time.perf_counter()
    for _ in range(steps):
        one_step()
    return steps / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(17)
    torch.set_num_threads(args.threads)
    pool = torch.randn(8000, 1, 28, 28)
    labels = torch.randint(0, 10, (8000,))
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, {args.steps} steps")
    for name, build in (("cnn", cnn), ("mlp", mlp)):
        best = max(bench(build(), args.steps, args.batch, pool, labels) for _ in range(3))
        print(f"{name:<4} torch CPU: {best:7.1f} steps/s")


if __name__ == "__main__":
    main()
