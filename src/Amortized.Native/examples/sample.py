#!/usr/bin/env python3
"""Posterior samples from a trained Amortized model through libamortized.so, with ctypes only (no numpy).

    python3 sample.py MODEL --lib out/libamortized.so --obs=0.5,-1.2,0.3,0.9 --samples 1000 --seed 7

--obs holds num_datasets x observation_size floats in the flat order that the model's info JSON lists under
"observations" (write --obs=... so that a leading minus is not read as an option); --params (optional) holds
num_datasets x D parameters for log q(theta | x). --json prints everything as one JSON object (the test suite
reads it); otherwise a short summary per data set is printed.
"""
import argparse
import ctypes
import json
import os
import sys

AMZ_OK = 0
AMZ_ERR_BUFFER_TOO_SMALL = -4


class AmortizedError(RuntimeError):
    """A call returned a negative status; the message is the library's last error for this thread."""

    def __init__(self, function, status, name, message):
        super().__init__(f"{function}: {name} ({status}): {message}")
        self.status = status


class Library:
    """The C functions of amortized.h with their ctypes signatures."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        c_model = ctypes.c_void_p
        f32p = ctypes.POINTER(ctypes.c_float)
        sigs = {
            "amortized_version": (ctypes.c_char_p, []),
            "amortized_status_name": (ctypes.c_char_p, [ctypes.c_int]),
            "amortized_last_error": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t]),
            "amortized_load": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(c_model)]),
            "amortized_load_with_shapes": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(c_model)]),
            "amortized_load_signed": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t,
                                                     ctypes.POINTER(c_model)]),
            "amortized_free": (ctypes.c_int, [c_model]),
            "amortized_info_json": (ctypes.c_int, [c_model, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
            "amortized_parameter_dim": (ctypes.c_int, [c_model, ctypes.POINTER(ctypes.c_int64)]),
            "amortized_observation_size": (ctypes.c_int, [c_model, ctypes.POINTER(ctypes.c_int64)]),
            "amortized_sample": (ctypes.c_int, [c_model, f32p, ctypes.c_size_t, ctypes.c_int64, ctypes.c_int64,
                                                ctypes.c_uint64, f32p, ctypes.c_size_t]),
            "amortized_log_prob": (ctypes.c_int, [c_model, f32p, ctypes.c_size_t, f32p, ctypes.c_size_t,
                                                  ctypes.c_int64, f32p, ctypes.c_size_t]),
        }
        for name, (restype, argtypes) in sigs.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        self.lib = lib

    def check(self, function, status):
        if status == AMZ_OK:
            return
        buffer = ctypes.create_string_buffer(1024)
        self.lib.amortized_last_error(buffer, len(buffer))
        name = self.lib.amortized_status_name(status).decode()
        raise AmortizedError(function, status, name, buffer.value.decode("utf-8", "replace"))

    @property
    def version(self):
        return self.lib.amortized_version().decode()


class Model:
    """A loaded model; use as a context manager so the handle is freed."""

    def __init__(self, library, path, observation_shapes=None, key=None):
        """key: the bytes a signed model was saved with; the library then refuses any file not signed with them."""
        self.lib = library
        self.handle = ctypes.c_void_p()
        shapes = None if observation_shapes is None else json.dumps(observation_shapes).encode()
        if key is not None:
            status = library.lib.amortized_load_signed(os.fsencode(path), shapes, bytes(key), len(key),
                                                       ctypes.byref(self.handle))
        elif observation_shapes is None:
            status = library.lib.amortized_load(os.fsencode(path), ctypes.byref(self.handle))
        else:
            status = library.lib.amortized_load_with_shapes(os.fsencode(path), shapes, ctypes.byref(self.handle))
        library.check("amortized_load", status)
        size, dim = ctypes.c_int64(), ctypes.c_int64()
        library.check("amortized_observation_size", library.lib.amortized_observation_size(self.handle, ctypes.byref(size)))
        library.check("amortized_parameter_dim", library.lib.amortized_parameter_dim(self.handle, ctypes.byref(dim)))
        self.observation_size, self.parameter_dim = size.value, dim.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.handle:
            self.lib.check("amortized_free", self.lib.lib.amortized_free(self.handle))
            self.handle = ctypes.c_void_p()

    def info(self):
        required = ctypes.c_size_t()
        status = self.lib.lib.amortized_info_json(self.handle, None, 0, ctypes.byref(required))
        if status != AMZ_ERR_BUFFER_TOO_SMALL:
            self.lib.check("amortized_info_json", status)
        buffer = ctypes.create_string_buffer(required.value)
        self.lib.check("amortized_info_json", self.lib.lib.amortized_info_json(self.handle, buffer, required, None))
        return json.loads(buffer.value.decode())

    def sample(self, observations, num_datasets, num_samples, seed):
        """Flat draws: num_datasets x num_samples x D floats."""
        obs = (ctypes.c_float * len(observations))(*observations)
        count = num_datasets * num_samples * self.parameter_dim
        out = (ctypes.c_float * count)()
        self.lib.check("amortized_sample", self.lib.lib.amortized_sample(
            self.handle, obs, len(observations), num_datasets, num_samples, seed, out, count))
        return list(out)

    def log_prob(self, observations, parameters, num_datasets):
        obs = (ctypes.c_float * len(observations))(*observations)
        theta = (ctypes.c_float * len(parameters))(*parameters)
        out = (ctypes.c_float * num_datasets)()
        self.lib.check("amortized_log_prob", self.lib.lib.amortized_log_prob(
            self.handle, obs, len(observations), theta, len(parameters), num_datasets, out, num_datasets))
        return list(out)


def floats(text):
    return [float(v) for v in text.split(",")] if text else []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--lib", default=os.environ.get("AMORTIZED_LIB", "libamortized.so"),
                        help="path of libamortized.so (default: $AMORTIZED_LIB, then the loader's search path)")
    parser.add_argument("--obs", default="", help="comma-separated observations, num_datasets x observation_size")
    parser.add_argument("--params", default="", help="comma-separated parameters for log_prob, num_datasets x D")
    parser.add_argument("--shapes", default=None, help='observation layout as JSON, e.g. {"x": [100], "n": []}')
    parser.add_argument("--key-file", default=None, help="the key a signed model was saved with (all its bytes)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    args = parser.parse_args()

    library = Library(args.lib)
    shapes = json.loads(args.shapes) if args.shapes else None
    key = None
    if args.key_file:
        with open(args.key_file, "rb") as f:
            key = f.read()
    try:
        with Model(library, args.model, shapes, key) as model:
            obs = floats(args.obs)
            size = model.observation_size
            num_datasets = len(obs) // size if size else 1
            draws = model.sample(obs, num_datasets, args.samples, args.seed)
            params = floats(args.params)
            log_prob = model.log_prob(obs, params, num_datasets) if params else None
            info = model.info()
    except AmortizedError as e:
        print(e, file=sys.stderr)
        return 1

    if args.json:
        json.dump({"version": library.version, "info": info, "num_datasets": num_datasets, "draws": draws,
                   "log_prob": log_prob}, sys.stdout)
        print()
        return 0
    names, d = info["parameter_names"], model.parameter_dim
    print(f"libamortized {library.version}: {num_datasets} data set(s), {args.samples} draws of {d} parameters")
    for i in range(num_datasets):
        rows = [draws[(i * args.samples + s) * d:(i * args.samples + s + 1) * d] for s in range(args.samples)]
        means = [sum(r[j] for r in rows) / len(rows) for j in range(d)]
        print(f"  data set {i}: " + ", ".join(f"{n} mean {m:.4f}" for n, m in zip(names, means)))
        if log_prob is not None:
            print(f"    log q(params | x) = {log_prob[i]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
