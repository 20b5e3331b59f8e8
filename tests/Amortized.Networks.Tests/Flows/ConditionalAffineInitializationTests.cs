using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>
/// The least-squares initialisation of <see cref="ConditionalAffine"/>: after it, the layer maps training rows to the
/// standardised residuals of the linear regression of x on the conditions.
/// </summary>
public class ConditionalAffineInitializationTests
{
    /// <summary>x = m + c B + sigma eps with known m (D), B (C, D), sigma (D); c has a non-zero mean and mixed scales.</summary>
    private static (float[] X, float[] C) LinearGaussian(int rows, int d, int c, double[] m, double[,] b, double[] sigma, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[rows * d];
        var cond = new float[rows * c];
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < c; u++) cond[r * c + u] = (float)(0.5 * u + (u + 1) * rng.Normal());
            for (int j = 0; j < d; j++)
            {
                double value = m[j] + sigma[j] * rng.Normal();
                for (int u = 0; u < c; u++) value += cond[r * c + u] * b[u, j];
                x[r * d + j] = (float)value;
            }
        }
        return (x, cond);
    }

    private static (ConditionalAffine Layer, ParameterStore Store) Layer(int d, int c, AffineScale scale = AffineScale.SoftplusAsinh)
    {
        var store = new ParameterStore();
        return (new ConditionalAffine(store, "affine", d, c, scale, new Rng(1)), store);
    }

    [Theory]
    [InlineData(AffineScale.SoftplusAsinh)]
    [InlineData(AffineScale.TanhExp)]
    public void Initialization_MapsTrainingRowsToStandardisedResiduals(AffineScale scale)
    {
        const int rows = 4000, d = 3, c = 4;
        double[] m = [1.5, -2, 0.25], sigma = [0.5, 2, 1];
        var b = new double[c, d];
        for (int u = 0; u < c; u++) for (int j = 0; j < d; j++) b[u, j] = 0.3 * (u - j) + 0.1;
        var (x, cond) = LinearGaussian(rows, d, c, m, b, sigma, 7);
        var (layer, _) = Layer(d, c, scale);
        var init = layer.CreateInitializer();
        init.Add(x, cond, rows);
        Assert.Equal(rows, init.Rows);
        init.Apply();

        var (y, logDet) = layer.Forward(Tensor.FromArray(x, rows, d), Tensor.FromArray(cond, rows, c));
        // Least squares leaves residuals with mean 0, variance sigma_hat^2, and uncorrelated with every condition:
        // after the layer each feature has mean 0, variance 1 and zero correlation with c, up to the ridge (1e-4
        // times the coefficient in residual-sd units, at most 8 here: a correlation of 8e-4).
        for (int j = 0; j < d; j++)
        {
            double mean = 0, sq = 0;
            for (int r = 0; r < rows; r++) mean += y.Span[r * d + j] / rows;
            for (int r = 0; r < rows; r++) sq += Math.Pow(y.Span[r * d + j] - mean, 2) / rows;
            Assert.InRange(mean, -2e-3, 2e-3);
            Assert.InRange(sq, 0.997, 1.003);
            for (int u = 0; u < c; u++)
            {
                double cMean = 0, cov = 0, cSq = 0;
                for (int r = 0; r < rows; r++) cMean += cond[r * c + u] / rows;
                for (int r = 0; r < rows; r++)
                {
                    cov += (cond[r * c + u] - cMean) * y.Span[r * d + j] / rows;
                    cSq += Math.Pow(cond[r * c + u] - cMean, 2) / rows;
                }
                Assert.InRange(cov / Math.Sqrt(cSq), -2e-3, 2e-3);   // correlation of residual and condition
            }
        }
        // log|det| = -sum log sigma_hat, and sigma_hat is near the true sigma (4000 rows: within a few percent).
        double expected = -sigma.Sum(Math.Log);
        Assert.InRange(logDet.Span[0], expected - 0.1, expected + 0.1);
        for (int r = 1; r < rows; r++) Assert.Equal(logDet.Span[0], logDet.Span[r], 4);   // scale starts conditionless
    }

    [Fact]
    public void Initialization_RecoversTheRegressionCoefficients()
    {
        const int rows = 20000, d = 2, c = 3;
        double[] m = [0.5, -1], sigma = [0.2, 0.4];
        var b = new double[,] { { 1, -0.5 }, { 0, 0.25 }, { -0.75, 0 } };
        var (x, cond) = LinearGaussian(rows, d, c, m, b, sigma, 11);
        var (layer, store) = Layer(d, c);
        var init = layer.CreateInitializer();
        init.Add(x, cond, rows);
        init.Apply();
        // The inverse at latent 0 is the fitted conditional mean m + c B.
        var probe = Tensor.FromArray([1f, 2f, -1f, 0f, 0f, 0f], 2, c);
        var mean = layer.Inverse(Tensor.Zeros(new Shape(2, d)), probe).X;
        for (int row = 0; row < 2; row++)
            for (int j = 0; j < d; j++)
            {
                double truth = m[j];
                for (int u = 0; u < c; u++) truth += probe.Span[row * c + u] * b[u, j];
                // Standard error of the fit at these points is about sigma * 3 / sqrt(rows) < 0.01.
                Assert.InRange(mean.Span[row * d + j], truth - 0.02, truth + 0.02);
            }
        Assert.All(store.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Initialization_IsTheSameForAnyChunking()
    {
        const int rows = 300, d = 2, c = 2;
        var (x, cond) = LinearGaussian(rows, d, c, [0, 1], new double[,] { { 1, 0 }, { 0.5, -1 } }, [1, 1], 3);
        var (whole, wholeStore) = Layer(d, c);
        var one = whole.CreateInitializer();
        one.Add(x, cond, rows);
        one.Apply();
        var (chunked, chunkedStore) = Layer(d, c);
        var many = chunked.CreateInitializer();
        foreach (var (start, count) in new[] { (0, 1), (1, 100), (101, 0), (101, 199) })
            many.Add(x.AsSpan(start * d, count * d), cond.AsSpan(start * c, count * c), count);
        many.Apply();
        Assert.Equal(wholeStore.Values.ToArray(), chunkedStore.Values.ToArray());
    }

    [Fact]
    public void ConstantAndDuplicatedConditions_GiveAFiniteLayer()
    {
        // A fresh summary network can emit constant or collinear features: the ridge keeps the solve well posed.
        const int rows = 500, d = 2, c = 3;
        var rng = new Rng(5);
        var x = new float[rows * d];
        var cond = new float[rows * c];
        for (int r = 0; r < rows; r++)
        {
            float z = rng.Normal();
            cond[r * c + 0] = z;
            cond[r * c + 1] = z;   // duplicate
            cond[r * c + 2] = 3f;  // constant
            x[r * d + 0] = 2 * z + 0.1f * rng.Normal();
            x[r * d + 1] = 4f;     // constant target: sigma clamps at its floor instead of dividing by zero
        }
        var (layer, store) = Layer(d, c);
        var init = layer.CreateInitializer();
        init.Add(x, cond, rows);
        init.Apply();
        Assert.All(store.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
        var (y, logDet) = layer.Forward(Tensor.FromArray(x, rows, d), Tensor.FromArray(cond, rows, c));
        Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.True(float.IsFinite(logDet.Span[0]));
        // The duplicated pair shares the weight: the first feature is still explained (residual sd 0.1 -> y sd ~1).
        double sq = 0;
        for (int r = 0; r < rows; r++) sq += y.Span[r * d] * y.Span[r * d] / rows;
        Assert.InRange(sq, 0.9, 1.1);
    }

    [Fact]
    public void BadRows_AreRejectedWithTheirPosition()
    {
        var (layer, _) = Layer(2, 1);
        var init = layer.CreateInitializer();
        var shape = Assert.Throws<ArgumentException>(() => init.Add(new float[6], new float[2], 2));
        Assert.Contains("(2, 2)", shape.Message);
        var nan = Assert.Throws<ArgumentException>(() => init.Add([0f, 1f, float.NaN, 0f], [1f, 2f], 2));
        Assert.Contains("x[1, 0]", nan.Message);
        Assert.Equal(0, init.Rows);
        init.Apply();   // no rows: nothing to do, the layer stays the identity
    }

    [Theory]
    [InlineData(AffineScale.SoftplusAsinh, 1e-3)]
    [InlineData(AffineScale.SoftplusAsinh, 0.37)]
    [InlineData(AffineScale.SoftplusAsinh, 1)]
    [InlineData(AffineScale.SoftplusAsinh, 50)]
    [InlineData(AffineScale.TanhExp, 0.5)]
    [InlineData(AffineScale.TanhExp, 1)]
    [InlineData(AffineScale.TanhExp, 5)]
    public void RawScaleFor_InvertsTheScaleMap(AffineScale kind, double scale)
    {
        float raw = (float)AffineTransform.RawScaleFor(scale, kind);
        // y = x * s(a) + t at x = 1, t = 0 reads s(a) back through the layer's own op.
        var (y, _) = AffineTransform.Forward(Tensor.FromArray([1f], 1, 1), Tensor.FromArray([raw, 0f], 1, 2), kind);
        Assert.InRange(y.Span[0], scale * (1 - 1e-4), scale * (1 + 1e-4));
    }

    [Theory]
    [InlineData(AffineScale.SoftplusAsinh, 1e6)]
    [InlineData(AffineScale.TanhExp, 1e-6)]
    [InlineData(AffineScale.TanhExp, 1e6)]
    public void RawScaleFor_ClampsUnreachableScalesToFiniteParameters(AffineScale kind, double scale)
    {
        float raw = (float)AffineTransform.RawScaleFor(scale, kind);
        Assert.True(float.IsFinite(raw), $"raw {raw}");
        var (y, _) = AffineTransform.Forward(Tensor.FromArray([1f], 1, 1), Tensor.FromArray([raw, 0f], 1, 2), kind);
        Assert.True(float.IsFinite(y.Span[0]) && y.Span[0] > 0, $"scale {y.Span[0]}");
    }
}
