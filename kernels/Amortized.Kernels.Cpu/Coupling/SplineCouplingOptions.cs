namespace Amortized.Kernels.Cpu;

/// <summary>
/// Settings of the fused rational-quadratic spline coupling (<see cref="SplineCouplingKernels"/>, its ILGPU twin and
/// Amortized.Tensors' Tensor.SplineCoupling): K bins on [-Bound, Bound] in both x and y, identity outside, and the
/// floors that keep every bin and knot slope positive.
/// Each transformed feature takes <see cref="ParametersPerFeature"/> = 3K - 1 raw parameters.
/// </summary>
/// <param name="Bins">Number of bins K (1 to <see cref="MaxBins"/>).</param>
/// <param name="Bound">Half-width B of the spline's domain and range, B &gt; 0.</param>
/// <param name="MinBinWidth">Smallest bin width as a fraction of the domain; K times it must stay below 1.</param>
/// <param name="MinBinHeight">Smallest bin height as a fraction of the range; K times it must stay below 1.</param>
/// <param name="MinDerivative">Smallest interior knot derivative, in [0, 1).</param>
public readonly record struct SplineCouplingOptions(
    int Bins, float Bound, float MinBinWidth, float MinBinHeight, float MinDerivative)
{
    /// <summary>Largest supported K (the CPU kernel keeps two K-float softmaxes on the stack).</summary>
    public const int MaxBins = 512;

    /// <summary>
    /// Raw parameters per transformed feature: K width logits, K height logits, K - 1 interior derivatives.
    /// </summary>
    public int ParametersPerFeature => 3 * Bins - 1;

    /// <summary>
    /// ln(exp(1 - MinDerivative) - 1): an interior derivative is MinDerivative + softplus(raw + this), 1 at raw = 0.
    /// </summary>
    public float DerivativeShift => MathF.Log(MathF.Exp(1f - MinDerivative) - 1f);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate(string paramName)
    {
        if (Bins < 1 || Bins > MaxBins)
            throw new ArgumentOutOfRangeException(paramName, Bins, $"SplineCoupling: Bins must be in [1, {MaxBins}].");
        if (!(Bound > 0f) || !float.IsFinite(Bound))
        {
            throw new ArgumentOutOfRangeException(paramName, Bound,
                "SplineCoupling: Bound must be positive and finite.");
        }
        if (!(MinBinWidth >= 0f) || !(MinBinWidth * Bins < 1f))
        {
            throw new ArgumentOutOfRangeException(paramName, MinBinWidth,
                $"SplineCoupling: MinBinWidth must be in [0, 1/{Bins}).");
        }
        if (!(MinBinHeight >= 0f) || !(MinBinHeight * Bins < 1f))
        {
            throw new ArgumentOutOfRangeException(paramName, MinBinHeight,
                $"SplineCoupling: MinBinHeight must be in [0, 1/{Bins}).");
        }
        if (!(MinDerivative >= 0f) || !(MinDerivative < 1f))
        {
            throw new ArgumentOutOfRangeException(paramName, MinDerivative,
                "SplineCoupling: MinDerivative must be in [0, 1).");
        }
    }
}
