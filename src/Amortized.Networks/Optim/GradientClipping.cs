using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Optim;

/// <summary>Gradient clipping over a whole <see cref="ParameterStore"/>.</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients, accumulated in double.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients) =>
        Math.Sqrt(ReductionKernels.SumOfSquares(gradients));

    /// <summary>
    /// Scales all gradients by maxNorm / norm when their global norm exceeds <paramref name="maxNorm"/>;
    /// returns the norm before clipping.
    /// </summary>
    public static double ClipGlobalNorm(ParameterStore store, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!(maxNorm > 0f))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be positive.");
        double norm = GlobalNorm(store.Gradients);
        if (norm > maxNorm)
            UnaryKernels.Unary(UnaryKind.MulScalar, store.Gradients, store.Gradients, (float)(maxNorm / norm), 0f);
        return norm;
    }
}
