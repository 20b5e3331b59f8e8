"""Conjugate Gaussian model with an analytic posterior, served over the simulator protocol.

theta ~ N(0, I_2); x_j = theta + 0.5 * noise_j, j = 1..10 (iid draws per data set).
Posterior: theta | x ~ N(xbar * (n / s2) / (1 + n / s2), I_2 / (1 + n / s2)) with n = 10, s2 = 0.25:
mean = xbar * 40/41, sd = sqrt(1/41) = 0.156.

Run: amortized fit --simulator "python3 gaussian_sim.py" --inference-variables theta --summary-variables x ...
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from amortized_simulator import serve  # noqa: E402

N_OBS, SIGMA = 10, 0.5


def simulate(batch_size, rng):
    theta = rng.normal(size=(batch_size, 2))
    x = theta[:, None, :] + SIGMA * rng.normal(size=(batch_size, N_OBS, 2))
    return {"theta": theta, "x": x}


if __name__ == "__main__":
    serve(simulate)
