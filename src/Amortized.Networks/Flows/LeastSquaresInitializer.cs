using Amortized.Networks.Numerics;

namespace Amortized.Networks.Flows;

/// <summary>
/// Initialises a <see cref="ConditionalAffine"/> layer as the Gaussian linear regression of x on the conditions:
/// the ridge least-squares fit x ~ m + c B (<see cref="RidgeRegression"/>) gives the shift, the residual standard
/// deviation sigma the scale, so the layer starts at y = (x - m - c B) / sigma, the maximum-likelihood conditional
/// Gaussian with a linear mean. The log-scale part of the map starts conditionless (kernel 0).
/// </summary>
internal sealed class LeastSquaresInitializer : IDataInitializer
{
    /// <summary>
    /// Bounds of the residual scale, so a constant or exploding feature cannot give an infinite layer.
    /// </summary>
    private const double MinSigma = 1e-3, MaxSigma = 1e3;

    private readonly ConditionalAffine _layer;
    private readonly RidgeRegression _regression;

    public LeastSquaresInitializer(ConditionalAffine layer)
    {
        _layer = layer;
        _regression = new RidgeRegression(layer.ConditionDim, layer.Features,
            $"ConditionalAffine '{layer.Name}' initialisation", "conditions", "x");
    }

    public long Rows => _regression.Rows;

    public void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> conditions, int rows) =>
        _regression.Add(conditions, x, rows);

    public void Apply()
    {
        if (Rows == 0) return;
        var (coefficients, intercept, residualStd) = _regression.Solve();
        int c = _layer.ConditionDim, d = _layer.Features;
        var kernel = new float[c * 2 * d];   // (C, 2D): [log-scale part | shift part]
        var bias = new float[2 * d];
        for (int j = 0; j < d; j++)
        {
            double sigma = Math.Clamp(residualStd[j], MinSigma, MaxSigma);
            for (int u = 0; u < c; u++) kernel[u * 2 * d + d + j] = (float)(-coefficients[u * d + j] / sigma);
            bias[j] = (float)AffineTransform.RawScaleFor(1 / sigma, _layer.Scale);
            bias[d + j] = (float)(-intercept[j] / sigma);
        }
        _layer.SetMap(kernel, bias);
    }
}
