using Amortized.Kernels.Cpu;
using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>
/// Fully connected layer y = f(x W + b) on the fused GEMM (bias and activation in its epilogue).
/// Shapes: x (..., I), W (I, O), b (O), y (..., O).
/// </summary>
public sealed class Dense : Module
{
    /// <summary>Creates the layer and its parameters in <paramref name="store"/>.</summary>
    public Dense(ParameterStore store, string name, int inFeatures, int outFeatures, Rng rng,
        Activation activation = Activation.Identity,
        Initializer kernelInitializer = Initializer.GlorotUniform, bool useBias = true)
        : base(name)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures),
                $"Dense '{name}': sizes must be positive (in {inFeatures}, out {outFeatures}).");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Activation = activation;
        Kernel = AddParameter(store, "kernel", new Shape(inFeatures, outFeatures), kernelInitializer, rng);
        Bias = useBias ? AddParameter(store, "bias", new Shape(outFeatures), Initializer.Zeros, rng) : null;
    }

    /// <summary>Input width I.</summary>
    public int InFeatures { get; }

    /// <summary>Output width O.</summary>
    public int OutFeatures { get; }

    /// <summary>The activation applied in the epilogue.</summary>
    public Activation Activation { get; }

    /// <summary>Weight matrix (I, O).</summary>
    public Tensor Kernel { get; }

    /// <summary>Bias (O), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// True while the kernel and bias are exactly zero (as a zero-initialised layer is built): such a layer has
    /// been neither fitted, trained nor loaded with weights. Reads the values back from wherever they live.
    /// </summary>
    public bool HasOnlyZeroWeights =>
        Array.TrueForAll(Kernel.ToArray(), v => v == 0f)
            && (Bias is null || Array.TrueForAll(Bias.ToArray(), v => v == 0f));

    /// <summary>y = f(x W + b); x (..., I) -> (..., O).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Shape[-1] != InFeatures)
            throw new ArgumentException(
                $"Dense '{Name}': input is {x.Shape}; expected last dimension {InFeatures}.", nameof(x));
        return Tensor.Linear(x, Kernel, Bias, Activation);
    }

    /// <inheritdoc />
    protected override string Describe() => $"Dense({InFeatures} -> {OutFeatures}, {Activation})";
}
