namespace Amortized.Inference.Diagnostics;

/// <summary>
/// TARP (Lemos et al. 2023): the expected coverage probability (ECP) of random-reference balls against the
/// credibility level alpha. A calibrated joint posterior gives ECP(alpha) = alpha, the diagonal.
/// </summary>
/// <param name="Alpha">Credibility levels (K + 1) = linspace(0, 1, K + 1).</param>
/// <param name="Ecp">Expected coverage at each level (K + 1): the ECDF of <see cref="Coverage"/> at alpha.</param>
/// <param name="Coverage">Per data set (N): the fraction of draws closer to its reference point than the truth.
/// Uniform on [0, 1] under calibration.</param>
/// <param name="Atc">Area between the ECP curve and the diagonal for alpha &gt; 0.5 (signed, as BayesFlow): near 0 when
/// calibrated; its sign shows the direction of the miscalibration.</param>
/// <param name="KsDistance">sup_alpha |ECDF(alpha) - alpha| of the coverage values (exact one-sample
/// KS statistic).</param>
/// <param name="KsPValue">Asymptotic Kolmogorov p-value of <see cref="KsDistance"/> for N values.</param>
public sealed record TarpResult(double[] Alpha, double[] Ecp, double[] Coverage, double Atc,
    double KsDistance, double KsPValue);
