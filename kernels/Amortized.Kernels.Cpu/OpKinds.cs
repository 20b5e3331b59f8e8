namespace Amortized.Kernels.Cpu;

// The op enums of every backend. They live here, at the bottom of the stack, because both the CPU kernels (and
// through them Amortized.Tensors' IBackend) and the ILGPU kernels in Amortized.Kernels.Gpu dispatch on them: one set,
// no mapping between twins.

/// <summary>Elementwise unary ops with up to two scalar parameters (p0, p1).</summary>
public enum UnaryKind
{
    /// <summary>-x.</summary>
    Neg,
    /// <summary>exp(x).</summary>
    Exp,
    /// <summary>log(x).</summary>
    Log,
    /// <summary>sqrt(x).</summary>
    Sqrt,
    /// <summary>|x|; the derivative is sign(x) (0 at 0).</summary>
    Abs,
    /// <summary>x + p0.</summary>
    AddScalar,
    /// <summary>x * p0.</summary>
    MulScalar,
    /// <summary>x ^ p0 (x * x exactly when p0 = 2; negative x allowed for integral p0).</summary>
    PowScalar,
    /// <summary>min(max(x, p0), p1); the derivative is 1 inside [p0, p1] (inclusive), else 0.</summary>
    Clamp,
    /// <summary>asinh(x) = log(x + sqrt(x^2 + 1)).</summary>
    Asinh,
}

/// <summary>Elementwise binary ops with NumPy broadcasting.</summary>
public enum BinaryKind
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a - b.</summary>
    Sub,
    /// <summary>a * b.</summary>
    Mul,
    /// <summary>a / b.</summary>
    Div,
    /// <summary>a ^ b (MathF.Pow semantics for negative a with integral b).</summary>
    Pow,
}

/// <summary>Reductions along one axis.</summary>
public enum ReduceKind
{
    /// <summary>scale * sum (scale = 1/n gives the mean).</summary>
    Sum,
    /// <summary>Maximum (-inf for an empty row); the gradient goes to the first maximum.</summary>
    Max,
    /// <summary>Stable log-sum-exp: max + log sum exp(x - max); a row of -inf gives -inf.</summary>
    LogSumExp,
}
