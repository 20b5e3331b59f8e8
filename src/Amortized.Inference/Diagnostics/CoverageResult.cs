namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Empirical coverage of central credible intervals: <see cref="Coverage"/>[l, d] is the fraction of the N data sets
/// whose truth for parameter d lies inside the central <see cref="Levels"/>[l] credible interval. A calibrated
/// posterior has coverage close to the level (within about sqrt(level (1 - level) / N)).
/// </summary>
/// <param name="Levels">Credible levels (L), ascending in (0, 1).</param>
/// <param name="Coverage">(L, D) row-major.</param>
/// <param name="Datasets">N, the number of data sets behind each fraction.</param>
/// <param name="Parameters">D.</param>
public sealed record CoverageResult(double[] Levels, double[] Coverage, int Datasets, int Parameters)
{
    /// <summary>
    /// Coverage of level <paramref name="level"/> (index into <see cref="Levels"/>) for parameter
    /// <paramref name="parameter"/>.
    /// </summary>
    public double At(int level, int parameter) => Coverage[level * Parameters + parameter];

    /// <summary>Binomial standard error of each level's coverage under calibration, sqrt(l (1 - l) / N) (L).</summary>
    public double[] StandardErrors()
    {
        var result = new double[Levels.Length];
        for (int l = 0; l < Levels.Length; l++) result[l] = Math.Sqrt(Levels[l] * (1 - Levels[l]) / Datasets);
        return result;
    }
}
