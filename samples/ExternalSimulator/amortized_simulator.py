"""Serve a Python simulator to Amortized over the simulator protocol (docs/simulator-protocol.md, version 1).

One file, NumPy only: copy it next to your simulator. Write

    import numpy as np
    from amortized_simulator import serve

    def simulate(batch_size, rng):
        theta = rng.normal(size=(batch_size, 2))
        x = theta[:, None, :] + 0.5 * rng.normal(size=(batch_size, 10, 2))
        return {"theta": theta, "x": x}

    if __name__ == "__main__":
        serve(simulate)

and run `amortized fit --simulator "python3 my_sim.py" ...`. `simulate(batch_size, rng)` returns a dict of arrays
whose first axis is batch_size; `rng` is a numpy Generator seeded from [seed, batch_index], so a batch's content
depends on (seed, batch_index) alone, not on which worker simulated it. A per-row function `simulate_row(rng)`
returning a dict of arrays for one data set can be served with `serve(per_row(simulate_row))`.

stdout carries only protocol frames: anything your code prints goes to stderr (print is redirected while serving).
"""

import io
import json
import os
import struct
import sys
import traceback

import numpy as np

PROTOCOL = 1

#: The request being served: {"protocol", "batch_size", "seed", "batch_index"} (for logging or debugging).
current = {}


def _frame(out, magic, payload):
    out.write(magic + struct.pack("<Q", len(payload)) + payload)
    out.flush()


def per_row(simulate_row):
    """Turns simulate_row(rng) -> dict of arrays for one data set into simulate(batch_size, rng) -> stacked dict.

    Row r draws from its own Generator spawned from the batch's, so rows are independent streams."""

    def simulate(batch_size, rng):
        seeds = np.random.SeedSequence(rng.integers(0, 2**63, size=4)).spawn(batch_size)
        rows = [simulate_row(np.random.default_rng(s)) for s in seeds]
        return {key: np.stack([np.asarray(row[key]) for row in rows]) for key in rows[0]}

    return simulate


def _encode(result, batch_size):
    if not isinstance(result, dict) or not result:
        raise TypeError(f"simulate must return a non-empty dict of arrays; got {type(result).__name__}")
    arrays = {}
    for key, value in result.items():
        a = np.asarray(value)
        if a.dtype == np.float64:
            a = a.astype(np.float32)  # the host trains in float32: halve the bytes on the pipe
        if a.ndim == 0 or a.shape[0] != batch_size:
            raise ValueError(f"key '{key}' has shape {a.shape}; expected batch_size = {batch_size} rows first")
        arrays[key] = np.ascontiguousarray(a)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # stored, not deflated: the pipe is fast and deflating is not
    return buffer.getvalue()


def serve(simulate, stdin=None, stdout=None):
    """Answers requests until stdin ends. Exceptions in simulate become error frames (AMZE) with the traceback;
    the worker keeps serving."""
    stdin = stdin or sys.stdin.buffer
    out = stdout or sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not corrupt the frames
    hello = {"protocol": PROTOCOL, "pid": os.getpid(), "language": "python", "numpy": np.__version__}
    _frame(out, b"AMZH", json.dumps(hello).encode())
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if request.get("protocol") != PROTOCOL:
                raise ValueError(f"request speaks protocol {request.get('protocol')}; this worker speaks {PROTOCOL}")
            current.clear()
            current.update(request)
            batch_size = int(request["batch_size"])
            rng = np.random.default_rng([int(request["seed"]), int(request["batch_index"])])
            payload = _encode(simulate(batch_size, rng), batch_size)
        except Exception:
            _frame(out, b"AMZE", traceback.format_exc().encode("utf-8", "replace"))
            continue
        _frame(out, b"AMZR", payload)
