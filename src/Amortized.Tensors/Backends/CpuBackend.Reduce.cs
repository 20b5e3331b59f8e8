using System.Numerics.Tensors;

namespace Amortized.Tensors.Backends;

public sealed partial class CpuBackend
{
    // Reductions view x as (outer, n, inner) around the reduced axis; y is (outer, inner).

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int axis, Tensor y, float scale)
    {
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
        for (int o = 0; o < outer; o++)
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
                    dst.Clear();
                    for (int k = 0; k < n; k++) TensorPrimitives.Add(dst, block.Slice(k * inner, inner), dst);
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

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        if (row.IsEmpty) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) return max;
        double sum = 0;
        for (int k = 0; k < row.Length; k++) sum += MathF.Exp(row[k] - max);
        return max + (float)Math.Log(sum);
    }

    /// <inheritdoc />
    public void ReduceBackward(ReduceKind kind, Tensor x, Tensor y, Tensor dy, int axis, Tensor dx, float scale, bool accumulate = true)
    {
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        ReadOnlySpan<float> xs = x.Span, ys = y.Span, g = dy.Span;
        Span<float> d = dx.Span;
        if (!accumulate)
        {
            if (kind == ReduceKind.Sum)
            {
                // Every element of dx gets scale * dy of its row: write it (no zero fill needed first).
                for (int o = 0; o < outer; o++)
                {
                    var src = g.Slice(o * inner, inner);
                    for (int k = 0; k < n; k++) TensorPrimitives.Multiply(src, scale, d.Slice((o * n + k) * inner, inner));
                }
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
                        for (int k = 0; k < n; k++) d[baseIndex + k * inner] += gy * MathF.Exp(xs[baseIndex + k * inner] - yv);
                        break;
                }
            }
        }
    }

    /// <inheritdoc />
    public void Softmax(Tensor x, int axis, Tensor y)
    {
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
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

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, int axis, Tensor dx)
    {
        int outer = y.Shape.Outer(axis), n = y.Shape[axis], inner = y.Shape.Inner(axis);
        ReadOnlySpan<float> ys = y.Span, g = dy.Span;
        Span<float> d = dx.Span;
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

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float epsilon, Tensor y, Tensor mean, Tensor rstd)
    {
        int d = x.Shape[-1];
        int rows = d == 0 ? 0 : x.Size / d;
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span, ms = mean.Span, rs = rstd.Span;
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * d, d);
            var dst = ys.Slice(r * d, d);
            float m = TensorPrimitives.Sum(row) / d;
            TensorPrimitives.Subtract(row, m, dst);
            float variance = TensorPrimitives.Dot(dst, dst) / d;
            float s = 1f / MathF.Sqrt(variance + epsilon);
            TensorPrimitives.Multiply(dst, s, dst);
            if (gamma is not null) TensorPrimitives.Multiply(dst, gamma.Span, dst);
            if (beta is not null) TensorPrimitives.Add(dst, beta.Span, dst);
            ms[r] = m;
            rs[r] = s;
        }
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor? gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor? dx, Tensor? dGamma, Tensor? dBeta)
    {
        int d = x.Shape[-1];
        int rows = d == 0 ? 0 : x.Size / d;
        ReadOnlySpan<float> xs = x.Span, g = dy.Span, ms = mean.Span, rs = rstd.Span;
        ReadOnlySpan<float> gam = gamma is null ? default : gamma.Span;
        for (int r = 0; r < rows; r++)
        {
            float m = ms[r], s = rs[r];
            // xhat = (x - mean) * rstd; dnorm = dy * gamma.
            // dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)); dgamma += dy * xhat; dbeta += dy.
            float meanDnorm = 0, meanDnormXhat = 0;
            for (int j = 0; j < d; j++)
            {
                float xhat = (xs[r * d + j] - m) * s;
                float dnorm = g[r * d + j] * (gamma is null ? 1f : gam[j]);
                meanDnorm += dnorm;
                meanDnormXhat += dnorm * xhat;
            }
            meanDnorm /= d;
            meanDnormXhat /= d;
            for (int j = 0; j < d; j++)
            {
                float xhat = (xs[r * d + j] - m) * s;
                float gy = g[r * d + j];
                float dnorm = gy * (gamma is null ? 1f : gam[j]);
                if (dx is not null) dx.Span[r * d + j] += s * (dnorm - meanDnorm - xhat * meanDnormXhat);
                if (dGamma is not null) dGamma.Span[j] += gy * xhat;
                if (dBeta is not null) dBeta.Span[j] += gy;
            }
        }
    }
}
