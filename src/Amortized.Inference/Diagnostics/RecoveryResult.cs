namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Parameter recovery (BayesFlow's <c>recovery</c> plot): posterior medians against truths.
/// </summary>
/// <param name="Medians">Posterior median per data set and parameter (N, D).</param>
/// <param name="Mads">Median absolute deviation from the median, unscaled (N, D): the error bars.</param>
/// <param name="Correlation">Pearson r between medians and truths per parameter (D); NaN if either is constant.</param>
public sealed record RecoveryResult(double[] Medians, double[] Mads, double[] Correlation);
