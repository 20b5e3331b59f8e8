using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Elementwise kernels against their CPU twins (Amortized.Kernels.Cpu). Tolerances: ops made of one IEEE operation
/// (negate, abs, add, multiply, divide, min/max) must match bitwise. Transcendentals (exp, log, pow, asinh and the
/// activations) are computed by different libraries on each side (TensorPrimitives / the SIMD activation code vs
/// ILGPU.Algorithms.XMath), each within a few ulp, so they may differ by 2e-6 relative (about 32 ulp, covering the
/// handful of roundings an activation chains). Derivatives that are sums of O(1) terms (SiLU, GELU, Mish) may cancel,
/// so they also get an absolute 1e-6 * |dy| (16 ulp of the terms).
/// </summary>
public sealed class ElementwiseTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private const double Transcendental = 2e-6;
    private readonly DefaultDeviceFixture _f = fixture;
    private GpuKernels K => _f.Kernels;

    private static bool IsExact(UnaryKind op) =>
        op is UnaryKind.Neg or UnaryKind.Abs or UnaryKind.AddScalar or UnaryKind.MulScalar or UnaryKind.Clamp;

    private static float[] Inputs(UnaryKind op, float p0, int n)
    {
        bool positive = op is UnaryKind.Log or UnaryKind.Sqrt || (op == UnaryKind.PowScalar && p0 != MathF.Round(p0));
        float[] x = positive ? Check.Random(n, 5, 0.05f, 4f) : Check.Random(n, 5, -3f, 3f);
        if (op == UnaryKind.Clamp)
        {
            x[0] = -0.5f;   // both ends of [p0, p1] are inside for the derivative
            x[1] = 0.7f;
        }
        if (op == UnaryKind.Asinh)
        {
            x[0] = 1e-5f;
            x[1] = -3e6f;
            x[2] = 0f;
            x[3] = 4e19f;   // a^2 would overflow: the log(a) + ln 2 branch
        }
        if (op is UnaryKind.Abs)
            x[0] = 0f;
        return x;
    }

    [Theory]
    [InlineData(UnaryKind.Neg, 0f, 0f)]
    [InlineData(UnaryKind.Exp, 0f, 0f)]
    [InlineData(UnaryKind.Log, 0f, 0f)]
    [InlineData(UnaryKind.Sqrt, 0f, 0f)]
    [InlineData(UnaryKind.Abs, 0f, 0f)]
    [InlineData(UnaryKind.AddScalar, 1.5f, 0f)]
    [InlineData(UnaryKind.MulScalar, -0.75f, 0f)]
    [InlineData(UnaryKind.PowScalar, 2f, 0f)]
    [InlineData(UnaryKind.PowScalar, 3f, 0f)]
    [InlineData(UnaryKind.PowScalar, 0.5f, 0f)]
    [InlineData(UnaryKind.PowScalar, -1.5f, 0f)]
    [InlineData(UnaryKind.Clamp, -0.5f, 0.7f)]
    [InlineData(UnaryKind.Asinh, 0f, 0f)]
    public void UnaryForwardAndBackwardMatchCpu(UnaryKind op, float p0, float p1)
    {
        const int n = 37;
        float[] x = Inputs(op, p0, n), dy = Check.Random(n, 6), dx0 = Check.Random(n, 7);
        float[] yExpected = new float[n], dxExpected = (float[])dx0.Clone();
        UnaryKernels.Unary(op, x, yExpected, p0, p1);
        UnaryKernels.UnaryBackward(op, x, yExpected, dy, dxExpected, p0, p1);

        using var dX = _f.Upload(x);
        using var dY = _f.Upload(new float[n]);
        using var dDy = _f.Upload(dy);
        using var dDx = _f.Upload(dx0);
        K.Unary(op, dX.View, dY.View, p0, p1);
        float[] yActual = _f.Download(dY, n);
        using var dYcpu = _f.Upload(yExpected);   // backward from the same y on both sides
        K.UnaryBackward(op, dX.View, dYcpu.View, dDy.View, dDx.View, p0, p1);
        float[] dxActual = _f.Download(dDx, n);

        if (IsExact(op) || (op == UnaryKind.PowScalar && p0 == 2f))
            Check.Bitwise(yExpected, yActual, $"{op} y");
        else if (op == UnaryKind.Log)
            Check.Close(yExpected, yActual, Transcendental, 4 * Check.U, $"{op} y");   // device logs (CUDA lg2.approx) are accurate to ~2^-22 absolute, not relative, near x = 1
        else
            Check.Close(yExpected, yActual, Transcendental, 0, $"{op} y");
        // dx = dx0 + increment: bound relative to the increment plus one rounding of the sum.
        var bound = new double[n];
        for (int i = 0; i < n; i++)
            bound[i] = Transcendental * Math.Abs(dxExpected[i] - dx0[i]) + 2 * Check.U * (Math.Abs(dx0[i]) + Math.Abs(dxExpected[i]));
        Check.Within(dxExpected, dxActual, bound, $"{op} dx");
    }

    [Fact]
    public void PowOfNegativeBaseFollowsMathF()
    {
        float[] x = [-2f, -0.5f, -3f, 0f, 2f];
        using var dX = _f.Upload(x);
        using var dY = _f.Upload(new float[x.Length]);
        foreach (float p in new[] { 3f, 4f, -1f, 0.5f })
        {
            K.Unary(UnaryKind.PowScalar, dX.View, dY.View, p, 0f);
            float[] actual = _f.Download(dY, x.Length);
            Check.Close(x.Select(v => MathF.Pow(v, p)).ToArray(), actual, Transcendental, 0, $"pow {p}");
        }
    }

    public static TheoryData<Activation, bool> Activations()
    {
        var data = new TheoryData<Activation, bool>();
        foreach (Activation a in Enum.GetValues<Activation>())
        {
            data.Add(a, false);
            data.Add(a, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationForwardAndBackwardMatchCpu(Activation kind, bool accumulate)
    {
        const int n = 41;
        float[] x = Check.Random(n, 11, -6f, 6f);
        x[0] = 0f;
        x[1] = -3f;   // HardSilu's kinks
        x[2] = 3f;
        x[3] = 0.39f;  // either side of Tanh's polynomial switch
        x[4] = 0.41f;
        x[5] = -30f;
        x[6] = 30f;
        float[] dy = Check.Random(n, 12), dx0 = Check.Random(n, 13);
        float[] yExpected = new float[n], dxExpected = (float[])dx0.Clone();
        Kernels.Cpu.Activations.Forward(kind, x, yExpected);
        if (accumulate) Kernels.Cpu.Activations.BackwardAccumulate(kind, x, dy, dxExpected);
        else Kernels.Cpu.Activations.Backward(kind, x, dy, dxExpected);

        using var dX = _f.Upload(x);
        using var dY = _f.Upload(new float[n]);
        using var dDy = _f.Upload(dy);
        using var dDx = _f.Upload(dx0);
        K.Activate(kind, dX.View, dY.View);
        K.ActivateBackward(kind, dX.View, dDy.View, dDx.View, accumulate);
        float[] yActual = _f.Download(dY, n), dxActual = _f.Download(dDx, n);

        // Piecewise-polynomial activations are the same few IEEE operations on both sides: equal up to one or two
        // roundings (a device compiler may contract a*b + c into an FMA), so 4u relative; CPU runs are bitwise.
        bool polynomial = kind is Activation.Identity or Activation.Relu or Activation.HardSilu;
        Check.Close(yExpected, yActual, polynomial ? 4 * Check.U : Transcendental, 0, $"{kind} y");
        var bound = new double[n];
        for (int i = 0; i < n; i++)
        {
            double increment = Math.Abs(dxExpected[i] - (accumulate ? dx0[i] : 0f));
            bound[i] = polynomial
                ? 4 * Check.U * (increment + Math.Abs(dxExpected[i]))
                : Transcendental * increment + 1e-6 * Math.Abs(dy[i]) + (accumulate ? 2 * Check.U * (Math.Abs(dx0[i]) + Math.Abs(dxExpected[i])) : 0);
        }
        Check.Within(dxExpected, dxActual, bound, $"{kind} dx");
    }

    [Fact]
    public void FillCopyAndAddScaled()
    {
        const int n = 29;
        float[] src = Check.Random(n, 1), dst0 = Check.Random(n, 2);
        using var dSrc = _f.Upload(src);
        using var dDst = _f.Upload(dst0);
        using var dCopy = _f.Upload(new float[n]);

        K.AddScaled(dSrc.View, dDst.View, -0.375f);
        var expected = (float[])dst0.Clone();
        UnaryKernels.AddScaled(src, expected, -0.375f);
        // s*a + d: bitwise on the CPU; a device may fuse it into one FMA, which differs by at most one rounding.
        Check.Within(expected, _f.Download(dDst, n),
            src.Select((v, i) => 2 * Check.U * (Math.Abs(v * 0.375f) + Math.Abs(dst0[i]))).ToArray(), "AddScaled");

        using var dDst1 = _f.Upload(expected);   // continue from the CPU's state (FMA may differ by 1 ulp above)
        K.AddScaled(dSrc.View, dDst1.View, 1f);
        UnaryKernels.AddScaled(src, expected, 1f);
        Check.Bitwise(expected, _f.Download(dDst1, n), "AddScaled 1");

        K.Copy(dSrc.View, dCopy.View);
        Check.Bitwise(src, _f.Download(dCopy, n), "Copy");

        K.Fill(dCopy.View.SubView(3, 20), 2.5f);
        float[] filled = _f.Download(dCopy, n);
        for (int i = 0; i < n; i++)
            Assert.Equal(i is >= 3 and < 23 ? 2.5f : src[i], filled[i]);
    }

    [Fact]
    public void WhereAndWhereBackward()
    {
        const int n = 23;
        float[] mask = Check.Random(n, 3).Select(v => v > 0 ? 1f : 0f).ToArray();
        mask[0] = -0f;   // -0 == 0: selects b
        mask[1] = float.NaN;   // NaN != 0: selects a
        float[] a = Check.Random(n, 4), b = Check.Random(n, 5), dy = Check.Random(n, 6), da0 = Check.Random(n, 7), db0 = Check.Random(n, 8);
        var y = new float[n];
        UnaryKernels.Where(mask, a, b, y);

        using var dMask = _f.Upload(mask);
        using var dA = _f.Upload(a);
        using var dB = _f.Upload(b);
        using var dYv = _f.Upload(new float[n]);
        K.Where(dMask.View, dA.View, dB.View, dYv.View);
        Check.Bitwise(y, _f.Download(dYv, n), "Where");

        foreach (var (hasA, hasB) in new[] { (true, true), (true, false), (false, true) })
        {
            float[] da = (float[])da0.Clone(), db = (float[])db0.Clone();
            UnaryKernels.WhereBackward(mask, dy, hasA ? da : default, hasB ? db : default);
            using var dDy = _f.Upload(dy);
            using var dDa = _f.Upload(da0);
            using var dDb = _f.Upload(db0);
            K.WhereBackward(dMask.View, dDy.View, hasA ? dDa.View : default, hasB ? dDb.View : default);
            Check.Bitwise(da, _f.Download(dDa, n), $"da ({hasA},{hasB})");
            Check.Bitwise(db, _f.Download(dDb, n), $"db ({hasA},{hasB})");
        }
    }

    [Fact]
    public void AdamMatchesTheOptimizerFormula()
    {
        const int n = 45;
        float[] p = Check.Random(n, 1), g = Check.Random(n, 2), m = Check.Random(n, 3, -0.1f, 0.1f), v = Check.Random(n, 4, 0f, 0.05f);
        const float gradScale = 0.8f, b1 = 0.9f, b2 = 0.999f, step = 1e-3f, invSqrtBc2 = 1.7f, eps = 1e-8f, decay = 0.9999f;
        float[] pe = (float[])p.Clone(), me = (float[])m.Clone(), ve = (float[])v.Clone();
        for (int i = 0; i < n; i++)
        {
            // AdamKernel.Update (Amortized.Kernels.Cpu), scalar loop.
            float gi = g[i] * gradScale;
            me[i] = b1 * me[i] + (1f - b1) * gi;
            ve[i] = b2 * ve[i] + (1f - b2) * gi * gi;
            pe[i] = pe[i] * decay - step * me[i] / (MathF.Sqrt(ve[i]) * invSqrtBc2 + eps);
        }
        using var dP = _f.Upload(p);
        using var dG = _f.Upload(g);
        using var dM = _f.Upload(m);
        using var dV = _f.Upload(v);
        K.Adam(dP.View, dG.View, dM.View, dV.View, gradScale, b1, b2, step, invSqrtBc2, eps, decay);
        // Same IEEE operations in the same order, sqrt correctly rounded on both sides: bitwise on the CPU. A device
        // compiler may contract a*b + c into FMAs (one rounding fewer each), so allow a few roundings of each term.
        Check.Within(me, _f.Download(dM, n), me.Select((_, i) => 4 * Check.U * (Math.Abs(b1 * m[i]) + Math.Abs((1 - b1) * g[i] * gradScale))).ToArray(), "m");
        Check.Within(ve, _f.Download(dV, n), ve.Select((_, i) => 4 * Check.U * (Math.Abs(b2 * v[i]) + Math.Abs(ve[i]))).ToArray(), "v");
        Check.Within(pe, _f.Download(dP, n), pe.Select((_, i) => 4 * Check.U * Math.Abs(p[i]) + 16 * Check.U * Math.Abs(pe[i] - p[i] * decay)).ToArray(), "p");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void SumOfSquaresIsAccurateAndDeterministic(int n)
    {
        float[] x = Check.Random(n, 9);
        double exact = x.Sum(v => (double)v * v);
        using var dX = _f.Upload(x);
        using var dR = _f.Upload([float.NaN]);
        K.SumOfSquares(dX.View.SubView(0, n), dR.View);
        float first = _f.Download(dR, 1)[0];
        K.SumOfSquares(dX.View.SubView(0, n), dR.View);
        float second = _f.Download(dR, 1)[0];
        // n + 2 roundings of non-negative terms: relative error <= (n + 2) u.
        Assert.True(Math.Abs(first - exact) <= (n + 2) * Check.U * exact, $"{first} vs {exact}");
        Assert.Equal(BitConverter.SingleToInt32Bits(first), BitConverter.SingleToInt32Bits(second));
    }
}
