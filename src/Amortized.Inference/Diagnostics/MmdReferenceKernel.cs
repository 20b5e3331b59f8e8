using System.Numerics.Tensors;
using Amortized.Kernels.Cpu;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// What <see cref="Misspecification.Test"/> needs to know about the reference R (M, D) to score a subset S of n rows
/// against the rest in O(n^2) instead of O(M^2 D): the kernel row sums r_a = sum_b k(R_a, R_b), their total, and
/// optionally the whole kernel matrix (M, M) in float so that sum_{a, b in S} k(R_a, R_b) is n^2 look-ups.
/// </summary>
/// <remarks>
/// With the subset sums SS = sum_{S x S} k and SR = sum_{a in S} r_a, the other two sums of the biased MMD between S
/// and R \ S follow from the row sums alone: S x rest = SR - SS and rest x rest = total - 2 SR + SS. Rows are
/// computed in full (not as a triangle) in parallel blocks; each row is summed in double on its own, so the
/// results do not depend on the thread count, and k(a, b) and k(b, a) are bitwise equal because (a - b)^2 and
/// (b - a)^2 are.
/// </remarks>
internal sealed class MmdReferenceKernel
{
    /// <summary>Rows per parallel work item.</summary>
    private const int BlockRows = 16;

    private readonly float[] _reference;   // (M, D)
    private readonly float[]? _matrix;     // (M, M), when cached
    private readonly double[] _rowSums;    // (M)

    /// <summary>Computes row sums for <paramref name="reference"/> (count, dim), caching the matrix if asked.</summary>
    public MmdReferenceKernel(ReadOnlySpan<float> reference, int count, int dim, bool cacheMatrix)
    {
        _reference = reference.ToArray();
        Count = count;
        Dim = dim;
        _rowSums = new double[count];
        if (cacheMatrix) _matrix = new float[(long)count * count];
        KernelThreading.For((count + BlockRows - 1) / BlockRows, new RowWork(this));
        double total = 0;
        foreach (double r in _rowSums) total += r;   // index order: independent of the thread count
        Total = total;
    }

    /// <summary>M.</summary>
    public int Count { get; }

    /// <summary>D.</summary>
    public int Dim { get; }

    /// <summary>sum over all (a, b) of k(R_a, R_b).</summary>
    public double Total { get; }

    /// <summary>The reference (M, D).</summary>
    public ReadOnlySpan<float> Reference => _reference;

    /// <summary>Whether the (M, M) matrix is held.</summary>
    public bool IsCached => _matrix is not null;

    /// <summary>sum over a in <paramref name="rows"/> of r_a.</summary>
    public double RowSum(ReadOnlySpan<int> rows)
    {
        double sum = 0;
        foreach (int a in rows) sum += _rowSums[a];
        return sum;
    }

    /// <summary>
    /// sum over a, b in <paramref name="rows"/> (n) of k(R_a, R_b): look-ups when the matrix is cached, otherwise the
    /// rows are gathered into <paramref name="gathered"/> (n * D) and the kernel evaluated (scratch of at least n).
    /// </summary>
    public double SubsetSum(ReadOnlySpan<int> rows, Span<float> gathered, Span<double> kernelRow, Span<double> scratch)
    {
        int n = rows.Length;
        if (_matrix is not null)
        {
            double sum = 0;
            foreach (int a in rows)
            {
                ReadOnlySpan<float> row = _matrix.AsSpan((int)((long)a * Count), Count);
                foreach (int b in rows) sum += row[b];
            }
            return sum;
        }
        Gather(rows, gathered);
        return Mmd.KernelSum(gathered, n, gathered, n, Dim, kernelRow, scratch);
    }

    /// <summary>
    /// Copies the reference rows <paramref name="rows"/> into <paramref name="destination"/> (rows x D).
    /// </summary>
    public void Gather(ReadOnlySpan<int> rows, Span<float> destination)
    {
        for (int i = 0; i < rows.Length; i++)
            _reference.AsSpan(rows[i] * Dim, Dim).CopyTo(destination.Slice(i * Dim, Dim));
    }

    /// <summary>One block of BlockRows reference rows against the whole reference.</summary>
    private sealed class RowWork(MmdReferenceKernel owner) : ParallelWork
    {
        public override void Run(int index)
        {
            int m = owner.Count, dim = owner.Dim;
            var kernelRow = new double[m];
            var scratch = new double[m];
            int end = Math.Min(m, (index + 1) * BlockRows);
            for (int a = index * BlockRows; a < end; a++)
            {
                Mmd.KernelRow(owner._reference.AsSpan(a * dim, dim), owner._reference, m, dim, kernelRow, scratch);
                owner._rowSums[a] = TensorPrimitives.Sum<double>(kernelRow);
                if (owner._matrix is { } matrix)
                {
                    Span<float> destination = matrix.AsSpan((int)((long)a * m), m);
                    for (int b = 0; b < m; b++) destination[b] = (float)kernelRow[b];
                }
            }
        }
    }
}
