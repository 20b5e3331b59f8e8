namespace Amortized.Kernels.Cpu;

/// <summary>Whether a GEMM operand is used as stored (row-major) or transposed.</summary>
public enum Transpose
{
    /// <summary>op(X) = X.</summary>
    No = 0,
    /// <summary>op(X) = X^T.</summary>
    Yes = 1,
}
