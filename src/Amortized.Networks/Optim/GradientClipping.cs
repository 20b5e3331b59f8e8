using System.Numerics.Tensors;

namespace Amortized.Networks.Optim;

/// <summary>Gradient clipping over a whole <see cref="ParameterStore"/>.</summary>
public static class GradientClipping
{
    /// <summary>The L2 norm of all gradients, accumulated in double.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradients)
    {
        // Chunks summed in float by SIMD, chunk totals in double: accurate and deterministic.
        double sum = 0;
        const int chunk = 4096;
        for (int start = 0; start < gradients.Length; start += chunk)
        {
            var part = gradients.Slice(start, Math.Min(chunk, gradients.Length - start));
            sum += TensorPrimitives.Dot(part, part);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales all gradients by maxNorm / norm when their global norm exceeds <paramref name="maxNorm"/>;
    /// returns the norm before clipping.
    /// </summary>
    public static double ClipGlobalNorm(ParameterStore store, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be positive.");
        double norm = GlobalNorm(store.Gradients);
        if (norm > maxNorm) TensorPrimitives.Multiply(store.Gradients, (float)(maxNorm / norm), store.Gradients);
        return norm;
    }
}
