namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// The fused affine coupling's forward and inverse against a double oracle, for both log-scale maps: the
/// vectorised chunks of log s = 2 tanh(a / 2) (chunk edges inside and between rows, one and several features) and
/// the scalar loop (the other map, and rows wider than a chunk). Shapes: x, y (B, D); parameters (B, 2D) holding
/// [a | t] per row; log-det (B).
/// </summary>
public sealed class AffineCouplingTests
{
    [Theory]
    [InlineData(AffineScaleKind.TanhExp, 1, 512)]    // W1: one transformed feature, two chunks
    [InlineData(AffineScaleKind.TanhExp, 3, 300)]    // 85 rows a chunk: the last chunk is partial
    [InlineData(AffineScaleKind.TanhExp, 7, 1)]      // fewer elements than a vector
    [InlineData(AffineScaleKind.TanhExp, 300, 4)]    // rows wider than a chunk: the scalar loop
    [InlineData(AffineScaleKind.SoftplusAsinh, 2, 200)]
    [InlineData(AffineScaleKind.SoftplusAsinh, 1, 300)]
    public void ForwardAndInverse_MatchDoubleOracle(AffineScaleKind kind, int d, int rows)
    {
        var rng = new Random(d * 1000 + rows);
        float[] x = new float[rows * d], p = new float[rows * 2 * d];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 6 - 3);
        for (int i = 0; i < p.Length; i++) p[i] = (float)(rng.NextDouble() * 8 - 4);
        p[0] = 0f;   // a = 0: the identity scale
        // Far into both ends of the scale maps, tiny and moderately large raw scales (a sits at row offsets j < d).
        float[] extremes = [1e6f, -1e6f, 1e-7f, -30f, 30f, -1e-7f];
        for (int k = 0; k < extremes.Length && k + 1 < rows; k++)
            p[2 * (k + 1) * d] = extremes[k];
        foreach (bool inverse in new[] { false, true })
        {
            float[] y = new float[rows * d], logDet = new float[rows];
            AffineCouplingKernels.Forward(x, p, kind, inverse, y, logDet, rows, d);
            for (int b = 0; b < rows; b++)
            {
                double sum = 0, magnitude = 0;
                for (int j = 0; j < d; j++)
                {
                    double a = p[2 * b * d + j], t = p[2 * b * d + d + j], xv = x[b * d + j];
                    double logS = LogScale(kind, a, out _);
                    sum += logS;
                    magnitude += Math.Abs(logS);
                    double expected = inverse ? (xv - t) * Math.Exp(-logS) : xv * Math.Exp(logS) + t;
                    double scale = inverse ? (Math.Abs(xv) + Math.Abs(t)) * Math.Exp(-logS)
                        : Math.Abs(xv) * Math.Exp(logS) + Math.Abs(t);
                    Assert.True(Math.Abs(y[b * d + j] - expected) <= 1e-6 * scale + 1e-30,
                        $"{kind} inverse={inverse} y[{b}, {j}] = {y[b * d + j]:R}, expected {expected:R}");
                }
                double expectedLogDet = inverse ? -sum : sum;
                Assert.True(Math.Abs(logDet[b] - expectedLogDet) <= 1e-6 * (magnitude + 1),
                    $"{kind} inverse={inverse} logDet[{b}] = {logDet[b]:R}, expected {expectedLogDet:R}");
            }
        }
    }

    [Theory]
    [InlineData(AffineScaleKind.TanhExp, 1, 512, true, true, false)]    // W1's shape, overwriting
    [InlineData(AffineScaleKind.TanhExp, 3, 300, true, false, true)]    // no log-det gradient, accumulating
    [InlineData(AffineScaleKind.TanhExp, 2, 5, false, true, true)]      // no dy: only the log-det term
    [InlineData(AffineScaleKind.TanhExp, 300, 2, true, true, false)]    // the scalar loop
    [InlineData(AffineScaleKind.SoftplusAsinh, 1, 512, true, true, false)]
    [InlineData(AffineScaleKind.SoftplusAsinh, 3, 300, true, true, true)]
    [InlineData(AffineScaleKind.SoftplusAsinh, 300, 2, true, false, false)]
    public void Backward_MatchesDoubleOracle(AffineScaleKind kind, int d, int rows, bool withDy, bool withDLogDet,
        bool accumulate)
    {
        var rng = new Random(d * 31 + rows);
        float[] Random(int n, double range)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * range);
            return v;
        }
        float[] x = Random(rows * d, 3), p = Random(rows * 2 * d, 4), dy = Random(rows * d, 1);
        float[] dLogDet = Random(rows, 1), dxStart = Random(rows * d, 1), dpStart = Random(rows * 2 * d, 1);
        p[0] = 1e6f;     // saturated
        p[2 * d] = -30f; // far negative (row 1)
        foreach (bool inverse in new[] { false, true })
        {
            float[] dx = accumulate ? (float[])dxStart.Clone() : new float[rows * d];
            float[] dp = accumulate ? (float[])dpStart.Clone() : new float[rows * 2 * d];
            AffineCouplingKernels.Backward(x, p, kind, inverse, withDy ? dy : default,
                withDLogDet ? dLogDet : default, dx, !accumulate, dp, !accumulate, rows, d);
            for (int b = 0; b < rows; b++)
            {
                for (int j = 0; j < d; j++)
                {
                    int i = b * d + j, ia = 2 * b * d + j, it = ia + d;
                    double logS = LogScale(kind, p[ia], out double slope);
                    double gy = withDy ? dy[i] : 0, g = withDLogDet ? dLogDet[b] : 0;
                    double e = Math.Exp(inverse ? -logS : logS), dIn = gy * e;
                    double dT = inverse ? -dIn : gy;
                    double dLogS = inverse ? -(dIn * (x[i] - p[it])) - g : dIn * x[i] + g;
                    double size = Math.Abs(dIn) * (Math.Abs(x[i]) + Math.Abs(p[it])) + Math.Abs(g) + 1e-3;
                    Close(dx[i], (accumulate ? dxStart[i] : 0) + dIn, 1e-6 * (Math.Abs(dIn) + 1), "dx", i);
                    Close(dp[ia], (accumulate ? dpStart[ia] : 0) + dLogS * slope, 1e-5 * size, "da", i);
                    Close(dp[it], (accumulate ? dpStart[it] : 0) + dT, 1e-6 * (Math.Abs(dT) + 1), "dt", i);
                }
            }

            void Close(float actual, double expected, double tolerance, string what, int i) =>
                Assert.True(Math.Abs(actual - expected) <= tolerance,
                    $"inverse={inverse} {what}[{i}] = {actual:R}, expected {expected:R}");
        }
    }

    /// <summary>log s(a) and d log s / da in double.</summary>
    private static double LogScale(AffineScaleKind kind, double a, out double slope)
    {
        if (kind == AffineScaleKind.TanhExp)
        {
            double h = Math.Tanh(a / 2);
            slope = 1 - h * h;
            return 2 * h;
        }
        double u = Math.Asinh(a) + AffineCouplingKernels.LogEMinus1;
        double softplus = u > 30 ? u + Math.Exp(-u) : Math.Log(1 + Math.Exp(u));
        slope = 1 / (1 + Math.Exp(-u)) / (softplus * Math.Sqrt(a * a + 1));
        return Math.Log(softplus);
    }
}
