using ILGPU;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

/// <summary>Everything scalar about one spline-coupling launch; flags are 0 or 1.</summary>
internal struct SplineParams
{
    public int Rows, Features, Bins, Inverse;
    public int ThreadsPerRow, RowsPerGroup, Blocks;                  // forward: a group holds RowsPerGroup rows
    public float Bound, MinWidth, MinHeight, MinDerivative, Shift;  // Shift = ln(exp(1 - MinDerivative) - 1)
    public int HasDy, HasDLogDet, HasDx, DxOverwrite, HasDp, DpOverwrite;
}

/// <summary>
/// Device code of the fused rational-quadratic spline coupling (Durkan et al. 2019), one thread per element (row b,
/// feature j). x (B, D), p (B, D * P) with P = 3K - 1 per feature ([K width logits | K height logits | K - 1 interior
/// derivative pre-activations]), y (B, D), logDet (B). Each thread recomputes its softmaxes in loops over K (no local
/// arrays). The formulas and their order are those of Amortized.Kernels.Cpu's SplineCouplingKernels, the CPU twin the
/// tests compare with; its comments carry the derivation.
/// </summary>
internal static class SplineKernels
{
    private struct Softmax
    {
        public float Max, Sum;
    }

    private struct RqBin
    {
        public int Bin;
        public float Xk, Wk, Yk, Hk, Dk, Dk1, Xi, Output, Derivative, LogDerivative;
    }

    private struct Knots
    {
        public float Left, Width;
    }

    private struct RqGrad
    {
        public float Xi, S, Dk, Dk1, Hk;
    }

    /// <summary>
    /// Forward. A group holds RowsPerGroup rows of ThreadsPerRow threads (min(D, group size)); thread lane handles
    /// features lane, lane + ThreadsPerRow, ...; the row's log-det is then summed by lane 0 from shared memory in
    /// feature order (the CPU's order when D fits a group), so it is deterministic without atomics.
    /// </summary>
    public static void SplineCoupling(ArrayView<float> x, ArrayView<float> p, ArrayView<float> y,
        ArrayView<float> logDet, SplineParams c)
    {
        var shared = SharedMemory.Allocate1D<float>(ReduceKernels.MaxGroup);
        int local = Group.IdxX, r = local / c.ThreadsPerRow, lane = local - r * c.ThreadsPerRow;
        int per = 3 * c.Bins - 1;
        for (int block = Grid.IdxX; block < c.Blocks; block += Grid.DimX)
        {
            int b = block * c.RowsPerGroup + r;
            bool owns = r < c.RowsPerGroup && b < c.Rows;
            float partial = 0f;
            if (owns)
            {
                for (int j = lane; j < c.Features; j += c.ThreadsPerRow)
                {
                    int i = b * c.Features + j;
                    float v = x[i];
                    if (!(XMath.Abs(v) <= c.Bound))
                    {
                        y[i] = v;                                                 // identity tail, log-det 0
                        continue;
                    }
                    var e = Locate(p, i * per, v, c);
                    y[i] = e.Output;
                    partial += e.LogDerivative;
                }
            }
            shared[local] = partial;
            Group.Barrier();
            if (owns && lane == 0)
            {
                float sum = 0f;
                for (int l = 0; l < c.ThreadsPerRow; l++)
                    sum += shared[r * c.ThreadsPerRow + l];
                logDet[b] = c.Inverse != 0 ? -sum : sum;
            }
            Group.Barrier();                                                      // shared is reused next block
        }
    }

    /// <summary>
    /// Backward, one thread per element: dx and dp written (overwrite flags) or accumulated, each if present.
    /// </summary>
    public static void SplineCouplingBackward(ArrayView<float> x, ArrayView<float> p,
        ArrayView<float> dy, ArrayView<float> dLogDet,
        ArrayView<float> dx, ArrayView<float> dp, SplineParams c)
    {
        int n = c.Rows * c.Features, k = c.Bins, per = 3 * k - 1;
        for (int i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            int b = i / c.Features, start = i * per;
            float v = x[i], gy = c.HasDy != 0 ? dy[i] : 0f;
            float gl = c.HasDLogDet != 0 ? dLogDet[b] : 0f;
            float gLog = c.Inverse != 0 ? -gl : gl;
            if (!(XMath.Abs(v) <= c.Bound))
            {
                if (c.HasDx != 0)
                    dx[i] = c.DxOverwrite != 0 ? gy : dx[i] + gy;
                if (c.HasDp != 0 && c.DpOverwrite != 0)
                {
                    for (int q = 0; q < per; q++)
                        dp[start + q] = 0f;
                }
                continue;
            }
            var e = Locate(p, start, v, c);
            float s = e.Hk / e.Wk;
            float gV, gXk, gWk, gYk, gHk, gDk, gDk1;
            if (c.Inverse == 0)
            {
                var g = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, gy, gLog);
                gV = g.Xi / e.Wk;
                gXk = -gV;
                gWk = -(g.Xi * e.Xi + g.S * s) / e.Wk;
                gHk = g.Hk + g.S / e.Wk;
                gYk = gy;
                gDk = g.Dk;
                gDk1 = g.Dk1;
            }
            else
            {
                var a = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, 0f, gLog);
                float gXi = gy * e.Wk + a.Xi;
                float lambda = gXi / (e.Wk * e.Derivative);
                var g = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, -lambda, 0f);
                float gS = a.S + g.S;
                gV = lambda;
                gXk = gy;
                gWk = gy * e.Xi - gS * s / e.Wk;
                gHk = g.Hk + gS / e.Wk;
                gYk = -lambda;
                gDk = a.Dk + g.Dk;
                gDk1 = a.Dk1 + g.Dk1;
            }
            if (c.HasDx != 0)
                dx[i] = c.DxOverwrite != 0 ? gV : dx[i] + gV;
            if (c.HasDp == 0)
                continue;
            float span = 2f * c.Bound;
            float scaleW = (1f - c.MinWidth * k) * span, scaleH = (1f - c.MinHeight * k) * span;
            SoftmaxKnotsBackward(p, dp, start, k, e.Bin, scaleW * gXk, scaleW * gWk, c.DpOverwrite);
            SoftmaxKnotsBackward(p, dp, start + k, k, e.Bin, scaleH * gYk, scaleH * gHk, c.DpOverwrite);
            for (int m = 1; m < k; m++)
            {
                int at = start + 2 * k + m - 1;
                float gd = m == e.Bin ? gDk : m == e.Bin + 1 ? gDk1 : 0f;
                if (gd != 0f)
                    gd *= default(SigmoidAct).Apply(p[at] + c.Shift);
                dp[at] = c.DpOverwrite != 0 ? gd : dp[at] + gd;
            }
        }
    }

    /// <summary>
    /// The element's bin (searched on x knots forward, y knots inverse), its knots, derivatives and value.
    /// </summary>
    private static RqBin Locate(ArrayView<float> p, int start, float v, SplineParams c)
    {
        int k = c.Bins;
        var sw = Stats(p, start, k);
        var sh = Stats(p, start + k, k);
        float scaleW = 1f - c.MinWidth * k, scaleH = 1f - c.MinHeight * k;
        int bin = c.Inverse != 0
            ? SearchBin(v, p, start + k, k, sh, scaleH, c.MinHeight, c.Bound)
            : SearchBin(v, p, start, k, sw, scaleW, c.MinWidth, c.Bound);
        RqBin e;
        e.Bin = bin;
        var kx = Knot(p, start, sw, scaleW, c.MinWidth, c.Bound, bin);
        var ky = Knot(p, start + k, sh, scaleH, c.MinHeight, c.Bound, bin);
        e.Xk = kx.Left;
        e.Wk = kx.Width;
        e.Yk = ky.Left;
        e.Hk = ky.Width;
        e.Dk = bin == 0 ? 1f : c.MinDerivative + default(SoftplusAct).Apply(p[start + 2 * k + bin - 1] + c.Shift);
        e.Dk1 = bin == k - 1 ? 1f : c.MinDerivative + default(SoftplusAct).Apply(p[start + 2 * k + bin] + c.Shift);

        float s = e.Hk / e.Wk, curvature = e.Dk1 + e.Dk - 2f * s;
        float xi;
        if (c.Inverse == 0)
        {
            xi = (v - e.Xk) / e.Wk;
        }
        else
        {
            float dy = v - e.Yk;
            float qa = e.Hk * (s - e.Dk) + dy * curvature, qb = e.Hk * e.Dk - dy * curvature, qc = -(s * dy);
            float discriminant = GpuMath.Max(qb * qb - qa * qc * 4f, 0f);
            xi = qc * 2f / (-qb - XMath.Sqrt(discriminant));
        }
        float t = xi * (1f - xi), q = s + curvature * t;
        e.Xi = xi;
        e.Output = c.Inverse != 0 ? e.Xk + xi * e.Wk : e.Yk + e.Hk * (s * xi * xi + e.Dk * t) / q;
        float m = e.Dk1 * xi * xi + s * t * 2f + e.Dk * (1f - xi) * (1f - xi);
        e.Derivative = s * s * m / (q * q);
        e.LogDerivative = XMath.Log(e.Derivative);
        return e;
    }

    private static Softmax Stats(ArrayView<float> p, int start, int k)
    {
        Softmax st;
        st.Max = float.NegativeInfinity;
        for (int i = 0; i < k; i++)
            st.Max = GpuMath.Max(st.Max, p[start + i]);
        st.Sum = 0f;
        for (int i = 0; i < k; i++)
            st.Sum += XMath.Exp(p[start + i] - st.Max);
        return st;
    }

    private static float Probability(ArrayView<float> p, int at, Softmax st) => XMath.Exp(p[at] - st.Max) / st.Sum;

    private static int SearchBin(float v, ArrayView<float> p, int start, int k, Softmax st,
        float scale, float min, float bound)
    {
        float cum = 0f;
        int bin = 0;
        while (bin < k - 1)
        {
            cum += scale * Probability(p, start + bin, st) + min;
            if (!(v >= cum * (2f * bound) - bound))
                break;
            bin++;
        }
        return bin;
    }

    /// <summary>
    /// Left knot of <paramref name="bin"/>, and its width, from the same running sum as <see cref="SearchBin"/>.
    /// </summary>
    private static Knots Knot(ArrayView<float> p, int start, Softmax st, float scale, float min, float bound, int bin)
    {
        float cum = 0f;
        for (int j = 0; j < bin; j++)
            cum += scale * Probability(p, start + j, st) + min;
        Knots r;
        r.Left = cum * (2f * bound) - bound;
        cum += scale * Probability(p, start + bin, st) + min;
        r.Width = cum * (2f * bound) - bound - r.Left;
        return r;
    }

    /// <summary>Adjoints of (xi, s, dk, dk1, hk) from those of out = yk + hk n / q (gOut) and log f' (gLog).</summary>
    private static RqGrad RqBackward(float xi, float s, float dk, float dk1, float hk, float gOut, float gLog)
    {
        float t = xi * (1f - xi), dt = 1f - 2f * xi, c = dk1 + dk - 2f * s;
        float q = s + c * t, n = s * xi * xi + dk * t, m = dk1 * xi * xi + 2f * s * t + dk * (1f - xi) * (1f - xi);
        float gN = gOut * hk / q;
        float gQ = -gOut * hk * n / (q * q) - 2f * gLog / q;
        float gM = gLog / m;
        RqGrad r;
        r.Xi = gN * (2f * s * xi + dk * dt) + gQ * c * dt + gM * (2f * dk1 * xi + 2f * s * dt - 2f * dk * (1f - xi));
        r.S = gN * xi * xi + gQ * (1f - 2f * t) + gM * 2f * t + 2f * gLog / s;
        r.Dk = (gN + gQ) * t + gM * (1f - xi) * (1f - xi);
        r.Dk1 = gQ * t + gM * xi * xi;
        r.Hk = gOut * n / q;
        return r;
    }

    /// <summary>
    /// Logit gradients of one softmax from the bin's left-knot and width adjoints (pre-scaled by (1 - K min) 2B).
    /// </summary>
    private static void SoftmaxKnotsBackward(ArrayView<float> p, ArrayView<float> dp, int start, int k,
        int bin, float gKnot, float gWidth,
        int overwrite)
    {
        var st = Stats(p, start, k);
        float below = 0f;
        for (int j = 0; j < bin; j++)
            below += Probability(p, start + j, st);
        float dot = gKnot * below + gWidth * Probability(p, start + bin, st);
        for (int i = 0; i < k; i++)
        {
            float ds = i < bin ? gKnot : i == bin ? gWidth : 0f;
            float du = Probability(p, start + i, st) * (ds - dot);
            dp[start + i] = overwrite != 0 ? du : dp[start + i] + du;
        }
    }
}
