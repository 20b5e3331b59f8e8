using System.Numerics.Tensors;

namespace Amortized.Networks.Optim;

/// <summary>Gradient clipping over a whole <see cref="ParameterStore"/>.</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients, accumulated in double.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients) =>
        Math.Sqrt(Kernels.Cpu.ReductionKernels.SumOfSquares(gradients));

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
        if (norm > maxNorm) TensorPrimitives.Multiply(store.Gradients, (float)(maxNorm / norm), store.Gradients);
        return norm;
    }
}
