using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// Oracles of the fused spline coupling: the composite formulation it replaced (Networks' SplineTransform before
/// fusion, ~60 differentiable tensor ops with the bin and inside masks built on the host), and a double-precision
/// scalar implementation. Shapes: x (B, D), raw (B, D * (3K - 1)), log-det (B).
/// </summary>
internal static class SplineReference
{
    /// <summary>The composite formulation, on the CPU.</summary>
    public static (Tensor Y, Tensor LogDet) Composite(Tensor input, Tensor raw, SplineCouplingOptions o, bool inverse)
    {
        int b = input.Shape[0], f = input.Shape[1], k = o.Bins;
        float bound = o.Bound;
        var p = raw.Reshape(b, f, 3 * k - 1);
        var widths = p.Slice(2, 0, k).Softmax(-1) * (1f - o.MinBinWidth * k) + o.MinBinWidth;
        var heights = p.Slice(2, k, k).Softmax(-1) * (1f - o.MinBinHeight * k) + o.MinBinHeight;
        var interior = (p.Slice(2, 2 * k, k - 1) + o.DerivativeShift).Softplus() + o.MinDerivative;
        var ones = Tensor.Ones(new Shape(b, f, 1));
        var derivatives = Tensor.Concat([ones, interior, ones], 2);               // (B, F, K + 1)

        var cumulative = CumulativeMatrix(k);                                     // (K, K + 1)
        var knotsX = widths.MatMul(cumulative) * (2f * bound) - bound;           // (B, F, K + 1)
        var knotsY = heights.MatMul(cumulative) * (2f * bound) - bound;

        var clamped = input.Clamp(-bound, bound);
        var onehot = BinMask(clamped, inverse ? knotsY : knotsX, k);
        Tensor Pick(Tensor t) => (onehot * t).Sum(2);
        var xk = Pick(knotsX.Slice(2, 0, k));
        var wk = Pick(knotsX.Slice(2, 1, k) - knotsX.Slice(2, 0, k));
        var yk = Pick(knotsY.Slice(2, 0, k));
        var hk = Pick(knotsY.Slice(2, 1, k) - knotsY.Slice(2, 0, k));
        var dk = Pick(derivatives.Slice(2, 0, k));
        var dk1 = Pick(derivatives.Slice(2, 1, k));
        var sk = hk / wk;
        var curvature = dk1 + dk - sk * 2f;

        Tensor xi, output;
        if (!inverse)
        {
            xi = (clamped - xk) / wk;
            var xi1 = xi * (1f - xi);
            output = yk + hk * (sk * xi.Square() + dk * xi1) / (sk + curvature * xi1);
        }
        else
        {
            var dy = clamped - yk;
            var qa = hk * (sk - dk) + dy * curvature;
            var qb = hk * dk - dy * curvature;
            var qc = -(sk * dy);
            var discriminant = (qb.Square() - qa * qc * 4f).Clamp(0f, float.MaxValue);
            xi = qc * 2f / (-qb - discriminant.Sqrt());
            output = xk + xi * wk;
        }
        var t = xi * (1f - xi);
        var derivative = sk.Square() * (dk1 * xi.Square() + sk * t * 2f + dk * (1f - xi).Square()) / (sk + curvature * t).Square();
        var inside = InsideMask(input, bound);
        var result = Tensor.Where(inside, output, input);
        var logDet = Tensor.Where(inside, derivative.Log(), Tensor.Zeros(input.Shape)).Sum(1);
        return (result, inverse ? -logDet : logDet);
    }

    private static Tensor CumulativeMatrix(int k)
    {
        var c = Tensor.Zeros(new Shape(k, k + 1));
        var s = c.Span;
        for (int j = 0; j < k; j++)
            for (int i = j + 1; i <= k; i++) s[j * (k + 1) + i] = 1f;
        return c;
    }

    private static Tensor BinMask(Tensor values, Tensor knots, int k)
    {
        var mask = Tensor.Zeros(new Shape(values.Shape[0], values.Shape[1], k));
        ReadOnlySpan<float> v = values.Span, kn = knots.Span;
        var m = mask.Span;
        for (int r = 0; r < values.Size; r++)
        {
            var knotRow = kn.Slice(r * (k + 1), k + 1);
            int bin = 0;
            while (bin < k - 1 && v[r] >= knotRow[bin + 1]) bin++;
            m[r * k + bin] = 1f;
        }
        return mask;
    }

    private static Tensor InsideMask(Tensor values, float bound)
    {
        var mask = Tensor.Zeros(values.Shape);
        ReadOnlySpan<float> v = values.Span;
        var m = mask.Span;
        for (int i = 0; i < v.Length; i++) m[i] = MathF.Abs(v[i]) <= bound ? 1f : 0f;
        return mask;
    }

    /// <summary>Knots (K + 1) in x and y and derivatives (K + 1) of element <paramref name="e"/>, in double.</summary>
    public static (double[] X, double[] Y, double[] D) Knots(ReadOnlySpan<float> raw, int e, SplineCouplingOptions o)
    {
        int k = o.Bins;
        var p = raw.Slice(e * (3 * k - 1), 3 * k - 1);
        double[] x = Cumulative(p[..k], o.MinBinWidth, o), y = Cumulative(p.Slice(k, k), o.MinBinHeight, o);
        var d = new double[k + 1];
        d[0] = d[k] = 1;
        double shift = Math.Log(Math.Exp(1 - (double)o.MinDerivative) - 1);
        for (int m = 1; m < k; m++) d[m] = o.MinDerivative + Math.Log(1 + Math.Exp(p[2 * k + m - 1] + shift));
        return (x, y, d);
    }

    private static double[] Cumulative(ReadOnlySpan<float> logits, float min, SplineCouplingOptions o)
    {
        int k = logits.Length;
        double max = double.NegativeInfinity, sum = 0;
        foreach (float u in logits) max = Math.Max(max, u);
        foreach (float u in logits) sum += Math.Exp(u - max);
        var knots = new double[k + 1];
        double cum = 0;
        knots[0] = -o.Bound;
        for (int j = 0; j < k; j++)
        {
            cum += Math.Exp(logits[j] - max) / sum * (1 - (double)min * k) + min;
            knots[j + 1] = cum * 2 * o.Bound - o.Bound;
        }
        return knots;
    }

    /// <summary>The spline in double, element by element: y (B * D) and log-det (B).</summary>
    public static (double[] Y, double[] LogDet) Oracle(ReadOnlySpan<float> x, ReadOnlySpan<float> raw, int rows, int d,
        SplineCouplingOptions o, bool inverse)
    {
        var y = new double[rows * d];
        var logDet = new double[rows];
        for (int e = 0; e < rows * d; e++)
        {
            double v = x[e];
            if (!(Math.Abs(v) <= o.Bound))
            {
                y[e] = v;
                continue;
            }
            var (kx, ky, kd) = Knots(raw, e, o);
            double[] side = inverse ? ky : kx;
            int bin = 0;
            while (bin < o.Bins - 1 && v >= side[bin + 1]) bin++;
            double wk = kx[bin + 1] - kx[bin], hk = ky[bin + 1] - ky[bin], s = hk / wk;
            double dk = kd[bin], dk1 = kd[bin + 1], c = dk1 + dk - 2 * s;
            double xi;
            if (!inverse)
            {
                xi = (v - kx[bin]) / wk;
                double t0 = xi * (1 - xi);
                y[e] = ky[bin] + hk * (s * xi * xi + dk * t0) / (s + c * t0);
            }
            else
            {
                double dy = v - ky[bin];
                double qa = hk * (s - dk) + dy * c, qb = hk * dk - dy * c, qc = -s * dy;
                xi = 2 * qc / (-qb - Math.Sqrt(Math.Max(qb * qb - 4 * qa * qc, 0)));
                y[e] = kx[bin] + xi * wk;
            }
            double t = xi * (1 - xi), q = s + c * t;
            double logDerivative = Math.Log(s * s * (dk1 * xi * xi + 2 * s * t + dk * (1 - xi) * (1 - xi)) / (q * q));
            logDet[e / d] += inverse ? -logDerivative : logDerivative;
        }
        return (y, logDet);
    }
}
