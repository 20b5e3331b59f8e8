using Amortized.Networks.Numerics;

namespace Amortized.Networks.Flows;

/// <summary>
/// Initialises a <see cref="ConditionalAffine"/> layer as the Gaussian linear regression of x on the conditions:
/// the ridge least-squares fit x ~ m + c B gives the shift, the residual standard deviation sigma the scale, so the
/// layer starts at y = (x - m - c B) / sigma, the maximum-likelihood conditional Gaussian with a linear mean.
/// Sufficient statistics are accumulated in double, so any number of rows streams through in O(C (C + D)) memory.
/// </summary>
/// <remarks>
/// The conditions are centred and scaled to unit variance before the ridge penalty (<see cref="Ridge"/> times the
/// row count on the diagonal), so the penalty means the same for raw summaries and standardised conditions, and
/// collinear or constant conditions (a fresh summary network's outputs can be both) give small, finite
/// coefficients instead of an ill-posed solve. The log-scale part of the map starts conditionless (kernel 0).
/// </remarks>
internal sealed class LeastSquaresInitializer : IDataInitializer
{
    /// <summary>Ridge penalty per row on the unit-variance conditions: shrinks a unit-variance direction by 0.01 %.</summary>
    public const double Ridge = 1e-4;

    /// <summary>Bounds of the residual scale, so a constant or exploding feature cannot give an infinite layer.</summary>
    private const double MinSigma = 1e-3, MaxSigma = 1e3;

    private readonly ConditionalAffine _layer;
    private readonly int _d, _c;
    private readonly double[] _sumC, _sumX, _sumXX, _scc, _scx;

    public LeastSquaresInitializer(ConditionalAffine layer)
    {
        _layer = layer;
        _d = layer.Features;
        _c = layer.ConditionDim;
        _sumC = new double[_c];
        _sumX = new double[_d];
        _sumXX = new double[_d];
        _scc = new double[_c * _c];
        _scx = new double[_c * _d];
    }

    public long Rows { get; private set; }

    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> conditions, int rows)
    {
        if (rows < 0 || x.Length != rows * _d || conditions.Length != rows * _c)
            throw new ArgumentException(
                $"ConditionalAffine '{_layer.Name}' initialisation: expected x ({rows}, {_d}) and conditions ({rows}, {_c}); got {x.Length} and {conditions.Length} values.");
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * _d, _d);
            var cr = conditions.Slice(r * _c, _c);
            for (int j = 0; j < _d; j++)
            {
                if (!float.IsFinite(xr[j]))
                    throw new ArgumentException($"ConditionalAffine '{_layer.Name}' initialisation: x[{r}, {j}] is {xr[j]}; rows must be finite.");
                _sumX[j] += xr[j];
                _sumXX[j] += (double)xr[j] * xr[j];
            }
            for (int u = 0; u < _c; u++)
            {
                double cu = cr[u];
                if (!double.IsFinite(cu))
                    throw new ArgumentException($"ConditionalAffine '{_layer.Name}' initialisation: conditions[{r}, {u}] is {cu}; rows must be finite.");
                _sumC[u] += cu;
                var sccRow = _scc.AsSpan(u * _c, _c);
                for (int v = 0; v <= u; v++) sccRow[v] += cu * cr[v];
                var scxRow = _scx.AsSpan(u * _d, _d);
                for (int j = 0; j < _d; j++) scxRow[j] += cu * xr[j];
            }
        }
        Rows += rows;
    }

    public void Apply()
    {
        if (Rows == 0) return;
        double n = Rows;
        int c = _c, d = _d;
        // Centred moments; conditions scaled to unit variance (constant ones keep scale 1 and get zero weight).
        var scale = new double[c];
        var gram = new double[c * c];
        var cross = new double[c * d];
        for (int u = 0; u < c; u++)
        {
            double variance = (_scc[u * c + u] - _sumC[u] * _sumC[u] / n) / n;
            scale[u] = variance > 1e-12 ? Math.Sqrt(variance) : 1;
        }
        for (int u = 0; u < c; u++)
        {
            for (int v = 0; v <= u; v++)
            {
                double g = (_scc[u * c + v] - _sumC[u] * _sumC[v] / n) / (scale[u] * scale[v]);
                gram[u * c + v] = g;
                gram[v * c + u] = g;
            }
            gram[u * c + u] += Ridge * n;
            for (int j = 0; j < d; j++)
                cross[u * d + j] = (_scx[u * d + j] - _sumC[u] * _sumX[j] / n) / scale[u];
        }
        // beta' = (G + lambda n I)^-1 cross, column by column through one Cholesky factor.
        var beta = (double[])cross.Clone();
        DenseCholesky.SolveInPlace(DenseCholesky.Factor(gram, c), c, beta, d);

        var kernel = new float[c * 2 * d];   // (C, 2D): [log-scale part | shift part]
        var bias = new float[2 * d];
        for (int j = 0; j < d; j++)
        {
            // Residual sum of squares of the ridge fit in the scaled coordinates: V - 2 b.cross + b' G0 b, with
            // G0 the unpenalised Gram matrix (gram minus the ridge on its diagonal).
            double rss = _sumXX[j] - _sumX[j] * _sumX[j] / n, fitted = 0;
            for (int u = 0; u < c; u++)
            {
                double bu = beta[u * d + j];
                rss -= 2 * bu * cross[u * d + j];
                for (int v = 0; v < c; v++) fitted += bu * (gram[u * c + v] - (u == v ? Ridge * n : 0)) * beta[v * d + j];
            }
            rss += fitted;
            double sigma = Math.Clamp(Math.Sqrt(Math.Max(rss, 0) / n), MinSigma, MaxSigma);
            double intercept = _sumX[j] / n;
            for (int u = 0; u < c; u++)
            {
                double coefficient = beta[u * d + j] / scale[u];   // back to the raw condition units
                intercept -= coefficient * _sumC[u] / n;
                kernel[u * 2 * d + d + j] = (float)(-coefficient / sigma);
            }
            bias[j] = (float)AffineTransform.RawScaleFor(1 / sigma, _layer.Scale);
            bias[d + j] = (float)(-intercept / sigma);
        }
        _layer.SetMap(kernel, bias);
    }
}
