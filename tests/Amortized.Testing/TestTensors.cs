using Amortized.Tensors;

namespace Amortized.Testing;

/// <summary>
/// Heap tensors of random test data drawn through <see cref="Rng"/>, including the shapes of data a
/// finite-difference check needs: away from kinks, strictly positive, distinct along an axis.
/// </summary>
public static class TestTensors
{
    /// <summary>Uniform on [low, high).</summary>
    public static Tensor Uniform(Rng rng, float low, float high, params int[] dims) =>
        Fill(rng, dims, r => r.Uniform(low, high));

    /// <summary>|x| uniform on [minAbs, maxAbs) with a random sign (away from 0).</summary>
    public static Tensor SignedUniform(Rng rng, float minAbs, float maxAbs, params int[] dims) =>
        Fill(rng, dims, r =>
        {
            float magnitude = r.Uniform(minAbs, maxAbs);
            return r.NextUInt32() % 2 == 0 ? magnitude : -magnitude;
        });

    /// <summary>Uniform on [low, high), redrawn until at least <paramref name="margin"/> away from every point.</summary>
    public static Tensor AwayFrom(Rng rng, float low, float high, float[] points, float margin, params int[] dims) =>
        Fill(rng, dims, r =>
        {
            while (true)
            {
                float v = r.Uniform(low, high);
                if (IsAway(v, points, margin)) return v;
            }
        });

    /// <summary>True when |v - p| &gt;= margin for every point p.</summary>
    public static bool IsAway(float v, ReadOnlySpan<float> points, float margin)
    {
        foreach (float p in points)
            if (MathF.Abs(v - p) < margin) return false;
        return true;
    }

    /// <summary>0/1 entries with probability 1/2 each.</summary>
    public static Tensor Mask(Rng rng, params int[] dims) => Fill(rng, dims, r => r.NextUInt32() % 2 == 0 ? 0f : 1f);

    /// <summary>
    /// Values whose entries along <paramref name="axis"/> are pairwise at least spacing / 2 apart (a shuffled
    /// ladder with step <paramref name="spacing"/>, jittered by less than spacing / 4, shifted per fiber), so
    /// max and sort-like ops have no ties within a finite-difference step.
    /// </summary>
    public static Tensor DistinctAlong(Rng rng, int axis, float spacing, params int[] dims)
    {
        var t = Tensor.Zeros(dims);
        axis = t.Shape.NormalizeAxis(axis);
        int outer = t.Shape.Outer(axis), n = t.Shape[axis], inner = t.Shape.Inner(axis);
        var span = t.Span;
        var order = new int[n];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                rng.Permutation(order);
                float shift = rng.Uniform(-0.5f, 0.5f) - 0.5f * spacing * (n - 1);
                for (int k = 0; k < n; k++)
                    span[(o * n + k) * inner + i] = shift + spacing * order[k] + rng.Uniform(-0.25f, 0.25f) * spacing;
            }
        }
        return t;
    }

    /// <summary>Random integers in [0, n) of the given count.</summary>
    public static int[] Indices(Rng rng, int n, int count)
    {
        var result = new int[count];
        for (int i = 0; i < count; i++) result[i] = rng.Integer(0, n);
        return result;
    }

    private static Tensor Fill(Rng rng, int[] dims, Func<Rng, float> draw)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Tensor.Zeros(dims);
        var span = t.Span;
        for (int i = 0; i < span.Length; i++) span[i] = draw(rng);
        return t;
    }
}
