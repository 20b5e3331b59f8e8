using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

/// <summary>Everything scalar about one affine-coupling launch; flags are 0 or 1.</summary>
internal struct CouplingParams
{
    public int Rows, Features, Kind, Inverse, HasDy, HasDLogDet, HasDx, DxOverwrite, HasDp, DpOverwrite;
}

/// <summary>
/// Device code of the coupling transforms: the fused affine coupling (one thread per row of B rows, D features; the
/// log-det sum over a row is sequential, so it is deterministic); the spline coupling is in SplineKernels.cs. The
/// formulas are those of Amortized.Kernels.Cpu's AffineCouplingKernels, the CPU twin the tests compare with.
/// </summary>
internal static class CouplingKernels
{
    private const float LogEMinus1 = AffineCouplingKernels.LogEMinus1;   // ln(e - 1), shared with the CPU twin

    private static int Start => Grid.GlobalIndex.X;

    private static int Stride => Grid.DimX * Group.DimX;

    /// <summary>log s(a) and d log s / da.</summary>
    private struct LogScale
    {
        public float Value, Slope;
    }

    private static LogScale Scale(int kind, float a)
    {
        LogScale r;
        if (kind == (int)AffineScaleKind.TanhExp)
        {
            // log s = 2 tanh(a / 2); d/da = 1 - tanh^2(a / 2).
            float h = default(TanhAct).Apply(0.5f * a);
            r.Value = 2f * h;
            r.Slope = 1f - h * h;
            return r;
        }
        // u = asinh(a) + ln(e - 1); log s = log softplus(u); d/da = sigmoid(u) / softplus(u) / sqrt(a^2 + 1).
        float u = GpuMath.Asinh(a) + LogEMinus1;
        float softplus = default(SoftplusAct).Apply(u);
        r.Value = XMath.Log(softplus);
        r.Slope = default(SigmoidAct).Apply(u) / (softplus * XMath.Sqrt(a * a + 1f));
        return r;
    }

    /// <summary>x (B, D), p (B, 2D) = [a | t]: y = x s + t (inverse: (x - t) / s), logDet[b] = +-sum_j log s.</summary>
    public static void AffineCoupling(ArrayView<float> x, ArrayView<float> p, ArrayView<float> y,
        ArrayView<float> logDet, CouplingParams c)
    {
        int d = c.Features;
        for (int b = Start; b < c.Rows; b += Stride)
        {
            float sum = 0f;
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j, ia = 2 * b * d + j;
                float logS = Scale(c.Kind, p[ia]).Value;
                sum += logS;
                y[i] = c.Inverse != 0 ? (x[i] - p[ia + d]) * XMath.Exp(-logS) : x[i] * XMath.Exp(logS) + p[ia + d];
            }
            logDet[b] = c.Inverse != 0 ? -sum : sum;
        }
    }

    /// <summary>
    /// Backward of <see cref="AffineCoupling"/>: forward dx = g s, dt = g, da = (g x s + l) logS'(a); inverse
    /// dx = g / s, dt = -g / s, da = -(g (x - t) / s + l) logS'(a), with g = dy (0 when absent) and l = dLogDet[b].
    /// dx and dp are written (overwrite flags) or accumulated, each only when present.
    /// </summary>
    public static void AffineCouplingBackward(
        ArrayView<float> x, ArrayView<float> p, ArrayView<float> dy, ArrayView<float> dLogDet, ArrayView<float> dx,
        ArrayView<float> dp, CouplingParams c)
    {
        int d = c.Features;
        for (int b = Start; b < c.Rows; b += Stride)
        {
            float gLogDet = c.HasDLogDet != 0 ? dLogDet[b] : 0f;
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j, ia = 2 * b * d + j, it = ia + d;
                var scale = Scale(c.Kind, p[ia]);
                float g = c.HasDy != 0 ? dy[i] : 0f;
                float dIn, dT, dLogS;
                if (c.Inverse == 0)
                {
                    float s = XMath.Exp(scale.Value);
                    dIn = g * s;
                    dT = g;
                    dLogS = g * x[i] * s + gLogDet;
                }
                else
                {
                    float r = XMath.Exp(-scale.Value);
                    dIn = g * r;
                    dT = -dIn;
                    dLogS = -(g * (x[i] - p[it]) * r) - gLogDet;
                }
                float dA = dLogS * scale.Slope;
                if (c.HasDx != 0)
                    dx[i] = c.DxOverwrite != 0 ? dIn : dx[i] + dIn;
                if (c.HasDp != 0)
                {
                    dp[ia] = c.DpOverwrite != 0 ? dA : dp[ia] + dA;
                    dp[it] = c.DpOverwrite != 0 ? dT : dp[it] + dT;
                }
            }
        }
    }
}
