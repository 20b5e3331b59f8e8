namespace Amortized.Inference.Diagnostics;

/// <summary>
/// The outcome of <see cref="Misspecification.Test"/>: the squared MMD between the observed summaries and the
/// reference, the null distribution of that statistic and the resulting p-value.
/// </summary>
/// <param name="Mmd">Biased squared MMD between the observed set (ObservedCount rows) and the reference minus a random
/// ObservedCount rows (see <see cref="Misspecification.Test"/>).</param>
/// <param name="NullDistribution">(bootstrap) squared MMDs between random ObservedCount-row subsets of the reference
/// and the rest of it: the statistic's distribution when the observations come from the simulator.</param>
/// <param name="PValue">(1 + #{null &gt;= Mmd}) / (1 + bootstrap), in (0, 1]; small values say the observed data do not
/// look like simulations.</param>
/// <param name="ObservedCount">N, the number of observed data sets tested together.</param>
/// <param name="ReferenceCount">M, the number of reference simulations.</param>
public sealed record MmdTestResult(
    double Mmd, double[] NullDistribution, double PValue, int ObservedCount, int ReferenceCount);
