using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// One GEMM workload: op(A) (M, K) times op(B) (K, N). W4 are the target shapes; W1 are the products of one
/// Dense layer of the reference training step (batch 512, width 128) forward and backward.
/// </summary>
public sealed record GemmShape(string Name, int M, int K, int N, Transpose TransA = Transpose.No,
    Transpose TransB = Transpose.No, bool BiasSilu = false)
{
    public static readonly GemmShape[] W4 =
    [
        new("W4", 512, 512, 512),
        new("W4", 128, 2048, 128),
        new("W4", 2048, 128, 128),
    ];

    public static readonly GemmShape[] W1 =
    [
        new("W1-fwd", 512, 128, 128, BiasSilu: true),   // Y = silu(X W + b), preActivation kept
        new("W1-smallK", 512, 3, 128),                 // first layer: 3 input features
        new("W1-dX", 512, 128, 128, TransB: Transpose.Yes), // dX = dY W^T
        new("W1-dW", 128, 512, 128, TransA: Transpose.Yes), // dW = X^T dY
    ];

    public double Flops => 2.0 * M * N * K;

    public override string ToString() => $"{Name} {M}x{K}x{N}";

    /// <summary>Operands with random values, and C (M, N) with its preActivation twin.</summary>
    public (float[] A, float[] B, float[] C, float[] Bias, float[] Pre) Allocate(int seed = 42)
    {
        var rng = new Random(seed);
        float[] Fill(int n)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++)
                v[i] = (float)(rng.NextDouble() - 0.5);
            return v;
        }
        return (Fill(M * K), Fill(K * N), new float[M * N], Fill(N), BiasSilu ? new float[M * N] : []);
    }

    /// <summary>C = op(A) op(B) (+ bias, SiLU) on the default path, <see cref="KernelThreading.MaxThreads"/>.</summary>
    public void Multiply(float[] a, float[] b, float[] c, float[] bias, float[] pre) =>
        Gemm.Multiply(TransA, TransB, M, N, K, 1f, a, TransA == Transpose.No ? K : M, b,
            TransB == Transpose.No ? N : K, 0f, c, N, BiasSilu ? bias : default,
            BiasSilu ? Activation.Silu : Activation.Identity, pre);
}
