using System.Runtime.Intrinsics;
using Xunit.Sdk;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>The inlined vector exp and log1p that the activations are built on.</summary>
public sealed class ActivationMathTests
{
    [Fact]
    public void ExpNonPositive_WholeRangeIncludingSubnormals_WithinTwoUlp()
    {
        // x from 0 down past the subnormal range, plus -inf.
        var xs = new List<float> { 0f, -0f, float.NegativeInfinity, -1e-30f, -1e-7f };
        for (float x = -110f; x < 0f; x += 0.0137f)
            xs.Add(x);
        for (int i = 0; i < xs.Count; i += 16)
        {
            float[] chunk = new float[16];
            for (int j = 0; j < 16; j++)
                chunk[j] = xs[Math.Min(i + j, xs.Count - 1)];
            Vector256<float> lo = ActivationMath.ExpNonPositive(Vector256.Create(chunk.AsSpan(0, 8)));
            Vector256<float> hi = ActivationMath.ExpNonPositive(Vector256.Create(chunk.AsSpan(8, 8)));
            Vector512<float> wide = ActivationMath.ExpNonPositive(Vector512.Create(chunk));
            for (int j = 0; j < 16; j++)
            {
                double expected = Math.Exp(chunk[j]);
                float narrow = j < 8 ? lo[j] : hi[j - 8];
                CheckUlps(chunk[j], expected, narrow);
                CheckUlps(chunk[j], expected, wide[j]);
            }
        }
    }

    [Fact]
    public void ExpNonPositive_NaN_StaysNaN()
    {
        Assert.True(float.IsNaN(ActivationMath.ExpNonPositive(Vector256.Create(float.NaN))[3]));
        Assert.True(float.IsNaN(ActivationMath.ExpNonPositive(Vector512.Create(float.NaN))[11]));
    }

    [Fact]
    public void Log1P_TinyAndUnitArguments_AccurateToFewUlp()
    {
        foreach (float u in new[] { 0f, 1e-30f, 1e-10f, 3e-8f, 1e-6f, 1e-3f, 0.1f, 0.5f, 1f })
        {
            double expected = u < 1e-5 ? u - (double)u * u / 2 : Math.Log(1 + (double)u);
            CheckUlps(u, expected, ActivationMath.Log1P(u), maxUlps: 3);
            CheckUlps(u, expected, ActivationMath.Log1P(Vector256.Create(u))[0], maxUlps: 3);
            CheckUlps(u, expected, ActivationMath.Log1P(Vector512.Create(u))[0], maxUlps: 3);
        }
    }

    private static void CheckUlps(float x, double expected, float actual, int maxUlps = 2)
    {
        // One ulp of the expected float value; subnormals have the fixed spacing 2^-149.
        double ulp = Math.Max(MathF.BitIncrement((float)expected) - (float)expected, float.Epsilon);
        if (!(Math.Abs(actual - expected) <= maxUlps * ulp))
            throw new XunitException($"f({x:R}) = {actual:R}, expected {expected:R} (ulp {ulp:G3})");
    }
}
