using System.Globalization;
using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Flows;

/// <summary>What the network of a <see cref="DiffusionModel"/> outputs (BayesFlow's <c>prediction_type</c>).</summary>
public enum DiffusionPrediction
{
    /// <summary>EDM's preconditioned F: x^ = c_skip z / alpha + c_out F (Karras et al. 2022, eq. 7; the default).
    /// </summary>
    F,
    /// <summary>The noise eps^ (Ho et al. 2020).</summary>
    Noise,
    /// <summary>The velocity v^ = alpha eps^ - sigma x^ (Salimans and Ho 2022).</summary>
    Velocity,
    /// <summary>The data x^ directly (ill-conditioned at small noise unless the loss weight tames it, as the cosine
    /// schedule's sigmoid weighting does).</summary>
    X,
}

/// <summary>In which parameterisation a <see cref="DiffusionModel"/>'s training error is measured
/// (BayesFlow's <c>loss_type</c>); each row's error is then multiplied by the schedule's weight w(lambda).</summary>
public enum DiffusionLoss
{
    /// <summary>mean_d (eps^ - eps)^2 (the default).</summary>
    Noise,
    /// <summary>mean_d (v^ - v)^2 with v = alpha eps - sigma x.</summary>
    Velocity,
    /// <summary>mean_d (F^ - F)^2 with EDM's F target (x - c_skip z / alpha) / c_out.</summary>
    F,
}

/// <summary>How a <see cref="DiffusionModel"/> draws samples.</summary>
public enum DiffusionSampler
{
    /// <summary>The probability-flow ODE (Song et al. 2021) with <see cref="DiffusionModelOptions.Method"/>
    /// (the default).</summary>
    Ode,
    /// <summary>The reverse-time SDE by Euler-Maruyama (BayesFlow's <c>euler_maruyama</c>).</summary>
    Sde,
    /// <summary>EDM's deterministic second-order sampler (Karras et al. 2022, Algorithm 1): Heun's method on the
    /// probability-flow ODE, two evaluations per step.</summary>
    Heun,
}

/// <summary>Options of <see cref="DiffusionModel"/>.</summary>
/// <remarks>
/// The schedule's tuning options are nullable: null is the schedule's default (BayesFlow's), and a model file that
/// leaves one out reads back as that default (the source-generated JSON reader gives a missing init-only property
/// its type's default, not its initialiser). An option of the other schedule is refused rather than ignored.
/// </remarks>
public sealed record DiffusionModelOptions
{
    /// <summary>
    /// Hidden widths of the subnet. Three layers of 128 (BayesFlow: five of 256) as for flow matching: posteriors
    /// here have a handful of dimensions, and the smaller net trains about four times faster per step at the same
    /// accuracy on the analytic tests.
    /// </summary>
    public IReadOnlyList<int> Widths { get; init; } = [128, 128, 128];

    /// <summary>Activation of the subnet.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Dropout in the subnet (training only; BayesFlow's diffusion default is 0 as well).</summary>
    public float Dropout { get; init; }

    /// <summary>The noise schedule.</summary>
    public NoiseScheduleKind Schedule { get; init; } = NoiseScheduleKind.Edm;

    /// <summary>Variance preserving or exploding.</summary>
    public DiffusionVariance Variance { get; init; } = DiffusionVariance.Preserving;

    /// <summary>What the subnet predicts.</summary>
    public DiffusionPrediction Prediction { get; init; } = DiffusionPrediction.F;

    /// <summary>In which parameterisation the training error is measured.</summary>
    public DiffusionLoss Loss { get; init; } = DiffusionLoss.Noise;

    /// <summary>How samples are drawn (<see cref="DiffusionModel.LogProb"/> always integrates the ODE).</summary>
    public DiffusionSampler Sampler { get; init; } = DiffusionSampler.Ode;

    /// <summary>Integrator of the probability-flow ODE, for ODE sampling and for the density.</summary>
    public OdeMethod Method { get; init; } = OdeMethod.RungeKutta4;

    /// <summary>Steps of the fixed-step integrators and of the SDE and Heun samplers (equal steps in t, which the
    /// EDM schedule makes EDM's rho-spaced noise levels).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Relative tolerance of the adaptive integrator.</summary>
    public double RelativeTolerance { get; init; } = 1e-5;

    /// <summary>Absolute tolerance of the adaptive integrator.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-6;

    /// <summary>EDM's sigma_data (&gt; 0): the scale of the standardised data; null is 1.</summary>
    public double? SigmaData { get; init; }

    /// <summary>EDM's sigma_min (&gt; 0), the noise left at t = 0; null is
    /// <see cref="EdmNoiseSchedule.DefaultSigmaMin"/>.</summary>
    public double? SigmaMin { get; init; }

    /// <summary>EDM's sigma_max (&gt; sigma_min), the noise at t = 1; null is
    /// <see cref="EdmNoiseSchedule.DefaultSigmaMax"/>.</summary>
    public double? SigmaMax { get; init; }

    /// <summary>EDM's rho (&gt; 0); null is <see cref="EdmNoiseSchedule.DefaultRho"/>.</summary>
    public double? Rho { get; init; }

    /// <summary>The cosine schedule's log-SNR at t = 1; null is <see cref="CosineNoiseSchedule.DefaultMinLogSnr"/>.
    /// </summary>
    public double? MinLogSnr { get; init; }

    /// <summary>The cosine schedule's log-SNR at t = 0 (&gt; MinLogSnr); null is
    /// <see cref="CosineNoiseSchedule.DefaultMaxLogSnr"/>.</summary>
    public double? MaxLogSnr { get; init; }

    /// <summary>The cosine schedule's log-SNR shift; null is 0.</summary>
    public double? Shift { get; init; }

    /// <summary>The largest |log-SNR| a schedule may reach: e^(-40) is far below float resolution either way.</summary>
    public const double MaxAbsLogSnr = 40;

    /// <summary>Checks the options, naming the first one out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range or belongs to the other schedule.</exception>
    public void Validate()
    {
        if (Widths is null || Widths.Count == 0 || Widths.Any(w => w <= 0))
            throw Bad(nameof(Widths), Widths is null ? "null" : $"[{string.Join(", ", Widths)}]",
                "at least one positive width");
        if (!(Dropout is >= 0f and < 1f)) throw Bad(nameof(Dropout), Format(Dropout), "0 to 1 (exclusive)");
        Defined(Activation, nameof(Activation));
        Defined(Schedule, nameof(Schedule));
        Defined(Variance, nameof(Variance));
        Defined(Prediction, nameof(Prediction));
        Defined(Loss, nameof(Loss));
        Defined(Sampler, nameof(Sampler));
        Defined(Method, nameof(Method));
        if (Steps <= 0) throw Bad(nameof(Steps), Format(Steps), "at least 1");
        Positive(RelativeTolerance, nameof(RelativeTolerance));
        Positive(AbsoluteTolerance, nameof(AbsoluteTolerance));
        string other = Schedule == NoiseScheduleKind.Edm ? "cosine" : "EDM";
        foreach (var (value, name, edm) in new (double?, string, bool)[]
        {
            (SigmaData, nameof(SigmaData), true), (SigmaMin, nameof(SigmaMin), true),
            (SigmaMax, nameof(SigmaMax), true), (Rho, nameof(Rho), true), (MinLogSnr, nameof(MinLogSnr), false),
            (MaxLogSnr, nameof(MaxLogSnr), false), (Shift, nameof(Shift), false),
        })
            if (value is not null && edm != (Schedule == NoiseScheduleKind.Edm))
                throw Bad(name, Format(value.Value), $"null: it is an option of the {other} schedule, not of {Schedule}");
        if (SigmaData is double sd) Positive(sd, nameof(SigmaData));
        if (Rho is double rho) Positive(rho, nameof(Rho));
        double sigmaMin = SigmaMin ?? EdmNoiseSchedule.DefaultSigmaMin, sigmaMax = SigmaMax ?? EdmNoiseSchedule.DefaultSigmaMax;
        double edmBound = Math.Exp(MaxAbsLogSnr / 2);
        if (!(sigmaMin >= 1 / edmBound && sigmaMin <= edmBound))
            throw Bad(nameof(SigmaMin), Format(sigmaMin), $"e^-20 to e^20");
        if (!(sigmaMax > sigmaMin && sigmaMax <= edmBound))
            throw Bad(nameof(SigmaMax), Format(sigmaMax), $"above SigmaMin ({Format(sigmaMin)}) and at most e^20");
        if (Shift is double shift && !(Math.Abs(shift) <= MaxAbsLogSnr / 2))
            throw Bad(nameof(Shift), Format(shift), $"-{MaxAbsLogSnr / 2} to {MaxAbsLogSnr / 2}");
        double minLogSnr = MinLogSnr ?? CosineNoiseSchedule.DefaultMinLogSnr;
        double maxLogSnr = MaxLogSnr ?? CosineNoiseSchedule.DefaultMaxLogSnr;
        if (!(Math.Abs(minLogSnr) <= MaxAbsLogSnr))
            throw Bad(nameof(MinLogSnr), Format(minLogSnr), $"-{MaxAbsLogSnr} to {MaxAbsLogSnr}");
        if (!(maxLogSnr > minLogSnr && maxLogSnr <= MaxAbsLogSnr))
            throw Bad(nameof(MaxLogSnr), Format(maxLogSnr), $"above MinLogSnr ({Format(minLogSnr)}) and at most {MaxAbsLogSnr}");
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw Bad(name, Format(value), "a finite value above 0");
    }

    private static void Defined<T>(T value, string name) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Bad(name, value.ToString(), $"one of {string.Join(", ", Enum.GetNames<T>())}");
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static ArgumentException Bad(string name, string value, string expected) =>
        new($"DiffusionModelOptions.{name} is {value}; expected {expected}.");
}
