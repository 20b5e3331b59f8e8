using Amortized.Tensors;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Model misspecification detection in summary space (Schmitt et al. 2023): if the observed data come from the
/// simulator the networks were trained on, their summary statistics look like those of simulations, and the MMD
/// between the observed summaries and a reference sample of simulated summaries is no larger than the MMD between
/// equally many simulations and that reference. Legend: the observed summaries are (N, D), the reference (M, D).
/// </summary>
/// <remarks>
/// M. Schmitt, P.-C. Bürkner, U. Köthe and S. T. Radev, "Detecting model misspecification in amortized Bayesian
/// inference with neural networks", GCPR 2023 (arXiv:2112.08866); BayesFlow's <c>bootstrap_comparison</c> and
/// <c>summary_space_comparison</c>.
/// </remarks>
public static class Misspecification
{
    /// <summary>References of at most this many rows have their (M, M) kernel matrix cached during a test
    /// (64 MB of float at the limit); larger ones recompute the n^2 subset sums per null draw instead.</summary>
    internal const int MaxCachedReference = 4096;

    /// <summary>
    /// Tests whether <paramref name="observedSummaries"/> (N, D) could be N summaries of simulations, against
    /// <paramref name="referenceSummaries"/> (M, D) of simulations, with the biased squared MMD of
    /// <see cref="Mmd.Squared"/>. All N observed data sets are tested together as one set (N = 1 works).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The null distribution is drawn without replacement: each of the <paramref name="bootstrap"/> draws takes a
    /// uniformly random subset S of N reference rows and computes MMD^2(S, R \ S). The observed statistic is
    /// likewise MMD^2(observed, R \ S0) for one more random subset S0, so that under the null it is exactly what each
    /// null draw is: N points against M - N other independent points from the same distribution. (The draws share the
    /// reference, so the p-value's validity is approximate to O(N / M); keep M much larger than N.)
    /// </para>
    /// <para>
    /// BayesFlow's <c>bootstrap_comparison</c> instead draws with replacement and compares the draw with the whole
    /// reference, draw included; the drawn rows then also sit in the comparison set, which shrinks the null MMDs
    /// and makes the test reject too often, most of all for small M. Here they never overlap.
    /// </para>
    /// <para>
    /// p = (1 + #{null &gt;= observed}) / (1 + bootstrap): the +1 counts the observed statistic as one draw of the
    /// null, which keeps p &gt; 0 and the test's level at most its nominal value. The result is a pure function of
    /// the inputs and <paramref name="seed"/>. Cost: O(M^2 D) once for the reference, then O(N^2) per draw.
    /// </para>
    /// </remarks>
    /// <param name="observedSummaries">(N, D) row-major summaries of the observed data sets.</param>
    /// <param name="numObserved">N, at least 1.</param>
    /// <param name="referenceSummaries">(M, D) row-major summaries of simulated data sets.</param>
    /// <param name="numReference">M; must exceed N.</param>
    /// <param name="dim">D, at least 1.</param>
    /// <param name="bootstrap">Number of null draws, at least 1.</param>
    /// <param name="seed">Seed of the random subsets.</param>
    /// <exception cref="ArgumentException">Sizes that do not match, empty sets, M &lt;= N,
    /// bootstrap &lt; 1, or a NaN or infinite summary; the message names the argument and gives the expected and the
    /// actual value.</exception>
    public static MmdTestResult Test(ReadOnlySpan<float> observedSummaries, int numObserved,
        ReadOnlySpan<float> referenceSummaries, int numReference, int dim, int bootstrap = 500, ulong seed = 0) =>
        TestCore(observedSummaries, numObserved, referenceSummaries, numReference, dim, bootstrap, seed,
            MaxCachedReference);

    /// <summary>The public Test with the matrix-cache threshold as a parameter (tests exercise both paths).</summary>
    internal static MmdTestResult TestCore(ReadOnlySpan<float> observedSummaries, int numObserved,
        ReadOnlySpan<float> referenceSummaries, int numReference, int dim, int bootstrap, ulong seed,
        int maxCachedReference)
    {
        const string caller = "Misspecification.Test";
        Mmd.CheckDim(dim, nameof(dim), caller);
        Mmd.CheckSample(caller, observedSummaries, numObserved, dim, nameof(observedSummaries), nameof(numObserved));
        Mmd.CheckSample(caller, referenceSummaries, numReference, dim, nameof(referenceSummaries),
            nameof(numReference));
        if (numReference <= numObserved)
            throw new ArgumentException(
                $"{caller}: numReference is {numReference}; it must exceed numObserved ({numObserved}), since every " +
                $"comparison set is the reference minus {numObserved} rows (use a reference much larger than the " +
                "observed set).",
                nameof(numReference));
        if (bootstrap < 1)
            throw new ArgumentOutOfRangeException(nameof(bootstrap), bootstrap,
                $"{caller}: bootstrap is {bootstrap}; it must be at least 1.");

        int n = numObserved, m = numReference, rest = m - n;
        var reference = new MmdReferenceKernel(referenceSummaries, m, dim, cacheMatrix: m <= maxCachedReference);
        var kernelRow = new double[m];
        var scratch = new double[m];
        var gathered = new float[(long)Math.Max(n, rest) * dim];
        var order = new int[m];
        for (int i = 0; i < m; i++) order[i] = i;
        var rng = new Rng(seed, stream: StreamRegistry.MmdBootstrapStream);

        // Observed: MMD^2(observed, R \ S0), with (R \ S0) x (R \ S0) from the row sums: total - 2 SR + SS.
        DrawSubset(order, n, rng);
        ReadOnlySpan<int> s0 = order.AsSpan(0, n);
        double restRest = reference.Total - 2 * reference.RowSum(s0)
            + reference.SubsetSum(s0, gathered, kernelRow, scratch);
        reference.Gather(order.AsSpan(n), gathered);
        double xx = Mmd.KernelSum(observedSummaries, n, observedSummaries, n, dim, kernelRow, scratch);
        double xRest = Mmd.KernelSum(observedSummaries, n, gathered.AsSpan(0, rest * dim), rest, dim, kernelRow,
            scratch);
        double observed = Mmd.Combine(xx, restRest, xRest, n, rest);

        // Null: MMD^2(S, R \ S) for fresh random subsets S.
        var nullDistribution = new double[bootstrap];
        int atLeast = 0;
        for (int b = 0; b < bootstrap; b++)
        {
            DrawSubset(order, n, rng);
            nullDistribution[b] = SubsetStatistic(reference, order.AsSpan(0, n), gathered, kernelRow, scratch);
            if (nullDistribution[b] >= observed) atLeast++;
        }
        return new MmdTestResult(observed, nullDistribution, (1.0 + atLeast) / (1.0 + bootstrap), n, m);
    }

    /// <summary>
    /// MMD^2(R_S, R \ S) for the subset S (n rows) of the reference, from SS = sum_{S x S} k and SR = sum_{a in S} r_a
    /// alone: S x rest = SR - SS and rest x rest = total - 2 SR + SS, so a null draw costs O(n^2), not O(M^2 D).
    /// </summary>
    internal static double SubsetStatistic(MmdReferenceKernel reference, ReadOnlySpan<int> subset, Span<float> gathered,
        Span<double> kernelRow, Span<double> scratch)
    {
        int n = subset.Length;
        double ss = reference.SubsetSum(subset, gathered, kernelRow, scratch);
        double sr = reference.RowSum(subset);
        return Mmd.Combine(ss, reference.Total - 2 * sr + ss, sr - ss, n, reference.Count - n);
    }

    /// <summary>
    /// Partial Fisher-Yates: afterwards order[0..n) is a uniformly random n-subset of the values in
    /// <paramref name="order"/>, whatever order they were in before, so successive draws can reuse the array.
    /// </summary>
    private static void DrawSubset(int[] order, int n, Rng rng)
    {
        for (int i = 0; i < n; i++)
        {
            int j = rng.Integer(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
