#!/usr/bin/env python3
"""Simulate on a Dask cluster and write the results as shards that `amortized fit --data FOLDER --follow` trains on
while they land.

    python3 simulate_dask.py FOLDER --shards 100 --rows 1000 --workers 4          # a local cluster of 4 processes
    python3 simulate_dask.py FOLDER --shards 100 --scheduler tcp://HOST:8786      # an existing (remote) cluster

Each shard is one task: `simulate(shard, ...)` draws `--rows` simulations from a generator seeded by (--seed, shard),
so a shard's content does not depend on which worker ran it, in what order, or how many workers there were. As tasks
complete (in any order), the client writes each shard atomically: `np.savez` into a hidden temporary file in FOLDER,
then `os.replace` to `part-NNNNN.npz`, so a reader never sees half a shard. With `--write-on-workers` the workers
write the shards themselves (FOLDER must then be on storage every worker and the trainer share, e.g. NFS) and only
file names travel back. After the last shard the client writes `_SUCCESS`, which tells the trainer that no more
shards will come.

Only NumPy and dask.distributed are needed. Replace `simulate` with your simulator: it must return a dict of arrays
whose first axis is the row (one simulation) and whose other axes are the same in every shard.
"""

import argparse
import math
import os
import sys
import time

import numpy as np
from dask.distributed import Client, LocalCluster, as_completed


def simulate(shard, seed, rows, model, sleep):
    """Simulations of shard `shard`: a dict of float32 arrays with `rows` rows, from a generator seeded by
    (seed, shard)."""
    rng = np.random.default_rng([seed, shard])
    if model == "gaussian":
        # theta ~ N(0, I_2), x = theta + N(0, 0.5^2 I_2): the posterior is N(0.8 x, 0.2 I_2).
        theta = rng.standard_normal((rows, 2))
        x = theta + 0.5 * rng.standard_normal((rows, 2))
    elif model == "two_moons":
        # sbi's two moons: theta ~ U(-1, 1)^2, x a noisy point on a crescent shifted by theta.
        theta = rng.uniform(-1.0, 1.0, (rows, 2))
        a = rng.uniform(-math.pi / 2, math.pi / 2, rows)
        r = rng.normal(0.1, 0.01, rows)
        x = np.stack([r * np.cos(a) + 0.25 - np.abs(theta[:, 0] + theta[:, 1]) / math.sqrt(2),
                      r * np.sin(a) + (-theta[:, 0] + theta[:, 1]) / math.sqrt(2)], axis=1)
    else:
        raise ValueError(f"unknown model {model!r}; expected gaussian or two_moons")
    if sleep > 0:
        time.sleep(sleep)   # stands for an expensive simulator
    return {"theta": theta.astype(np.float32), "x": x.astype(np.float32)}


def shard_name(shard):
    return f"part-{shard:05d}.npz"


def write_shard(folder, shard, arrays):
    """Writes a shard atomically: a temporary name that readers skip (leading '.', '.tmp'), then a rename."""
    final = os.path.join(folder, shard_name(shard))
    temp = os.path.join(folder, f".{shard_name(shard)}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, final)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
    return final


def simulate_and_write(shard, folder, seed, rows, model, sleep):
    """--write-on-workers: the worker writes its shard to the shared folder and returns only its name."""
    return os.path.basename(write_shard(folder, shard, simulate(shard, seed, rows, model, sleep)))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", help="folder to write part-NNNNN.npz shards and _SUCCESS into (created if needed)")
    p.add_argument("--shards", type=int, default=20, help="number of shards (tasks) (default 20)")
    p.add_argument("--rows", type=int, default=1000, help="simulations per shard (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="seed; shard i uses the generator of (seed, i) (default 1)")
    p.add_argument("--model", choices=["gaussian", "two_moons"], default="gaussian", help="simulator (default gaussian)")
    p.add_argument("--workers", type=int, default=2,
                   help="local cluster: worker processes to start; with --scheduler: workers to wait for (default 2)")
    p.add_argument("--scheduler", help="address of a running scheduler, e.g. tcp://10.0.0.5:8786 (default: start a "
                                       "local cluster)")
    p.add_argument("--sleep", type=float, default=0.0, help="seconds each task sleeps, to mimic a slow simulator")
    p.add_argument("--write-on-workers", action="store_true",
                   help="workers write the shards (FOLDER must be shared storage); default: the client writes them")
    args = p.parse_args(argv)
    if args.shards < 1 or args.rows < 1 or args.workers < 1:
        p.error("--shards, --rows and --workers must be positive")

    os.makedirs(args.folder, exist_ok=True)
    if os.path.exists(os.path.join(args.folder, "_SUCCESS")):
        p.error(f"{args.folder} already holds _SUCCESS (a finished run); use an empty folder")

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
        client.wait_for_workers(args.workers, timeout=120)
    else:
        # Processes, one thread each: simulators written in Python hold the GIL.
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    print(f"cluster: {client.scheduler_info()['address']} with {len(client.scheduler_info()['workers'])} workers",
          flush=True)
    try:
        folder = os.path.abspath(args.folder)
        if args.write_on_workers:
            futures = client.map(simulate_and_write, range(args.shards), folder=folder, seed=args.seed,
                                 rows=args.rows, model=args.model, sleep=args.sleep, pure=False)
        else:
            futures = client.map(simulate, range(args.shards), seed=args.seed, rows=args.rows, model=args.model,
                                 sleep=args.sleep, pure=False)
        shard_of = {f.key: i for i, f in enumerate(futures)}
        for done, future in enumerate(as_completed(futures), 1):
            shard = shard_of[future.key]
            name = future.result() if args.write_on_workers else \
                os.path.basename(write_shard(folder, shard, future.result()))
            future.release()   # the scheduler may forget the result: memory stays bounded
            print(f"wrote {name} ({done}/{args.shards})", flush=True)
        with open(os.path.join(folder, "_SUCCESS"), "w"):
            pass
        print(f"done: {args.shards} shards of {args.rows} rows in {folder}", flush=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
