using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Transformer summary network for time series (BayesFlow time_series_transformer.py): each step's features are
/// concatenated with a <see cref="Time2Vec"/> embedding of its time, self-attention blocks MAB(X, X) run over the
/// steps (not causal: every step sees the whole observed series), the steps are pooled (mean or attention) and a
/// linear Dense maps to the summary width. Legend: B batch, T steps, F features per step, E embed width, S summary
/// width. Shapes: x (B, T, F), mask (B, T) -> (B, S).
/// </summary>
/// <remarks>
/// <para>Variable lengths: pad each series at its end and pass mask 1 for observed steps, 0 for padding. Padded
/// steps are never attended to (they are masked out as keys) and take no part in the pooling, and the default time
/// is the step index, so a padded batch gives the same summaries as the unpadded series (BayesFlow's transformer
/// has no padding mask, its issue #713). Steps masked inside a series are skipped the same way.</para>
/// <para>When to prefer <see cref="TimeSeriesNetwork"/>: attention is O(T^2) per block in time and memory (the
/// recurrent network O(T)), and the mean of attention outputs has no direct view of neighbouring steps. Measured with
/// equal budgets (400 steps of 64, networks of about 10k parameters, 30 steps per series): on a noisy sine of unknown
/// amplitude and phase the posterior-mean RMSE against the conjugate posterior was 0.101 here and 0.070 for the
/// recurrent network; on an AR(1) coefficient, whose statistic is the lag-1 product, 0.204 here and 0.029 there.
/// What the transformer offers beyond it is a time feature with uneven or series-specific spacing (<see
/// cref="TimeSeriesTransformerOptions.TimeAxis"/>), embedded by Time2Vec.</para>
/// </remarks>
public sealed class TimeSeriesTransformer : SummaryNetwork
{
    private readonly Time2Vec? _time;
    private readonly int _timeAxis = -1;   // resolved to 0..F-1, or -1 for the step index
    private readonly List<SetAttentionBlock> _blocks = [];
    private readonly PoolingByMultiHeadAttention? _attentionPooling;
    private readonly Dense _outputProjector;

    /// <summary>Creates the network for series of F = <paramref name="inputDim"/> features per step.</summary>
    public TimeSeriesTransformer(ParameterStore store, string name, int inputDim,
        TimeSeriesTransformerOptions? options, Rng rng)
        : base(name, inputDim, (options ?? new TimeSeriesTransformerOptions()).SummaryDim)
    {
        Options = options ?? new TimeSeriesTransformerOptions();
        int count = Options.EmbedDims.Count;
        if (count == 0 || Options.NumHeads.Count != count || Options.MlpDepths.Count != count
            || Options.MlpWidths.Count != count)
            throw new ArgumentException(
                $"TimeSeriesTransformer '{name}': EmbedDims, NumHeads, MlpDepths and MlpWidths need one entry per " +
                $"block (got {count}, {Options.NumHeads.Count}, {Options.MlpDepths.Count}, {Options.MlpWidths.Count}; " +
                "at least one block).", nameof(options));
        int width = inputDim;
        if (Options.TimeAxis is int axis)
        {
            if (axis < -inputDim || axis >= inputDim)
                throw new ArgumentException($"TimeSeriesTransformer '{name}': TimeAxis is {axis}; expected -{inputDim} " +
                    $"to {inputDim - 1} for {inputDim} input features.", nameof(options));
            if (Options.TimeEmbedding == TimeEmbeddingKind.None)
                throw new ArgumentException($"TimeSeriesTransformer '{name}': TimeAxis is {axis} but TimeEmbedding " +
                    "is None; the time feature would be dropped unused. Use Time2Vec, or no TimeAxis.", nameof(options));
            _timeAxis = axis < 0 ? inputDim + axis : axis;
            width--;
        }
        if (Options.TimeEmbedding == TimeEmbeddingKind.Time2Vec)
        {
            if (Options.TimeEmbedDim < 1)
                throw new ArgumentException($"TimeSeriesTransformer '{name}': TimeEmbedDim is {Options.TimeEmbedDim}; " +
                    "expected at least 1 (the trend feature).", nameof(options));
            _time = AddChild(new Time2Vec(store, $"{name}.time2vec", Options.TimeEmbedDim - 1, rng));
            width += _time.OutFeatures;
        }
        else if (!Enum.IsDefined(Options.TimeEmbedding))
            throw new ArgumentException($"TimeSeriesTransformer '{name}': TimeEmbedding {Options.TimeEmbedding} is " +
                "not one of None, Time2Vec.", nameof(options));
        if (width == 0)
            throw new ArgumentException($"TimeSeriesTransformer '{name}': the only input feature is the time axis " +
                "and there is no time embedding; nothing is left to attend to.", nameof(options));
        for (int k = 0; k < count; k++)
        {
            var block = Options.Block(k);
            _blocks.Add(AddChild(new SetAttentionBlock(store, $"{name}.mab{k}", width, block, rng)));
            width = block.EmbedDim;
        }
        switch (Options.Pooling)
        {
            case TimeSeriesPooling.Mean: break;
            case TimeSeriesPooling.Attention:
                _attentionPooling = AddChild(new PoolingByMultiHeadAttention(store, $"{name}.pma", width,
                    Options.NumSeeds, width, Options.Block(count - 1), rng));
                width = _attentionPooling.OutFeatures;
                break;
            default:
                throw new ArgumentException($"TimeSeriesTransformer '{name}': Pooling {Options.Pooling} is not one of " +
                    "Mean, Attention.", nameof(options));
        }
        _outputProjector = AddChild(new Dense(store, $"{name}.output_projector", width, SummaryDim, rng));
    }

    /// <summary>The options it was built with.</summary>
    public TimeSeriesTransformerOptions Options { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng)
    {
        var h = Embed(x);                                                 // (B, T, F' + 1 + k)
        foreach (var block in _blocks) h = block.Forward(h, mask, rng);   // (B, T, E)
        var pooled = _attentionPooling is null
            ? Masking.Pool(h, mask, SetPooling.Mean)                      // (B, E)
            : _attentionPooling.Forward(h, mask, rng);                    // (B, seeds * E)
        return _outputProjector.Forward(pooled);
    }

    /// <summary>x (B, T, F) -> the features without the time axis, then the time embedding (B, T, F' + 1 + k).</summary>
    private Tensor Embed(Tensor x)
    {
        if (_time is null) return x;
        int b = x.Shape[0], t = x.Shape[1], f = x.Shape[2];
        Tensor features = x, time;
        if (_timeAxis >= 0)
        {
            time = x.Slice(2, _timeAxis, 1).Reshape(b, t);
            var parts = new List<Tensor>(2);
            if (_timeAxis > 0) parts.Add(x.Slice(2, 0, _timeAxis));
            if (_timeAxis < f - 1) parts.Add(x.Slice(2, _timeAxis + 1, f - 1 - _timeAxis));
            if (parts.Count == 0) return _time.Forward(time);
            features = parts.Count == 1 ? parts[0] : Tensor.Concat([.. parts], 2);
        }
        else
        {
            // The step index, the same for every series: embedded once (1, T, 1 + k) and broadcast over the batch.
            var index = new float[t];
            for (int j = 0; j < t; j++) index[j] = j;
            var embedded = _time.Forward(Tensor.Upload(index, new Shape(1, t)));
            return Tensor.Concat(features, embedded.BroadcastTo(new Shape(b, t, _time.OutFeatures)), 2);
        }
        return Tensor.Concat(features, _time.Forward(time), 2);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"TimeSeriesTransformer(F={InputDim}, S={SummaryDim}, {_blocks.Count} self-attention blocks, " +
        $"time {(_time is null ? "none" : _timeAxis >= 0 ? $"Time2Vec of feature {_timeAxis}" : "Time2Vec of the step index")}, " +
        $"{Options.Pooling.ToString().ToLowerInvariant()} pooling)";
}
