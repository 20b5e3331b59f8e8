using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Building blocks shared by the smooth activations, each at scalar, Vector256 and Vector512 width with the same
/// formula so the widths agree to within exp/log rounding.
/// </summary>
/// <remarks>
/// Every exponential here is of a non-positive argument (exp(-|x|) or exp(-2|x|)), so it lies in [0, 1]: it can
/// underflow to 0 but never overflow, and no inf/inf or 0*inf arises for large |x|. Sigmoid-type quantities are
/// then formed without cancellation: with t = exp(-|x|) and r = 1 / (1 + t),
/// sigmoid(x) = r for x &gt;= 0 and t*r for x &lt; 0, and sigmoid(x) * (1 - sigmoid(x)) = t*r*r for either sign.
/// </remarks>
internal static class ActivationMath
{
    /// <summary>Below this |x| tanh uses its Taylor polynomial (<see cref="ActivationFormulas.TanhOfAbs"/>).</summary>
    public const float TanhPolynomialLimit = ActivationFormulas.TanhPolynomialLimit;

    // The tanh polynomial's coefficients, shared with the scalar formula.
    private const float C3 = ActivationFormulas.C3, C5 = ActivationFormulas.C5, C7 = ActivationFormulas.C7;
    private const float C9 = ActivationFormulas.C9, C11 = ActivationFormulas.C11;

    // ---- scalar (the formulas themselves are in ActivationFormulas, shared with ILGPU) ----

    /// <summary>log(1 + u) for u in [0, 1], accurate for tiny u (Goldberg: the rounding of 1 + u cancels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1P(float u)
    {
        float w = 1f + u;
        return w == 1f ? u : MathF.Log(w) * (u / (w - 1f));
    }

    // exp(x) for x <= 0 (Cephes expf): x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2, where ln2 is
    // split into ExpLn2Hi (exact in few bits, so n * ExpLn2Hi is exact) + ExpLn2Lo; exp(r) = 1 + r + r^2 P(r)
    // with a degree-5 minimax P (Horner, fused where the hardware has FMA); then n is added to the exponent
    // field. Within 2 ulp (tested); inlined, unlike Vector256.Exp, which is a call that spills every live
    // vector register.
    // The exponent is added as n + 64 (always a normal float for x in [ExpLowest, 0]) and the 2^64 taken back by
    // one multiplication, which rounds correctly into the subnormal range instead of corrupting the bits.
    // Below ExpLowest the result rounds to 0 anyway. Only the activations' exp(-|x|) and exp(-2|x|) use this,
    // so x <= 0 holds.
    private const float ExpLowest = -104f;
    private const float TwoToMinus64 = 5.42101086e-20f;
    private const float ExpLog2E = 1.44269504088896341f;
    private const float ExpLn2Hi = 0.693359375f, ExpLn2Lo = -2.12194440e-4f;
    private const float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f;
    private const float E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

    // ---- Vector256: lane i of every argument and result refers to the same element ----

    /// <summary>exp(x) for lanes x &lt;= 0 (NaN stays NaN); see the constants above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpNonPositive(Vector256<float> x)
    {
        Vector256<float> xc = Vector256.Max(x, Vector256.Create(ExpLowest));
        Vector256<float> n = Vector256.Round(xc * Vector256.Create(ExpLog2E));
        Vector256<float> r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-ExpLn2Hi), xc);
        r = Vector256.MultiplyAddEstimate(n, Vector256.Create(-ExpLn2Lo), r);
        Vector256<float> p = Vector256.MultiplyAddEstimate(Vector256.Create(E0), r, Vector256.Create(E1));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(E2));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(E3));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(E4));
        p = Vector256.MultiplyAddEstimate(p, r, Vector256.Create(E5));
        p = Vector256.MultiplyAddEstimate(p, r * r, r) + Vector256<float>.One;
        // AVX-512 scales by 2^n in one instruction (vscalefps), rounding correctly into the subnormals and
        // keeping NaN, so the exponent arithmetic below and the NaN select are not needed.
        if (Avx512F.VL.IsSupported)
            return Avx512F.VL.Scale(p, n);
        // n is integral and in [-150, 0], so the non-saturating conversion is exact.
        Vector256<int> exponent = (Vector256.ConvertToInt32Native(n) + Vector256.Create(64)) << 23;
        Vector256<float> scaled = (p.AsInt32() + exponent).AsSingle() * Vector256.Create(TwoToMinus64);
        // NaN lanes (x != x) give x back.
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), scaled, x);
    }

    /// <summary>
    /// 1 / (1 + t) for lanes t in [0, 1]: on AVX-512 a 14-bit reciprocal estimate and one Newton step
    /// (relative error below 2^-28 before the final rounding, so within 1 ulp of the division), which is a
    /// fraction of a division's cost; a division elsewhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ReciprocalOnePlus(Vector256<float> t)
    {
        Vector256<float> d = Vector256<float>.One + t;
        if (!Avx512F.VL.IsSupported)
            return Vector256<float>.One / d;
        Vector256<float> r = Avx512F.VL.Reciprocal14(d);
        // e = 1 - d r is exact to the rounding of one FMA; r (1 + e) squares the estimate's error.
        Vector256<float> e = Vector256.FusedMultiplyAdd(-d, r, Vector256<float>.One);
        return Vector256.FusedMultiplyAdd(r, e, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x, Vector256<float> t, Vector256<float> r) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), r, t * r);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log1P(Vector256<float> u)
    {
        Vector256<float> w = Vector256<float>.One + u;
        // Where w == 1 the quotient is 0/0; those lanes take u instead.
        return Vector256.ConditionalSelect(
            Vector256.Equals(w, Vector256<float>.One), u, Vector256.Log(w) * (u / (w - Vector256<float>.One)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> TanhOfAbs(Vector256<float> a, Vector256<float> e)
    {
        // Both branches are computed for all lanes, then selected per lane.
        Vector256<float> a2 = a * a;
        Vector256<float> p = Vector256.Create(C11) * a2 + Vector256.Create(C9);
        p = p * a2 + Vector256.Create(C7);
        p = p * a2 + Vector256.Create(C5);
        p = p * a2 + Vector256.Create(C3);
        Vector256<float> small = a + a * a2 * p;
        Vector256<float> large = (Vector256<float>.One - e) * ReciprocalOnePlus(e);
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhPolynomialLimit)), small, large);
    }

    // ---- Vector512: same formulas as Vector256 ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x)
    {
        Vector512<float> xc = Vector512.Max(x, Vector512.Create(ExpLowest));
        Vector512<float> n = Vector512.Round(xc * Vector512.Create(ExpLog2E));
        Vector512<float> r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-ExpLn2Hi), xc);
        r = Vector512.MultiplyAddEstimate(n, Vector512.Create(-ExpLn2Lo), r);
        Vector512<float> p = Vector512.MultiplyAddEstimate(Vector512.Create(E0), r, Vector512.Create(E1));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(E2));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(E3));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(E4));
        p = Vector512.MultiplyAddEstimate(p, r, Vector512.Create(E5));
        p = Vector512.MultiplyAddEstimate(p, r * r, r) + Vector512<float>.One;
        if (Avx512F.IsSupported)
            return Avx512F.Scale(p, n);
        // n is integral and in [-150, 0], so the non-saturating conversion is exact.
        Vector512<int> exponent = (Vector512.ConvertToInt32Native(n) + Vector512.Create(64)) << 23;
        Vector512<float> scaled = (p.AsInt32() + exponent).AsSingle() * Vector512.Create(TwoToMinus64);
        // NaN lanes (x != x) give x back.
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), scaled, x);
    }

    /// <summary>1 / (1 + t) for lanes t in [0, 1]; see the Vector256 overload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ReciprocalOnePlus(Vector512<float> t)
    {
        Vector512<float> d = Vector512<float>.One + t;
        if (!Avx512F.IsSupported)
            return Vector512<float>.One / d;
        Vector512<float> r = Avx512F.Reciprocal14(d);
        Vector512<float> e = Vector512.FusedMultiplyAdd(-d, r, Vector512<float>.One);
        return Vector512.FusedMultiplyAdd(r, e, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x, Vector512<float> t, Vector512<float> r) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), r, t * r);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log1P(Vector512<float> u)
    {
        Vector512<float> w = Vector512<float>.One + u;
        return Vector512.ConditionalSelect(
            Vector512.Equals(w, Vector512<float>.One), u, Vector512.Log(w) * (u / (w - Vector512<float>.One)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> TanhOfAbs(Vector512<float> a, Vector512<float> e)
    {
        Vector512<float> a2 = a * a;
        Vector512<float> p = Vector512.Create(C11) * a2 + Vector512.Create(C9);
        p = p * a2 + Vector512.Create(C7);
        p = p * a2 + Vector512.Create(C5);
        p = p * a2 + Vector512.Create(C3);
        Vector512<float> small = a + a * a2 * p;
        Vector512<float> large = (Vector512<float>.One - e) * ReciprocalOnePlus(e);
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhPolynomialLimit)), small, large);
    }
}
