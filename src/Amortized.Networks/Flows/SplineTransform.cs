using Amortized.Kernels.Cpu;
using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>Options of the rational-quadratic spline transform.</summary>
public sealed record SplineOptions
{
    /// <summary>Number of bins K.</summary>
    public int Bins { get; init; } = 16;

    /// <summary>
    /// The spline acts on [-Bound, Bound] in both x and y; outside it is the identity (linear tails).
    /// </summary>
    public float Bound { get; init; } = 5f;

    /// <summary>Smallest bin width as a fraction of the domain.</summary>
    public float MinBinWidth { get; init; } = 1e-3f;

    /// <summary>Smallest bin height as a fraction of the domain.</summary>
    public float MinBinHeight { get; init; } = 1e-3f;

    /// <summary>Smallest knot derivative, so the map stays strictly monotone.</summary>
    public float MinDerivative { get; init; } = 1e-3f;
}

/// <summary>
/// Monotone rational-quadratic spline (Durkan, Bekasov, Murray and Papamakarios 2019, "Neural Spline
/// Flows", eqs. 4-8) with identity tails, given raw parameters per feature: K width logits, K height
/// logits and K - 1 interior derivative pre-activations (3K - 1). Shapes: x (B, F), raw (B, F * (3K - 1)),
/// log-det (B). One fused op each way (<see cref="Tensor.SplineCoupling"/>) on the input's device.
/// </summary>
/// <remarks>
/// Interior derivatives are MinDerivative + softplus(raw + c) with c chosen so that raw = 0 gives 1, and the
/// boundary derivatives are 1: with zero raw parameters every bin is the same size and the spline is the
/// identity, so a fresh coupling is the identity.
/// </remarks>
public static class SplineTransform
{
    /// <summary>Raw parameters per transformed feature.</summary>
    public static int ParametersPerFeature(SplineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return 3 * options.Bins - 1;
    }

    /// <summary>y = spline(x) and sum log dy/dx.</summary>
    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor raw, SplineOptions options) =>
        Tensor.SplineCoupling(x, raw, Coupling(options), inverse: false);

    /// <summary>x = spline^-1(y) and -sum log dy/dx at x.</summary>
    public static (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor raw, SplineOptions options) =>
        Tensor.SplineCoupling(y, raw, Coupling(options), inverse: true);

    private static SplineCouplingOptions Coupling(SplineOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        return new SplineCouplingOptions(o.Bins, o.Bound, o.MinBinWidth, o.MinBinHeight, o.MinDerivative);
    }
}
