using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>
/// Sampling under <see cref="ConstraintMethod.Reject"/>: the posterior restricted to the prior's support, drawn by
/// rejection. Two approximators with the same weights, one with the rejecting constraint and one without, show what
/// the rejection changes and what it leaves alone.
/// </summary>
public class RejectionSamplingTests
{
    private const int Dim = 2;

    /// <summary>An untrained flow over theta (2) given x (2): a fixed, known density to restrict.</summary>
    private static ContinuousApproximator Build(double? lower, double? upper)
    {
        var adapter = new Adapter();
        if (lower is not null || upper is not null) adapter.Constrain("theta", lower, upper, ConstraintMethod.Reject);
        adapter.Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
        var store = new ParameterStore();
        var flow = new CouplingFlow(store, "flow", Dim, Dim, new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16] },
            new Rng(5));
        var approximator = new ContinuousApproximator(adapter, flow, null, store);
        // The adapter learns its split sizes on a first forward pass.
        adapter.Forward(Data(4));
        return approximator;
    }

    private static SimulationBatch Data(int rows)
    {
        var theta = new float[rows * Dim];
        new Rng(3).FillNormal(theta);
        return new SimulationBatch(rows).Set("theta", theta, rows, Dim).Set("x", [.. theta], rows, Dim);
    }

    private static SimulationBatch Observations() =>
        new SimulationBatch(2).Set("x", [0f, 0f, 0.3f, -0.2f], 2, Dim);

    [Fact]
    public void Sample_KeepsDrawsInsideTheSupport_AndRedrawsOnlyThoseOutside()
    {
        const int n = 2000;
        var free = Build(null, null).Sample(Observations(), n, seed: 7).Get("theta");
        var rejecting = Build(-0.5, 0.5);
        var draws = rejecting.Sample(Observations(), n, seed: 7);
        Assert.Equal(new[] { 2, n, Dim }, draws.Shape("theta").ToArray());
        float[] theta = draws.Get("theta");
        int kept = 0, redrawn = 0;
        for (int row = 0; row < 2 * n; row++)
        {
            var freeRow = free.AsSpan(row * Dim, Dim);
            var drawn = theta.AsSpan(row * Dim, Dim);
            foreach (float v in drawn) Assert.InRange(v, -0.5f, 0.5f);
            bool freeInside = true;
            foreach (float v in freeRow) freeInside &= v is >= -0.5f and <= 0.5f;
            if (freeInside) { Assert.True(freeRow.SequenceEqual(drawn), $"row {row}: an accepted draw changed"); kept++; }
            else redrawn++;
        }
        // The untrained flow is close to N(0, I): about 15% of its draws fall inside the square, so both kinds occur
        // many times over.
        Assert.InRange(kept, 200, 1200);
        Assert.InRange(redrawn, 2800, 3800);
        Assert.Equal(theta, rejecting.Sample(Observations(), n, seed: 7).Get("theta"));
        Assert.NotEqual(theta, rejecting.Sample(Observations(), n, seed: 8).Get("theta"));
    }

    [Fact]
    public void Sample_RedrawsFollowTheRestrictedDensity()
    {
        // The redrawn rows must be distributed as the free draws that land inside: compare the first two moments of
        // each coordinate with those of a large free sample restricted to the support [0, 1]^2 (a corner of the
        // free density, so the restriction moves both moments far from the free ones).
        const int n = 20_000;
        var single = new SimulationBatch(1).Set("x", [0f, 0f], 1, Dim);
        float[] free = Build(null, null).Sample(single, 200_000, seed: 11).Get("theta");
        float[] rejected = Build(0, 1).Sample(single, n, seed: 12).Get("theta");
        for (int j = 0; j < Dim; j++)
        {
            var inside = new List<double>();
            for (int s = 0; s < 200_000; s++)
            {
                float a = free[s * Dim], b = free[s * Dim + 1];
                if (a is >= 0 and <= 1 && b is >= 0 and <= 1) inside.Add(free[s * Dim + j]);
            }
            double expectedMean = inside.Average();
            double expectedSd = Math.Sqrt(inside.Sum(v => (v - expectedMean) * (v - expectedMean)) / (inside.Count - 1));
            var got = Enumerable.Range(0, n).Select(s => (double)rejected[s * Dim + j]).ToArray();
            double mean = got.Average();
            double sd = Math.Sqrt(got.Sum(v => (v - mean) * (v - mean)) / (n - 1));
            // Standard errors: sd / sqrt(n) ~ 0.002 for the mean; the bounds are 5 standard errors of both samples.
            Assert.True(Math.Abs(mean - expectedMean) < 5 * expectedSd * Math.Sqrt(1.0 / n + 1.0 / inside.Count),
                $"theta[{j}]: mean {mean:F4} vs restricted free draws {expectedMean:F4}");
            Assert.True(Math.Abs(sd / expectedSd - 1) < 0.05, $"theta[{j}]: sd {sd:F4} vs {expectedSd:F4}");
        }
    }

    [Fact]
    public void LogProb_IsTheFreeDensityInsideAndMinusInfinityOutside()
    {
        var rows = new SimulationBatch(2).Set("theta", [0.1f, -0.2f, 0.7f, 0f], 2, Dim).Set("x", [0f, 0f, 0f, 0f], 2, Dim);
        float[] free = Build(null, null).LogProb(rows);
        float[] rejecting = Build(-0.5, 0.5).LogProb(rows);
        Assert.Equal(free[0], rejecting[0]);
        Assert.Equal(float.NegativeInfinity, rejecting[1]);
    }

    [Fact]
    public void Sample_SupportTheNetworkNeverReaches_ClampsOntoTheBoundsInBoundedTime()
    {
        // An untrained flow near N(0, I) has no mass worth the name in [8, 9]^2 (an observation far from anything
        // simulated does this to a trained one): after 10 x n draws without one acceptance the sampler stops
        // redrawing and clamps, so every draw lies in the support, on its nearest bound.
        float[] theta = Build(8, 9).Sample(Observations(), 500, seed: 1).Get("theta");
        Assert.Equal(2 * 500 * Dim, theta.Length);
        Assert.All(theta, v => Assert.Equal(8f, v));
        // A support the network does reach is filled by redrawing, never by clamping: no draw sits on a bound.
        float[] reached = Build(-0.5, 0.5).Sample(Observations(), 500, seed: 1).Get("theta");
        Assert.DoesNotContain(reached, v => Math.Abs(v) == 0.5f);
    }
}
