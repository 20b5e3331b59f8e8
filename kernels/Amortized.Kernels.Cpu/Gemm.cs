namespace Amortized.Kernels.Cpu;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// C = activation(alpha * op(A) * op(B) + beta * C + bias).
/// </summary>
/// <remarks>
/// Shapes: op(A) is (M, K), op(B) is (K, N), C is (M, N), bias is (N) or empty.
/// A stored untransposed is (M, K) with row stride lda >= K; transposed it is stored as (K, M) with lda >= M.
/// Likewise B is (K, N) with ldb >= N, or stored (N, K) with ldb >= K when transposed.
/// TEMPORARY naive implementation: the packed, register-blocked kernel replaces it.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// C = activation(alpha * op(A) * op(B) + beta * C + bias). When <paramref name="preActivation"/> is not
    /// empty it receives the value before the activation (same layout as C, row stride ldc).
    /// beta = 0 means C is not read (NaNs in C do not propagate).
    /// </summary>
    public static void Multiply(
        Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, Activation activation = Activation.Identity,
        Span<float> preActivation = default)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    float bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += av * bv;
                }
                float v = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j]);
                if (!bias.IsEmpty) v += bias[j];
                if (!preActivation.IsEmpty) preActivation[i * ldc + j] = v;
                c[i * ldc + j] = Activations.Apply(activation, v);
            }
        }
    }
}
