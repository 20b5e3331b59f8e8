using Amortized.Networks.Numerics;

namespace Amortized.Networks.Flows;

/// <summary>Which noise schedule a <see cref="DiffusionModel"/> uses.</summary>
public enum NoiseScheduleKind
{
    /// <summary>Karras et al. 2022 (EDM): the sigma grid of exponent rho for sampling, log-normal sigma in training
    /// (<see cref="EdmNoiseSchedule"/>, the default, as in BayesFlow).</summary>
    Edm,
    /// <summary>The cosine schedule (Nichol and Dhariwal 2021) on a truncated time (<see cref="CosineNoiseSchedule"/>).
    /// </summary>
    Cosine,
}

/// <summary>How the noise enters the diffused state z_t = alpha_t x + sigma_t eps.</summary>
public enum DiffusionVariance
{
    /// <summary>alpha^2 = sigmoid(lambda), sigma^2 = sigmoid(-lambda): alpha^2 + sigma^2 = 1 (the default).</summary>
    Preserving,
    /// <summary>alpha = 1, sigma^2 = exp(-lambda): the noise grows without bound (EDM's own formulation).</summary>
    Exploding,
}

/// <summary>
/// A diffusion noise schedule on the diffusion time t in [0, 1] (t = 0 the data, t = 1 the noise), written through
/// the log signal-to-noise ratio lambda = log(alpha^2 / sigma^2) (Kingma et al. 2021, 2023; BayesFlow's
/// <c>NoiseSchedule</c>). lambda stays in [<see cref="LogSnrMin"/>, <see cref="LogSnrMax"/>], both finite, which is
/// the guard against the singular ends of the diffusion (sigma = 0 at the data, an infinite score; alpha = 0 at the
/// noise). A schedule decides what training sees (<see cref="TrainingLogSnr"/>, <see cref="Weight"/>); the network is
/// conditioned on lambda, not on t, and the probability-flow ODE's path depends only on the lambda range and the
/// variance type, so the time grid of sampling is free (Karras et al. 2022, section 3). Every schedule samples on
/// EDM's grid sigma_e(t) = (sigma_max^(1/rho) + (1 - t)(sigma_min^(1/rho) - sigma_max^(1/rho)))^rho over its own range
/// (sigma_e = exp(-lambda / 2); eq. 5 with t = 1 - i / N), which keeps the ODE smooth in t: the cosine schedule's own
/// lambda(t) has |d lambda / dt| ~ 2 pi / sin(pi s) at its truncated ends (about 5700 at lambda = +-15), and 25 RK4
/// steps on it diverged where the EDM grid gives the analytic answer. Everything is in double on the host: the
/// per-row coefficients are small (B) arrays.
/// </summary>
public abstract class NoiseSchedule
{
    private readonly double _lowRoot, _highRoot;

    /// <summary>Creates a schedule over [logSnrMin, logSnrMax] whose sampling grid has exponent rho.</summary>
    protected NoiseSchedule(DiffusionVariance variance, double sigmaData, double logSnrMin, double logSnrMax, double rho)
    {
        Variance = variance;
        SigmaData = sigmaData;
        LogSnrMin = logSnrMin;
        LogSnrMax = logSnrMax;
        Rho = rho;
        _lowRoot = Math.Exp(-logSnrMax / (2 * rho));    // sigma_min^(1/rho)
        _highRoot = Math.Exp(-logSnrMin / (2 * rho));   // sigma_max^(1/rho)
    }

    /// <summary>Variance preserving or exploding.</summary>
    public DiffusionVariance Variance { get; }

    /// <summary>sigma_data, the scale of the (standardised) data in EDM's preconditioning; 1 for the cosine schedule.
    /// </summary>
    public double SigmaData { get; }

    /// <summary>lambda at t = 1 (the most noise).</summary>
    public double LogSnrMin { get; }

    /// <summary>lambda at t = 0 (the least noise).</summary>
    public double LogSnrMax { get; }

    /// <summary>The exponent of the sampling grid (EDM's rho; 7 for the cosine schedule).</summary>
    public double Rho { get; }

    /// <summary>lambda(t) of the sampling grid, t in [0, 1]: LogSnrMax at 0, LogSnrMin at 1.</summary>
    public double LogSnr(double t) => -2 * Rho * Math.Log(_highRoot + (1 - t) * (_lowRoot - _highRoot));

    /// <summary>d lambda / dt of the sampling grid (negative).</summary>
    public double LogSnrDerivative(double t) =>
        2 * Rho * (_lowRoot - _highRoot) / (_highRoot + (1 - t) * (_lowRoot - _highRoot));

    /// <summary>The training noise level for a uniform u in [0, 1] (the stratified draw of each row).</summary>
    public abstract double TrainingLogSnr(double u);

    /// <summary>The loss weight w(lambda) of the schedule (multiplies each row's error).</summary>
    public abstract double Weight(double logSnr);

    /// <summary>(alpha, sigma) at log-SNR lambda.</summary>
    public (double Alpha, double Sigma) AlphaSigma(double logSnr) => Variance == DiffusionVariance.Preserving
        ? (Math.Sqrt(Sigmoid(logSnr)), Math.Sqrt(Sigmoid(-logSnr)))
        : (1.0, Math.Exp(-0.5 * logSnr));

    /// <summary>
    /// The log rates (a, b) = (d log alpha / dt, d log sigma / dt) at t, from lambda(t) and lambda'(t). They give the
    /// forward SDE dz = a z dt + g dW with g^2 = d sigma^2/dt - 2 a sigma^2 = 2 sigma^2 (b - a) (Song et al. 2021,
    /// written through the schedule as in Kingma et al. 2021 eq. 33). Variance preserving: a = lambda' sigmoid(-lambda)
    /// / 2 and b = -lambda' sigmoid(lambda) / 2, so g^2 = -lambda' sigmoid(-lambda), BayesFlow's beta. Variance
    /// exploding: a = 0 and b = -lambda' / 2, so g^2 = d sigma^2 / dt (BayesFlow 2.0.6 reuses the preserving beta
    /// there, which is not the exploding process's diffusion).
    /// </summary>
    public (double A, double B) LogRates(double t)
    {
        double lambda = LogSnr(t), slope = LogSnrDerivative(t);
        return Variance == DiffusionVariance.Preserving
            ? (0.5 * slope * Sigmoid(-lambda), -0.5 * slope * Sigmoid(lambda))
            : (0.0, -0.5 * slope);
    }

    /// <summary>lambda mapped to [-1, 1] over [LogSnrMin, LogSnrMax]: the network's noise-level input (BayesFlow's
    /// <c>_transform_log_snr</c>).</summary>
    public double ScaledLogSnr(double logSnr) => 2 * (logSnr - LogSnrMin) / (LogSnrMax - LogSnrMin) - 1;

    /// <summary>The schedule an options record describes.</summary>
    public static NoiseSchedule Create(DiffusionModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Schedule == NoiseScheduleKind.Cosine
            ? new CosineNoiseSchedule(options.Variance, options.MinLogSnr ?? CosineNoiseSchedule.DefaultMinLogSnr,
                options.MaxLogSnr ?? CosineNoiseSchedule.DefaultMaxLogSnr, options.Shift ?? 0)
            : new EdmNoiseSchedule(options.Variance, options.SigmaData ?? 1,
                options.SigmaMin ?? EdmNoiseSchedule.DefaultSigmaMin, options.SigmaMax ?? EdmNoiseSchedule.DefaultSigmaMax,
                options.Rho ?? EdmNoiseSchedule.DefaultRho);
    }

    /// <summary>1 / (1 + e^-x).</summary>
    protected static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}

/// <summary>
/// The EDM schedule (Karras et al. 2022, "Elucidating the design space of diffusion-based generative models"),
/// through the variance-exploding noise level sigma_e = exp(-lambda / 2) in [sigma_min, sigma_max]. Training:
/// log sigma_e ~ N(P_mean, P_std^2) with P_mean = -1.2, P_std = 1.2 (Table 1), i.e. lambda = -2 (P_mean + P_std
/// Phi^-1(u)), clipped to [lambda_min - 1, lambda_max + 1] as BayesFlow does. Loss weight 1 + e^-lambda /
/// sigma_data^2: EDM's lambda(sigma) = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 on the denoiser's error, written
/// on the noise error (|x^ - x|^2 = sigma_e^2 |eps^ - eps|^2). Sampling on the rho grid is EDM's own.
/// </summary>
public sealed class EdmNoiseSchedule(DiffusionVariance variance, double sigmaData, double sigmaMin, double sigmaMax,
    double rho) : NoiseSchedule(variance, sigmaData, -2 * Math.Log(sigmaMax), -2 * Math.Log(sigmaMin), rho)
{
    /// <summary>BayesFlow's sigma_min (EDM uses 0.002 for images; 1e-4 keeps the density smoothing negligible).
    /// </summary>
    public const double DefaultSigmaMin = 1e-4;

    /// <summary>EDM's and BayesFlow's sigma_max.</summary>
    public const double DefaultSigmaMax = 80;

    /// <summary>EDM's rho.</summary>
    public const double DefaultRho = 7;

    private const double PMean = -1.2, PStd = 1.2;

    /// <inheritdoc />
    public override double TrainingLogSnr(double u)
    {
        // Phi^-1 is infinite at the ends of [0, 1]; the clip below bounds lambda either way.
        double n = NormalQuantile.Of(Math.Clamp(u, double.Epsilon, Math.BitDecrement(1.0)));
        return Math.Clamp(-2 * (PMean + PStd * n), LogSnrMin - 1, LogSnrMax + 1);
    }

    /// <inheritdoc />
    public override double Weight(double logSnr) => 1 + Math.Exp(-logSnr) / (SigmaData * SigmaData);
}

/// <summary>
/// The cosine schedule (Nichol and Dhariwal 2021) as in BayesFlow for training: lambda = -2 log tan(pi s / 2) +
/// 2 shift on the truncated time s = s_min + u (s_max - s_min), where s_min and s_max are the times of lambda_max and
/// lambda_min, so lambda stays in [lambda_min, lambda_max] (the untruncated schedule is infinite at both ends), at
/// stratified uniform u. Loss weight sigmoid(2 - lambda), the "sigmoid" weighting of Kingma and Gao 2023 with
/// BayesFlow's bias 2. Sampling uses the rho = 7 grid over the same lambda range (see <see cref="NoiseSchedule"/>).
/// </summary>
public sealed class CosineNoiseSchedule : NoiseSchedule
{
    /// <summary>BayesFlow's min_log_snr.</summary>
    public const double DefaultMinLogSnr = -15;

    /// <summary>BayesFlow's max_log_snr.</summary>
    public const double DefaultMaxLogSnr = 15;

    private readonly double _sMin, _sMax;

    /// <summary>Creates the schedule; minLogSnr &lt; maxLogSnr.</summary>
    public CosineNoiseSchedule(DiffusionVariance variance, double minLogSnr, double maxLogSnr, double shift)
        : base(variance, 1.0, minLogSnr, maxLogSnr, EdmNoiseSchedule.DefaultRho)
    {
        Shift = shift;
        _sMin = TimeOf(maxLogSnr);
        _sMax = TimeOf(minLogSnr);
    }

    /// <summary>The log-SNR shift (BayesFlow's <c>shift</c>; positive values train more at high signal).</summary>
    public double Shift { get; }

    /// <inheritdoc />
    public override double TrainingLogSnr(double u) =>
        Math.Clamp(-2 * Math.Log(Math.Tan(Math.PI * (_sMin + u * (_sMax - _sMin)) / 2)) + 2 * Shift, LogSnrMin, LogSnrMax);

    /// <inheritdoc />
    public override double Weight(double logSnr) => Sigmoid(2 - logSnr);

    /// <summary>The untruncated time of log-SNR lambda: s = (2 / pi) atan(exp(shift - lambda / 2)).</summary>
    private double TimeOf(double logSnr) => 2 / Math.PI * Math.Atan(Math.Exp(Shift - logSnr / 2));
}
