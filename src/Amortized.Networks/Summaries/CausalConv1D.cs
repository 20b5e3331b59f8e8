using Amortized.Kernels.Cpu;
using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// One-dimensional convolution over time with causal padding: y_t = f(b + sum_j W_j x_{t-K+1+j}), j = 0..K-1,
/// with x_t = 0 for t &lt; 0 (Keras Conv1D padding="causal", stride 1). Legend: B batch, T time steps, I input
/// channels, C filters, K kernel size. Shapes: x (B, T, I) -> (B, T, C); kernel (K*I, C), bias (C).
/// </summary>
/// <remarks>
/// Causal rather than "same" padding, so an output step never sees a later input: padding appended at the end
/// of a sequence cannot change any observed step's features, which is what lets
/// <see cref="TimeSeriesNetwork"/> treat a padded batch exactly like the unpadded sequences. The convolution is
/// computed by unfolding the K shifted copies of x side by side (B, T, K*I) and applying one fused Linear.
/// </remarks>
public sealed class CausalConv1D : Module
{
    private readonly Tensor _kernel, _bias;

    /// <summary>
    /// Creates the layer with <paramref name="filters"/> output channels and kernel size <paramref name="kernelSize"/>.
    /// </summary>
    public CausalConv1D(ParameterStore store, string name, int inFeatures, int filters,
        int kernelSize, Activation activation,
        Initializer kernelInitializer, Rng rng) : base(name)
    {
        if (inFeatures <= 0 || filters <= 0 || kernelSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"CausalConv1D '{name}': input channels " +
                $"({inFeatures}), filters ({filters}) and kernel size ({kernelSize}) must be positive.");
        InFeatures = inFeatures;
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
        // Rows are ordered tap-major (row j * I + i is channel i at lag K-1-j), so fan_in = K * I as in Keras.
        _kernel = AddParameter(store, "kernel", new Shape(kernelSize * inFeatures, filters), kernelInitializer, rng);
        _bias = AddParameter(store, "bias", new Shape(filters), Initializer.Zeros, rng);
    }

    /// <summary>Input channels I.</summary>
    public int InFeatures { get; }

    /// <summary>Output channels C.</summary>
    public int Filters { get; }

    /// <summary>Kernel size K (time steps seen by each output).</summary>
    public int KernelSize { get; }

    /// <summary>Activation after the convolution.</summary>
    public Activation Activation { get; }

    /// <summary>x (B, T, I) -> (B, T, C).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != InFeatures)
            throw new ArgumentException(
                $"CausalConv1D '{Name}': input is {x.Shape}; expected (B, T, {InFeatures}).", nameof(x));
        if (KernelSize == 1) return Tensor.Linear(x, _kernel, _bias, Activation);
        int b = x.Shape[0], t = x.Shape[1], k = KernelSize;
        var padded = Tensor.Concat(Tensor.Zeros(b, k - 1, InFeatures), x, 1);   // (B, T+K-1, I)
        var taps = new Tensor[k];
        for (int j = 0; j < k; j++) taps[j] = padded.Slice(1, j, t);            // tap j holds x_{t-K+1+j}
        return Tensor.Linear(Tensor.Concat(taps, 2), _kernel, _bias, Activation);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"CausalConv1D({InFeatures} -> {Filters}, kernel {KernelSize}, {Activation})";
}
