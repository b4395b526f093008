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
         "fmnist-lstm", "attention", "transformer", "vae", "gan", "seq2seq", "g2p", "gemm"]

# g2p's batch: the lengths of 64 (word, pronunciation) pairs drawn once from the CMU dictionary,
# the same as kG2PLetters and kG2PPhonemes in bench/workloads_seq.h (which says how).
G2P_LETTERS = [3, 10, 7, 12, 9, 5, 6, 9, 6, 6, 5, 5, 5, 9, 10, 6, 8, 3, 9, 8, 6, 11,
               8, 10, 10, 3, 5, 5, 12, 8, 9, 8, 3, 7, 10, 8, 9, 6, 14, 9, 7, 10, 9, 6,
               6, 7, 7, 6, 8, 7, 11, 7, 4, 10, 8, 10, 3, 8, 6, 11, 6, 9, 8, 14]
G2P_PHONEMES = [2, 7, 5, 11, 8, 5, 6, 7, 5, 5, 4, 5, 4, 8, 11, 7, 5, 3, 6, 5, 6, 10,
                8, 8, 8, 3, 5, 3, 10, 7, 9, 8, 3, 4, 6, 7, 7, 5, 12, 7, 6, 8, 7, 4,
                5, 6, 5, 5, 7, 6, 11, 4, 4, 7, 8, 8, 3, 6, 5, 11, 6, 7, 7, 12]


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


def g2p_flops(batch, src_len, letters, steps, emb, hidden, vocab):
    """As g2p_flops in bench/workloads_seq.h: the encoder over each row's own letters, the
    bridge, the key projection, then per decoder step query projection, v, context, cell and
    readout."""
    enc = 2 * hidden
    return (2 * rnn_flops(letters, 1, emb, hidden, 3, True)
            + linear_flops(batch, enc, hidden, True, True)
            + linear_flops(batch * src_len, enc, hidden, True, True)
            + steps * (linear_flops(batch, hidden, hidden, True, True)
                       + linear_flops(batch * src_len, hidden, 1, True, True)
                       + linear_flops(batch, src_len, enc, True, True)
                       + linear_flops(batch, hidden + enc, vocab, True, True))
            + rnn_flops(batch, steps, emb + enc, hidden, 3, True))


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

    if name == "g2p":
        # soma's models::Seq2Seq as `soma train g2p` builds it (src/models/seq2seq.cpp), trained
        # as train_g2p does (src/train/g2p.cpp): letters <pad> <sos> <eos> a-z ' (30 ids),
        # phonemes the same three and 39 (42 ids), embedding 64, hidden 256, dropout 0.1.
        batch, letters, phonemes, emb, hidden, pad, sos, eos = 64, 30, 42, 64, 256, 0, 1, 2
        rnn_utils = nn.utils.rnn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.src_emb = nn.Embedding(letters, emb, padding_idx=pad)
                self.tgt_emb = nn.Embedding(phonemes, emb, padding_idx=pad)
                # One layer: soma's between-layer dropout does nothing here (PyTorch would warn).
                self.encoder = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
                self.bridge = nn.Linear(2 * hidden, hidden)  # both directions -> the decoder
                self.cell = nn.GRUCell(emb + 2 * hidden, hidden)
                # Additive attention, v^T tanh(W_q s + W_k h + b), named as soma's.
                self.query_proj = nn.Linear(hidden, hidden, bias=False)
                self.key_proj = nn.Linear(2 * hidden, hidden)
                self.v = nn.Linear(hidden, 1, bias=False)
                self.readout = nn.Linear(hidden + 2 * hidden, phonemes)
                self.drop = nn.Dropout(0.1)

            def forward(self, src, tgt_in):
                # Each row ends before its first pad, as in soma when no lengths are given; the
                # encoder stops there (packed) and attention masks the rest out.
                lengths = (src != pad).sum(1)
                x = self.drop(self.src_emb(src))
                out, h_n = self.encoder(rnn_utils.pack_padded_sequence(
                    x, lengths, batch_first=True, enforce_sorted=False))
                out = rnn_utils.pad_packed_sequence(out, batch_first=True,
                                                    total_length=src.size(1))[0]
                mask = torch.zeros(src.shape).masked_fill(
                    torch.arange(src.size(1)) >= lengths.unsqueeze(1), float("-inf"))
                keys = self.key_proj(out)
                h = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], -1)))
                logits = []
                for t in range(tgt_in.size(1)):  # teacher forcing
                    y = self.drop(self.tgt_emb(tgt_in[:, t]))
                    # The query is the previous state; context (N, 2H) from the weights (N, S).
                    scores = self.v(torch.tanh(self.query_proj(h).unsqueeze(1) + keys)).squeeze(-1)
                    weights = torch.softmax(scores + mask, -1)
                    context = torch.bmm(weights.unsqueeze(1), out).squeeze(1)
                    h = self.cell(torch.cat([y, context], 1), h)
                    logits.append(self.readout(self.drop(torch.cat([h, context], 1))))
                return torch.stack(logits, 1)

        net = Net()
        count = sum(p.numel() for p in net.parameters())
        assert count == 1_500_458, f"g2p: {count} parameters, soma's model has 1,500,458"
        src = torch.full((batch, max(G2P_LETTERS)), pad)
        target = torch.full((batch, max(G2P_PHONEMES) + 2), pad)  # <sos> y <eos>, padded
        for n, (s_len, t_len) in enumerate(zip(G2P_LETTERS, G2P_PHONEMES)):
            src[n, :s_len] = torch.randint(3, letters, (s_len,))
            target[n, 0], target[n, t_len + 1] = sos, eos
            target[n, 1:t_len + 1] = torch.randint(3, phonemes, (t_len,))
        tgt_in, tgt_out = target[:, :-1].contiguous(), target[:, 1:].contiguous()
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)

        def step():
            opt.zero_grad()
            logits = net(src, tgt_in)
            loss = F.cross_entropy(logits.reshape(-1, phonemes), tgt_out.reshape(-1),
                                   ignore_index=pad)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            return loss  # unused by the timing; lets a check compare the first losses with soma's
        return (step, g2p_flops(batch, src.size(1), sum(G2P_LETTERS), tgt_in.size(1), emb, hidden,
                                phonemes))

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
