#!/usr/bin/python3
"""The workloads of ../shared/bench/WORKLOADS.md in PyTorch, the reference soma is measured against.

    /usr/bin/python3 bench/pytorch/workloads.py --workload fmnist-mlp --threads 1 [--quick]
    /usr/bin/python3 bench/pytorch/workloads.py --list

Prints one JSON line in the same format as bench_workloads (framework "pytorch"). Run one
workload per process, so that the peak RSS is that workload's. OPENBLAS_NUM_THREADS=1 is set
before torch is imported (except for gemm, a lone BLAS call): otherwise OpenBLAS's threads and
torch's OpenMP threads fight over the cores. torch.set_num_threads does not reach Debian's
OpenBLAS, so PyTorch's matrix products run on one thread in every other workload. FLOPs are
counted exactly as in bench/workloads_models.h and workloads_seq.h (matrix products only).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

NAMES = ["xor-mlp", "xor-infer", "cos2sin-rnn", "cos2sin-gru", "fmnist-mlp", "fmnist-cnn",
         "fmnist-lstm", "attention", "transformer", "vae", "gan", "seq2seq", "gemm"]


def linear_flops(rows, fan_in, fan_out, train, dx):
    f = 2.0 * rows * fan_in * fan_out
    return f * (3 if dx else 2) if train else f


def rnn_flops(batch, steps, fan_in, hidden, gates, dx):
    """A recurrent layer's products: input and hidden projections at every step."""
    return steps * (linear_flops(batch, fan_in, gates * hidden, True, dx)
                    + linear_flops(batch, hidden, gates * hidden, True, True))


def conv_flops(batch, height, width, c_in, c_out, k, dx):
    """A k x k convolution with 'same' padding over a height x width input, trained."""
    return linear_flops(batch * height * width, c_in * k * k, c_out, True, dx)


def build(name, torch):
    nn, F = torch.nn, torch.nn.functional

    def train_step(model_loss, opt):
        def step():
            opt.zero_grad()
            model_loss().backward()
            opt.step()
        return step

    if name in ("xor-mlp", "xor-infer"):
        net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1))
        if name == "xor-infer":
            x = torch.tensor([[1.0, 0.0]])

            def infer():
                with torch.no_grad():
                    net(x)
            return infer, linear_flops(1, 2, 8, False, False) + linear_flops(1, 8, 1, False, False)
        x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        return (train_step(lambda: F.mse_loss(net(x), y), opt),
                linear_flops(4, 2, 8, True, False) + linear_flops(4, 8, 1, True, True))

    if name in ("cos2sin-rnn", "cos2sin-gru"):
        cell = nn.RNN if name == "cos2sin-rnn" else nn.GRU
        rnn, out = cell(1, 10, batch_first=True), nn.Linear(10, 1)
        t = torch.arange(64, dtype=torch.float32) * 0.1
        phase = torch.rand(16, 1) * 2 * math.pi
        x, y = torch.cos(t + phase).unsqueeze(-1), torch.sin(t + phase).unsqueeze(-1)
        opt = torch.optim.Adam(list(rnn.parameters()) + list(out.parameters()), lr=1e-2)
        gates = 1 if name == "cos2sin-rnn" else 3
        return (train_step(lambda: F.mse_loss(out(rnn(x)[0]), y), opt),
                rnn_flops(16, 64, 1, 10, gates, False) + linear_flops(16 * 64, 10, 1, True, True))

    if name == "fmnist-cnn":
        net = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.25),
                            nn.Linear(128, 10))
        x, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return (train_step(lambda: F.cross_entropy(net(x), y), opt),
                conv_flops(64, 28, 28, 1, 32, 3, False) + conv_flops(64, 14, 14, 32, 64, 3, True)
                + linear_flops(64, 3136, 128, True, True) + linear_flops(64, 128, 10, True, True))

    if name == "fmnist-lstm":
        lstm, fc = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)
        x, y = torch.rand(128, 28, 28), torch.randint(0, 10, (128,))
        opt = torch.optim.Adam(list(lstm.parameters()) + list(fc.parameters()), lr=1e-3)
        return (train_step(lambda: F.cross_entropy(fc(lstm(x)[0][:, -1]), y), opt),
                rnn_flops(128, 28, 28, 128, 4, False) + linear_flops(128, 128, 10, True, True))

    if name == "seq2seq":
        batch, length, vocab, emb, hidden = 64, 12, 32, 32, 128

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.src_emb, self.tgt_emb = nn.Embedding(vocab, emb), nn.Embedding(vocab, emb)
                self.enc = nn.GRU(emb, hidden, batch_first=True)
                self.dec = nn.GRU(emb, hidden, batch_first=True)
                self.out = nn.Linear(hidden, vocab)

            def forward(self, src, dec_in):
                _, h = self.enc(self.src_emb(src))
                return self.out(self.dec(self.tgt_emb(dec_in), h)[0])

        net = Net()
        src, tgt = torch.randint(0, vocab, (batch, length)), torch.randint(0, vocab, (batch, length))
        dec_in = torch.cat([torch.zeros(batch, 1, dtype=torch.long), tgt[:, :-1]], 1)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return (train_step(lambda: F.cross_entropy(net(src, dec_in).reshape(-1, vocab),
                                                   tgt.reshape(-1)), opt),
                2 * rnn_flops(batch, length, emb, hidden, 3, True)
                + linear_flops(batch * length, hidden, vocab, True, True))

    if name == "fmnist-mlp":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                            nn.Linear(256, 10))
        x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        return (train_step(lambda: F.cross_entropy(net(x), y), opt),
                linear_flops(128, 784, 256, True, False) + linear_flops(128, 256, 256, True, True)
                + linear_flops(128, 256, 10, True, True))

    if name == "attention":
        batch, length, d, heads = 32, 32, 64, 4

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(32, d)
                self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
                self.head = nn.Linear(d, 10)

            def forward(self, tokens):
                x = self.emb(tokens)
                return self.head((x + self.attn(x, x, x, need_weights=False)[0]).mean(1))

        net = Net()
        tokens, labels = torch.randint(0, 32, (batch, length)), torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        attn_flops = 2 * 3 * batch * heads * 2.0 * length * length * (d // heads)
        return (train_step(lambda: F.cross_entropy(net(tokens), labels), opt),
                linear_flops(batch * length, d, 3 * d, True, True) + attn_flops
                + linear_flops(batch * length, d, d, True, True)
                + linear_flops(batch, d, 10, True, True))

    if name == "transformer":
        batch, length, d, heads, ff = 32, 64, 128, 4, 512

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(64, d)
                self.layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0,
                                                        batch_first=True)
                self.head = nn.Linear(d, 10)

            def forward(self, tokens):
                return self.head(self.layer(self.emb(tokens)).mean(1))

        net = Net()
        tokens, labels = torch.randint(0, 64, (batch, length)), torch.randint(0, 10, (batch,))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        rows = batch * length
        attn_flops = 2 * 3 * batch * heads * 2.0 * length * length * (d // heads)
        return (train_step(lambda: F.cross_entropy(net(tokens), labels), opt),
                linear_flops(rows, d, 3 * d, True, True) + attn_flops
                + linear_flops(rows, d, d, True, True) + linear_flops(rows, d, ff, True, True)
                + linear_flops(rows, ff, d, True, True) + linear_flops(batch, d, 10, True, True))

    if name == "vae":
        enc, mu, logvar = nn.Linear(784, 400), nn.Linear(400, 2), nn.Linear(400, 2)
        dec1, dec2 = nn.Linear(2, 400), nn.Linear(400, 784)
        params = [p for m in (enc, mu, logvar, dec1, dec2) for p in m.parameters()]
        opt = torch.optim.Adam(params, lr=1e-3)
        x = torch.rand(128, 784)

        def loss():
            h = F.relu(enc(x))
            m, lv = mu(h), logvar(h)
            z = m + torch.exp(0.5 * lv) * torch.randn(128, 2)
            recon = torch.sigmoid(dec2(F.relu(dec1(z))))
            kl = -0.5 * torch.sum(1 + lv - m.pow(2) - lv.exp())
            return F.binary_cross_entropy(recon, x, reduction="sum") + kl
        return (train_step(loss, opt),
                linear_flops(128, 784, 400, True, False) + 2 * linear_flops(128, 400, 2, True, True)
                + linear_flops(128, 2, 400, True, True) + linear_flops(128, 400, 784, True, True))

    if name == "gan":
        batch = 64
        g = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
        d = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
        opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        real, noise = torch.rand(batch, 784), torch.randn(batch, 64)
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        bce = F.binary_cross_entropy_with_logits

        def step():
            fake = g(noise)
            opt_d.zero_grad()
            (bce(d(real), ones) + bce(d(fake.detach()), zeros)).backward()
            opt_d.step()
            opt_g.zero_grad()
            bce(d(fake), ones).backward()
            opt_g.step()
        g_fwd = linear_flops(batch, 64, 256, False, False) + linear_flops(batch, 256, 784, False, False)
        g_bwd = linear_flops(batch, 64, 256, True, False) + linear_flops(batch, 256, 784, True, True) - g_fwd
        d_data = linear_flops(batch, 784, 256, True, False) + linear_flops(batch, 256, 1, True, True)
        d_live = linear_flops(batch, 784, 256, True, True) + linear_flops(batch, 256, 1, True, True)
        return step, g_fwd + 2 * d_data + d_live + g_bwd

    if name == "gemm":
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)

        def mm():
            with torch.no_grad():
                torch.matmul(a, b)
        return mm, 2.0 * 1024 ** 3

    raise ValueError(name)


def peak_rss_mb():
    """VmHWM: unlike ru_maxrss it does not include the parent's memory from before exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


MAX_SAMPLES = 8192


def time_steps(step, quick):
    """Median step time; samples kept as in bench/workloads.cpp (a stride that doubles)."""
    warmup, min_steps, min_seconds = (3, 10, 0.0) if quick else (10, 50, 2.0)
    for _ in range(warmup):
        step()
    times, steps, stride = [], 0, 1
    cpu0, start = time.process_time(), time.perf_counter()
    while steps < min_steps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        step()
        t = (time.perf_counter() - t0) * 1e6
        steps += 1
        if (steps - 1) % stride:
            continue
        times.append(t)
        if len(times) == MAX_SAMPLES:
            times, stride = times[::2], stride * 2
    cpu_us = (time.process_time() - cpu0) * 1e6 / steps
    mean_us = (time.perf_counter() - start) * 1e6 / steps
    return statistics.median(times), steps, mean_us, cpu_us


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", choices=NAMES)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", default=bool(os.environ.get("SOMA_BENCH_QUICK")))
    ap.add_argument("--peak-gflops", type=float, default=0.0)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list or not args.workload:
        print("\n".join(NAMES))
        return 0
    # gemm is one BLAS call with no OpenMP work beside it, so there OpenBLAS gets the threads.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads if args.workload == "gemm" else 1)
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    step, flops = build(args.workload, torch)
    rec = {"workload": args.workload, "framework": "pytorch", "threads": args.threads}
    median_us, steps, mean_us, cpu_us = time_steps(step, args.quick)
    gflops = flops / median_us / 1e3
    rec.update(median_us=round(median_us, 2), steps=steps, mean_us=round(mean_us, 2),
               cpu_us=round(cpu_us, 2),
               peak_rss_mb=round(peak_rss_mb(), 1),
               flops_per_step=flops, gflops=round(gflops, 3))
    if args.peak_gflops > 0:
        rec.update(pct_peak=round(100 * gflops / args.peak_gflops, 2), peak_gflops=args.peak_gflops)
    rec.update(load1=round(os.getloadavg()[0], 2), torch=torch.__version__)
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
