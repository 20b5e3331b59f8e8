using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Amortized.Tensors.Tests;

/// <summary>One tensor shape and a data seed.</summary>
internal sealed record ShapeCase(int[] Dims, ulong Seed)
{
    public Rng Rng() => new(Seed);

    public override string ToString() => $"{ShapeGen.Format(Dims)} seed {Seed}";
}

/// <summary>Two NumPy-broadcastable shapes and a data seed.</summary>
internal sealed record PairCase(int[] A, int[] B, ulong Seed)
{
    public Rng Rng() => new(Seed);

    public override string ToString() => $"{ShapeGen.Format(A)} with {ShapeGen.Format(B)} seed {Seed}";
}

/// <summary>A (batched) matrix product: op(a) (..., M, K), op(b) (..., K, N) or shared (K, N).</summary>
internal sealed record MatMulCase(int[] Batch, int M, int K, int N, bool SharedB, ulong Seed)
{
    public Rng Rng() => new(Seed);

    public override string ToString() =>
        $"batch {ShapeGen.Format(Batch)} M {M} K {K} N {N}{(SharedB ? " shared b" : "")} seed {Seed}";

    /// <summary>Stored dimensions of a (transposed: (..., K, M)).</summary>
    public int[] ADims(bool transA) => [.. Batch, transA ? K : M, transA ? M : K];

    /// <summary>Stored dimensions of b (transposed: (..., N, K)); no batch when shared.</summary>
    public int[] BDims(bool transB) => SharedB ? [transB ? N : K, transB ? K : N] : [.. Batch, transB ? N : K, transB ? K : N];
}

/// <summary>FsCheck arbitraries of the cases above (no shrinking: a failure names the case and seed).</summary>
internal static class Cases
{
    public static Arbitrary<ShapeCase> Shapes(int minRank = 1, int maxRank = 4, int maxDim = ShapeGen.DefaultMaxDim) =>
        Gen.Zip(ShapeGen.Dims(minRank, maxRank, maxDim), ShapeGen.Seed, (d, s) => new ShapeCase(d, s)).ToArbitrary();

    public static Arbitrary<PairCase> BroadcastPairs(int maxRank = 4) =>
        Gen.Zip(ShapeGen.BroadcastPair(maxRank), ShapeGen.Seed, (p, s) => new PairCase(p.A, p.B, s)).ToArbitrary();

    /// <summary>Batch rank 0..2 (so a is 2D, 3D or 4D); M, K, N 1..5; b shared only when batched.</summary>
    public static Arbitrary<MatMulCase> MatMuls(int minBatchRank = 0, int maxBatchRank = 2, bool? sharedB = null) =>
        (from batch in ShapeGen.Dims(minBatchRank, maxBatchRank, 3)
         from m in Gen.Choose(1, 5)
         from k in Gen.Choose(1, 5)
         from n in Gen.Choose(1, 5)
         from shared in sharedB is { } s ? Gen.Constant(s) : Gen.Elements(false, true)
         from seed in ShapeGen.Seed
         select new MatMulCase(batch, m, k, n, shared && batch.Length > 0, seed)).ToArbitrary();
}
