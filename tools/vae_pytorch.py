#!/usr/bin/python3
"""PyTorch's VAE example (github.com/pytorch/examples, vae/main.py) on Fashion-MNIST: the twin
of examples/vae_fmnist.cpp, so that soma's VAE can be compared with PyTorch's on equal terms.

    /usr/bin/python3 tools/vae_pytorch.py [--epochs 10] [--threads 1] [--seed 1]

The example's settings: fc1 784 -> 400 ReLU, fc21 / fc22 400 -> 20 (mu, log variance), fc3
20 -> 400 ReLU, fc4 400 -> 784 sigmoid; loss = binary cross-entropy summed over pixels + KL;
Adam lr 1e-3, batch 128, shuffled training set. Images are Debian's dataset-fashion-mnist IDX
files, pixels / 255 (not binarised). After each epoch it prints the mean training loss and
the test loss per image (the example's test loop: one reparameterised sample per image, so a
stochastic estimate of the negative ELBO), then the wall time. BCE is computed from the
logits (binary_cross_entropy_with_logits), which equals the example's sigmoid + BCE in exact
arithmetic and is what soma computes.
"""
import argparse
import gzip
import os
import struct
import time

ROOT = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return data[4 + 4 * dims:], shape


def load(split, torch):
    prefix = "train" if split == "train" else "t10k"
    name = os.path.join(ROOT, f"{prefix}-images-idx3-ubyte.gz")
    raw, shape = read_idx(name)
    images = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(shape[0], 784)
    return images.float() / 255


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    # BLAS threads pinned before torch loads, so the run is the thread count it says.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h = F.relu(self.fc1(x))
            return self.fc21(h), self.fc22(h)

        def forward(self, x):
            mu, logvar = self.encode(x)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return self.fc4(F.relu(self.fc3(z))), mu, logvar  # logits

    def loss_function(logits, x, mu, logvar):
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return bce + kld

    train_x, test_x = load("train", torch), load("test", torch)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    test_loss = float("nan")
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(train_x))
        total = 0.0
        for i in range(0, len(train_x), args.batch_size):
            x = train_x[perm[i:i + args.batch_size]]
            opt.zero_grad()
            logits, mu, logvar = model(x)
            loss = loss_function(logits, x, mu, logvar)
            loss.backward()
            total += loss.item()
            opt.step()
        model.eval()
        test_total = 0.0
        with torch.no_grad():
            for i in range(0, len(test_x), args.batch_size):
                x = test_x[i:i + args.batch_size]
                logits, mu, logvar = model(x)
                test_total += loss_function(logits, x, mu, logvar).item()
        test_loss = test_total / len(test_x)
        print(f"epoch {epoch}: train loss {total / len(train_x):.2f}, test loss {test_loss:.2f} "
              f"per image ({time.perf_counter() - start:.1f} s)", flush=True)
    print(f"pytorch vae: {args.epochs} epochs, final test loss {test_loss:.2f} per image, "
          f"{time.perf_counter() - start:.1f} s on {args.threads} thread(s), seed {args.seed}")


if __name__ == "__main__":
    main()
