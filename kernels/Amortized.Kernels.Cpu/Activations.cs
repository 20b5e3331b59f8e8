namespace Amortized.Kernels.Cpu;

/// <summary>Activation functions over spans and their derivatives. TEMPORARY scalar implementation.</summary>
public static class Activations
{
    /// <summary>Scalar activation value.</summary>
    public static float Apply(Activation kind, float x) => kind switch
    {
        Activation.Identity => x,
        Activation.Relu => MathF.Max(x, 0),
        Activation.Silu => x / (1 + MathF.Exp(-x)),
        Activation.HardSilu => x * MathF.Min(MathF.Max(x + 3, 0), 6) / 6,
        Activation.Softplus => MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x))),
        Activation.Tanh => MathF.Tanh(x),
        Activation.Sigmoid => 1 / (1 + MathF.Exp(-x)),
        Activation.Gelu => 0.5f * x * (1 + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x))),
        Activation.Mish => x * MathF.Tanh(MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
    };

    /// <summary>Scalar derivative f'(x).</summary>
    public static float Derivative(Activation kind, float x)
    {
        switch (kind)
        {
            case Activation.Identity: return 1;
            case Activation.Relu: return x > 0 ? 1 : 0;
            case Activation.Silu: { float s = 1 / (1 + MathF.Exp(-x)); return s * (1 + x * (1 - s)); }
            case Activation.HardSilu: return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
            case Activation.Softplus: return 1 / (1 + MathF.Exp(-x));
            case Activation.Tanh: { float t = MathF.Tanh(x); return 1 - t * t; }
            case Activation.Sigmoid: { float s = 1 / (1 + MathF.Exp(-x)); return s * (1 - s); }
            case Activation.Gelu:
            {
                const float c = 0.7978845608f;
                float u = c * (x + 0.044715f * x * x * x);
                float t = MathF.Tanh(u);
                return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * c * (1 + 3 * 0.044715f * x * x);
            }
            case Activation.Mish:
            {
                float sp = MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
                float t = MathF.Tanh(sp);
                float s = 1 / (1 + MathF.Exp(-x));
                return t + x * (1 - t * t) * s;
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>y = f(x) elementwise. x and y may be the same span.</summary>
    public static void Forward(Activation kind, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length != x.Length) throw new ArgumentException($"Activation: x has {x.Length} elements, y has {y.Length}.", nameof(y));
        for (int i = 0; i < x.Length; i++) y[i] = Apply(kind, x[i]);
    }

    /// <summary>dx = dy * f'(x) elementwise, where x is the pre-activation input. dx may alias dy.</summary>
    public static void Backward(Activation kind, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
            throw new ArgumentException($"Activation backward: x has {x.Length} elements, dy {dy.Length}, dx {dx.Length}.", nameof(dx));
        for (int i = 0; i < x.Length; i++) dx[i] = dy[i] * Derivative(kind, x[i]);
    }
}
