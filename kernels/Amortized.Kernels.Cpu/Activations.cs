using System.Numerics.Tensors;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Activation functions over spans and their derivatives. Each <see cref="Activation"/> is an operator struct
/// (<see cref="IActivationOperator"/>) run through the shared SIMD skeleton (<see cref="ElementwiseSkeleton"/>);
/// the scalar <see cref="Apply"/> and <see cref="Derivative"/> use the same structs, so they agree with the
/// span versions to within exp/log rounding (about 1e-7 relative).
/// </summary>
/// <remarks>Shapes: x, y, dy and dx are all (N), N &gt;= 0.</remarks>
public static class Activations
{
    /// <summary>Scalar activation value f(x).</summary>
    public static float Apply(Activation kind, float x) => kind switch
    {
        Activation.Identity => IdentityActivation.Invoke(x),
        Activation.Relu => ReluActivation.Invoke(x),
        Activation.Silu => SiluActivation.Invoke(x),
        Activation.HardSilu => HardSiluActivation.Invoke(x),
        Activation.Softplus => SoftplusActivation.Invoke(x),
        Activation.Tanh => TanhActivation.Invoke(x),
        Activation.Sigmoid => SigmoidActivation.Invoke(x),
        Activation.Gelu => GeluActivation.Invoke(x),
        Activation.Mish => MishActivation.Invoke(x),
        _ => throw UnknownActivation(kind),
    };

    /// <summary>Scalar derivative f'(x).</summary>
    public static float Derivative(Activation kind, float x) => kind switch
    {
        Activation.Identity => IdentityActivation.Derivative(x),
        Activation.Relu => ReluActivation.Derivative(x),
        Activation.Silu => SiluActivation.Derivative(x),
        Activation.HardSilu => HardSiluActivation.Derivative(x),
        Activation.Softplus => SoftplusActivation.Derivative(x),
        Activation.Tanh => TanhActivation.Derivative(x),
        Activation.Sigmoid => SigmoidActivation.Derivative(x),
        Activation.Gelu => GeluActivation.Derivative(x),
        Activation.Mish => MishActivation.Derivative(x),
        _ => throw UnknownActivation(kind),
    };

    /// <summary>y = f(x) elementwise. x and y may be the same span (in place) but must not partially overlap.</summary>
    public static void Forward(Activation kind, ReadOnlySpan<float> x, Span<float> y)
    {
        if (!ActivationWork.TryRun(ActivationWork.Mode.Forward, kind, x, default, y))
            Forward(kind, x, y, SimdPaths.Best);
    }

    /// <summary>
    /// dx = dy * f'(x) elementwise, where x is the pre-activation input. dx may be the same span as dy or x
    /// (in place), but must not partially overlap either.
    /// </summary>
    public static void Backward(Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (!ActivationWork.TryRun(ActivationWork.Mode.Backward, kind, x, dy, dx))
            Backward(kind, x, dy, dx, SimdPaths.Best);
    }

    /// <summary>
    /// dx += dy * f'(x) elementwise (x, dy and dx of one length N). <see cref="Backward(Activation,
    /// ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> overwrites, so this goes through a scratch row on the
    /// stack, 256 elements at a time.
    /// </summary>
    public static void BackwardAccumulate(
        Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (!ActivationWork.TryRun(ActivationWork.Mode.BackwardAccumulate, kind, x, dy, dx))
            BackwardAccumulateSerial(kind, x, dy, dx);
    }

    /// <summary>
    /// One thread of <see cref="BackwardAccumulate"/>: 256-element chunks through a stack scratch row.
    /// </summary>
    internal static void BackwardAccumulateSerial(
        Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
        {
            throw new ArgumentException(
                $"Activation backward: x has {x.Length} elements, dy {dy.Length} and dx {dx.Length}; all must match.",
                nameof(dx));
        }
        Span<float> scratch = stackalloc float[256];
        for (int start = 0; start < dx.Length; start += scratch.Length)
        {
            int len = Math.Min(scratch.Length, dx.Length - start);
            Backward(kind, x.Slice(start, len), dy.Slice(start, len), scratch[..len]);
            TensorPrimitives.Add(dx.Slice(start, len), scratch[..len], dx.Slice(start, len));
        }
    }

    /// <summary><see cref="Forward(Activation, ReadOnlySpan{float}, Span{float})"/> on a forced SIMD path.</summary>
    internal static void Forward(Activation kind, ReadOnlySpan<float> x, Span<float> y, SimdPath path)
    {
        if (y.Length != x.Length)
            throw new ArgumentException($"Activation: x has {x.Length} elements but y has {y.Length}.", nameof(y));
        CheckAliasing(x, y, nameof(y));
        switch (kind)
        {
            case Activation.Identity: x.CopyTo(y); break;
            case Activation.Relu: ElementwiseSkeleton.Map<ReluActivation>(x, y, path); break;
            case Activation.Silu: ElementwiseSkeleton.Map<SiluActivation>(x, y, path); break;
            case Activation.HardSilu: ElementwiseSkeleton.Map<HardSiluActivation>(x, y, path); break;
            case Activation.Softplus: ElementwiseSkeleton.Map<SoftplusActivation>(x, y, path); break;
            case Activation.Tanh: ElementwiseSkeleton.Map<TanhActivation>(x, y, path); break;
            case Activation.Sigmoid: ElementwiseSkeleton.Map<SigmoidActivation>(x, y, path); break;
            case Activation.Gelu: ElementwiseSkeleton.Map<GeluActivation>(x, y, path); break;
            case Activation.Mish: ElementwiseSkeleton.Map<MishActivation>(x, y, path); break;
            default: throw UnknownActivation(kind);
        }
    }

    /// <summary>
    /// <see cref="Backward(Activation, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> on a forced path.
    /// </summary>
    internal static void Backward(
        Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, SimdPath path)
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
        {
            throw new ArgumentException(
                $"Activation backward: x has {x.Length} elements, dy {dy.Length} and dx {dx.Length}; all must match.",
                nameof(dx));
        }
        CheckAliasing(x, dx, nameof(dx));
        CheckAliasing(dy, dx, nameof(dx));
        switch (kind)
        {
            case Activation.Identity: dy.CopyTo(dx); break;
            case Activation.Relu: Map<ReluActivation>(x, dy, dx, path); break;
            case Activation.Silu: Map<SiluActivation>(x, dy, dx, path); break;
            case Activation.HardSilu: Map<HardSiluActivation>(x, dy, dx, path); break;
            case Activation.Softplus: Map<SoftplusActivation>(x, dy, dx, path); break;
            case Activation.Tanh: Map<TanhActivation>(x, dy, dx, path); break;
            case Activation.Sigmoid: Map<SigmoidActivation>(x, dy, dx, path); break;
            case Activation.Gelu: Map<GeluActivation>(x, dy, dx, path); break;
            case Activation.Mish: Map<MishActivation>(x, dy, dx, path); break;
            default: throw UnknownActivation(kind);
        }

        static void Map<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, SimdPath path)
            where TAct : struct, IActivationOperator =>
            ElementwiseSkeleton.Map<ActivationBackward<TAct>>(x, dy, dx, path);
    }

    /// <summary>The skeleton's overlapping last vector needs the output to be the input or disjoint from it.</summary>
    private static void CheckAliasing(ReadOnlySpan<float> input, ReadOnlySpan<float> output, string name)
    {
        if (input.Overlaps(output, out int offset) && offset != 0)
            throw new ArgumentException($"Activation: {name} partially overlaps an input (offset {offset}).", name);
    }

    private static ArgumentOutOfRangeException UnknownActivation(Activation kind) =>
        new(nameof(kind), kind, "Unknown activation.");
}
