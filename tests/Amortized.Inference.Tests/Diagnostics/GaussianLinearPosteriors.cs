using Amortized.Inference.Diagnostics;
using Amortized.Inference.Tasks;
using Amortized.Tensors;

namespace Amortized.Inference.Tests.Diagnostics;

/// <summary>
/// Draws from gaussian_linear's analytic posterior N(x/2, 0.05 I) (D = 10), optionally with the sd scaled: scale 1
/// is the exact posterior, scale 0.4 an over-confident one (intervals 2.5x too narrow).
/// </summary>
internal static class GaussianLinearPosteriors
{
    public const int Dim = 10;
    public static readonly double PriorSd = Math.Sqrt(0.1);
    public static readonly double PosteriorSd = Math.Sqrt(0.05);

    /// <summary>N data sets from the task (seed) and S draws each (stream n of seed + 1000); truths (N, D).</summary>
    public static (PosteriorDraws Draws, float[] Truths) Create(int datasets, int draws, double sdScale, ulong seed)
    {
        var task = new GaussianLinear();
        var batch = task.Sample(datasets, seed);
        float[] theta = batch.Get("theta"), x = batch.Get("x");
        var values = new float[datasets * draws * Dim];
        float sd = (float)(PosteriorSd * sdScale);
        for (int n = 0; n < datasets; n++)
        {
            var (mean, _) = GaussianLinear.Posterior(x.AsSpan(n * Dim, Dim));
            var rng = new Rng(seed + 1000, (ulong)n);
            for (int s = 0; s < draws; s++)
                for (int d = 0; d < Dim; d++)
                    values[(n * draws + s) * Dim + d] = (float)mean[d] + sd * rng.Normal();
        }
        return (new PosteriorDraws(values, datasets, draws, Dim, task.ParameterNames), theta);
    }

    /// <summary>The exact posterior for 200 data sets with 1000 draws each (shared by the test classes).</summary>
    public static readonly Lazy<(PosteriorDraws Draws, float[] Truths)> Exact = new(() => Create(200, 1000, 1.0, seed: 11));

    /// <summary>The same data sets with the posterior sd shrunk 2.5x.</summary>
    public static readonly Lazy<(PosteriorDraws Draws, float[] Truths)> OverConfident = new(() => Create(200, 1000, 0.4, seed: 11));

    public static double[] PriorSds()
    {
        var result = new double[Dim];
        Array.Fill(result, PriorSd);
        return result;
    }
}
