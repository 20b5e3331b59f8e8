using System.Numerics;
using System.Numerics.Tensors;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Squared maximum mean discrepancy (MMD) between two samples under BayesFlow's multi-scale inverse multiquadric
/// kernel k(a, b) = sum over s of s / (s + |a - b|^2), with the 11 scales s = 10^-6, 10^-4.8, ..., 10^6
/// (numpy's <c>logspace(-6, 6, 11)</c>). Legend: x is (Nx, D) and y is (Ny, D), both row-major.
/// </summary>
/// <remarks>
/// <para>
/// The estimator is the biased one (a V-statistic, Gretton et al. 2012, eq. 5):
/// MMD^2 = 1/Nx^2 sum_ij k(x_i, x_j) + 1/Ny^2 sum_ij k(y_i, y_j) - 2/(Nx Ny) sum_ij k(x_i, y_j).
/// It is BayesFlow's default; it is defined for a single observation (Nx = 1), where the unbiased estimator's
/// 1/(Nx (Nx - 1)) is not; it is the squared distance between the two empirical kernel mean embeddings, so it is
/// never negative beyond rounding and exactly 0 for identical samples. Its bias, about
/// (1/Nx + 1/Ny)(E k(a, a) - E k(a, b)) when both samples come from one distribution, does not matter to
/// <see cref="Misspecification.Test"/>, whose null distribution uses the same estimator at the same sample sizes.
/// </para>
/// <para>
/// Why this kernel: the inverse multiquadric has heavy tails, so a point far from every reference point still
/// moves the statistic (a Gaussian kernel's value, and with it the MMD, saturates), and summing scales from 1e-6 to
/// 1e6 avoids choosing a bandwidth for summary spaces whose scale nobody knows in advance.
/// </para>
/// <para>
/// Squared distances are formed from differences in double, not as |a|^2 + |b|^2 - 2 a.b with a GEMM: at the
/// smallest scales the cancellation error of the GEMM form would dominate s + d^2, and a point's distance to itself
/// must be exactly 0. Kernel values and all sums are in double. Work is one row of x against all of y at
/// a time, so memory is O(Nx + Ny) whatever the sizes.
/// </para>
/// </remarks>
public static class Mmd
{
    /// <summary>The kernel's scales, 10^(-6 + 1.2 i) for i = 0..10 (BayesFlow hard-codes these rounded to 5
    /// significant digits; the exact powers differ from those by less than 1e-5 relative).</summary>
    private static readonly double[] s_scales = MakeScales();

    /// <summary>
    /// The biased squared MMD between <paramref name="x"/> (Nx, D) and <paramref name="y"/> (Ny, D) under the
    /// multi-scale inverse multiquadric kernel (see the type's remarks). Symmetric in x and y; exactly 0 when the
    /// two samples are the same rows in the same order.
    /// </summary>
    /// <param name="x">The first sample, (Nx, D) row-major: <paramref name="nx"/> * <paramref name="dim"/>
    /// values.</param>
    /// <param name="nx">Nx, at least 1.</param>
    /// <param name="y">The second sample, (Ny, D) row-major: <paramref name="ny"/> * <paramref name="dim"/>
    /// values.</param>
    /// <param name="ny">Ny, at least 1.</param>
    /// <param name="dim">D, at least 1.</param>
    /// <exception cref="ArgumentException">A length that is not rows * dim, a count or dim below 1, or a NaN or
    /// infinite value (the message names the argument, the row and the feature).</exception>
    public static double Squared(ReadOnlySpan<float> x, int nx, ReadOnlySpan<float> y, int ny, int dim)
    {
        CheckDim(dim, nameof(dim), "Mmd.Squared");
        CheckSample("Mmd.Squared", x, nx, dim, nameof(x), nameof(nx));
        CheckSample("Mmd.Squared", y, ny, dim, nameof(y), nameof(ny));
        var kernelRow = new double[Math.Max(nx, ny)];
        var scratch = new double[kernelRow.Length];
        // One routine for all three sums, so that for x == y they agree bitwise and the result is exactly 0.
        double xx = KernelSum(x, nx, x, nx, dim, kernelRow, scratch);
        double yy = KernelSum(y, ny, y, ny, dim, kernelRow, scratch);
        double xy = KernelSum(x, nx, y, ny, dim, kernelRow, scratch);
        return Combine(xx, yy, xy, nx, ny);
    }

    /// <summary>
    /// The biased estimator from the three kernel sums (xx over Nx^2 pairs, yy over Ny^2, xy over Nx Ny).
    /// </summary>
    internal static double Combine(double xx, double yy, double xy, int nx, int ny) =>
        xx / ((double)nx * nx) + yy / ((double)ny * ny) - 2 * xy / ((double)nx * ny);

    /// <summary>
    /// sum over i &lt; na, j &lt; nb of k(a_i, b_j); a is (na, D), b is (nb, D); scratch of at least nb.
    /// </summary>
    internal static double KernelSum(ReadOnlySpan<float> a, int na, ReadOnlySpan<float> b, int nb, int dim,
        Span<double> kernelRow, Span<double> scratch)
    {
        double total = 0;
        for (int i = 0; i < na; i++)
        {
            Span<double> row = kernelRow[..nb];
            KernelRow(a.Slice(i * dim, dim), b, nb, dim, row, scratch[..nb]);
            total += TensorPrimitives.Sum<double>(row);
        }
        return total;
    }

    /// <summary>
    /// destination[j] = k(a, b_j) for the one row <paramref name="a"/> (D) against <paramref name="b"/> (nb, D);
    /// <paramref name="squaredDistances"/> (nb) is scratch.
    /// </summary>
    internal static void KernelRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int nb, int dim,
        Span<double> destination, Span<double> squaredDistances)
    {
        for (int j = 0; j < nb; j++) squaredDistances[j] = SquaredDistance(a, b.Slice(j * dim, dim));
        // Each lane is one pair j and adds the 11 scales in the same order as the scalar tail, and IEEE division
        // is correctly rounded, so k as a function of d^2 does not depend on the vector width. (The squared
        // distances' own partial sums do, at the level of double rounding.)
        int w = Vector<double>.Count, j0 = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j0 <= nb - w; j0 += w)
            {
                var d2 = new Vector<double>(squaredDistances.Slice(j0, w));
                var sum = Vector<double>.Zero;
                foreach (double s in s_scales)
                {
                    var scale = new Vector<double>(s);
                    sum += scale / (scale + d2);
                }
                sum.CopyTo(destination.Slice(j0, w));
            }
        }
        for (int j = j0; j < nb; j++)
        {
            double sum = 0;
            foreach (double s in s_scales) sum += s / (s + squaredDistances[j]);
            destination[j] = sum;
        }
    }

    /// <summary>
    /// |a - b|^2 in double. Float differences and squares would carry relative errors of 1e-7, which the kernel's
    /// smallest scales (s + d^2 with s = 1e-6) turn into visible errors for close points; widened to double, each
    /// difference of two floats is exact and only the additions round. 0 exactly when a == b, and bitwise
    /// symmetric in a and b.
    /// </summary>
    internal static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int f = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            // Each float vector widens to two double vectors (low and high halves); lanes hold partial sums over
            // features f = lane (mod width), reduced once at the end.
            var acc = Vector<double>.Zero;
            for (; f <= a.Length - Vector<float>.Count; f += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(a[f..]), out Vector<double> aLow, out Vector<double> aHigh);
                Vector.Widen(new Vector<float>(b[f..]), out Vector<double> bLow, out Vector<double> bHigh);
                Vector<double> low = aLow - bLow, high = aHigh - bHigh;
                acc += low * low + high * high;
            }
            sum = Vector.Sum(acc);
        }
        for (; f < a.Length; f++)
        {
            double d = (double)a[f] - b[f];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Throws unless D is at least 1.</summary>
    internal static void CheckDim(int dim, string name, string caller)
    {
        if (dim < 1)
            throw new ArgumentOutOfRangeException(name, dim,
                $"{caller}: {name} is {dim}; the summary dimension must be at least 1.");
    }

    /// <summary>
    /// Throws unless <paramref name="values"/> holds <paramref name="count"/> &gt;= 1 finite rows of
    /// <paramref name="dim"/> values, naming the argument, the expected and the actual size, or the bad element.
    /// </summary>
    internal static void CheckSample(string caller, ReadOnlySpan<float> values, int count, int dim, string valuesName,
        string countName)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(countName, count,
                $"{caller}: {countName} is {count}; {valuesName} must hold at least one row.");
        long expected = (long)count * dim;
        if (values.Length != expected)
            throw new ArgumentException(
                $"{caller}: {valuesName} holds {values.Length} values; expected {countName} * dim = " +
                $"{count} * {dim} = {expected}.",
                valuesName);
        if (TensorPrimitives.IsFiniteAll(values)) return;
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException(
                    $"{caller}: {valuesName} holds {values[i]} at row {i / dim}, feature " +
                    $"{i % dim}; summaries must be finite.",
                    valuesName);
    }

    private static double[] MakeScales()
    {
        var scales = new double[11];
        for (int i = 0; i < scales.Length; i++) scales[i] = Math.Pow(10, -6 + 1.2 * i);
        return scales;
    }
}
