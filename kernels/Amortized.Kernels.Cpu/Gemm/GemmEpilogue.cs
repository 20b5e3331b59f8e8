using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The fused GEMM epilogue, run on a C tile right after its last K block while it is still in L1:
/// v = c + bias[j]; pre = v; c = act(v). Uses the same activation structs as <see cref="Activations"/>.
/// </summary>
internal static unsafe class GemmEpilogue
{
    /// <summary>
    /// <see cref="Apply{TKernel}"/> at the width of <paramref name="path"/>, for callers that are not generic over a
    /// microkernel (the thin-side kernels, the K split's merge).
    /// </summary>
    public static void Apply(in GemmArgs g, SimdPath path, int i0, int j0, int rows, int cols)
    {
        switch (path)
        {
            case SimdPath.Vector512: Apply<Vector512MicroKernel>(g, i0, j0, rows, cols); break;
            case SimdPath.Vector256: Apply<Vector256MicroKernel>(g, i0, j0, rows, cols); break;
            default: Apply<ScalarMicroKernel>(g, i0, j0, rows, cols); break;
        }
    }

    /// <summary>
    /// Applies the epilogue to the (rows, cols) block of C at (i0, j0). Bias, Pre and C are indexed from the
    /// matrix origin, so this works on any tile. Vector width: the path of <typeparamref name="TKernel"/>, a
    /// JIT-time constant, so each instantiation holds the loop of one width only (and the activation inlines).
    /// </summary>
    public static void Apply<TKernel>(in GemmArgs g, int i0, int j0, int rows, int cols)
        where TKernel : struct, IGemmMicroKernel
    {
        switch (g.Activation)
        {
            case Activation.Identity: Apply<TKernel, IdentityActivation>(g, i0, j0, rows, cols); break;
            case Activation.Relu: Apply<TKernel, ReluActivation>(g, i0, j0, rows, cols); break;
            case Activation.Silu: Apply<TKernel, SiluActivation>(g, i0, j0, rows, cols); break;
            case Activation.HardSilu: Apply<TKernel, HardSiluActivation>(g, i0, j0, rows, cols); break;
            case Activation.Softplus: Apply<TKernel, SoftplusActivation>(g, i0, j0, rows, cols); break;
            case Activation.Tanh: Apply<TKernel, TanhActivation>(g, i0, j0, rows, cols); break;
            case Activation.Sigmoid: Apply<TKernel, SigmoidActivation>(g, i0, j0, rows, cols); break;
            case Activation.Gelu: Apply<TKernel, GeluActivation>(g, i0, j0, rows, cols); break;
            case Activation.Mish: Apply<TKernel, MishActivation>(g, i0, j0, rows, cols); break;
            default: throw new ArgumentOutOfRangeException(nameof(g), g.Activation, "Unknown activation.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply<TKernel, TAct>(in GemmArgs g, int i0, int j0, int rows, int cols)
        where TKernel : struct, IGemmMicroKernel
        where TAct : struct, IActivationOperator
    {
        float* bias = g.Bias == null ? null : g.Bias + j0;
        for (int i = i0; i < i0 + rows; i++)
        {
            float* pre = g.Pre == null ? null : g.Pre + i * g.Ldc + j0;
            Row<TKernel, TAct>(g.C + i * g.Ldc + j0, bias, pre, cols);
        }
    }

    /// <summary>
    /// One row segment of n elements, in place on c. Same remainder scheme as <see cref="ElementwiseSkeleton"/>:
    /// the last vector overlaps the previous one and is computed from the original c before anything is stored,
    /// because this update is not idempotent (the bias would otherwise be added twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<TKernel, TAct>(float* c, float* bias, float* pre, int n)
        where TKernel : struct, IGemmMicroKernel
        where TAct : struct, IActivationOperator
    {
        if (TKernel.Path == SimdPath.Vector512 && n >= Vector512<float>.Count)
        {
            int last = n - Vector512<float>.Count;
            Vector512<float> tail = Vector512.Load(c + last);
            if (bias != null)
                tail += Vector512.Load(bias + last);
            for (int j = 0; j < last; j += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.Load(c + j);
                if (bias != null)
                    v += Vector512.Load(bias + j);
                if (pre != null)
                    v.Store(pre + j);
                TAct.Invoke(v).Store(c + j);
            }
            if (pre != null)
                tail.Store(pre + last);
            TAct.Invoke(tail).Store(c + last);
            return;
        }

        if (TKernel.Path != SimdPath.Scalar && n >= Vector256<float>.Count)
        {
            int last = n - Vector256<float>.Count;
            Vector256<float> tail = Vector256.Load(c + last);
            if (bias != null)
                tail += Vector256.Load(bias + last);
            for (int j = 0; j < last; j += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.Load(c + j);
                if (bias != null)
                    v += Vector256.Load(bias + j);
                if (pre != null)
                    v.Store(pre + j);
                TAct.Invoke(v).Store(c + j);
            }
            if (pre != null)
                tail.Store(pre + last);
            TAct.Invoke(tail).Store(c + last);
            return;
        }

        for (int j = 0; j < n; j++)
        {
            float v = c[j];
            if (bias != null)
                v += bias[j];
            if (pre != null)
                pre[j] = v;
            c[j] = TAct.Invoke(v);
        }
    }
}
