using Amortized.Tensors;
using Amortized.Tensors.Backends;

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
    private Tensor? _mDevice, _vDevice;
    private Tensor? _mHost, _vHost;       // cached views of _m and _v, so a step allocates nothing
                                          // the moments while the store lives on an accelerator

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
    public ReadOnlySpan<float> FirstMoment => ExportState().FirstMoment;

    /// <summary>Second-moment buffer.</summary>
    public ReadOnlySpan<float> SecondMoment => ExportState().SecondMoment;

    /// <summary>The full optimizer state (step count and both moment buffers), for checkpoints.</summary>
    public (long Step, float[] FirstMoment, float[] SecondMoment) ExportState()
    {
        int n = _store.Count;
        var m = new float[n];
        var v = new float[n];
        if (_mDevice is not null && ReferenceEquals(_mDevice.Backend, _store.Backend))
        {
            _mDevice.Backend.Download(_mDevice, m);
            _vDevice!.Backend.Download(_vDevice, v);
            return (Step, m, v);
        }
        _m.AsSpan(0, Math.Min(n, _m.Length)).CopyTo(m);
        _v.AsSpan(0, Math.Min(n, _v.Length)).CopyTo(v);
        return (Step, m, v);
    }

    /// <summary>Restores <see cref="ExportState"/>'s output, so training resumes exactly.</summary>
    public void ImportState(long step, ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment)
    {
        if (firstMoment.Length != _store.Count || secondMoment.Length != _store.Count)
            throw new ArgumentException($"Adam: state has {firstMoment.Length} and {secondMoment.Length} moments; " +
                $"the store has {_store.Count} parameters.");
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "Step must be >= 0.");
        _m = firstMoment.ToArray();
        _v = secondMoment.ToArray();
        _mDevice = _vDevice = null;   // re-uploaded from _m and _v on the next device update
        Step = step;
    }

    /// <summary>
    /// Applies one update from the gradients in the store. A non-finite gradient norm throws before anything
    /// changes, so a divergent step never corrupts the parameters or the moments.
    /// </summary>
    public void Update()
    {
        var backend = _store.Backend;
        var (m, v) = Moments(backend);
        // On an accelerator the norm is the one transfer of the update (8 bytes): the divergence check and clipping
        // need it on the host before anything changes.
        double norm = Math.Sqrt(backend.SumOfSquares(_store.GradientsTensor));
        if (!double.IsFinite(norm))
            throw new InvalidOperationException(
                $"Adam: the gradient norm is {norm} at step {Step + 1}; " +
                "the update was skipped and parameters are unchanged. " +
                "The loss has probably diverged: lower the learning rate or enable ClipNorm.");
        LastGradientNorm = norm;
        float gradScale = Options.ClipNorm is { } clip && norm > clip ? (float)(clip / norm) : 1f;

        Step++;
        float lr = Options.LearningRate.At(Step);
        float b1 = Options.Beta1, b2 = Options.Beta2;
        float stepSize = lr / (1f - MathF.Pow(b1, Step));
        float invSqrtBc2 = 1f / MathF.Sqrt(1f - MathF.Pow(b2, Step));
        float decay = 1f - lr * Options.WeightDecay;
        backend.AdamUpdate(_store.ValuesTensor, _store.GradientsTensor, m, v, gradScale, b1, b2, stepSize,
            invSqrtBc2, Options.Epsilon, decay);
    }

    /// <summary>
    /// The moment buffers on <paramref name="backend"/>'s device, beside the parameters: host arrays (wrapped once, so
    /// a step allocates nothing) or device tensors, carried over when the store moved between devices.
    /// </summary>
    private (Tensor M, Tensor V) Moments(IBackend backend)
    {
        int n = _store.Count;
        if (backend is CpuBackend)
        {
            if (_mDevice is not null)
            {
                // The store came back from an accelerator: continue from the moments it left there.
                _m = _mDevice.ToArray();
                _v = _vDevice!.ToArray();
                _mDevice = _vDevice = null;
            }
            if (_m.Length < n)
            {
                Array.Resize(ref _m, n);
                Array.Resize(ref _v, n);
            }
            if (_mHost is null || _mHost.Size != n || !_mHost.IsViewOf(_m))
            {
                _mHost = Tensor.Wrap(_m, 0, new Shape(n));
                _vHost = Tensor.Wrap(_v, 0, new Shape(n));
            }
            return (_mHost, _vHost!);
        }
        if (_mDevice is null || !ReferenceEquals(_mDevice.Backend, backend) || _mDevice.Size != n)
        {
            var m = backend.Allocate(new Shape(n));
            var v = backend.Allocate(new Shape(n));
            if (_mDevice is not null && _mDevice.Size == n)
            {
                // From another accelerator.
                backend.Upload(_mDevice.ToArray(), m);
                backend.Upload(_vDevice!.ToArray(), v);
            }
            else if (_m.Length >= n && Step > 0)
            {
                backend.Upload(_m.AsSpan(0, n), m);
                backend.Upload(_v.AsSpan(0, n), v);
            }
            (_mDevice, _vDevice) = (m, v);
        }
        return (_mDevice, _vDevice!);
    }
}
