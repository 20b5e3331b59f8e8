using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Multi-head scaled dot-product attention (Vaswani et al. 2017) with a key mask, as Keras' MultiHeadAttention:
/// per head h, softmax(Q_h K_h^T / sqrt(d_k)) V_h, heads concatenated and projected. Legend: B batch, Nq queries,
/// Nk keys, H heads, d_k per-head width. Shapes: q (B, Nq, Dq), kv (B, Nk, Dkv), keyMask (B, Nk) -> (B, Nq, O).
/// </summary>
/// <remarks>A masked key (padding) gets exactly zero weight: its logits are replaced (not offset) by -1e9 before
/// the softmax, so no finite value in a padded row can outweigh the mask.</remarks>
public sealed class MultiHeadAttention : Module
{
    private const float MaskedLogit = -1e9f;
    private readonly Dense _query, _key, _value, _output;

    /// <summary>Creates the projections: queries, keys and values to H x d_k, the concatenated heads to O.</summary>
    public MultiHeadAttention(ParameterStore store, string name, int queryDim,
        int keyValueDim, int numHeads, int headDim,
        int outFeatures, Initializer kernelInitializer, Rng rng) : base(name)
    {
        if (numHeads <= 0 || headDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numHeads),
                $"MultiHeadAttention '{name}': heads ({numHeads}) and head width ({headDim}) must be positive.");
        NumHeads = numHeads;
        HeadDim = headDim;
        int inner = numHeads * headDim;
        _query =
            AddChild(new Dense(store, $"{name}.query", queryDim, inner, rng, kernelInitializer: kernelInitializer));
        _key = AddChild(new Dense(store, $"{name}.key", keyValueDim, inner, rng, kernelInitializer: kernelInitializer));
        _value =
            AddChild(new Dense(store, $"{name}.value", keyValueDim, inner, rng, kernelInitializer: kernelInitializer));
        _output =
            AddChild(new Dense(store, $"{name}.output", inner, outFeatures, rng, kernelInitializer: kernelInitializer));
    }

    /// <summary>H.</summary>
    public int NumHeads { get; }

    /// <summary>d_k, the width of each head's queries, keys and values.</summary>
    public int HeadDim { get; }

    /// <summary>Output width O.</summary>
    public int OutFeatures => _output.OutFeatures;

    /// <summary>
    /// q (B, Nq, Dq) attends to kv (B, Nk, Dkv); keys with keyMask (B, Nk) = 0 get no weight -> (B, Nq, O).
    /// </summary>
    public Tensor Forward(Tensor q, Tensor kv, Tensor? keyMask)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(kv);
        if (q.Rank != 3 || kv.Rank != 3 || q.Shape[0] != kv.Shape[0] || q.Shape[2] != _query.InFeatures
            || kv.Shape[2] != _key.InFeatures)
            throw new ArgumentException($"MultiHeadAttention '{Name}': queries are {q.Shape} and keys {kv.Shape}; " +
                $"expected (B, Nq, {_query.InFeatures}) and (B, Nk, {_key.InFeatures}).", nameof(q));
        int b = q.Shape[0], nq = q.Shape[1], nk = kv.Shape[1];
        if (keyMask is not null && (keyMask.Rank != 2 || keyMask.Shape[0] != b || keyMask.Shape[1] != nk))
            throw new ArgumentException($"MultiHeadAttention '{Name}': key mask is {keyMask.Shape}; expected " +
                $"({b}, {nk}).", nameof(keyMask));
        // Scaling the queries instead of the logits costs Nq * d_k multiplies instead of Nq * Nk.
        var qh = SplitHeads(_query.Forward(q) * (1f / MathF.Sqrt(HeadDim)), b, nq);   // (B*H, Nq, d_k)
        var kh = SplitHeads(_key.Forward(kv), b, nk);                                   // (B*H, Nk, d_k)
        var vh = SplitHeads(_value.Forward(kv), b, nk);                                 // (B*H, Nk, d_k)
        var logits = qh.MatMul(kh, transposeOther: true);                               // (B*H, Nq, Nk)
        if (keyMask is not null)
        {
            var keep = keyMask.Detach().Reshape(b, 1, 1, nk).BroadcastTo(new Shape(b, NumHeads, nq, nk))
                .Reshape(b * NumHeads, nq, nk);
            logits = Tensor.Where(keep, logits, Tensor.Full(logits.Shape, MaskedLogit));
        }
        var heads = logits.Softmax(-1).MatMul(vh);                                      // (B*H, Nq, d_k)
        return _output.Forward(MergeHeads(heads, b, nq));
    }

    /// <summary>(B, N, H*d_k) -> (B*H, N, d_k).</summary>
    private Tensor SplitHeads(Tensor x, int b, int n) => NumHeads == 1
        ? x
        : x.Reshape(b, n, NumHeads, HeadDim).Permute(0, 2, 1, 3).Reshape(b * NumHeads, n, HeadDim);

    /// <summary>(B*H, N, d_k) -> (B, N, H*d_k).</summary>
    private Tensor MergeHeads(Tensor x, int b, int n) => NumHeads == 1
        ? x
        : x.Reshape(b, NumHeads, n, HeadDim).Permute(0, 2, 1, 3).Reshape(b, n, NumHeads * HeadDim);

    /// <inheritdoc />
    protected override string Describe() =>
        $"MultiHeadAttention({_query.InFeatures} x {_key.InFeatures} -> {OutFeatures}, {NumHeads} heads of {HeadDim})";
}
