using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>Options of the rational-quadratic spline transform.</summary>
public sealed record SplineOptions
{
    /// <summary>Number of bins K.</summary>
    public int Bins { get; init; } = 16;

    /// <summary>The spline acts on [-Bound, Bound] in both x and y; outside it is the identity (linear tails).</summary>
    public float Bound { get; init; } = 5f;

    /// <summary>Smallest bin width as a fraction of the domain.</summary>
    public float MinBinWidth { get; init; } = 1e-3f;

    /// <summary>Smallest bin height as a fraction of the domain.</summary>
    public float MinBinHeight { get; init; } = 1e-3f;

    /// <summary>Smallest knot derivative, so the map stays strictly monotone.</summary>
    public float MinDerivative { get; init; } = 1e-3f;
}

/// <summary>
/// Monotone rational-quadratic spline (Durkan, Bekasov, Murray and Papamakarios 2019, "Neural Spline
/// Flows", eqs. 4-8) with identity tails, given raw parameters per feature: K width logits, K height
/// logits and K - 1 interior derivative pre-activations (3K - 1). Shapes: x (B, F), raw (B, F * (3K - 1)),
/// log-det (B). Built from differentiable primitives; the bin lookup is a constant one-hot mask.
/// </summary>
/// <remarks>
/// Interior derivatives are MinDerivative + softplus(raw + c) with c chosen so that raw = 0 gives 1, and the
/// boundary derivatives are 1: with zero raw parameters every bin is the same size and the spline is the
/// identity, so a fresh coupling is the identity.
/// </remarks>
public static class SplineTransform
{
    /// <summary>Raw parameters per transformed feature.</summary>
    public static int ParametersPerFeature(SplineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return 3 * options.Bins - 1;
    }

    /// <summary>y = spline(x) and sum log dy/dx.</summary>
    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor raw, SplineOptions options) => Apply(x, raw, options, inverse: false);

    /// <summary>x = spline^-1(y) and -sum log dy/dx at x.</summary>
    public static (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor raw, SplineOptions options) => Apply(y, raw, options, inverse: true);

    private static (Tensor, Tensor) Apply(Tensor input, Tensor raw, SplineOptions o, bool inverse)
    {
        int b = input.Shape[0], f = input.Shape[1], k = o.Bins;
        float bound = o.Bound;
        var p = raw.Reshape(b, f, 3 * k - 1);
        var widths = p.Slice(2, 0, k).Softmax(-1) * (1f - o.MinBinWidth * k) + o.MinBinWidth;
        var heights = p.Slice(2, k, k).Softmax(-1) * (1f - o.MinBinHeight * k) + o.MinBinHeight;
        float shift = MathF.Log(MathF.Exp(1f - o.MinDerivative) - 1f);
        var interior = (p.Slice(2, 2 * k, k - 1) + shift).Softplus() + o.MinDerivative;
        var ones = Tensor.Ones(new Shape(b, f, 1));
        var derivatives = Tensor.Concat([ones, interior, ones], 2);               // (B, F, K + 1)

        var cumulative = CumulativeMatrix(k);                                     // (K, K + 1)
        var knotsX = widths.MatMul(cumulative) * (2f * bound) - bound;           // (B, F, K + 1)
        var knotsY = heights.MatMul(cumulative) * (2f * bound) - bound;

        // Constant one-hot of each element's bin, searched on the side we start from.
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
        var curvature = dk1 + dk - sk * 2f;                                       // delta_{k+1} + delta_k - 2 s_k

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
            xi = qc * 2f / (-qb - discriminant.Sqrt());                          // the root in [0, 1], stable form
            output = xk + xi * wk;
        }
        var t = xi * (1f - xi);
        var derivative = sk.Square() * (dk1 * xi.Square() + sk * t * 2f + dk * (1f - xi).Square()) / (sk + curvature * t).Square();
        var logDerivative = derivative.Log();

        var inside = InsideMask(input, bound);
        var zeros = Tensor.Zeros(input.Shape);
        var result = Tensor.Where(inside, output, input);
        var logDet = Tensor.Where(inside, logDerivative, zeros).Sum(1);
        return (result, inverse ? -logDet : logDet);
    }

    /// <summary>(K, K + 1) with entry [j, i] = 1 when j &lt; i, so w C gives the cumulative sums 0, w0, w0 + w1, ..., 1.</summary>
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
        int rows = values.Size;
        var mask = Tensor.Zeros(new Shape(values.Shape[0], values.Shape[1], k));
        var v = values.Span;
        var kn = knots.Span;
        var m = mask.Span;
        for (int r = 0; r < rows; r++)
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
        var v = values.Span;
        var m = mask.Span;
        for (int i = 0; i < v.Length; i++) m[i] = MathF.Abs(v[i]) <= bound ? 1f : 0f;
        return mask;
    }
}
