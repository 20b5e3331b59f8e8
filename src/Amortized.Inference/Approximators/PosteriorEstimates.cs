using Amortized.Inference.Simulators;

namespace Amortized.Inference.Approximators;

/// <summary>
/// One parameter key's summaries over posterior draws; each array has the key's shape without the draw axis.
/// </summary>
public sealed record ParameterEstimate(string Key, int[] Shape, float[] Mean, float[] Median,
    float[] Std, float[] Q05, float[] Q95);

/// <summary>Posterior point summaries per data set and parameter key (BayesFlow's approximator.estimate).</summary>
public sealed class PosteriorEstimates
{
    private readonly Dictionary<string, ParameterEstimate> _byKey = new(StringComparer.Ordinal);

    /// <summary>The keys summarised.</summary>
    public IReadOnlyCollection<string> Keys => _byKey.Keys;

    /// <summary>The summaries of one key.</summary>
    public ParameterEstimate this[string key] => _byKey.TryGetValue(key, out var e) ? e
        : throw new KeyNotFoundException($"PosteriorEstimates: no key '{key}'; have {string.Join(", ", _byKey.Keys)}.");

    /// <summary>Summarises draws stored as (B, S, ...) per key.</summary>
    public static PosteriorEstimates FromDraws(SimulationBatch draws, int numSamples)
    {
        ArgumentNullException.ThrowIfNull(draws);
        var result = new PosteriorEstimates();
        foreach (var key in draws.Keys)
        {
            var shape = draws.Shape(key);
            if (shape.Length < 2 || shape[1] != numSamples) continue;
            int b = shape[0], inner = 1;
            for (int i = 2; i < shape.Length; i++) inner *= shape[i];
            var data = draws.Get(key);
            int n = b * inner;
            float[] mean = new float[n], median = new float[n], std = new float[n],
                q05 = new float[n], q95 = new float[n];
            var column = new double[numSamples];
            for (int row = 0; row < b; row++)
            {
                for (int j = 0; j < inner; j++)
                {
                    double sum = 0;
                    for (int s = 0; s < numSamples; s++)
                    {
                        column[s] = data[(row * numSamples + s) * inner + j];
                        sum += column[s];
                    }
                    double m = sum / numSamples, ss = 0;
                    for (int s = 0; s < numSamples; s++) ss += (column[s] - m) * (column[s] - m);
                    Array.Sort(column);
                    int o = row * inner + j;
                    mean[o] = (float)m;
                    std[o] = (float)Math.Sqrt(ss / Math.Max(1, numSamples - 1));
                    median[o] = (float)Quantile(column, 0.5);
                    q05[o] = (float)Quantile(column, 0.05);
                    q95[o] = (float)Quantile(column, 0.95);
                }
            }
            int[] outShape = [b, .. shape[2..].ToArray()];
            result._byKey[key] = new ParameterEstimate(key, outShape, mean, median, std, q05, q95);
        }
        return result;
    }

    /// <summary>Linear-interpolation quantile of sorted values (NumPy's default).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty) return double.NaN;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
