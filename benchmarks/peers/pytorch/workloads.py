#!/usr/bin/env python3
"""W1-W4 of ../shared/WORKLOADS.md in PyTorch, timed exactly as Amortized's quick runner (src/Amortized.Workloads).

    /usr/bin/python3 benchmarks/peers/pytorch/workloads.py [--threads 1,2] [--only W1,W2,W3,W4] [--runs 5]
    python3 benchmarks/peers/pytorch/workloads.py --device cuda --batch 512,4096 --only W1,W2,W3

On CUDA (eager mode, float32 with TF32 off) every step ends with loss.item(), which waits for the GPU, so
steps/s counts finished work; W1 and W2 run at each --batch size (W2: that many sets of 100 points).

Prints the same lines as `amortized bench` (without the allocation line, which only a managed engine can measure):
    W1 threads=1 steps_per_s=412.3
    W3 threads=1 sample_latency_ms=0.710 logprob_latency_ms=0.690
    W4 m=512 k=512 n=512 threads=1 gflops=181.0

Same work as ours: the W1 flow is 6 affine couplings, each a reversal of the features (our "swap" permutation) then
x2 -> x2 * exp(s) + t with (s_raw, t) from Linear(D/2 + C, 128)-SiLU-Linear(128, 128)-SiLU-Linear(128, 2 (D - D/2))
on concat(x1, condition), s = 2 tanh(s_raw / 2); weights Glorot-uniform, biases zero, the last layer all zero; standard
normal base; loss = mean negative log density; Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8. W2 adds the DeepSet
2 -> 64 -> 64 (SiLU after both), mean over the set, 64 -> 64 (SiLU) -> 8. The batch is drawn once and reused.
Procedure: W1/W2 20 untimed steps, then --runs runs of 50 steps, median of the runs' steps/s; W3 20 untimed calls of
each kind, then runs of 50 sample calls and 50 log-density calls, median mean latency; W4 warms up for 0.2 s (and at
least 5 products), sizes a run to about 0.05 s, median GFLOP/s. Sampling runs under torch.inference_mode(), the
fastest no-gradient mode PyTorch offers; GEMM writes into a preallocated output (torch.mm(..., out=)).
"""
import argparse
import math
import statistics
import sys
import time

import torch
from torch import nn

D = 2
W1_BATCH, W2_BATCH, SET_SIZE, SUMMARY_DIM = 512, 128, 100, 8
W1_PARAMETERS = 103_692  # must equal Amortized.Workloads.FlowWorkload(W1).ParameterCount
WARMUP, STEPS_PER_RUN, CALLS_PER_RUN = 20, 50, 50
GEMM_WARMUP_S, GEMM_RUN_S = 0.2, 0.05
W4_SHAPES = [(512, 512, 512), (128, 2048, 128), (2048, 128, 128)]  # (M, K, N)


def glorot(linear: nn.Linear, zero: bool = False) -> nn.Linear:
    if zero:
        nn.init.zeros_(linear.weight)
    else:
        nn.init.xavier_uniform_(linear.weight)  # U(+-sqrt(6 / (fan_in + fan_out))), as Initializer.GlorotUniform
    nn.init.zeros_(linear.bias)
    return linear


class AffineCoupling(nn.Module):
    """Reverse the features, then transform the second part given the first and the condition."""

    def __init__(self, dim: int, cond_dim: int, width: int = 128):
        super().__init__()
        self.d1, self.d2 = dim // 2, dim - dim // 2
        self.subnet = nn.Sequential(
            glorot(nn.Linear(self.d1 + cond_dim, width)), nn.SiLU(),
            glorot(nn.Linear(width, width)), nn.SiLU(),
            glorot(nn.Linear(width, 2 * self.d2), zero=True))

    def _scale_shift(self, x1, c):
        h = self.subnet(torch.cat([x1, c], 1))
        return 2.0 * torch.tanh(h[:, :self.d2] * 0.5), h[:, self.d2:]

    def forward(self, x, c):
        x = x.flip(1)
        x1, x2 = x[:, :self.d1], x[:, self.d1:]
        s, t = self._scale_shift(x1, c)
        return torch.cat([x1, x2 * torch.exp(s) + t], 1), s.sum(1)

    def inverse(self, y, c):
        y1, y2 = y[:, :self.d1], y[:, self.d1:]
        s, t = self._scale_shift(y1, c)
        return torch.cat([y1, (y2 - t) * torch.exp(-s)], 1).flip(1)


class Flow(nn.Module):
    def __init__(self, dim: int, cond_dim: int, depth: int = 6, width: int = 128):
        super().__init__()
        self.dim = dim
        self.couplings = nn.ModuleList(AffineCoupling(dim, cond_dim, width) for _ in range(depth))

    def log_prob(self, x, c):
        log_det = 0.0
        for coupling in self.couplings:
            x, ld = coupling(x, c)
            log_det = log_det + ld
        return -0.5 * (x * x).sum(1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det

    def inverse(self, z, c):
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z, c)
        return z


class DeepSet(nn.Module):
    def __init__(self):
        super().__init__()
        self.phi = nn.Sequential(glorot(nn.Linear(2, 64)), nn.SiLU(), glorot(nn.Linear(64, 64)), nn.SiLU())
        self.rho = nn.Sequential(glorot(nn.Linear(64, 64)), nn.SiLU(), glorot(nn.Linear(64, SUMMARY_DIM)))

    def forward(self, x):
        return self.rho(self.phi(x).mean(1))


class Training:
    def __init__(self, deep_set: bool, batch: int = 0, device: str = "cpu", width: int = 128):
        torch.manual_seed(1)
        self.summary = DeepSet().to(device) if deep_set else None
        self.flow = Flow(D, SUMMARY_DIM if deep_set else 2, width=width).to(device)
        params = list(self.flow.parameters()) + (list(self.summary.parameters()) if deep_set else [])
        if not deep_set and width == 128:
            count = sum(p.numel() for p in params)
            assert count == W1_PARAMETERS, f"W1 has {count} parameters, expected {W1_PARAMETERS}"
        self.optimizer = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        batch = batch or (W2_BATCH if deep_set else W1_BATCH)
        self.theta = torch.randn(batch, D).to(device)
        self.conditions = (torch.randn(batch, SET_SIZE, 2) if deep_set else torch.randn(batch, 2)).to(device)

    def step(self) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        c = self.conditions if self.summary is None else self.summary(self.conditions)
        loss = -self.flow.log_prob(self.theta, c).mean()
        loss.backward()
        self.optimizer.step()
        return loss.item()


class Sampling:
    def __init__(self, draws: int = 1000, device: str = "cpu"):
        torch.manual_seed(2)
        self.device = device
        self.flow = Flow(D, 2)
        with torch.no_grad():
            for p in self.flow.parameters():
                p.add_(0.05 * torch.randn_like(p))  # so no coupling is the identity
        self.flow = self.flow.to(device)
        self.draws = draws
        self.conditions = torch.randn(1, 2).repeat(draws, 1).to(device)
        self.points = torch.randn(draws, D).to(device)

    def sample(self) -> float:
        with torch.inference_mode():
            return self.flow.inverse(torch.randn(self.draws, D, device=self.device), self.conditions)[0, 0].item()

    def log_prob(self) -> float:
        with torch.inference_mode():
            return self.flow.log_prob(self.points, self.conditions)[0].item()


def training(name: str, threads: int, runs: int, batch: int = 0, device: str = "cpu", width: int = 128,
             steps: int = STEPS_PER_RUN) -> None:
    w = Training(deep_set=name == "W2", batch=batch, device=device, width=width)
    for _ in range(WARMUP):
        w.step()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(steps):
            w.step()
        rates.append(steps / (time.perf_counter() - start))
    where = "" if device == "cpu" else f" device={device} batch={w.theta.shape[0]}"
    print(f"{name} threads={threads}{where} steps_per_s={statistics.median(rates):.1f}", flush=True)


def sampling(threads: int, runs: int, device: str = "cpu") -> None:
    w = Sampling(device=device)
    for _ in range(WARMUP):
        w.sample()
        w.log_prob()
    sample, log_prob = [], []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(CALLS_PER_RUN):
            w.sample()
        sample.append((time.perf_counter() - start) * 1e3 / CALLS_PER_RUN)
        start = time.perf_counter()
        for _ in range(CALLS_PER_RUN):
            w.log_prob()
        log_prob.append((time.perf_counter() - start) * 1e3 / CALLS_PER_RUN)
    print(f"W3 threads={threads} sample_latency_ms={statistics.median(sample):.3f} "
          f"logprob_latency_ms={statistics.median(log_prob):.3f}", flush=True)


def gemm(m: int, k: int, n: int, threads: int, runs: int) -> None:
    g = torch.Generator().manual_seed(42)
    a = torch.rand(m, k, generator=g) - 0.5
    b = torch.rand(k, n, generator=g) - 0.5
    c = torch.empty(m, n)
    flops = 2.0 * m * n * k
    start, calls = time.perf_counter(), 0
    while calls < 5 or time.perf_counter() - start < GEMM_WARMUP_S:
        torch.mm(a, b, out=c)
        calls += 1
    inner = max(1, int(GEMM_RUN_S / ((time.perf_counter() - start) / calls)))
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b, out=c)
        rates.append(flops * inner / (time.perf_counter() - start) / 1e9)
    print(f"W4 m={m} k={k} n={n} threads={threads} gflops={statistics.median(rates):.1f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts (torch.set_num_threads)")
    parser.add_argument("--only", default="W1,W2,W3,W4", help="comma-separated workloads")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch", default="", help="comma-separated W1/W2 batch sizes (default: the workloads' 512 and 128)")
    parser.add_argument("--width", type=int, default=128, help="hidden width of the coupling subnets (default 128)")
    parser.add_argument("--steps", type=int, default=STEPS_PER_RUN, help="W1/W2 steps per timed run (default 50)")
    args = parser.parse_args()
    batches = [int(b) for b in args.batch.split(",") if b] or [0]
    if args.device != "cpu":
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 products, as ours
        print(f"# device {torch.cuda.get_device_name(0)}", file=sys.stderr)
    threads = list(dict.fromkeys(int(t) for t in args.threads.split(",") if t))
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    if not threads or min(threads) < 1 or not only <= {"W1", "W2", "W3", "W4"} or args.runs < 1:
        parser.error("--threads takes integers >= 1, --only a subset of W1,W2,W3,W4, --runs an integer >= 1")
    torch.set_num_interop_threads(1)  # one op at a time, as our engine; intra-op threads are set per figure
    print(f"# pytorch {torch.__version__}", file=sys.stderr)
    for t in threads:
        torch.set_num_threads(t)
        for batch in batches:
            for name in ("W1", "W2"):
                if name in only:
                    training(name, t, args.runs, batch, args.device, args.width, args.steps)
        if "W3" in only:
            sampling(t, args.runs, args.device)
        if "W4" in only:
            for m, k, n in W4_SHAPES:
                gemm(m, k, n, t, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
