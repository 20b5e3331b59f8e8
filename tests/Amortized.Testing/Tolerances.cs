namespace Amortized.Testing;

/// <summary>
/// Named tolerances (TensorPrimitives' Helpers.cs habit). A check passes when
/// |actual - expected| &lt;= atol + rtol * |expected| for every element.
/// </summary>
public static class Tolerances
{
    /// <summary>
    /// float32 kernel vs a double oracle on O(1) data: a few ulps (float32 epsilon is 1.2e-7) after short
    /// reductions (lengths up to a few dozen).
    /// </summary>
    public const double Float32Atol = 1e-5;

    /// <inheritdoc cref="Float32Atol"/>
    public const double Float32Rtol = 1e-5;

    /// <summary>Bit-for-bit equality (layout ops copy, they do not compute).</summary>
    public const double Exact = 0;
}
