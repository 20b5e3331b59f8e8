namespace Amortized.Kernels.Cpu;

/// <summary>
/// The fused affine coupling, forward and backward, one row at a time. Shapes: B rows, D transformed features;
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
