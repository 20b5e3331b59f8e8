namespace Amortized.Plots;

/// <summary>
/// How SBC ranks are grouped into histogram bins, and the band of counts expected under uniformity.
/// </summary>
/// <remarks>
/// With L posterior draws a rank takes the L + 1 values 0..L. Rank r goes to bin ⌊r·B/(L+1)⌋, so when B does
/// not divide L + 1 the bins hold one more or one fewer value and their expected counts differ; each bin's
/// band uses its own share p_b = (values in bin b)/(L+1) rather than assuming 1/B.
/// </remarks>
internal static class RankBins
{
    /// <summary>Bin of rank <paramref name="rank"/> (0..numDraws) among <paramref name="bins"/> bins.</summary>
    public static int BinOf(int rank, int numDraws, int bins) => (int)((long)rank * bins / (numDraws + 1));

    /// <summary>First rank value of each bin and how many rank values each bin holds; both (bins).</summary>
    public static (int[] First, int[] Count) Layout(int numDraws, int bins)
    {
        var first = new int[bins];
        var count = new int[bins];
        int values = numDraws + 1;
        for (int b = 0; b < bins; b++)
        {
            // ceil(b·(L+1)/B): the smallest r with ⌊r·B/(L+1)⌋ ≥ b.
            first[b] = (int)(((long)b * values + bins - 1) / bins);
        }
        for (int b = 0; b < bins; b++)
        {
            int next = b + 1 < bins ? first[b + 1] : values;
            count[b] = next - first[b];
        }
        return (first, count);
    }

    /// <summary>
    /// Pointwise central band per bin: the (1−c)/2 and (1+c)/2 quantiles of Binomial(numDatasets, p_b), and the
    /// expected count numDatasets·p_b; all three arrays are (bins). Pointwise means each bin alone falls inside
    /// with probability at least c; across 20 bins some excursions are expected even when calibrated.
    /// </summary>
    public static (int[] Lower, int[] Upper, double[] Expected) Band(int numDatasets,
        int numDraws, int bins, double confidence)
    {
        (_, int[] count) = Layout(numDraws, bins);
        var lower = new int[bins];
        var upper = new int[bins];
        var expected = new double[bins];
        double tail = (1 - confidence) / 2;
        for (int b = 0; b < bins; b++)
        {
            double p = (double)count[b] / (numDraws + 1);
            lower[b] = Binomial.Quantile(numDatasets, p, tail);
            upper[b] = Binomial.Quantile(numDatasets, p, 1 - tail);
            expected[b] = numDatasets * p;
        }
        return (lower, upper, expected);
    }
}
