using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Backends;

// Coupling-flow kernels: the fused affine coupling (forward and backward); the spline coupling is in
// CpuBackend.Spline.cs. Shapes: B rows, D transformed features per row.
public sealed partial class CpuBackend
{
    /// <summary>ln(e - 1): softplus(ln(e - 1)) = 1, so a = 0 gives the unit scale.</summary>
    internal const float LogEMinus1 = 0.541324854612918f;

    /// <inheritdoc />
    public void AffineCoupling(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse, Tensor y, Tensor logDet)
    {
        int rows = x.Shape[0], d = x.Shape[1];
        ReadOnlySpan<float> xs = x.Span, ps = parameters.Span;
        Span<float> ys = y.Span, ld = logDet.Span;
        for (int b = 0; b < rows; b++)
        {
            ReadOnlySpan<float> xr = xs.Slice(b * d, d), a = ps.Slice(2 * b * d, d), t = ps.Slice(2 * b * d + d, d);
            Span<float> yr = ys.Slice(b * d, d);
            float sum = 0f;
            for (int j = 0; j < d; j++)
            {
                float logS = LogScale(kind, a[j], out _);
                sum += logS;
                yr[j] = inverse ? (xr[j] - t[j]) * MathF.Exp(-logS) : xr[j] * MathF.Exp(logS) + t[j];
            }
            ld[b] = inverse ? -sum : sum;
        }
    }

    /// <inheritdoc />
    public void AffineCouplingBackward(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite)
    {
        int rows = x.Shape[0], d = x.Shape[1];
        ReadOnlySpan<float> xs = x.Span, ps = parameters.Span;
        ReadOnlySpan<float> g = dy is null ? default : dy.Span, gl = dLogDet is null ? default : dLogDet.Span;
        Span<float> dxs = dx is null ? default : dx.Span, dps = dParameters is null ? default : dParameters.Span;
        for (int b = 0; b < rows; b++)
        {
            float gLogDet = gl.IsEmpty ? 0f : gl[b];
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j, ia = 2 * b * d + j, it = ia + d;
                float logS = LogScale(kind, ps[ia], out float slope);
                float gy = g.IsEmpty ? 0f : g[i];
                float dIn, dT, dLogS;
                if (!inverse)
                {
                    // y = x s + t, logDet = sum logS: dx = dy s; dt = dy; dlogS = dy x s + dLogDet.
                    float s = MathF.Exp(logS);
                    dIn = gy * s;
                    dT = gy;
                    dLogS = gy * xs[i] * s + gLogDet;
                }
                else
                {
                    // y = (x - t) / s, logDet = -sum logS: dx = dy / s; dt = -dy / s; dlogS = -dy (x - t) / s - dLogDet.
                    float r = MathF.Exp(-logS);
                    dIn = gy * r;
                    dT = -dIn;
                    dLogS = -(gy * (xs[i] - ps[it]) * r) - gLogDet;
                }
                float dA = dLogS * slope;                                         // da = dlogS * logS'(a)
                if (!dxs.IsEmpty) dxs[i] = dxOverwrite ? dIn : dxs[i] + dIn;
                if (!dps.IsEmpty)
                {
                    dps[ia] = dParametersOverwrite ? dA : dps[ia] + dA;
                    dps[it] = dParametersOverwrite ? dT : dps[it] + dT;
                }
            }
        }
    }

    /// <summary>log s(a) and its derivative d log s / da.</summary>
    internal static float LogScale(AffineScaleKind kind, float a, out float slope)
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
