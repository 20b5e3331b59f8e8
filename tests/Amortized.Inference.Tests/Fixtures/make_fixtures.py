#!/usr/bin/python3
# Generates the .npy/.npz fixtures with Debian's python3-numpy. Kept for reference; the files are committed
# and CI does not run this. Values are written out literally in NpyTests.cs, so keep them in step.
import numpy as np

np.save("f32_2x3.npy", np.array([[1.5, -2.25, 3.0], [0.0, 1e-8, -7.125]], dtype="<f4"))
np.save("f64_3.npy", np.array([0.1, -1e300, 2.5], dtype="<f8"))
np.save("i32_2x2.npy", np.array([[1, -2], [2147483647, -2147483648]], dtype="<i4"))
np.save("i64_3.npy", np.array([1, -(2**40), 2**62], dtype="<i8"))
np.save("bool_4.npy", np.array([True, False, False, True]))
np.save("f32_scalar.npy", np.array(3.5, dtype="<f4"))
np.save("f64_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)))
np.save("f32_bigendian.npy", np.array([1.0, 2.0], dtype=">f4"))
np.savez("plain.npz", theta=np.arange(6, dtype="<f4").reshape(3, 2), n=np.array([10, 20, 30], dtype="<i8"))
np.savez_compressed("compressed.npz", x=np.linspace(0, 1, 12, dtype="<f4").reshape(3, 4), mask=np.array([True, False, True]))
