using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>
/// The analytic target of the generative-network tests: x | c ~ N(mu(c), Sigma) with mu(c) = (c, -c / 2),
/// Sigma = [[0.5, 0.3], [0.3, 0.4]] and c ~ U(-1, 1); a trained network's draws at c = 0.5 must match mean
/// (0.5, -0.25) within <see cref="MeanTolerance"/> and Sigma within <see cref="CovarianceTolerance"/> per entry.
/// </summary>
internal static class ConditionalGaussianCase
{
    /// <summary>Per-coordinate tolerance on the sample mean (4000 draws: the Monte Carlo error is ~0.01).</summary>
    public const double MeanTolerance = 0.06;

    /// <summary>Per-entry tolerance on the sample covariance.</summary>
    public const double CovarianceTolerance = 0.08;

    /// <summary>
    /// Trains <paramref name="build"/>'s network (D = 2, C = 1) on the target: the generator seeded by
    /// <paramref name="seed"/> initialises it and then draws every batch; Adam with warm-up and cosine decay.
    /// </summary>
    public static (T Model, ParameterStore Store) Train<T>(Func<ParameterStore, Rng, T> build, ulong seed, int steps,
        int batch = 128, float learningRate = 3e-3f) where T : InferenceNetwork
    {
        var store = new ParameterStore();
        var rng = new Rng(seed);
        var model = build(store, rng);
        double l11 = Math.Sqrt(0.5), l21 = 0.3 / l11, l22 = Math.Sqrt(0.4 - l21 * l21);
        var adam = new Adam(store, new AdamOptions
            { LearningRate = LearningRateSchedule.WarmupCosine(learningRate, Math.Min(50, steps / 2), steps, 1e-5f) });
        var workspace = new Workspace();
        var tape = new Tape();
        var x = Tensor.Zeros(batch, 2);
        var c = Tensor.Zeros(batch, 1);
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < batch; i++)
            {
                float ci = rng.Uniform(-1f, 1f), z1 = rng.Normal(), z2 = rng.Normal();
                c.Span[i] = ci;
                x.Span[2 * i] = ci + (float)(l11 * z1);
                x.Span[2 * i + 1] = -ci / 2 + (float)(l21 * z1 + l22 * z2);
            }
            workspace.Reset();
            store.ZeroGrad();
            using (workspace.Activate())
            using (tape.Record()) tape.Backward(model.Loss(x, c));
            adam.Update();
        }
        return (model, store);
    }

    /// <summary>Sample mean and covariance of 2-D draws (N * 2, row-major).</summary>
    public static (double M1, double M2, double S11, double S12, double S22) Moments(float[] draws)
    {
        int n = draws.Length / 2;
        double m1 = 0, m2 = 0;
        for (int i = 0; i < n; i++) { m1 += draws[2 * i]; m2 += draws[2 * i + 1]; }
        m1 /= n; m2 /= n;
        double s11 = 0, s12 = 0, s22 = 0;
        for (int i = 0; i < n; i++)
        {
            double a = draws[2 * i] - m1, b = draws[2 * i + 1] - m2;
            s11 += a * a; s12 += a * b; s22 += b * b;
        }
        return (m1, m2, s11 / (n - 1), s12 / (n - 1), s22 / (n - 1));
    }

    /// <summary>The largest mean and covariance errors of 4000 draws at c = 0.5.</summary>
    public static (double Mean, double Covariance) Errors(InferenceNetwork model, ulong seed = 77)
    {
        var draws = model.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(seed)).ToArray();
        var (m1, m2, s11, s12, s22) = Moments(draws);
        double mean = Math.Max(Math.Abs(m1 - 0.5), Math.Abs(m2 + 0.25));
        double cov = Math.Max(Math.Abs(s11 - 0.5), Math.Max(Math.Abs(s12 - 0.3), Math.Abs(s22 - 0.4)));
        return (mean, cov);
    }

    /// <summary>Asserts the draws at c = 0.5 match the target within the tolerances, naming <paramref name="label"/>.
    /// </summary>
    public static void AssertMatches(InferenceNetwork model, string label, ulong seed = 77)
    {
        var draws = model.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(seed)).ToArray();
        var (m1, m2, s11, s12, s22) = Moments(draws);
        Assert.True(Math.Abs(m1 - 0.5) < MeanTolerance && Math.Abs(m2 + 0.25) < MeanTolerance,
            $"{label}: mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
        Assert.True(Math.Abs(s11 - 0.5) < CovarianceTolerance && Math.Abs(s12 - 0.3) < CovarianceTolerance &&
            Math.Abs(s22 - 0.4) < CovarianceTolerance,
            $"{label}: covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], expected [[0.5, 0.3], [0.3, 0.4]]");
    }
}
