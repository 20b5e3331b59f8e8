using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Networks.Optim;

/// <summary>Options of <see cref="Adam"/>; defaults as Keras/PyTorch.</summary>
public sealed record AdamOptions
{
    /// <summary>Learning rate schedule (constant 1e-3 by default).</summary>
    public LearningRateSchedule LearningRate { get; init; } = LearningRateSchedule.Constant(1e-3f);

    /// <summary>Decay of the first-moment average.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Decay of the second-moment average.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Added to sqrt(v_hat) in the denominator.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Decoupled weight decay (AdamW, Loshchilov and Hutter 2019); 0 gives plain Adam.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Clip gradients to this global L2 norm before the update; null for no clipping.</summary>
    public float? ClipNorm { get; init; }
}

/// <summary>
/// Adam (Kingma and Ba 2015) and AdamW over a <see cref="ParameterStore"/>: one fused SIMD loop over the
/// contiguous parameters, gradients and moment buffers. Matches torch.optim.Adam / AdamW:
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
/// with AdamW first doing p *= 1 - lr wd.
/// </summary>
public sealed class Adam
{
    private readonly ParameterStore _store;
    private float[] _m = [];
    private float[] _v = [];

    /// <summary>Creates the optimizer for every parameter in <paramref name="store"/>.</summary>
    public Adam(ParameterStore store, AdamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        Options = options ?? new AdamOptions();
    }

    /// <summary>The options.</summary>
    public AdamOptions Options { get; }

    /// <summary>Updates taken so far.</summary>
    public long Step { get; private set; }

    /// <summary>Global gradient norm seen by the last update (before clipping).</summary>
    public double LastGradientNorm { get; private set; }

    /// <summary>First-moment buffer (for serialization and tests).</summary>
    public ReadOnlySpan<float> FirstMoment => _m.AsSpan(0, Math.Min(_m.Length, _store.Count));

    /// <summary>Second-moment buffer.</summary>
    public ReadOnlySpan<float> SecondMoment => _v.AsSpan(0, Math.Min(_v.Length, _store.Count));

    /// <summary>The full optimizer state (step count and both moment buffers), for checkpoints.</summary>
    public (long Step, float[] FirstMoment, float[] SecondMoment) ExportState()
    {
        int n = _store.Count;
        var m = new float[n];
        var v = new float[n];
        _m.AsSpan(0, Math.Min(n, _m.Length)).CopyTo(m);
        _v.AsSpan(0, Math.Min(n, _v.Length)).CopyTo(v);
        return (Step, m, v);
    }

    /// <summary>Restores <see cref="ExportState"/>'s output, so training resumes exactly.</summary>
    public void ImportState(long step, ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment)
    {
        if (firstMoment.Length != _store.Count || secondMoment.Length != _store.Count)
            throw new ArgumentException($"Adam: state has {firstMoment.Length} and {secondMoment.Length} moments; the store has {_store.Count} parameters.");
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Step must be >= 0.");
        _m = firstMoment.ToArray();
        _v = secondMoment.ToArray();
        Step = step;
    }

    /// <summary>
    /// Applies one update from the gradients in the store. A non-finite gradient norm throws before anything
    /// changes, so a divergent step never corrupts the parameters or the moments.
    /// </summary>
    public void Update()
    {
        int n = _store.Count;
        if (_m.Length < n)
        {
            Array.Resize(ref _m, n);
            Array.Resize(ref _v, n);
        }
        var grads = _store.Gradients;
        double norm = GradientClipping.GlobalNorm(grads);
        if (!double.IsFinite(norm))
            throw new InvalidOperationException(
                $"Adam: the gradient norm is {norm} at step {Step + 1}; the update was skipped and parameters are unchanged. " +
                "The loss has probably diverged: lower the learning rate or enable ClipNorm.");
        LastGradientNorm = norm;
        float gradScale = Options.ClipNorm is { } clip && norm > clip ? (float)(clip / norm) : 1f;

        Step++;
        float lr = Options.LearningRate.At(Step);
        float b1 = Options.Beta1, b2 = Options.Beta2;
        float stepSize = lr / (1f - MathF.Pow(b1, Step));
        float invSqrtBc2 = 1f / MathF.Sqrt(1f - MathF.Pow(b2, Step));
        float decay = 1f - lr * Options.WeightDecay;
        UpdateCore(_store.Values, grads, _m.AsSpan(0, n), _v.AsSpan(0, n), gradScale, b1, b2, stepSize, invSqrtBc2, Options.Epsilon, decay);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateCore(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float gradScale, float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && p.Length >= 8)
        {
            // 8 parameters per iteration; the scalar loop below finishes the tail with the same formula.
            var vb1 = Vector256.Create(b1); var vb1c = Vector256.Create(1f - b1);
            var vb2 = Vector256.Create(b2); var vb2c = Vector256.Create(1f - b2);
            var vStep = Vector256.Create(stepSize); var vBc2 = Vector256.Create(invSqrtBc2);
            var vEps = Vector256.Create(eps); var vDecay = Vector256.Create(decay); var vScale = Vector256.Create(gradScale);
            ref float pr = ref p[0]; ref float gr = ref Unsafe.AsRef(in g[0]); ref float mr = ref m[0]; ref float vr = ref v[0];
            for (; i <= p.Length - 8; i += 8)
            {
                var gi = Vector256.LoadUnsafe(ref gr, (nuint)i) * vScale;
                var mi = vb1 * Vector256.LoadUnsafe(ref mr, (nuint)i) + vb1c * gi;
                var vi = vb2 * Vector256.LoadUnsafe(ref vr, (nuint)i) + vb2c * gi * gi;
                var pi = Vector256.LoadUnsafe(ref pr, (nuint)i) * vDecay;
                pi -= vStep * mi / (Vector256.Sqrt(vi) * vBc2 + vEps);
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                pi.StoreUnsafe(ref pr, (nuint)i);
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] * gradScale;
            m[i] = b1 * m[i] + (1f - b1) * gi;
            v[i] = b2 * v[i] + (1f - b2) * gi * gi;
            p[i] = p[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) * invSqrtBc2 + eps);
        }
    }
}
