namespace Amortized.Kernels.Cpu;

/// <summary>
/// How the fused affine coupling (<see cref="AffineCouplingKernels"/> and its ILGPU twin) maps its raw scale
/// parameter a to the log-scale log s(a), keeping s positive and finite.
/// </summary>
public enum AffineScaleKind
{
    /// <summary>log s = 2 tanh(a / 2): bounded in (-2, 2) (workload W1).</summary>
    TanhExp,
    /// <summary>log s = log softplus(asinh(a) + ln(e - 1)) (BayesFlow): s = 1 at a = 0, grows like log|a|.</summary>
    SoftplusAsinh,
}
