using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>Weight initialisation schemes.</summary>
public enum Initializer
{
    /// <summary>All zeros (biases; the last layer of a coupling so a fresh flow is the identity).</summary>
    Zeros,
    /// <summary>All ones (layer-norm scale).</summary>
    Ones,
    /// <summary>U(-a, a) with a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010; Keras' default).</summary>
    GlorotUniform,
    /// <summary>N(0, 2 / fan_in) (He et al. 2015), for ReLU-family activations.</summary>
    HeNormal,
    /// <summary>A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix (Saxe et al. 2014).</summary>
    Orthogonal,
}

/// <summary>Fills parameter storage according to an <see cref="Initializer"/>.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="destination"/> (a parameter of <paramref name="shape"/>). For rank 2 the shape is
    /// (fan_in, fan_out); for rank 1 fan_in = fan_out = its length.
    /// </summary>
    public static void Fill(Initializer kind, Span<float> destination, Shape shape, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int fanIn = shape.Rank >= 2 ? shape.Size / shape[-1] : Math.Max(shape.Size, 1);
        int fanOut = shape.Rank >= 2 ? shape[-1] : Math.Max(shape.Size, 1);
        switch (kind)
        {
            case Initializer.Zeros: destination.Clear(); break;
            case Initializer.Ones: destination.Fill(1f); break;
            case Initializer.GlorotUniform:
            {
                float limit = MathF.Sqrt(6f / (fanIn + fanOut));
                rng.FillUniform(destination, -limit, limit);
                break;
            }
            case Initializer.HeNormal: rng.FillNormal(destination, 0f, MathF.Sqrt(2f / fanIn)); break;
            case Initializer.Orthogonal: FillOrthogonal(destination, fanIn, fanOut, rng); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown initializer.");
        }
    }

    /// <summary>
    /// Rows x cols matrix with orthonormal columns (rows >= cols) or rows (rows &lt; cols): modified Gram-Schmidt
    /// in double on a Gaussian matrix, which equals QR with sign-fixed R.
    /// </summary>
    private static void FillOrthogonal(Span<float> destination, int rows, int cols, Rng rng)
    {
        bool transposed = rows < cols;
        int n = transposed ? cols : rows,
            m = transposed ? rows : cols;   // n >= m; build n x m with orthonormal columns
        var q = new double[n * m];
        for (int i = 0; i < q.Length; i++) q[i] = rng.Normal();
        for (int j = 0; j < m; j++)
        {
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += q[i * m + j] * q[i * m + p];
                for (int i = 0; i < n; i++) q[i * m + j] -= dot * q[i * m + p];
            }
            double norm = 0;
            for (int i = 0; i < n; i++) norm += q[i * m + j] * q[i * m + j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < n; i++) q[i * m + j] /= norm;
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                destination[r * cols + c] = (float)(transposed ? q[c * m + r] : q[r * m + c]);
    }
}
