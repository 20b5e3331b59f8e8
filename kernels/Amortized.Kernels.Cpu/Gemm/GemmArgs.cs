namespace Amortized.Kernels.Cpu;

/// <summary>
/// One GEMM call with its operands pinned: C = act(alpha op(A) op(B) + beta C + bias), with preActivation
/// receiving the value before act. Shapes: op(A) (M, K), op(B) (K, N), C and Pre (M, N), Bias (N).
/// </summary>
/// <remarks>Valid only while the caller keeps the spans pinned (inside its <c>fixed</c> block).</remarks>
internal unsafe struct GemmArgs
{
    public Transpose TransA;
    public Transpose TransB;
    public int M;
    public int N;
    public int K;
    public float Alpha;
    public float Beta;
    public float* A;
    public nint Lda;
    public float* B;
    public nint Ldb;
    public float* C;
    public nint Ldc;
    /// <summary>(N) bias added to every row, or null.</summary>
    public float* Bias;
    /// <summary>Output before the activation, same layout as C (row stride Ldc), or null.</summary>
    public float* Pre;
    public Activation Activation;

    /// <summary>Whether the last K block must run the bias/activation/preActivation pass.</summary>
    public readonly bool HasEpilogue => Bias != null || Pre != null || Activation != Activation.Identity;
}
