namespace Amortized.Kernels.Cpu;

/// <summary>
/// The fused rational-quadratic spline coupling (Durkan et al. 2019, eqs. 4-8) with identity tails, forward and
/// backward, one element (row b, feature j) at a time. Shapes: x (B, D), parameters (B, D * P) with P = 3K - 1 per
/// feature (K width logits, K height logits, K - 1 interior derivative pre-activations), y (B, D), logDet (B). The
/// ILGPU twin is Amortized.Kernels.Gpu's SplineKernels.cs; the tests compare the two.
/// </summary>
public static class SplineCouplingKernels
{
    /// <summary>One element's bin of the spline and where the element sits in it.</summary>
    private struct RqBin
    {
        public int Bin;
        public float Xk, Wk, Yk, Hk;      // left knot and width of the bin in x, in y
        public float Dk, Dk1;             // knot derivatives at its left and right ends
        public float Xi;                  // position in the bin, (x - xk) / wk, in [0, 1]
        public float Output, Derivative, LogDerivative;   // f' = dy/dx at the element
    }

    /// <summary>Adjoints of the local inputs (xi, s, dk, dk1, hk) of one bin's spline.</summary>
    private struct RqGrad
    {
        public float Xi, S, Dk, Dk1, Hk;
    }

    /// <summary>
    /// Where |x| &lt;= Bound, y = spline(x) (inverse: spline^-1(x)), else y = x; logDet[b] = +-sum_j log f'(x_bj) over
    /// the inside elements (minus for the inverse, f' taken at the output). x, y (rows, features); parameters
    /// (rows, features * P); logDet (rows).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, SplineCouplingOptions options,
        bool inverse, Span<float> y, Span<float> logDet, int rows, int features)
    {
        int d = features, k = options.Bins, per = options.ParametersPerFeature;
        float shift = options.DerivativeShift;
        ReadOnlySpan<float> xs = x, ps = parameters;
        Span<float> ys = y, ld = logDet;
        Span<float> sw = stackalloc float[k], sh = stackalloc float[k];
        for (int b = 0; b < rows; b++)
        {
            float sum = 0f;
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j;
                float v = xs[i];
                if (!(MathF.Abs(v) <= options.Bound))
                {
                    ys[i] = v;                                                    // identity tail (NaN too), log-det 0
                    continue;
                }
                var e = LocateBin(ps.Slice(i * per, per), v, options, shift, inverse, sw, sh);
                ys[i] = e.Output;
                sum += e.LogDerivative;
            }
            ld[b] = inverse ? -sum : sum;
        }
    }

    /// <summary>
    /// Gradients of <see cref="Forward"/> from dy (rows, features) and dLogDet (rows), either of which may be empty
    /// (a zero gradient); the bins are recomputed from x and the parameters. dx (rows, features) and dParameters
    /// (rows, features * P) may each be empty (not wanted); each is overwritten when its flag is set, else
    /// accumulated into.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> parameters, SplineCouplingOptions options,
        bool inverse, ReadOnlySpan<float> dy, ReadOnlySpan<float> dLogDet, Span<float> dx, bool dxOverwrite,
        Span<float> dParameters, bool dParametersOverwrite, int rows, int features)
    {
        int d = features, k = options.Bins, per = options.ParametersPerFeature;
        float shift = options.DerivativeShift, span = 2f * options.Bound;
        ReadOnlySpan<float> xs = x, ps = parameters, g = dy, gl = dLogDet;
        Span<float> dxs = dx, dps = dParameters;
        Span<float> sw = stackalloc float[k], sh = stackalloc float[k];
        for (int b = 0; b < rows; b++)
        {
            // logDet = +-sum log f'; the sign of the inverse moves onto the adjoint of log f'.
            float gLog = gl.IsEmpty ? 0f : inverse ? -gl[b] : gl[b];
            for (int j = 0; j < d; j++)
            {
                int i = b * d + j;
                float v = xs[i], gy = g.IsEmpty ? 0f : g[i];
                Span<float> dp = dps.IsEmpty ? default : dps.Slice(i * per, per);
                if (!(MathF.Abs(v) <= options.Bound))
                {
                    // Identity tail: dx = dy; the parameters do not act here.
                    if (!dxs.IsEmpty) dxs[i] = dxOverwrite ? gy : dxs[i] + gy;
                    if (dParametersOverwrite) dp.Clear();
                    continue;
                }
                ReadOnlySpan<float> p = ps.Slice(i * per, per);
                var e = LocateBin(p, v, options, shift, inverse, sw, sh);
                float s = e.Hk / e.Wk;
                float gV, gXk, gWk, gYk, gHk, gDk, gDk1;
                if (!inverse)
                {
                    // y = yk + hk n(xi) / q(xi), xi = (x - xk) / wk, s = hk / wk.
                    var r = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, gy, gLog);
                    gV = r.Xi / e.Wk;                                             // dxi/dx = 1 / wk
                    gXk = -gV;                                                    // dxi/dxk = -1 / wk
                    // dxi/dwk = -xi / wk, ds/dwk = -s / wk.
                    gWk = -(r.Xi * e.Xi + r.S * s) / e.Wk;
                    gHk = r.Hk + r.S / e.Wk;                                      // ds/dhk = 1 / wk
                    gYk = gy;
                    gDk = r.Dk;
                    gDk1 = r.Dk1;
                }
                else
                {
                    // x = xk + xi wk, with xi the root of F(xi) = yk + hk n(xi) / q(xi) = y. Implicit function theorem:
                    // dxi = (dy - sum_theta dF/dtheta dtheta) / F'(xi), F'(xi) = wk f'(x) = wk s^2 m / q^2, so the
                    // adjoint lambda = g_xi / F'(xi) flows to y as +lambda and to theta as -lambda dF/dtheta, which is
                    // the forward's adjoint with g_out = -lambda.
                    var a = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, 0f, gLog);   // through log f'(xi) only
                    float gXi = gy * e.Wk + a.Xi;                                 // dx/dxi = wk, plus log f''s own
                    float lambda = gXi / (e.Wk * e.Derivative);
                    var r = RqBackward(e.Xi, s, e.Dk, e.Dk1, e.Hk, -lambda, 0f);
                    float gS = a.S + r.S;
                    gV = lambda;
                    gXk = gy;                                                     // dx/dxk = 1
                    gWk = gy * e.Xi - gS * s / e.Wk;                              // dx/dwk = xi, ds/dwk = -s / wk
                    gHk = r.Hk + gS / e.Wk;
                    gYk = -lambda;                                                // dF/dyk = 1
                    gDk = a.Dk + r.Dk;
                    gDk1 = a.Dk1 + r.Dk1;
                }
                if (!dxs.IsEmpty) dxs[i] = dxOverwrite ? gV : dxs[i] + gV;
                if (dp.IsEmpty) continue;
                float scaleW = (1f - options.MinBinWidth * k) * span, scaleH = (1f - options.MinBinHeight * k) * span;
                SoftmaxKnotsBackward(sw, e.Bin, scaleW * gXk, scaleW * gWk, dp[..k], dParametersOverwrite);
                SoftmaxKnotsBackward(sh, e.Bin, scaleH * gYk, scaleH * gHk, dp.Slice(k, k), dParametersOverwrite);
                // d_m = MinDerivative + softplus(raw[2K + m - 1] + shift) for interior knots m = 1..K-1:
                // dd/draw = sigmoid.
                for (int m = 1; m < k; m++)
                {
                    float gd = m == e.Bin ? gDk : m == e.Bin + 1 ? gDk1 : 0f;
                    if (gd != 0f) gd *= Activations.Apply(Activation.Sigmoid, p[2 * k + m - 1] + shift);
                    ref float slot = ref dp[2 * k + m - 1];
                    slot = dParametersOverwrite ? gd : slot + gd;
                }
            }
        }
    }

    /// <summary>
    /// Softmaxes of the width and height logits into <paramref name="sw"/> and <paramref name="sh"/>, the bin of v on
    /// the side it lives on (x knots forward, y knots inverse; the largest k &lt; K with v &gt;= knot k, bin 0 below
    /// the first interior knot), the bin's knots and derivatives, and the spline's value and log-derivative there.
    /// Knot i is (sum_{j &lt; i} w_j) 2B - B with w = softmax (1 - K minW) + minW, summed in index order.
    /// </summary>
    private static RqBin LocateBin(ReadOnlySpan<float> p, float v, in SplineCouplingOptions o, float shift,
        bool inverse, Span<float> sw, Span<float> sh)
    {
        int k = o.Bins;
        Softmax(p[..k], sw);
        Softmax(p.Slice(k, k), sh);
        float scaleW = 1f - o.MinBinWidth * k, scaleH = 1f - o.MinBinHeight * k;
        int bin = inverse
            ? SearchBin(v, sh, scaleH, o.MinBinHeight, o.Bound)
            : SearchBin(v, sw, scaleW, o.MinBinWidth, o.Bound);
        var e = new RqBin { Bin = bin };
        (e.Xk, e.Wk) = Knots(sw, scaleW, o.MinBinWidth, o.Bound, bin);
        (e.Yk, e.Hk) = Knots(sh, scaleH, o.MinBinHeight, o.Bound, bin);
        e.Dk = bin == 0 ? 1f : o.MinDerivative + Activations.Apply(Activation.Softplus, p[2 * k + bin - 1] + shift);
        e.Dk1 = bin == k - 1 ? 1f : o.MinDerivative + Activations.Apply(Activation.Softplus, p[2 * k + bin] + shift);
        Evaluate(ref e, v, inverse);
        return e;
    }

    private static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        foreach (float u in logits) max = MathF.Max(max, u);
        float sum = 0f;
        for (int i = 0; i < logits.Length; i++) sum += probabilities[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }

    private static int SearchBin(float v, ReadOnlySpan<float> probabilities, float scale, float min, float bound)
    {
        float cum = 0f;
        int bin = 0;
        while (bin < probabilities.Length - 1)
        {
            cum += scale * probabilities[bin] + min;
            if (!(v >= cum * (2f * bound) - bound)) break;
            bin++;
        }
        return bin;
    }

    /// <summary>
    /// Left knot of <paramref name="bin"/> and its width, from the same running sum as <see cref="SearchBin"/>.
    /// </summary>
    private static (float Knot, float Width) Knots(ReadOnlySpan<float> probabilities, float scale, float min,
        float bound, int bin)
    {
        float cum = 0f;
        for (int j = 0; j < bin; j++) cum += scale * probabilities[j] + min;
        float left = cum * (2f * bound) - bound;
        cum += scale * probabilities[bin] + min;
        return (left, cum * (2f * bound) - bound - left);
    }

    /// <summary>
    /// The spline inside one bin (s = hk / wk, t = xi (1 - xi), curvature c = dk1 + dk - 2s, q = s + c t):
    /// forward y = yk + hk (s xi^2 + dk t) / q; inverse xi = the root in [0, 1] of the quadratic in xi, in the stable
    /// form 2 qc / (-qb - sqrt(qb^2 - 4 qa qc)); both log f' = log(s^2 (dk1 xi^2 + 2 s t + dk (1 - xi)^2) / q^2).
    /// </summary>
    private static void Evaluate(ref RqBin e, float v, bool inverse)
    {
        float s = e.Hk / e.Wk, c = e.Dk1 + e.Dk - 2f * s;
        float xi;
        if (!inverse)
        {
            xi = (v - e.Xk) / e.Wk;
        }
        else
        {
            float dy = v - e.Yk;
            float qa = e.Hk * (s - e.Dk) + dy * c, qb = e.Hk * e.Dk - dy * c, qc = -(s * dy);
            float discriminant = MathF.Max(qb * qb - qa * qc * 4f, 0f);
            xi = qc * 2f / (-qb - MathF.Sqrt(discriminant));
        }
        float t = xi * (1f - xi), q = s + c * t;
        e.Xi = xi;
        e.Output = inverse ? e.Xk + xi * e.Wk : e.Yk + e.Hk * (s * xi * xi + e.Dk * t) / q;
        float m = e.Dk1 * xi * xi + s * t * 2f + e.Dk * (1f - xi) * (1f - xi);
        e.Derivative = s * s * m / (q * q);
        e.LogDerivative = MathF.Log(e.Derivative);
    }

    /// <summary>
    /// Adjoints of (xi, s, dk, dk1, hk) given gOut, the adjoint of out = yk + hk n / q, and gLog, that of
    /// log f' = 2 log s + log m - 2 log q, with n = s xi^2 + dk t, q = s + c t, m = dk1 xi^2 + 2 s t + dk (1 - xi)^2,
    /// t = xi (1 - xi), c = dk1 + dk - 2 s.
    /// </summary>
    private static RqGrad RqBackward(float xi, float s, float dk, float dk1, float hk, float gOut, float gLog)
    {
        float t = xi * (1f - xi), dt = 1f - 2f * xi, c = dk1 + dk - 2f * s;
        float q = s + c * t, n = s * xi * xi + dk * t, m = dk1 * xi * xi + 2f * s * t + dk * (1f - xi) * (1f - xi);
        float gN = gOut * hk / q;                                                 // d out / dn = hk / q
        float gQ = -gOut * hk * n / (q * q) - 2f * gLog / q;                      // d out / dq, d log f' / dq
        float gM = gLog / m;                                                      // d log f' / dm
        RqGrad r;
        r.Xi = gN * (2f * s * xi + dk * dt)                                       // dn/dxi
            + gQ * c * dt                                                         // dq/dxi
            + gM * (2f * dk1 * xi + 2f * s * dt - 2f * dk * (1f - xi));           // dm/dxi
        r.S = gN * xi * xi + gQ * (1f - 2f * t) + gM * 2f * t + 2f * gLog / s;    // dn/ds, dq/ds, dm/ds, d 2 log s / ds
        r.Dk = (gN + gQ) * t + gM * (1f - xi) * (1f - xi);                        // dn/ddk = dq/ddk = t, dm/ddk
        r.Dk1 = gQ * t + gM * xi * xi;                                            // dq/ddk1 = t, dm/ddk1 = xi^2
        r.Hk = gOut * n / q;                                                      // the explicit hk in out
        return r;
    }

    /// <summary>
    /// Softmax logits' gradient from the adjoints of the bin's left knot (gKnot) and width (gWidth), both already
    /// scaled by (1 - K min) 2B: knot = sum_{j &lt; bin} w_j 2B - B and width = w_bin 2B, so ds_j = gKnot for
    /// j &lt; bin, gWidth at the bin, 0 above; then du_i = s_i (ds_i - sum_j s_j ds_j).
    /// </summary>
    private static void SoftmaxKnotsBackward(ReadOnlySpan<float> probabilities, int bin, float gKnot, float gWidth,
        Span<float> dLogits, bool overwrite)
    {
        float below = 0f;
        for (int j = 0; j < bin; j++) below += probabilities[j];
        float dot = gKnot * below + gWidth * probabilities[bin];
        for (int i = 0; i < probabilities.Length; i++)
        {
            float ds = i < bin ? gKnot : i == bin ? gWidth : 0f;
            float du = probabilities[i] * (ds - dot);
            dLogits[i] = overwrite ? du : dLogits[i] + du;
        }
    }
}
