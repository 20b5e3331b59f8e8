namespace Amortized.Networks.Numerics;

/// <summary>
/// Streaming ridge least squares y ~ m + x B for inputs x (C) and outputs y (D): rows are absorbed in any number of
/// chunks into sufficient statistics kept in double (O(C (C + D)) memory), then <see cref="Solve"/> gives the
/// coefficients, the intercept and the residual standard deviation of each output.
/// </summary>
/// <remarks>
/// The inputs are centred and scaled to unit variance before the penalty (<see cref="Ridge"/> times the row count
/// on the diagonal), so the penalty means the same whatever the inputs' units, and constant or collinear inputs
/// (a fresh summary network's outputs can be both) give small, finite coefficients instead of an ill-posed solve.
/// The intercept is not penalised. Rows are summed in order, so the result does not depend on the chunking.
/// </remarks>
public sealed class RidgeRegression
{
    /// <summary>
    /// Ridge penalty per row on the unit-variance inputs: shrinks a unit-variance direction by 0.01 %.
    /// </summary>
    public const double Ridge = 1e-4;

    private readonly string _owner, _inputName, _outputName;
    private readonly double[] _sumX, _sumY, _sumYY, _sxx, _sxy;

    /// <summary>
    /// A regression of <paramref name="outputs"/> values on <paramref name="inputs"/>; <paramref name="owner"/>,
    /// <paramref name="inputName"/> and <paramref name="outputName"/> name it and its data in errors.
    /// </summary>
    public RidgeRegression(int inputs, int outputs, string owner, string inputName = "inputs",
        string outputName = "outputs")
    {
        if (inputs <= 0 || outputs <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputs),
                $"{owner}: a regression needs at least one input and one output (got {inputs} and {outputs}).");
        Inputs = inputs;
        Outputs = outputs;
        _owner = owner;
        _inputName = inputName;
        _outputName = outputName;
        _sumX = new double[inputs];
        _sumY = new double[outputs];
        _sumYY = new double[outputs];
        _sxx = new double[inputs * inputs];
        _sxy = new double[inputs * outputs];
    }

    /// <summary>C.</summary>
    public int Inputs { get; }

    /// <summary>D.</summary>
    public int Outputs { get; }

    /// <summary>Rows absorbed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Absorbs <paramref name="rows"/> rows of inputs x (rows, C) and outputs y (rows, D), row-major.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, or a non-finite value (named by row and column); nothing is
    /// absorbed then.</exception>
    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows)
    {
        int c = Inputs, d = Outputs;
        if (rows < 0 || x.Length != rows * c || y.Length != rows * d)
            throw new ArgumentException($"{_owner}: expected {_inputName} ({rows}, {c}) and {_outputName} ({rows}, " +
                $"{d}); got {x.Length} and {y.Length} values.");
        for (int i = 0; i < x.Length; i++)
            if (!float.IsFinite(x[i])) throw new ArgumentException(
                $"{_owner}: {_inputName}[{i / c}, {i % c}] is {x[i]}; rows must be finite.");
        for (int i = 0; i < y.Length; i++)
            if (!float.IsFinite(y[i])) throw new ArgumentException(
                $"{_owner}: {_outputName}[{i / d}, {i % d}] is {y[i]}; rows must be finite.");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * d, d);
            for (int j = 0; j < d; j++)
            {
                _sumY[j] += yr[j];
                _sumYY[j] += (double)yr[j] * yr[j];
            }
            for (int u = 0; u < c; u++)
            {
                double xu = xr[u];
                _sumX[u] += xu;
                var sxxRow = _sxx.AsSpan(u * c, c);
                for (int v = 0; v <= u; v++) sxxRow[v] += xu * xr[v];
                var sxyRow = _sxy.AsSpan(u * d, d);
                for (int j = 0; j < d; j++) sxyRow[j] += xu * yr[j];
            }
        }
        Rows += rows;
    }

    /// <summary>
    /// The fit from every row so far: coefficients B (C, D) row-major, intercept m (D) and the residual standard
    /// deviation (D, root mean square over the rows) of y - m - x B.
    /// </summary>
    /// <exception cref="InvalidOperationException">No rows were added.</exception>
    public (double[] Coefficients, double[] Intercept, double[] ResidualStd) Solve()
    {
        if (Rows == 0) throw new InvalidOperationException($"{_owner}: no rows to fit.");
        double n = Rows;
        int c = Inputs, d = Outputs;
        // Centred moments; inputs scaled to unit variance (constant ones keep scale 1 and get zero weight).
        var scale = new double[c];
        for (int u = 0; u < c; u++)
        {
            double variance = (_sxx[u * c + u] - _sumX[u] * _sumX[u] / n) / n;
            scale[u] = variance > 1e-12 ? Math.Sqrt(variance) : 1;
        }
        var gram = new double[c * c];    // unpenalised
        var cross = new double[c * d];
        for (int u = 0; u < c; u++)
        {
            for (int v = 0; v <= u; v++)
            {
                double g = (_sxx[u * c + v] - _sumX[u] * _sumX[v] / n) / (scale[u] * scale[v]);
                gram[u * c + v] = g;
                gram[v * c + u] = g;
            }
            for (int j = 0; j < d; j++)
                cross[u * d + j] = (_sxy[u * d + j] - _sumX[u] * _sumY[j] / n) / scale[u];
        }
        var penalised = (double[])gram.Clone();
        for (int u = 0; u < c; u++) penalised[u * c + u] += Ridge * n;
        var beta = (double[])cross.Clone();
        DenseCholesky.SolveInPlace(DenseCholesky.Factor(penalised, c), c, beta, d);

        var coefficients = new double[c * d];
        var intercept = new double[d];
        var residualStd = new double[d];
        for (int j = 0; j < d; j++)
        {
            // Residual sum of squares in the scaled coordinates: V - 2 b.cross + b' G b.
            double rss = _sumYY[j] - _sumY[j] * _sumY[j] / n, fitted = 0;
            for (int u = 0; u < c; u++)
            {
                double bu = beta[u * d + j];
                rss -= 2 * bu * cross[u * d + j];
                for (int v = 0; v < c; v++) fitted += bu * gram[u * c + v] * beta[v * d + j];
            }
            residualStd[j] = Math.Sqrt(Math.Max(rss + fitted, 0) / n);
            intercept[j] = _sumY[j] / n;
            for (int u = 0; u < c; u++)
            {
                double coefficient = beta[u * d + j] / scale[u];   // back to the raw input units
                coefficients[u * d + j] = coefficient;
                intercept[j] -= coefficient * _sumX[u] / n;
            }
        }
        return (coefficients, intercept, residualStd);
    }
}
