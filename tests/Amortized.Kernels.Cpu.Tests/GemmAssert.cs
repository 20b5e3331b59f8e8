using Xunit.Sdk;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>Checks a GEMM result against the double oracle, and that nothing outside C (and Pre) was written.</summary>
internal static class GemmAssert
{
    private const double Epsilon = 5.96e-8; // float unit roundoff 2^-24

    /// <summary>
    /// <paramref name="after"/> holds the outputs of running the case whose inputs are <paramref name="before"/>.
    /// Bound: a chain of K float FMAs errs by at most about K eps times the sum of |terms| (the scale), plus a few
    /// roundings for alpha, beta, bias; the activation is at most 1.5-Lipschitz and adds its own ~4e-6 relative.
    /// </summary>
    public static void Matches(GemmData before, GemmData after)
    {
        (double[] pre, double[] scale) = Reference.Gemm(before);
        Activation act = before.Case.Activation;
        for (int i = 0; i < before.M; i++)
        {
            for (int j = 0; j < before.N; j++)
            {
                double expectedPre = pre[i * before.N + j];
                double tolPre = (before.K + 8) * Epsilon * scale[i * before.N + j] + 1e-30;
                if (after.Pre.Length > 0)
                    Check(after.Pre[i * after.Ldc + j], expectedPre, tolPre, "pre", i, j, before);
                double expected = Reference.Apply(act, expectedPre);
                double tol = 1.5 * tolPre + 4e-6 * Math.Abs(expected) + 1e-30;
                Check(after.C[i * after.Ldc + j], expected, tol, "C", i, j, before);
            }
            // Row padding of C is left alone; padding of Pre is never written.
            for (int j = before.N; j < before.Ldc && i * before.Ldc + j < before.C.Length; j++)
            {
                if (BitConverter.SingleToInt32Bits(after.C[i * after.Ldc + j]) !=
                    BitConverter.SingleToInt32Bits(before.C[i * before.Ldc + j]))
                    throw new XunitException($"C padding ({i}, {j}) was written. Case: {before.Case}");
                if (after.Pre.Length > 0 && after.Pre[i * after.Ldc + j] != 0f)
                    throw new XunitException($"Pre padding ({i}, {j}) was written. Case: {before.Case}");
            }
        }
    }

    /// <summary>Asserts two runs produced identical bits in C and Pre.</summary>
    public static void BitwiseEqual(GemmData expected, GemmData actual, string what)
    {
        for (int i = 0; i < expected.C.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected.C[i]) != BitConverter.SingleToInt32Bits(actual.C[i]))
                throw new XunitException($"{what}: C[{i}] {expected.C[i]:R} vs {actual.C[i]:R}. Case: {expected.Case}");
        }
        for (int i = 0; i < expected.Pre.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected.Pre[i]) != BitConverter.SingleToInt32Bits(actual.Pre[i]))
                throw new XunitException($"{what}: Pre[{i}] differs. Case: {expected.Case}");
        }
    }

    private static void Check(float actual, double expected, double tolerance, string what, int i, int j, GemmData d)
    {
        if (!(Math.Abs(actual - expected) <= tolerance))
        {
            throw new XunitException(
                $"{what}[{i}, {j}] = {actual:R}, expected {expected:R} +- {tolerance:G3}. Case: {d.Case}");
        }
    }
}
