using Amortized.Kernels.Cpu;

namespace Amortized.Workloads;

/// <summary>
/// One GEMM workload: op(A) (M, K) times op(B) (K, N). <see cref="W4"/> are the target shapes of W4; <see cref="W1"/>
/// are the products of one Dense layer of the W1 training step (batch 512, width 128) forward and backward.
/// </summary>
/// <param name="Name">Label printed with the figure ("W4", "W1-fwd", ...).</param>
/// <param name="M">Rows of C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="N">Columns of C.</param>
/// <param name="TransA">Whether A is stored transposed (K, M).</param>
/// <param name="TransB">Whether B is stored transposed (N, K).</param>
/// <param name="BiasSilu">Whether the epilogue adds a bias and applies SiLU (keeping the pre-activation).</param>
public sealed record GemmShape(string Name, int M, int K, int N, Transpose TransA = Transpose.No,
    Transpose TransB = Transpose.No, bool BiasSilu = false)
{
    /// <summary>W4: 512 x 512 x 512, 128 x 2048 x 128 and 2048 x 128 x 128 (M x K x N).</summary>
    public static IReadOnlyList<GemmShape> W4 { get; } =
    [
        new("W4", 512, 512, 512),
        new("W4", 128, 2048, 128),
        new("W4", 2048, 128, 128),
    ];

    /// <summary>The products of one 128-wide Dense layer of W1 at batch 512.</summary>
    public static IReadOnlyList<GemmShape> W1 { get; } =
    [
        new("W1-fwd", 512, 128, 128, BiasSilu: true),      // Y = silu(X W + b), preActivation kept
        new("W1-smallK", 512, 3, 128),                     // first layer: 3 input features
        new("W1-dX", 512, 128, 128, TransB: Transpose.Yes), // dX = dY W^T
        new("W1-dW", 128, 512, 128, TransA: Transpose.Yes), // dW = X^T dY
    ];

    /// <summary>The products of W2's 64-wide set layer over 128 sets of 100 (12,800 rows).</summary>
    public static IReadOnlyList<GemmShape> W2 { get; } =
    [
        new("W2-fwd", 12_800, 64, 64, BiasSilu: true),
        new("W2-dX", 12_800, 64, 64, TransB: Transpose.Yes),
        new("W2-dW", 64, 12_800, 64, TransA: Transpose.Yes),
    ];

    /// <summary>Floating-point operations of one product (an FMA counts as 2).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <inheritdoc />
    public override string ToString() => $"{Name} {M}x{K}x{N}";

    /// <summary>Operands with uniform values in [-0.5, 0.5), and C (M, N) with its pre-activation twin.</summary>
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

    /// <summary>
    /// C = op(A) op(B) (+ bias, SiLU) on the default path, with <see cref="KernelThreading.MaxThreads"/> threads.
    /// </summary>
    public void Multiply(float[] a, float[] b, float[] c, float[] bias, float[] pre) =>
        Gemm.Multiply(TransA, TransB, M, N, K, 1f, a, TransA == Transpose.No ? K : M, b,
            TransB == Transpose.No ? N : K, 0f, c, N, BiasSilu ? bias : default,
            BiasSilu ? Activation.Silu : Activation.Identity, pre);
}
