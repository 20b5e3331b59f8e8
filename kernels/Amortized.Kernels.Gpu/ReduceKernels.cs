using ILGPU;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// Device code for reductions, softmax, layer norm and the sum of squares. Reductions view x as
/// (outer, length, inner) and y as (outer, inner). Every sum is taken in a fixed order (sequentially per thread, or
/// strided partials followed by a fixed tree in shared memory), never with float atomics, so results are bitwise
/// reproducible for a given device and shape.
/// </summary>
internal static class ReduceKernels
{
    /// <summary>Shared-memory size of the group reductions; group sizes are powers of two up to this.</summary>
    public const int MaxGroup = 256;

    private const int OpSum = 0, OpMax = 1;

    private static int Start => Grid.GlobalIndex.X;

    private static int Stride => Grid.DimX * Group.DimX;

    /// <summary>
    /// Sum over the group in a fixed tree; every thread gets the total. Group.DimX is a power of two.
    /// </summary>
    public static float TreeSum(ArrayView<float> shared, float value)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s)
                shared[t] += shared[t + s];
            Group.Barrier();
        }
        float total = shared[0];
        Group.Barrier();   // shared is reused by the caller's next round
        return total;
    }

    /// <summary>Max over the group in a fixed tree (NaN propagates); every thread gets the result.</summary>
    public static float TreeMax(ArrayView<float> shared, float value)
    {
        int t = Group.IdxX;
        shared[t] = value;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s)
                shared[t] = GpuMath.Max(shared[t], shared[t + s]);
            Group.Barrier();
        }
        float total = shared[0];
        Group.Barrier();
        return total;
    }

    /// <summary>One thread per (o, i) output: short rows, many of them.</summary>
    public static void ReduceThread(ArrayView<float> x, ArrayView<float> y, ReduceParams p)
    {
        int outputs = p.Outer * p.Inner;
        for (int q = Start; q < outputs; q += Stride)
        {
            int o = q / p.Inner, i = q - o * p.Inner;
            int b = o * p.Length * p.Inner + i;
            if (p.Op == OpSum)
            {
                float sum = 0f;
                for (int k = 0; k < p.Length; k++)
                    sum += x[b + k * p.Inner];
                y[q] = p.Scale * sum;
                continue;
            }
            float max = float.NegativeInfinity;
            for (int k = 0; k < p.Length; k++)
                max = GpuMath.Max(max, x[b + k * p.Inner]);
            if (p.Op == OpMax || max == float.NegativeInfinity)
            {
                y[q] = max;
                continue;
            }
            float s = 0f;
            for (int k = 0; k < p.Length; k++)
                s += XMath.Exp(x[b + k * p.Inner] - max);
            y[q] = max + XMath.Log(s);
        }
    }

    /// <summary>One group per (o, i) output: long rows, few of them.</summary>
    public static void ReduceGroup(ArrayView<float> x, ArrayView<float> y, ReduceParams p)
    {
        var shared = SharedMemory.Allocate1D<float>(MaxGroup);
        int outputs = p.Outer * p.Inner;
        for (int q = Grid.IdxX; q < outputs; q += Grid.DimX)
        {
            int o = q / p.Inner, i = q - o * p.Inner;
            int b = o * p.Length * p.Inner + i;
            float result;
            if (p.Op == OpSum)
            {
                float sum = 0f;
                for (int k = Group.IdxX; k < p.Length; k += Group.DimX)
                    sum += x[b + k * p.Inner];
                result = p.Scale * TreeSum(shared, sum);
            }
            else
            {
                float max = float.NegativeInfinity;
                for (int k = Group.IdxX; k < p.Length; k += Group.DimX)
                    max = GpuMath.Max(max, x[b + k * p.Inner]);
                max = TreeMax(shared, max);
                if (p.Op == OpMax || max == float.NegativeInfinity)
                {
                    result = max;
                }
                else
                {
                    float s = 0f;
                    for (int k = Group.IdxX; k < p.Length; k += Group.DimX)
                        s += XMath.Exp(x[b + k * p.Inner] - max);
                    result = max + XMath.Log(TreeSum(shared, s));
                }
            }
            if (Group.IdxX == 0)
                y[q] = result;
        }
    }

    /// <summary>Sum and LogSumExp backward: independent per dx element.</summary>
    public static void ReduceBackwardElementwise(
        ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, ReduceParams p)
    {
        int chunk = p.Length * p.Inner;
        int n = p.Outer * chunk;
        for (int e = Start; e < n; e += Stride)
        {
            int o = e / chunk;
            int i = (e - o * chunk) % p.Inner;
            int q = o * p.Inner + i;
            float v = p.Op == OpSum ? p.Scale * dy[q] : dy[q] * XMath.Exp(x[e] - y[q]);
            dx[e] = p.Accumulate != 0 ? dx[e] + v : v;
        }
    }

    /// <summary>Max backward: all of dy goes to the first element equal to the max (ReductionKernels' rule).</summary>
    public static void ReduceBackwardMax(
        ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, ReduceParams p)
    {
        int outputs = p.Outer * p.Inner;
        for (int q = Start; q < outputs; q += Stride)
        {
            int o = q / p.Inner, i = q - o * p.Inner;
            int b = o * p.Length * p.Inner + i;
            float yv = y[q], g = dy[q];
            bool found = false;
            for (int k = 0; k < p.Length; k++)
            {
                int idx = b + k * p.Inner;
                if (!found && x[idx] == yv)
                {
                    found = true;
                    dx[idx] = p.Accumulate != 0 ? dx[idx] + g : g;
                }
                else if (p.Accumulate == 0)
                {
                    dx[idx] = 0f;
                }
            }
        }
    }

    public static void Softmax(ArrayView<float> x, ArrayView<float> y, ReduceParams p)
    {
        int outputs = p.Outer * p.Inner;
        for (int q = Start; q < outputs; q += Stride)
        {
            int o = q / p.Inner, i = q - o * p.Inner;
            int b = o * p.Length * p.Inner + i;
            float max = float.NegativeInfinity;
            for (int k = 0; k < p.Length; k++)
                max = GpuMath.Max(max, x[b + k * p.Inner]);
            float sum = 0f;
            for (int k = 0; k < p.Length; k++)
            {
                float e = XMath.Exp(x[b + k * p.Inner] - max);
                y[b + k * p.Inner] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int k = 0; k < p.Length; k++)
                y[b + k * p.Inner] *= inv;
        }
    }

    public static void SoftmaxBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, ReduceParams p)
    {
        int outputs = p.Outer * p.Inner;
        for (int q = Start; q < outputs; q += Stride)
        {
            int o = q / p.Inner, i = q - o * p.Inner;
            int b = o * p.Length * p.Inner + i;
            float dot = 0f;
            for (int k = 0; k < p.Length; k++)
                dot += dy[b + k * p.Inner] * y[b + k * p.Inner];
            for (int k = 0; k < p.Length; k++)
            {
                int idx = b + k * p.Inner;
                dx[idx] += y[idx] * (dy[idx] - dot);
            }
        }
    }

    /// <summary>One thread per row: mean, variance of the centred row, rstd = 1/sqrt(var + eps), affine.</summary>
    public static void LayerNorm(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> rstd, LayerNormParams p)
    {
        for (int r = Start; r < p.Rows; r += Stride)
        {
            int b = r * p.Cols;
            float sum = 0f;
            for (int j = 0; j < p.Cols; j++)
                sum += x[b + j];
            float m = sum / p.Cols;
            float sq = 0f;
            for (int j = 0; j < p.Cols; j++)
            {
                float d = x[b + j] - m;
                sq += d * d;
            }
            float variance = sq / p.Cols;
            float s = 1f / XMath.Sqrt(variance + p.Epsilon);
            for (int j = 0; j < p.Cols; j++)
            {
                float v = (x[b + j] - m) * s;
                if (p.HasGamma != 0)
                    v *= gamma[j];
                if (p.HasBeta != 0)
                    v += beta[j];
                y[b + j] = v;
            }
            mean[r] = m;
            rstd[r] = s;
        }
    }

    /// <summary>dx per row: rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dy * gamma.</summary>
    public static void LayerNormBackwardRows(
        ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> dy, ArrayView<float> dx, LayerNormParams p)
    {
        for (int r = Start; r < p.Rows; r += Stride)
        {
            int b = r * p.Cols;
            float m = mean[r], s = rstd[r];
            float meanDnorm = 0f, meanDnormXhat = 0f;
            for (int j = 0; j < p.Cols; j++)
            {
                float xhat = (x[b + j] - m) * s;
                float dnorm = dy[b + j] * (p.HasGamma != 0 ? gamma[j] : 1f);
                meanDnorm += dnorm;
                meanDnormXhat += dnorm * xhat;
            }
            meanDnorm /= p.Cols;
            meanDnormXhat /= p.Cols;
            for (int j = 0; j < p.Cols; j++)
            {
                float xhat = (x[b + j] - m) * s;
                float dnorm = dy[b + j] * (p.HasGamma != 0 ? gamma[j] : 1f);
                dx[b + j] += s * (dnorm - meanDnorm - xhat * meanDnormXhat);
            }
        }
    }

    /// <summary>
    /// dGamma += sum_r dy * xhat, dBeta += sum_r dy: one thread per column, rows in order (as the CPU).
    /// </summary>
    public static void LayerNormBackwardColumns(
        ArrayView<float> x, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy,
        ArrayView<float> dGamma, ArrayView<float> dBeta, LayerNormParams p)
    {
        for (int j = Start; j < p.Cols; j += Stride)
        {
            float g = p.HasDGamma != 0 ? dGamma[j] : 0f;
            float bsum = p.HasDBeta != 0 ? dBeta[j] : 0f;
            for (int r = 0; r < p.Rows; r++)
            {
                float gy = dy[r * p.Cols + j];
                g += gy * ((x[r * p.Cols + j] - mean[r]) * rstd[r]);
                bsum += gy;
            }
            if (p.HasDGamma != 0)
                dGamma[j] = g;
            if (p.HasDBeta != 0)
                dBeta[j] = bsum;
        }
    }

    /// <summary>Pass 1: each group writes the sum of squares of its grid-strided elements to partials[group].</summary>
    public static void SumOfSquaresPartial(ArrayView<float> x, ArrayView<float> partials, int n)
    {
        var shared = SharedMemory.Allocate1D<float>(MaxGroup);
        float sum = 0f;
        for (int i = Start; i < n; i += Stride)
            sum += x[i] * x[i];
        sum = TreeSum(shared, sum);
        if (Group.IdxX == 0)
            partials[Grid.IdxX] = sum;
    }

    /// <summary>Pass 2: one group adds the partials in a fixed order and writes result[0].</summary>
    public static void SumFinal(ArrayView<float> partials, ArrayView<float> result, int count)
    {
        var shared = SharedMemory.Allocate1D<float>(MaxGroup);
        float sum = 0f;
        for (int i = Group.IdxX; i < count; i += Group.DimX)
            sum += partials[i];
        sum = TreeSum(shared, sum);
        if (Group.IdxX == 0)
            result[0] = sum;
    }
}
