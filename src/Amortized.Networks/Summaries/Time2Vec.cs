using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Time2Vec (Kazemi et al. 2019), a learned embedding of time as BayesFlow's <c>Time2Vec</c>: one linear (trend)
/// feature w0 t + b0 and k periodic features sin(w_i t + b_i) with learned frequencies w_i and phases b_i.
/// Shapes: time (N, T) -> (N, T, 1 + k).
/// </summary>
/// <remarks>
/// The sine is evaluated on the host in float32 (the tensor engine has no sine kernel) and enters the tape as the
/// exact value plus a first-order term that is zero in value, <c>sin(a) = S + (a - stop(a)) cos(a)</c> with S and
/// cos(a) constants, so the forward value is exact and the gradient with respect to the frequencies, phases and the
/// time itself is the exact cos(a) (second derivatives, which nothing here takes, would be missing). A device
/// tensor is downloaded for this, (N, T, k) values per call.
/// </remarks>
public sealed class Time2Vec : Module
{
    private readonly Tensor _trendWeight, _trendBias, _periodicWeights, _periodicBiases;

    /// <summary>Creates the embedding with <paramref name="periodicFeatures"/> = k periodic features.</summary>
    public Time2Vec(ParameterStore store, string name, int periodicFeatures, Rng rng) : base(name)
    {
        if (periodicFeatures < 0)
            throw new ArgumentOutOfRangeException(nameof(periodicFeatures), periodicFeatures,
                $"Time2Vec '{name}': periodic features must be 0 or more.");
        _trendWeight = AddParameter(store, "trend_weight", new Shape(1), Initializer.GlorotUniform, rng);
        _trendBias = AddParameter(store, "trend_bias", new Shape(1), Initializer.GlorotUniform, rng);
        if (periodicFeatures > 0)
        {
            _periodicWeights =
                AddParameter(store, "periodic_weights", new Shape(periodicFeatures), Initializer.GlorotUniform, rng);
            _periodicBiases =
                AddParameter(store, "periodic_biases", new Shape(periodicFeatures), Initializer.GlorotUniform, rng);
        }
        else _periodicWeights = _periodicBiases = null!;
        PeriodicFeatures = periodicFeatures;
    }

    /// <summary>k, the periodic features.</summary>
    public int PeriodicFeatures { get; }

    /// <summary>Width of the embedding, 1 + k.</summary>
    public int OutFeatures => 1 + PeriodicFeatures;

    /// <summary>time (N, T) -> [w0 t + b0, sin(w_1 t + b_1), ..., sin(w_k t + b_k)] (N, T, 1 + k).</summary>
    public Tensor Forward(Tensor time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (time.Rank != 2)
            throw new ArgumentException($"Time2Vec '{Name}': time is {time.Shape}; expected (N, T).", nameof(time));
        int n = time.Shape[0], t = time.Shape[1], k = PeriodicFeatures;
        var column = time.Reshape(n, t, 1);
        var trend = column * _trendWeight + _trendBias;                                          // (N, T, 1)
        if (k == 0) return trend;
        var phase = column * _periodicWeights.Reshape(1, 1, k) + _periodicBiases.Reshape(1, 1, k);   // (N, T, k)
        return Tensor.Concat(trend, Sin(phase), 2);
    }

    /// <summary>sin(a) elementwise: the exact value, with the exact first derivative cos(a) on the tape.</summary>
    internal static Tensor Sin(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        bool record = Tape.Current is not null && a.RequiresGrad;
        if (a.IsOnHost)
        {
            var sin = Tensor.ZerosLike(a, a.Shape);
            var cos = record ? Tensor.ZerosLike(a, a.Shape) : null;
            SinCos(a.Span, sin.Span, cos is null ? [] : cos.Span);
            return cos is null ? sin : WithDerivative(sin, a, cos);
        }
        float[] x = a.ToArray(), s = new float[x.Length], c = record ? new float[x.Length] : [];
        SinCos(x, s, c);
        var sinOnDevice = Tensor.Upload(s, a.Shape);
        return record ? WithDerivative(sinOnDevice, a, Tensor.Upload(c, a.Shape)) : sinOnDevice;
    }

    /// <summary>sin and (unless <paramref name="cos"/> is empty) cos of every x.</summary>
    private static void SinCos(ReadOnlySpan<float> x, Span<float> sin, Span<float> cos)
    {
        for (int i = 0; i < x.Length; i++)
        {
            (sin[i], float cosine) = MathF.SinCos(x[i]);
            if (!cos.IsEmpty) cos[i] = cosine;
        }
    }

    /// <summary>
    /// sin + (a - stop(a)) cos: (a - stop(a)) is exactly zero, so the value is sin to the last bit, and the tape
    /// carries d/da = cos.
    /// </summary>
    private static Tensor WithDerivative(Tensor sin, Tensor a, Tensor cos) => sin + (a - a.Detach()) * cos;

    /// <inheritdoc />
    protected override string Describe() => $"Time2Vec(1 trend + {PeriodicFeatures} periodic)";
}
