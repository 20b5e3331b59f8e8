using System.Numerics.Tensors;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The fused affine coupling, forward and backward, in chunks of rows over vector kernels. Shapes: B rows, D transformed features;
/// x (B, D), parameters (B, 2D) holding [a | t] per row, y (B, D), logDet (B). The spline coupling is in
/// <see cref="SplineCouplingKernels"/>; the ILGPU twin is Amortized.Kernels.Gpu's CouplingKernels.cs.
/// </summary>
public static class AffineCouplingKernels
{
    /// <summary>ln(e - 1): softplus(ln(e - 1)) = 1, so a = 0 gives the unit scale.</summary>
    public const float LogEMinus1 = 0.541324854612918f;

    /// <summary>
    /// Forward y = x exp(logS(a)) + t and logDet[b] = sum_j logS(a_bj); inverse y = (x - t) exp(-logS(a)) and
    /// logDet[b] = -sum_j logS(a_bj). x, y (rows, features); parameters (rows, 2 features); logDet (rows).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, AffineScaleKind kind,
        bool inverse, Span<float> y, Span<float> logDet, int rows, int features)
    {
        int d = features;
        if (d is > 0 and <= ChunkElements)
        {
            ForwardChunks(x, parameters, kind, inverse, y, logDet, rows, d);
            return;
        }
        for (int b = 0; b < rows; b++)
        {
            ReadOnlySpan<float> xr = x.Slice(b * d, d);
            ReadOnlySpan<float> a = parameters.Slice(2 * b * d, d), t = parameters.Slice(2 * b * d + d, d);
            Span<float> yr = y.Slice(b * d, d);
            float sum = 0f;
            for (int j = 0; j < d; j++)
            {
                float logS = LogScale(kind, a[j], out _);
                sum += logS;
                yr[j] = inverse ? (xr[j] - t[j]) * MathF.Exp(-logS) : xr[j] * MathF.Exp(logS) + t[j];
            }
            logDet[b] = inverse ? -sum : sum;
        }
    }

    /// <summary>Elements per chunk of the vectorised path (a stack row of each intermediate).</summary>
    private const int ChunkElements = 256;

    /// <summary>
    /// <see cref="Forward"/> a chunk of rows at a time: a and t are copied out of the interleaved parameter rows
    /// into contiguous stack rows, and the log-scale map, exp and the affine map run as vector kernels over them
    /// (a scalar loop of MathF calls took 5 microseconds for W1's 512 rows).
    /// </summary>
    private static void ForwardChunks(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, AffineScaleKind kind,
        bool inverse, Span<float> y, Span<float> logDet, int rows, int d)
    {
        int chunkRows = ChunkElements / d;
        Span<float> a = stackalloc float[ChunkElements], t = stackalloc float[ChunkElements];
        Span<float> logS = stackalloc float[ChunkElements], scale = stackalloc float[ChunkElements];
        for (int b0 = 0; b0 < rows; b0 += chunkRows)
        {
            int n = Math.Min(chunkRows, rows - b0), length = n * d;
            Span<float> ac = a[..length], tc = t[..length], logSc = logS[..length], sc = scale[..length];
            ReadOnlySpan<float> xc = x.Slice(b0 * d, length);
            Span<float> yc = y.Slice(b0 * d, length);
            Deinterleave(parameters.Slice(2 * b0 * d, 2 * length), n, d, ac, tc);
            LogScales(kind, ac, logSc, default, sc);
            if (inverse)
                TensorPrimitives.Negate(logSc, logSc);                      // the signed log-scale
            TensorPrimitives.Exp(logSc, sc);
            if (inverse)
            {
                TensorPrimitives.Subtract(xc, tc, yc);                      // y = (x - t) exp(-log s)
                TensorPrimitives.Multiply(yc, sc, yc);
            }
            else
            {
                TensorPrimitives.FusedMultiplyAdd(xc, sc, tc, yc);          // y = x exp(log s) + t
            }
            // logDet[b] = the sum of row b's signed log-scales, added from zero in feature order as the scalar
            // loop does.
            for (int r = 0; r < n; r++)
            {
                float sum = 0f;
                for (int j = 0; j < d; j++)
                    sum += logSc[r * d + j];
                logDet[b0 + r] = sum;
            }
        }
    }

    /// <summary>Rows [a | t] of <paramref name="p"/> (n, 2d) into a (n, d) and t (n, d).</summary>
    private static void Deinterleave(ReadOnlySpan<float> p, int n, int d, Span<float> a, Span<float> t)
    {
        for (int r = 0, i = 0; r < n; r++)
        {
            for (int j = 0; j < d; j++, i++)
            {
                a[i] = p[2 * r * d + j];
                t[i] = p[2 * r * d + d + j];
            }
        }
    }

    /// <summary>
    /// <see cref="LogScale"/> over a chunk: log s(a) into <paramref name="logS"/> and, unless it is empty,
    /// d log s / da into <paramref name="slope"/>; <paramref name="work"/> is scratch of a's length.
    /// </summary>
    private static void LogScales(AffineScaleKind kind, ReadOnlySpan<float> a, Span<float> logS, Span<float> slope,
        Span<float> work)
    {
        if (kind == AffineScaleKind.TanhExp)
        {
            TensorPrimitives.Multiply(a, 0.5f, work);
            Activations.Forward(Activation.Tanh, work, work);               // h = tanh(a / 2)
            TensorPrimitives.Multiply(work, 2f, logS);
            if (!slope.IsEmpty)
            {
                TensorPrimitives.Multiply(work, work, slope);
                TensorPrimitives.Subtract(1f, slope, slope);                // 1 - h^2
            }
            return;
        }
        TensorPrimitives.Asinh(a, work);
        TensorPrimitives.Add(work, LogEMinus1, work);                       // u = asinh(a) + ln(e - 1)
        Activations.Forward(Activation.Softplus, work, logS);               // softplus(u), its log below
        if (!slope.IsEmpty)
        {
            Activations.Forward(Activation.Sigmoid, work, slope);
            TensorPrimitives.MultiplyAdd(a, a, 1f, work);
            TensorPrimitives.Sqrt(work, work);
            TensorPrimitives.Multiply(work, logS, work);
            TensorPrimitives.Divide(slope, work, slope);                    // sigmoid(u) / (softplus(u) sqrt(a^2 + 1))
        }
        TensorPrimitives.Log(logS, logS);
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> from dy (rows, features) and dLogDet (rows), either of which may be empty
    /// (a zero gradient); logS is recomputed from the parameters. dx (rows, features) and dParameters
    /// (rows, 2 features) may each be empty (not wanted); each is overwritten when its flag is set, else accumulated.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, AffineScaleKind kind,
        bool inverse, ReadOnlySpan<float> dy, ReadOnlySpan<float> dLogDet, Span<float> dx, bool dxOverwrite,
        Span<float> dParameters, bool dParametersOverwrite, int rows, int features)
    {
        int d = features;
        if (d is > 0 and <= ChunkElements)
        {
            BackwardChunks(x, parameters, kind, inverse, dy, dLogDet, dx, dxOverwrite, dParameters,
                dParametersOverwrite, rows, d);
            return;
        }
        for (int b = 0; b < rows; b++)
        {
            float gLogDet = dLogDet.IsEmpty ? 0f : dLogDet[b];
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j, ia = 2 * b * d + j, it = ia + d;
                float logS = LogScale(kind, parameters[ia], out float slope);
                float gy = dy.IsEmpty ? 0f : dy[i];
                float dIn, dT, dLogS;
                if (!inverse)
                {
                    // y = x s + t, logDet = sum logS: dx = dy s; dt = dy; dlogS = dy x s + dLogDet.
                    float s = MathF.Exp(logS);
                    dIn = gy * s;
                    dT = gy;
                    dLogS = gy * x[i] * s + gLogDet;
                }
                else
                {
                    // y = (x - t) / s, logDet = -sum logS: dx = dy / s; dt = -dy / s;
                    // dlogS = -dy (x - t) / s - dLogDet.
                    float r = MathF.Exp(-logS);
                    dIn = gy * r;
                    dT = -dIn;
                    dLogS = -(gy * (x[i] - parameters[it]) * r) - gLogDet;
                }
                float dA = dLogS * slope;                                         // da = dlogS * logS'(a)
                if (!dx.IsEmpty) dx[i] = dxOverwrite ? dIn : dx[i] + dIn;
                if (!dParameters.IsEmpty)
                {
                    dParameters[ia] = dParametersOverwrite ? dA : dParameters[ia] + dA;
                    dParameters[it] = dParametersOverwrite ? dT : dParameters[it] + dT;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Backward"/> a chunk of rows at a time on contiguous stack rows, as <see cref="ForwardChunks"/>:
    /// e = exp(+-log s); forward: dx = dy e, dt = dy, dlogS = dx x + dLogDet; inverse: dx = dy e, dt = -dx,
    /// dlogS = -(dx (x - t) + dLogDet); then da = dlogS d log s / da.
    /// </summary>
    private static void BackwardChunks(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, AffineScaleKind kind,
        bool inverse, ReadOnlySpan<float> dy, ReadOnlySpan<float> dLogDet, Span<float> dx, bool dxOverwrite,
        Span<float> dParameters, bool dParametersOverwrite, int rows, int d)
    {
        int chunkRows = ChunkElements / d;
        Span<float> a = stackalloc float[ChunkElements], t = stackalloc float[ChunkElements];
        Span<float> slope = stackalloc float[ChunkElements], e = stackalloc float[ChunkElements];
        Span<float> dIn = stackalloc float[ChunkElements], dLogS = stackalloc float[ChunkElements];
        Span<float> gLogDet = stackalloc float[ChunkElements];
        for (int b0 = 0; b0 < rows; b0 += chunkRows)
        {
            int n = Math.Min(chunkRows, rows - b0), length = n * d;
            Span<float> ac = a[..length], tc = t[..length], slopec = slope[..length], ec = e[..length];
            Span<float> dInc = dIn[..length], dLogSc = dLogS[..length], gc = gLogDet[..length];
            ReadOnlySpan<float> xc = x.Slice(b0 * d, length);
            Deinterleave(parameters.Slice(2 * b0 * d, 2 * length), n, d, ac, tc);
            for (int r = 0; r < n; r++)
                gc.Slice(r * d, d).Fill(dLogDet.IsEmpty ? 0f : dLogDet[b0 + r]);
            LogScales(kind, ac, ec, slopec, dLogSc);
            if (inverse)
                TensorPrimitives.Negate(ec, ec);
            TensorPrimitives.Exp(ec, ec);                                   // exp(log s) or exp(-log s)
            if (dy.IsEmpty) dInc.Clear();
            else TensorPrimitives.Multiply(dy.Slice(b0 * d, length), ec, dInc);
            if (inverse)
            {
                TensorPrimitives.Subtract(xc, tc, dLogSc);                  // x - t
                TensorPrimitives.FusedMultiplyAdd(dInc, dLogSc, gc, dLogSc);
                TensorPrimitives.Negate(dLogSc, dLogSc);
            }
            else
            {
                TensorPrimitives.FusedMultiplyAdd(dInc, xc, gc, dLogSc);
            }
            TensorPrimitives.Multiply(dLogSc, slopec, dLogSc);              // da
            if (!dx.IsEmpty)
            {
                Span<float> dxc = dx.Slice(b0 * d, length);
                if (dxOverwrite) dInc.CopyTo(dxc);
                else TensorPrimitives.Add(dxc, dInc, dxc);
            }
            if (dParameters.IsEmpty)
                continue;
            Span<float> dp = dParameters.Slice(2 * b0 * d, 2 * length);
            for (int r = 0, i = 0; r < n; r++)
            {
                for (int j = 0; j < d; j++, i++)
                {
                    float dT = dy.IsEmpty ? 0f : inverse ? -dInc[i] : dy[b0 * d + i];
                    int ia = 2 * r * d + j, it = ia + d;
                    dp[ia] = dParametersOverwrite ? dLogSc[i] : dp[ia] + dLogSc[i];
                    dp[it] = dParametersOverwrite ? dT : dp[it] + dT;
                }
            }
        }
    }

    /// <summary>log s(a) and its derivative d log s / da.</summary>
    public static float LogScale(AffineScaleKind kind, float a, out float slope)
    {
        if (kind == AffineScaleKind.TanhExp)
        {
            // log s = 2 tanh(a / 2); d/da = 1 - tanh^2(a / 2).
            float h = Activations.Apply(Activation.Tanh, 0.5f * a);
            slope = 1f - h * h;
            return 2f * h;
        }
        // u = asinh(a) + ln(e - 1); log s = log softplus(u); d/da = sigmoid(u) / softplus(u) / sqrt(a^2 + 1).
        float u = MathF.Asinh(a) + LogEMinus1;
        float softplus = Activations.Apply(Activation.Softplus, u);
        slope = Activations.Apply(Activation.Sigmoid, u) / (softplus * MathF.Sqrt(a * a + 1f));
        return MathF.Log(softplus);
    }
}
