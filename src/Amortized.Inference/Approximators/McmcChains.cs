using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// The state of C chains over P parameters and the vectorised kernels that advance them: every round of a step
/// gathers the points all chains need into one (n, P) block, n ≤ 2C, and evaluates log p(theta) + log L(theta)
/// for the whole block with a single batched likelihood call. Each chain owns its random stream, so the draws do
/// not depend on which chains happen to share a round.
/// </summary>
internal sealed class McmcChains
{
    private const int MaxShrinks = 100;   // float rounding can stop an interval short of the current point

    private readonly Func<ReadOnlySpan<float>, double> _logPrior;
    private readonly Action<ReadOnlySpan<float>, Span<double>> _logLikelihood;
    private readonly float[] _points, _finite;           // (2C, P) gathered and prior-supported points
    private readonly double[] _values, _likelihood;      // (2C)
    private readonly int[] _owner, _finiteRows;          // (2C)
    private readonly double[] _level, _left, _right, _proposal;   // (C) per-chain slice state
    private readonly int[] _leftSteps, _rightSteps;
    private readonly bool[] _active;

    public McmcChains(int chains, int dim, Func<ReadOnlySpan<float>, double> logPrior,
        Action<ReadOnlySpan<float>, Span<double>> logLikelihood, ulong seed)
    {
        Chains = chains;
        Dim = dim;
        _logPrior = logPrior;
        _logLikelihood = logLikelihood;
        Theta = new float[chains * dim];
        LogDensity = new double[chains];
        Rngs = new Rng[chains];
        for (int c = 0; c < chains; c++) Rngs[c] = Rng.Derive(seed, (ulong)c, StreamRegistry.McmcChainTag);
        _points = new float[2 * chains * dim];
        _finite = new float[2 * chains * dim];
        _values = new double[2 * chains];
        _likelihood = new double[2 * chains];
        _owner = new int[2 * chains];
        _finiteRows = new int[2 * chains];
        _level = new double[chains];
        _left = new double[chains];
        _right = new double[chains];
        _proposal = new double[chains];
        _leftSteps = new int[chains];
        _rightSteps = new int[chains];
        _active = new bool[chains];
    }

    public int Chains { get; }
    public int Dim { get; }

    /// <summary>Current states (C, P).</summary>
    public float[] Theta { get; }

    /// <summary>Unnormalised log posterior of the current states (C).</summary>
    public double[] LogDensity { get; }

    public Rng[] Rngs { get; }
    public long Evaluations { get; private set; }
    public long Calls { get; private set; }

    /// <summary>Points (n, P) to evaluate; the caller writes rows then calls <see cref="Evaluate"/>.</summary>
    public Span<float> Point(int row) => _points.AsSpan(row * Dim, Dim);

    /// <summary>
    /// log p + log L for the first <paramref name="n"/> gathered points. Points outside the prior's support get
    /// -inf without a likelihood evaluation; a NaN likelihood counts as -inf, so such points are never accepted.
    /// </summary>
    public ReadOnlySpan<double> Evaluate(int n)
    {
        int m = 0;
        for (int k = 0; k < n; k++)
        {
            double prior = _logPrior(_points.AsSpan(k * Dim, Dim));
            _values[k] = prior;
            if (prior > double.NegativeInfinity)   // false for NaN too
            {
                _points.AsSpan(k * Dim, Dim).CopyTo(_finite.AsSpan(m * Dim));
                _finiteRows[m++] = k;
            }
            else _values[k] = double.NegativeInfinity;
        }
        if (m > 0)
        {
            _logLikelihood(_finite.AsSpan(0, m * Dim), _likelihood.AsSpan(0, m));
            Evaluations += m;
            Calls++;
            for (int i = 0; i < m; i++)
            {
                double l = _likelihood[i];
                _values[_finiteRows[i]] = double.IsNaN(l) ? double.NegativeInfinity : _values[_finiteRows[i]] + l;
            }
        }
        return _values.AsSpan(0, n);
    }

    /// <summary>
    /// One sweep of coordinate-wise slice sampling (Neal 2003, "Slice sampling", Ann. Statist. 31(3), figs. 3 and
    /// 5): for each coordinate j in turn, every chain draws a level under its density, steps out a randomly placed
    /// bracket of width w_j at most m times, then shrinks it towards the current point until a proposal lies in
    /// the slice. Returns how many of the C * P updates moved.
    /// </summary>
    public int SliceSweep(ReadOnlySpan<double> widths, int maxSteppingOut)
    {
        int moved = 0;
        for (int j = 0; j < Dim; j++)
        {
            double w = widths[j];
            for (int c = 0; c < Chains; c++)
            {
                var rng = Rngs[c];
                _level[c] = LogDensity[c] + Math.Log(1.0 - rng.NextDouble());   // log(U), U on (0, 1]
                _left[c] = Theta[c * Dim + j] - w * rng.NextDouble();
                _right[c] = _left[c] + w;
                _leftSteps[c] = (int)Math.Floor(maxSteppingOut * rng.NextDouble());
                _rightSteps[c] = maxSteppingOut - 1 - _leftSteps[c];
            }
            StepOut(j, w);
            moved += Shrink(j);
        }
        return moved;
    }

    /// <summary>Widens every chain's bracket while its ends are still inside the slice and steps remain.</summary>
    private void StepOut(int j, double w)
    {
        while (true)
        {
            int n = 0;
            for (int c = 0; c < Chains; c++)
            {
                // Owner c + 1 marks a left end, -(c + 1) a right end.
                if (_leftSteps[c] > 0) Gather(n++, c, j, _left[c], c + 1);
                if (_rightSteps[c] > 0) Gather(n++, c, j, _right[c], -(c + 1));
            }
            if (n == 0) return;
            var values = Evaluate(n);
            for (int k = 0; k < n; k++)
            {
                int c = Math.Abs(_owner[k]) - 1;
                bool inside = values[k] > _level[c];
                if (_owner[k] > 0)
                {
                    if (inside) { _left[c] -= w; _leftSteps[c]--; }
                    else _leftSteps[c] = 0;
                }
                else
                {
                    if (inside) { _right[c] += w; _rightSteps[c]--; }
                    else _rightSteps[c] = 0;
                }
            }
        }
    }

    /// <summary>Draws uniformly from each bracket, shrinking it towards the current point on every rejection.</summary>
    private int Shrink(int j)
    {
        Array.Fill(_active, true);
        int moved = 0;
        for (int round = 0; round < MaxShrinks; round++)
        {
            int n = 0;
            for (int c = 0; c < Chains; c++)
            {
                if (!_active[c]) continue;
                _proposal[c] = (float)(_left[c] + Rngs[c].NextDouble() * (_right[c] - _left[c]));
                Gather(n++, c, j, _proposal[c], c);
            }
            if (n == 0) break;
            var values = Evaluate(n);
            for (int k = 0; k < n; k++)
            {
                int c = _owner[k];
                if (values[k] > _level[c])
                {
                    Theta[c * Dim + j] = (float)_proposal[c];
                    LogDensity[c] = values[k];
                    _active[c] = false;
                    moved++;
                }
                else if (_proposal[c] < Theta[c * Dim + j]) _left[c] = _proposal[c];
                else _right[c] = _proposal[c];
            }
        }
        return moved;   // a chain still active after MaxShrinks keeps its point, which is always valid
    }

    /// <summary>
    /// Row n of the gathered points: chain c's state with coordinate j set to <paramref name="value"/>.
    /// </summary>
    private void Gather(int n, int c, int j, double value, int owner)
    {
        var row = _points.AsSpan(n * Dim, Dim);
        Theta.AsSpan(c * Dim, Dim).CopyTo(row);
        row[j] = (float)value;
        _owner[n] = owner;
    }

    /// <summary>
    /// One random-walk Metropolis step for all chains: theta' = theta + scale ∘ eps, eps ~ N(0, I), accepted with
    /// probability min(1, p(theta') / p(theta)). Returns the number of chains that moved.
    /// </summary>
    public int MetropolisStep(ReadOnlySpan<double> scales)
    {
        for (int c = 0; c < Chains; c++)
        {
            var row = _points.AsSpan(c * Dim, Dim);
            for (int j = 0; j < Dim; j++) row[j] = (float)(Theta[c * Dim + j] + scales[j] * Rngs[c].Normal());
        }
        var values = Evaluate(Chains);
        int accepted = 0;
        for (int c = 0; c < Chains; c++)
        {
            if (Math.Log(1.0 - Rngs[c].NextDouble()) < values[c] - LogDensity[c])
            {
                _points.AsSpan(c * Dim, Dim).CopyTo(Theta.AsSpan(c * Dim, Dim));
                LogDensity[c] = values[c];
                accepted++;
            }
        }
        return accepted;
    }
}
