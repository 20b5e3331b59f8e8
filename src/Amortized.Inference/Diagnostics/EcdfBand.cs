namespace Amortized.Inference.Diagnostics;

/// <summary>
/// A simultaneous confidence band for the ECDF of <see cref="Datasets"/> uniform values, evaluated at K points:
/// with probability about <see cref="Confidence"/> the whole ECDF of a uniform sample lies inside
/// [<see cref="Lower"/>, <see cref="Upper"/>] at every point of <see cref="Z"/>. Arrays have length K.
/// </summary>
/// <param name="Z">Evaluation points (K), ascending in (0, 1).</param>
/// <param name="Lower">Lower ECDF bound at each point (K), a multiple of 1/N.</param>
/// <param name="Upper">Upper ECDF bound at each point (K), a multiple of 1/N.</param>
/// <param name="Gamma">The adjusted pointwise tail probability: the bounds are the Binomial(N, z) quantiles
/// Gamma/2 and 1 - Gamma/2.</param>
/// <param name="Confidence">The simultaneous level the band was built for (e.g. 0.95).</param>
/// <param name="Datasets">N, the sample size the band is for (the number of ranks per parameter).</param>
public sealed record EcdfBand(double[] Z, double[] Lower, double[] Upper, double Gamma, double Confidence, int Datasets)
{
    /// <summary>Number of evaluation points K.</summary>
    public int Points { get; } = CheckLengths(Z, Lower, Upper);

    /// <summary>
    /// Lower - Z (K), a new array: the band for the ECDF-difference plot (ECDF minus the uniform CDF).
    /// </summary>
    public double[] LowerDifference => Subtract(Lower, Z);

    /// <summary>Upper - Z (K), a new array: the band for the ECDF-difference plot.</summary>
    public double[] UpperDifference => Subtract(Upper, Z);

    private static int CheckLengths(double[] z, double[] lower, double[] upper)
    {
        ArgumentNullException.ThrowIfNull(z);
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.Length != z.Length || upper.Length != z.Length)
            throw new ArgumentException($"EcdfBand: Z, Lower and Upper have lengths {z.Length}, {lower.Length} and " +
                $"{upper.Length}; expected one length K.", nameof(lower));
        return z.Length;
    }

    private static double[] Subtract(double[] a, double[] b)
    {
        var result = new double[a.Length];
        for (int i = 0; i < a.Length; i++) result[i] = a[i] - b[i];
        return result;
    }
}
