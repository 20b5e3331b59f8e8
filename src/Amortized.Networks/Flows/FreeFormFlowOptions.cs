using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Flows;

/// <summary>How <see cref="FreeFormFlow"/> draws the Hutchinson probe vectors v (one per row) of its surrogate.
/// </summary>
public enum HutchinsonSampling
{
    /// <summary>
    /// v = sqrt(D) n / |n|, n ~ N(0, I): uniform on the sphere of radius sqrt(D). This is BayesFlow's "qr" for one
    /// probe per row (QR-orthogonalising a single column only normalises it); E[v v'] = I as for the normal probe,
    /// with a lower-variance trace estimate (no randomness in |v|). The default.
    /// </summary>
    Sphere,
    /// <summary>v ~ N(0, I) (the classic Hutchinson probe).</summary>
    Normal,
}

/// <summary>Options of <see cref="FreeFormFlow"/>, with BayesFlow's defaults where it has them.</summary>
public sealed record FreeFormFlowOptions
{
    /// <summary>Hidden widths of the encoder's and of the decoder's residual MLP (BayesFlow: 4 x 256).</summary>
    public IReadOnlyList<int> Widths { get; init; } = [256, 256, 256, 256];

    /// <summary>Activation of both MLPs (BayesFlow: mish).</summary>
    public Activation Activation { get; init; } = Activation.Mish;

    /// <summary>
    /// Weight beta of the reconstruction term beta |x - g(f(x))|^2 (BayesFlow: 50). It is what keeps the decoder
    /// close to the encoder's inverse, on which both the surrogate's gradient and sampling by the decoder rely;
    /// larger beta gives a more nearly invertible pair at some cost in likelihood (Draxler et al. 2024, sec. 4.2).
    /// </summary>
    public double Beta { get; init; } = 50;

    /// <summary>The distribution of the Hutchinson probes.</summary>
    public HutchinsonSampling HutchinsonSampling { get; init; } = HutchinsonSampling.Sphere;

    /// <summary>
    /// Step h of the central difference (r(x + h v) - r(x - h v)) / (2h) that gives the encoder's Jacobian-vector
    /// product J_f v = v + J_r v (r the residual branch) without forward-mode autodiff; null (the default) is
    /// <see cref="DefaultFiniteDifferenceStep"/>. The error is O(h^2) truncation plus float32 rounding of order
    /// 1e-7 / h; FreeFormFlowTests measures it against the exact product.
    /// </summary>
    public double? FiniteDifferenceStep { get; init; }

    /// <summary>h when <see cref="FiniteDifferenceStep"/> is null.</summary>
    public const double DefaultFiniteDifferenceStep = 1e-2;

    /// <summary>The step the network uses (internal, so the model file's JSON does not carry it).</summary>
    internal double Step => FiniteDifferenceStep ?? DefaultFiniteDifferenceStep;

    /// <summary>Checks the options, naming the first one out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (Widths is null || Widths.Count == 0)
            throw new ArgumentException("FreeFormFlowOptions.Widths is empty; expected at least one hidden width.");
        for (int i = 0; i < Widths.Count; i++)
            if (Widths[i] <= 0)
                throw new ArgumentException(
                    $"FreeFormFlowOptions.Widths[{i}] is {Widths[i]}; expected a positive width.");
        if (!Enum.IsDefined(Activation))
            throw new ArgumentException($"FreeFormFlowOptions.Activation is {Activation}; expected one of " +
                $"{string.Join(", ", Enum.GetNames<Activation>())}.");
        if (!(Beta >= 0) || !double.IsFinite(Beta))
            throw new ArgumentException($"FreeFormFlowOptions.Beta is {Beta}; expected a finite value of at least 0.");
        if (!Enum.IsDefined(HutchinsonSampling))
            throw new ArgumentException($"FreeFormFlowOptions.HutchinsonSampling is {HutchinsonSampling}; expected " +
                $"one of {string.Join(", ", Enum.GetNames<HutchinsonSampling>())}.");
        if (FiniteDifferenceStep is double h && !(h > 0 && h <= 1))
            throw new ArgumentException(
                $"FreeFormFlowOptions.FiniteDifferenceStep is {h}; expected a value in (0, 1] (or null for " +
                $"{DefaultFiniteDifferenceStep}).");
    }
}
