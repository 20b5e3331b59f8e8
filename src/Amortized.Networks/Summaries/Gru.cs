using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Gated recurrent unit over time, unrolled on the tape, returning the final hidden state (Cho et al. 2014;
/// the reset-after form used by Keras and PyTorch). With gates ordered [z, r, n]:
/// z = sigmoid(x W_z + b_z + h U_z + c_z), r = sigmoid(x W_r + b_r + h U_r + c_r),
/// n = tanh(x W_n + b_n + r * (h U_n + c_n)), h' = (1 - z) * n + z * h.
/// Legend: B batch, T steps, I inputs, H hidden. Shapes: x (B, T, I), mask (B, T) -> (B, H);
/// kernel W (I, 3H), recurrent kernel U (H, 3H), biases b, c (3H).
/// </summary>
/// <remarks>
/// Masking: at a step with mask 0 the state is carried over unchanged, h_t = m_t h' + (1 - m_t) h_{t-1}, so the
/// step is skipped. With padding at the end of each sequence the forward pass therefore returns the state at
/// the last observed step, and the reverse pass stays at zero through the padding and starts at the last
/// observed step: both exactly as for the unpadded sequence.
/// </remarks>
public sealed class Gru : Module
{
    private readonly Tensor _kernel, _recurrentKernel, _bias, _recurrentBias;

    /// <summary>
    /// Creates the cell for <paramref name="inFeatures"/> inputs and <paramref name="hidden"/> state units.
    /// </summary>
    public Gru(ParameterStore store, string name, int inFeatures, int hidden,
        Initializer kernelInitializer, Rng rng) : base(name)
    {
        if (inFeatures <= 0 || hidden <= 0)
            throw new ArgumentOutOfRangeException(nameof(hidden),
                $"Gru '{name}': input ({inFeatures}) and hidden ({hidden}) sizes must be positive.");
        InFeatures = inFeatures;
        Hidden = hidden;
        _kernel = AddParameter(store, "kernel", new Shape(inFeatures, 3 * hidden), kernelInitializer, rng);
        _recurrentKernel =
            AddParameter(store, "recurrent_kernel", new Shape(hidden, 3 * hidden), Initializer.Orthogonal, rng);
        _bias = AddParameter(store, "bias", new Shape(3 * hidden), Initializer.Zeros, rng);
        _recurrentBias = AddParameter(store, "recurrent_bias", new Shape(3 * hidden), Initializer.Zeros, rng);
    }

    /// <summary>Input width I.</summary>
    public int InFeatures { get; }

    /// <summary>State width H.</summary>
    public int Hidden { get; }

    /// <summary>
    /// Runs over x (B, T, I) from step 0 to T-1, or from T-1 to 0 when <paramref name="reverse"/>, skipping steps
    /// with mask (B, T) = 0; returns the final state (B, H), starting from zeros.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? mask, bool reverse = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != InFeatures)
            throw new ArgumentException($"Gru '{Name}': input is {x.Shape}; expected (B, T, {InFeatures}).", nameof(x));
        int b = x.Shape[0], steps = x.Shape[1], hd = Hidden;
        if (mask is not null && (mask.Rank != 2 || mask.Shape[0] != b || mask.Shape[1] != steps))
            throw new ArgumentException($"Gru '{Name}': mask is {mask.Shape}; expected ({b}, {steps}).", nameof(mask));
        var inputs = Tensor.Linear(x, _kernel, _bias);   // (B, T, 3H): the input half of every gate, all steps at once
        var h = Tensor.Zeros(b, hd);
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            var xt = inputs.Slice(1, t, 1).Reshape(b, 3 * hd);
            var ht = Tensor.Linear(h, _recurrentKernel, _recurrentBias);   // (B, 3H)
            var z = (xt.Slice(1, 0, hd) + ht.Slice(1, 0, hd)).Sigmoid();
            var r = (xt.Slice(1, hd, hd) + ht.Slice(1, hd, hd)).Sigmoid();
            var n = (xt.Slice(1, 2 * hd, hd) + r * ht.Slice(1, 2 * hd, hd)).Tanh();
            var next = n + z * (h - n);
            if (mask is null) h = next;
            else
            {
                // m * next + (1 - m) * h is exact for m in {0, 1}: an observed step gives next bit for bit.
                var keep = mask.Detach().Slice(1, t, 1);   // (B, 1)
                h = keep * next + (1f - keep) * h;
            }
        }
        return h;
    }

    /// <inheritdoc />
    protected override string Describe() => $"Gru({InFeatures} -> {Hidden})";
}
