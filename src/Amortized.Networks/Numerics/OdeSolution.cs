namespace Amortized.Networks.Numerics;

/// <summary>
/// A dense ODE solution: every accepted step's interpolation coefficients, evaluable anywhere in [T0, T1].
/// </summary>
public sealed class OdeSolution
{
    private readonly List<double> _stepStart = [];
    private readonly List<double> _stepSize = [];
    private readonly List<double[]> _coefficients = [];

    internal OdeSolution(double t0, int dimension)
    {
        T0 = t0;
        Dimension = dimension;
    }

    /// <summary>Start time.</summary>
    public double T0 { get; }

    /// <summary>End time reached.</summary>
    public double T1 => _stepStart.Count == 0 ? T0 : _stepStart[^1] + _stepSize[^1];

    /// <summary>State dimension D.</summary>
    public int Dimension { get; }

    /// <summary>Accepted steps.</summary>
    public int Steps => _stepStart.Count;

    /// <summary>Rejected steps.</summary>
    public int Rejected { get; internal set; }

    internal void AddStep(double t, double h, double[] rcont)
    {
        _stepStart.Add(t);
        _stepSize.Add(h);
        _coefficients.Add((double[])rcont.Clone());
    }

    /// <summary>
    /// The solution at <paramref name="t"/> in [T0, T1], written into <paramref name="y"/> (length D).
    /// </summary>
    public void Evaluate(double t, Span<double> y)
    {
        if (y.Length != Dimension)
            throw new ArgumentException(
                $"OdeSolution.Evaluate: y has length {y.Length}; expected {Dimension}.", nameof(y));
        if (t < T0 || t > T1 || Steps == 0)
            throw new ArgumentOutOfRangeException(nameof(t), $"OdeSolution.Evaluate: t = {t} is outside [{T0}, {T1}].");
        // Binary search for the last step starting at or before t.
        int lo = 0, hi = _stepStart.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_stepStart[mid] <= t) lo = mid; else hi = mid - 1;
        }
        DormandPrince.Interpolate(_coefficients[lo], Dimension, (t - _stepStart[lo]) / _stepSize[lo], y);
    }

    /// <summary>The solution at <paramref name="t"/> as a new array.</summary>
    public double[] Evaluate(double t)
    {
        var y = new double[Dimension];
        Evaluate(t, y);
        return y;
    }
}
