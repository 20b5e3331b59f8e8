using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>
/// Training on <see cref="ConditionalGaussianTarget"/> from a seed, and the check of a trained network: its draws at
/// c = 0.5 must match the mean (0.5, -0.25) within <see cref="MeanTolerance"/> and the covariance
/// [[0.5, 0.3], [0.3, 0.4]] within <see cref="CovarianceTolerance"/> per entry.
/// </summary>
internal static class ConditionalGaussianCase
{
    /// <summary>Per-coordinate tolerance on the sample mean (4000 draws: the Monte Carlo error is ~0.01).</summary>
    public const double MeanTolerance = 0.06;

    /// <summary>Per-entry tolerance on the sample covariance.</summary>
    public const double CovarianceTolerance = 0.08;

    /// <summary>
    /// Builds <paramref name="build"/>'s network (D = 2, C = 1) from the generator seeded by <paramref name="seed"/>
    /// and trains it on the target with <see cref="ConditionalGaussianTarget.Train"/> (the same generator draws
    /// every batch).
    /// </summary>
    public static (T Model, ParameterStore Store) Train<T>(Func<ParameterStore, Rng, T> build, ulong seed, int steps,
        int batch = 128, float learningRate = 3e-3f) where T : InferenceNetwork
    {
        var store = new ParameterStore();
        var rng = new Rng(seed);
        var model = build(store, rng);
        ConditionalGaussianTarget.Train(model, store, rng, steps, batch, learningRate);
        return (model, store);
    }

    /// <summary>The largest mean and covariance errors of 4000 draws at c = 0.5.</summary>
    public static (double Mean, double Covariance) Errors(InferenceNetwork model, ulong seed = 77)
    {
        var draws = model.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(seed)).ToArray();
        var (m1, m2, s11, s12, s22) = ConditionalGaussianTarget.Moments(draws);
        double mean = Math.Max(Math.Abs(m1 - 0.5), Math.Abs(m2 + 0.25));
        double cov = Math.Max(Math.Abs(s11 - 0.5), Math.Max(Math.Abs(s12 - 0.3), Math.Abs(s22 - 0.4)));
        return (mean, cov);
    }

    /// <summary>Asserts the draws at c = 0.5 match the target within the tolerances, naming <paramref name="label"/>.
    /// </summary>
    public static void AssertMatches(InferenceNetwork model, string label, ulong seed = 77)
    {
        var draws = model.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(seed)).ToArray();
        var (m1, m2, s11, s12, s22) = ConditionalGaussianTarget.Moments(draws);
        Assert.True(Math.Abs(m1 - 0.5) < MeanTolerance && Math.Abs(m2 + 0.25) < MeanTolerance,
            $"{label}: mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
        Assert.True(Math.Abs(s11 - 0.5) < CovarianceTolerance && Math.Abs(s12 - 0.3) < CovarianceTolerance &&
            Math.Abs(s22 - 0.4) < CovarianceTolerance,
            $"{label}: covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], expected [[0.5, 0.3], [0.3, 0.4]]");
    }
}
