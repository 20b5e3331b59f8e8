using Amortized.Inference.Simulators;

namespace Amortized.Inference.Distributions;

/// <summary>
/// Draws from a distribution inside a simulator's row function, from the row's own stream so the batch stays a
/// function of (seed, batch, row): <c>float sigma = row.Draw(new Gamma(2, 1));</c> or
/// <c>row.Draw("sigma", new Gamma(2, 1));</c>.
/// </summary>
public static class DistributionExtensions
{
    /// <summary>One draw from <paramref name="distribution"/> with the row's stream.</summary>
    public static float Draw(this RowContext row, IDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(distribution);
        return (float)distribution.Sample(row.Rng);
    }

    /// <summary>One integer draw from <paramref name="distribution"/> with the row's stream.</summary>
    public static int Draw(this RowContext row, IDiscreteDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(distribution);
        return distribution.SampleInt(row.Rng);
    }

    /// <summary>One draw (D) from <paramref name="distribution"/> with the row's stream.</summary>
    public static float[] Draw(this RowContext row, IMultivariateDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(distribution);
        var draw = new double[distribution.Dimension];
        distribution.Sample(row.Rng, draw);
        var values = new float[draw.Length];
        for (int i = 0; i < draw.Length; i++) values[i] = (float)draw[i];
        return values;
    }

    /// <summary>Draws a scalar, sets it under <paramref name="key"/> and returns it.</summary>
    public static float Draw(this RowContext row, string key, IDistribution distribution)
    {
        float value = row.Draw(distribution);
        row.Set(key, value);
        return value;
    }

    /// <summary>Draws an integer, sets it under <paramref name="key"/> (kept exact) and returns it.</summary>
    public static int Draw(this RowContext row, string key, IDiscreteDistribution distribution)
    {
        int value = row.Draw(distribution);
        row.Set(key, value);
        return value;
    }

    /// <summary>Draws a vector (D), sets it under <paramref name="key"/> and returns it.</summary>
    public static float[] Draw(this RowContext row, string key, IMultivariateDistribution distribution)
    {
        float[] value = row.Draw(distribution);
        row.Set(key, value);
        return value;
    }
}
