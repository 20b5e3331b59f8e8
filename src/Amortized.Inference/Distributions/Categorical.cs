using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Categorical(probabilities): k in 0..K-1 with probability probabilities[k].</summary>
public sealed class Categorical : DiscreteDistribution
{
    /// <summary>Tolerance on the sum of the probabilities: they are given, not normalized here, so that a
    /// typo (weights instead of probabilities) fails loudly instead of silently changing the model.</summary>
    public const double SumTolerance = 1e-9;

    private readonly double[] _probabilities;
    private readonly double[] _cumulative;

    /// <summary>A categorical over K = probabilities.Length (&gt;= 1) outcomes; the values must be &gt;= 0 and
    /// sum to 1 (within <see cref="SumTolerance"/>).</summary>
    public Categorical(params double[] probabilities)
    {
        Check.Vector(probabilities, nameof(probabilities), nameof(Categorical), 1);
        _probabilities = (double[])probabilities.Clone();
        _cumulative = new double[probabilities.Length];
        double sum = 0;
        for (int k = 0; k < probabilities.Length; k++)
        {
            double p = probabilities[k];
            if (!(p >= 0 && p <= 1))
                throw new ArgumentOutOfRangeException(nameof(probabilities), p,
                    $"Categorical: probabilities[{k}] must be in [0, 1]; got {p}.");
            sum += p;
            _cumulative[k] = sum;
        }
        if (Math.Abs(sum - 1) > SumTolerance)
            throw new ArgumentException($"Categorical: probabilities must sum to 1; they sum to {sum}.",
                nameof(probabilities));
    }

    /// <summary>K, the number of outcomes.</summary>
    public int Count => _probabilities.Length;

    /// <summary>The probabilities (K).</summary>
    public ReadOnlySpan<double> Probabilities => _probabilities;

    /// <inheritdoc/>
    public override double Mean
    {
        get
        {
            double m = 0;
            for (int k = 0; k < Count; k++) m += k * _probabilities[k];
            return m;
        }
    }

    /// <inheritdoc/>
    public override double Variance
    {
        get
        {
            double m = Mean, v = 0;
            for (int k = 0; k < Count; k++) v += (k - m) * (k - m) * _probabilities[k];
            return v;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Inversion: the first k whose cumulative probability exceeds u. The last category also takes
    /// u beyond a cumulative sum that rounding left just below 1.</remarks>
    public override int SampleInt(Rng rng)
    {
        double u = rng.NextDouble();
        for (int k = 0; k < _cumulative.Length - 1; k++)
            if (u < _cumulative[k]) return k;
        return _cumulative.Length - 1;
    }

    /// <inheritdoc/>
    public override double LogProbability(int k) =>
        k >= 0 && k < Count ? Math.Log(_probabilities[k]) : double.NegativeInfinity;
}
