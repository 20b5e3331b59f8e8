using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Flows;

/// <summary>
/// Options of <see cref="ConsistencyModel"/>, after BayesFlow 2.0.6's <c>ConsistencyModel(total_steps,
/// max_time=200, sigma2=1.0, eps=0.001, s0=10, s1=50)</c> (Song et al. 2023; Song &amp; Dhariwal 2023).
/// </summary>
public sealed record ConsistencyModelOptions
{
    /// <summary>Hidden widths of the consistency-function MLP F.</summary>
    public IReadOnlyList<int> Widths { get; init; } = [128, 128, 128];

    /// <summary>Activation of the MLP.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Dropout in the MLP (training only; BayesFlow's default 0.05).</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>
    /// K, the number of training steps the discretisation curriculum N(k) spreads over (BayesFlow's required
    /// <c>total_steps</c>, epochs x batches per epoch). Null (the default): the trainer's planned number of steps
    /// (<see cref="InferenceNetwork.PlanTraining"/>); a training loop that calls <see cref="InferenceNetwork.Loss"/>
    /// itself must then either set this or call PlanTraining.
    /// </summary>
    public long? TotalSteps { get; init; }

    /// <summary>T, the largest noise level (BayesFlow's <c>max_time</c>, 200); sampling starts from N(0, T^2 I).
    /// </summary>
    public double MaxTime { get; init; } = 200;

    /// <summary>
    /// sigma^2 of the skip parameterisation c_skip(t) = sigma^2 / ((t - eps)^2 + sigma^2) (Song et al. 2023, eq. 7,
    /// sigma_data^2 there): the variance of the standardised data, 1.
    /// </summary>
    public double Sigma2 { get; init; } = 1.0;

    /// <summary>eps, the smallest noise level, where f(x, eps) = x holds exactly (the boundary condition).</summary>
    public double Eps { get; init; } = 0.001;

    /// <summary>s0, the initial number of discretisation intervals of the curriculum N(k).</summary>
    public int S0 { get; init; } = 10;

    /// <summary>
    /// s1, the final number of discretisation intervals of the curriculum N(k) (at least s0). 50 as in BayesFlow;
    /// iCT uses 1280. A coarse final grid biases multistep sampling: on a 2-D conditional Gaussian after 3000 steps,
    /// 10-step draws came out about 13% too narrow with 50 and within 3% with 200 or 1280 (ConsistencyModelTests).
    /// </summary>
    public int S1 { get; init; } = 50;

    /// <summary>
    /// Denoising steps when sampling (BayesFlow's <c>steps</c>, 10): 1 is a single evaluation of the consistency
    /// function at T; more steps re-noise and denoise down a Karras grid of steps + 1 levels.
    /// <see cref="ConsistencyModel.Sample(int, Amortized.Tensors.Tensor?, Amortized.Tensors.Rng, int)"/> overrides
    /// it per call.
    /// </summary>
    public int SamplingSteps { get; init; } = 10;

    /// <summary>rho of the Karras et al. (2022) time grid, 7 as in BayesFlow and the papers.</summary>
    public const double Rho = 7.0;

    /// <summary>The most sampling steps (a consistency model is meant for 1 to 10).</summary>
    public const int MaxSamplingSteps = 1000;

    /// <summary>The most discretisation intervals s1 (iCT's largest is 1280).</summary>
    public const int MaxIntervals = 100_000;

    /// <summary>Checks the options, naming the first one out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (Widths is null || Widths.Count == 0 || Widths.Any(w => w <= 0))
            throw new ArgumentException("ConsistencyModelOptions.Widths must be a non-empty list of positive widths.");
        if (!Enum.IsDefined(Activation))
            throw new ArgumentException($"ConsistencyModelOptions.Activation is {Activation}; expected one of " +
                $"{string.Join(", ", Enum.GetNames<Activation>())}.");
        if (!(Dropout is >= 0f and < 1f))
            throw new ArgumentException($"ConsistencyModelOptions.Dropout is {Dropout}; expected 0 to 1 (exclusive).");
        if (TotalSteps is long k && k < 1)
            throw new ArgumentException($"ConsistencyModelOptions.TotalSteps is {k}; expected at least 1 (or null " +
                "for the trainer's planned number of steps).");
        if (!(Eps > 0) || !double.IsFinite(Eps))
            throw new ArgumentException($"ConsistencyModelOptions.Eps is {Eps}; expected a finite value above 0.");
        if (!(MaxTime > Eps) || !double.IsFinite(MaxTime))
            throw new ArgumentException(
                $"ConsistencyModelOptions.MaxTime is {MaxTime}; expected a finite value above Eps ({Eps}).");
        if (!(Sigma2 > 0) || !double.IsFinite(Sigma2))
            throw new ArgumentException($"ConsistencyModelOptions.Sigma2 is {Sigma2}; expected a finite value above 0.");
        if (S0 is < 1 or > MaxIntervals)
            throw new ArgumentException($"ConsistencyModelOptions.S0 is {S0}; expected 1 to {MaxIntervals}.");
        if (S1 < S0 || S1 > MaxIntervals)
            throw new ArgumentException($"ConsistencyModelOptions.S1 is {S1}; expected S0 ({S0}) to {MaxIntervals}.");
        if (SamplingSteps is < 1 or > MaxSamplingSteps)
            throw new ArgumentException(
                $"ConsistencyModelOptions.SamplingSteps is {SamplingSteps}; expected 1 to {MaxSamplingSteps}.");
    }
}
