namespace Amortized.Kernels.Cpu;

/// <summary>Pointwise activation functions with a fused kernel and an analytic derivative.</summary>
public enum Activation
{
    /// <summary>f(x) = x.</summary>
    Identity = 0,
    /// <summary>f(x) = max(x, 0).</summary>
    Relu,
    /// <summary>f(x) = x * sigmoid(x) (swish).</summary>
    Silu,
    /// <summary>f(x) = x * relu6(x + 3) / 6.</summary>
    HardSilu,
    /// <summary>f(x) = log(1 + exp(x)).</summary>
    Softplus,
    /// <summary>f(x) = tanh(x).</summary>
    Tanh,
    /// <summary>f(x) = 1 / (1 + exp(-x)).</summary>
    Sigmoid,
    /// <summary>f(x) = x * Phi(x) with the tanh approximation used by PyTorch's gelu(approximate='tanh').</summary>
    Gelu,
    /// <summary>f(x) = x * tanh(softplus(x)).</summary>
    Mish,
}
