using System.Numerics.Tensors;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Reductions along one axis, softmax and layer normalisation over spans. A reduction views x as (outer, n, inner)
/// around the reduced axis of length n; its result y is (outer, inner). The ILGPU twin is Amortized.Kernels.Gpu's
/// ReduceKernels.cs.
/// </summary>
public static class ReductionKernels
{
    /// <summary>y = reduce(x) along the middle axis: x (outer, n, inner), y (outer, inner).</summary>
    public static void Reduce(ReduceKind kind, ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner,
        float scale)
    {
        if (kind == ReduceKind.Sum && SetWork.TryRun(SetWork.Mode.Sum, x, y, outer, n, inner, scale))
            return;
        ReduceRange(kind, x, y, 0, outer, n, inner, scale);
    }

    /// <summary>Blocks [o0, o1) of <see cref="Reduce"/>: x and y are the whole spans.</summary>
    internal static void ReduceRange(ReduceKind kind, ReadOnlySpan<float> x, Span<float> y, int o0, int o1, int n,
        int inner, float scale)
    {
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y;
        for (int o = o0; o < o1; o++)
        {
            var block = xs.Slice(o * n * inner, n * inner);
            var dst = ys.Slice(o * inner, inner);
            if (inner == 1 && n <= 8 && kind == ReduceKind.Sum)
            {
                // Short rows (summing a few features per sample): a plain loop beats a vectorised call per row.
                float sum = 0;
                for (int k = 0; k < n; k++) sum += block[k];
                dst[0] = scale * sum;
                continue;
            }
            if (inner == 1)
            {
                dst[0] = kind switch
                {
                    ReduceKind.Sum => scale * TensorPrimitives.Sum(block),
                    ReduceKind.Max => n == 0 ? float.NegativeInfinity : TensorPrimitives.Max(block),
                    _ => LogSumExp(block),
                };
                continue;
            }
            switch (kind)
            {
                case ReduceKind.Sum:
                    // The same additions in the same order as adding row after row into a cleared dst.
                    unsafe
                    {
                        fixed (float* pb = block)
                        fixed (float* pd = dst)
                            RowSums.Sum(pb, n, inner, pd);
                    }
                    if (scale != 1f) TensorPrimitives.Multiply(dst, scale, dst);
                    break;
                case ReduceKind.Max:
                    dst.Fill(float.NegativeInfinity);
                    for (int k = 0; k < n; k++) TensorPrimitives.Max(dst, block.Slice(k * inner, inner), dst);
                    break;
                default:
                    for (int i = 0; i < inner; i++)
                    {
                        float max = float.NegativeInfinity;
                        for (int k = 0; k < n; k++) max = MathF.Max(max, block[k * inner + i]);
                        double sum = 0;
                        for (int k = 0; k < n; k++) sum += MathF.Exp(block[k * inner + i] - max);
                        dst[i] = float.IsNegativeInfinity(max) ? max : max + (float)Math.Log(sum);
                    }
                    break;
            }
        }
    }

    /// <summary>dx (outer, n, inner) = scale * dy (outer, inner) repeated n times, for blocks [o0, o1).</summary>
    internal static void BroadcastRange(ReadOnlySpan<float> dy, Span<float> dx, int o0, int o1, int n, int inner,
        float scale)
    {
        for (int o = o0; o < o1; o++)
        {
            var src = dy.Slice(o * inner, inner);
            for (int k = 0; k < n; k++)
                TensorPrimitives.Multiply(src, scale, dx.Slice((o * n + k) * inner, inner));
        }
    }

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) return max;
        double sum = 0;
        for (int k = 0; k < row.Length; k++) sum += MathF.Exp(row[k] - max);
        return max + (float)Math.Log(sum);
    }

    /// <summary>
    /// dx += d reduce / dx * dy, or dx = d reduce / dx * dy when <paramref name="accumulate"/> is false: x and dx
    /// (outer, n, inner), y and dy (outer, inner).
    /// </summary>
    public static void ReduceBackward(ReduceKind kind, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, Span<float> dx, int outer, int n, int inner, float scale, bool accumulate)
    {
        ReadOnlySpan<float> xs = x, ys = y, g = dy;
        Span<float> d = dx;
        if (!accumulate)
        {
            if (kind == ReduceKind.Sum)
            {
                // Every element of dx gets scale * dy of its row: write it (no zero fill needed first).
                if (!SetWork.TryRun(SetWork.Mode.Broadcast, dy, dx, outer, n, inner, scale))
                    BroadcastRange(dy, dx, 0, outer, n, inner, scale);
                return;
            }
            d.Clear();   // the other kinds write only part of dx or accumulate: start from zeros
        }
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                float gy = g[o * inner + i], yv = ys[o * inner + i];
                int baseIndex = o * n * inner + i;
                switch (kind)
                {
                    case ReduceKind.Sum:                      // d sum / dx_k = scale
                        for (int k = 0; k < n; k++) d[baseIndex + k * inner] += scale * gy;
                        break;
                    case ReduceKind.Max:                      // subgradient: all of it to the first maximum
                        for (int k = 0; k < n; k++)
                        {
                            if (xs[baseIndex + k * inner] == yv)
                            {
                                d[baseIndex + k * inner] += gy;
                                break;
                            }
                        }
                        break;
                    default:                                  // d lse / dx_k = exp(x_k - lse) = softmax_k
                        for (int k = 0; k < n; k++)
                            d[baseIndex + k * inner] += gy * MathF.Exp(xs[baseIndex + k * inner] - yv);
                        break;
                }
            }
        }
    }

    /// <summary>y = softmax(x) along the middle axis: x and y (outer, n, inner).</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner)
    {
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y;
        for (int o = 0; o < outer; o++)
        {
            if (inner == 1)
            {
                // exp(x - max) / sum: TensorPrimitives.SoftMax does not subtract the maximum, so it overflows
                // to NaN for logits above ~88 (and gives 0/0 for rows below ~-104).
                var row = xs.Slice(o * n, n);
                var dst = ys.Slice(o * n, n);
                if (n == 0) continue;
                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), dst);
                TensorPrimitives.Exp(dst, dst);
                TensorPrimitives.Multiply(dst, 1f / TensorPrimitives.Sum(dst), dst);
                continue;
            }
            for (int i = 0; i < inner; i++)
            {
                int b = o * n * inner + i;
                float max = float.NegativeInfinity;
                for (int k = 0; k < n; k++) max = MathF.Max(max, xs[b + k * inner]);
                float sum = 0;
                for (int k = 0; k < n; k++)
                {
                    float e = MathF.Exp(xs[b + k * inner] - max);
                    ys[b + k * inner] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int k = 0; k < n; k++) ys[b + k * inner] *= inv;
            }
        }
    }

    /// <summary>dx += y * (dy - sum(dy * y)) along the middle axis: y, dy and dx (outer, n, inner).</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int outer, int n,
        int inner)
    {
        ReadOnlySpan<float> ys = y, g = dy;
        Span<float> d = dx;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * n * inner + i;
                float dot = 0;                                         // sum_k dy_k y_k
                for (int k = 0; k < n; k++) dot += g[b + k * inner] * ys[b + k * inner];
                for (int k = 0; k < n; k++) d[b + k * inner] += ys[b + k * inner] * (g[b + k * inner] - dot);
            }
        }
    }

    /// <summary>
    /// Layer normalisation of each row of x (rows, d) into y (rows, d), then times gamma (d) and plus beta (d), each
    /// skipped when empty; writes the row's mean and 1/std into mean (rows) and rstd (rows) for the backward pass.
    /// </summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        float epsilon, Span<float> y, Span<float> mean, Span<float> rstd, int rows, int d)
    {
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y, ms = mean, rs = rstd;
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * d, d);
            var dst = ys.Slice(r * d, d);
            float m = TensorPrimitives.Sum(row) / d;
            TensorPrimitives.Subtract(row, m, dst);
            float variance = TensorPrimitives.Dot(dst, dst) / d;
            float s = 1f / MathF.Sqrt(variance + epsilon);
            TensorPrimitives.Multiply(dst, s, dst);
            if (!gamma.IsEmpty) TensorPrimitives.Multiply(dst, gamma, dst);
            if (!beta.IsEmpty) TensorPrimitives.Add(dst, beta, dst);
            ms[r] = m;
            rs[r] = s;
        }
    }

    /// <summary>
    /// Accumulates dx (rows, d), dGamma (d) and dBeta (d) of <see cref="LayerNorm"/> from dy (rows, d), each output
    /// skipped when empty; gamma (d) empty means 1.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> dy, Span<float> dx, Span<float> dGamma, Span<float> dBeta,
        int rows, int d)
    {
        ReadOnlySpan<float> xs = x, g = dy, ms = mean, rs = rstd, gam = gamma;
        for (int r = 0; r < rows; r++)
        {
            float m = ms[r], s = rs[r];
            // xhat = (x - mean) * rstd; dnorm = dy * gamma.
            // dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)); dgamma += dy * xhat; dbeta += dy.
            float meanDnorm = 0, meanDnormXhat = 0;
            for (int j = 0; j < d; j++)
            {
                float xhat = (xs[r * d + j] - m) * s;
                float dnorm = g[r * d + j] * (gam.IsEmpty ? 1f : gam[j]);
                meanDnorm += dnorm;
                meanDnormXhat += dnorm * xhat;
            }
            meanDnorm /= d;
            meanDnormXhat /= d;
            for (int j = 0; j < d; j++)
            {
                float xhat = (xs[r * d + j] - m) * s;
                float gy = g[r * d + j];
                float dnorm = gy * (gam.IsEmpty ? 1f : gam[j]);
                if (!dx.IsEmpty) dx[r * d + j] += s * (dnorm - meanDnorm - xhat * meanDnormXhat);
                if (!dGamma.IsEmpty) dGamma[j] += gy * xhat;
                if (!dBeta.IsEmpty) dBeta[j] += gy;
            }
        }
    }

    /// <summary>Sum of squares of <paramref name="values"/> (N) (what the global gradient norm is made of).</summary>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // Chunks summed in float by SIMD, chunk totals in double: accurate and deterministic.
        double sum = 0;
        const int chunk = 4096;
        for (int start = 0; start < values.Length; start += chunk)
        {
            var part = values.Slice(start, Math.Min(chunk, values.Length - start));
            sum += TensorPrimitives.Dot(part, part);
        }
        return sum;
    }
}
