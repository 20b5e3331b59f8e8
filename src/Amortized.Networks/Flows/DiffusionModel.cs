using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>
/// A conditional score-based diffusion model (Song et al. 2021; Karras et al. 2022; BayesFlow 2.0.6's
/// <c>DiffusionModel</c>). The data x (t = 0) is diffused to z_t = alpha_t x + sigma_t eps, eps ~ N(0, I), along a
/// <see cref="NoiseSchedule"/>; a subnet over concat(c_in z_t, scaled log-SNR, conditions) predicts the noise (or F,
/// the velocity or x, <see cref="DiffusionModelOptions.Prediction"/>), trained by the weighted denoising loss.
/// Sampling runs the probability-flow ODE dz/dt = a z + sigma (b - a) eps^ (a = d log alpha/dt, b = d log sigma/dt;
/// <see cref="NoiseSchedule.LogRates"/>) or the reverse SDE from t = 1 to 0; <see cref="LogProb"/> integrates the
/// ODE from the data to t = 1 with its exact divergence, so the model serves as a posterior and as a likelihood.
/// Shapes: x (B, D), conditions (B, C), log-SNR one value per row.
/// </summary>
/// <remarks>
/// The time range is [0, 1] with lambda held in [lambda_min, lambda_max] by the schedule, which guards against the
/// singular ends of the diffusion. What that leaves in the density: at t = 0 the model describes x + sigma_min eps
/// (EDM's default sigma_min 1e-4 smooths a unit-scale density by a relative ~1e-8); at t = 1 the ODE starts from
/// N(0, sigma_1^2 I) where the diffused data is N(alpha_1 mean, alpha_1^2 Cov + sigma_1^2 I): for variance preserving
/// EDM (alpha_1^2 = 1.6e-4) a KL of about alpha_1^2 |mean|^2 / 2 = 8e-5 per squared standardised unit of the
/// conditional mean, and O(alpha_1^4) from the covariance (the same for exploding: |mean|^2 / (2 sigma_max^2)).
/// The density is still normalised (a push-forward of the base; the 1-D and 2-D integral tests measure 1 + 8e-9 and
/// the grid's 2e-3); against an exact Gaussian the trained test case measures KL 0.015 nats, the training error.
/// </remarks>
public sealed class DiffusionModel : InferenceNetwork
{
    private readonly Mlp _subnet;
    private readonly StandardNormal _base;

    /// <summary>Creates the model over R^D with C condition features.</summary>
    public DiffusionModel(ParameterStore store, string name, int dimension, int conditionDim,
        DiffusionModelOptions? options, Rng rng)
        : base(name, dimension, conditionDim)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Options = options ?? new DiffusionModelOptions();
        Options.Validate();
        Schedule = NoiseSchedule.Create(Options);
        _subnet = AddChild(new Mlp(store, $"{name}.subnet", dimension + 1 + conditionDim, new MlpOptions
        {
            Widths = Options.Widths,
            Activation = Options.Activation,
            Dropout = Options.Dropout,
            OutputDim = dimension,
        }, rng));
        _base = new StandardNormal(dimension);
        NoiseRng = rng.Fork(rng.NextUInt32() | ((ulong)rng.NextUInt32() << 32));
    }

    /// <summary>The options.</summary>
    public DiffusionModelOptions Options { get; }

    /// <summary>The noise schedule the options describe.</summary>
    public NoiseSchedule Schedule { get; }

    /// <summary>
    /// The noise estimate eps^(z, lambda, c): z (B, D) at log-SNR <paramref name="logSnr"/> (one per row),
    /// conditions (B, C) -> (B, D). The subnet sees c_in z with c_in = 1 / (alpha sqrt(sigma_e^2 + sigma_data^2)),
    /// sigma_e = sigma / alpha (EDM's input scaling; exactly 1 for variance preserving with sigma_data = 1, as in
    /// BayesFlow, and what keeps the exploding z at unit scale), and writes eps^ = p z + q out, the stable form for
    /// each prediction type (no division by a vanishing alpha or sigma except x-prediction's 1 / sigma, which is
    /// that parameterisation's own conditioning).
    /// </summary>
    public Tensor PredictNoise(Tensor z, ReadOnlySpan<double> logSnr, Tensor? conditions)
    {
        int b = z.Shape[0];
        var scale = new float[b];
        var scaled = new float[b];
        var p = new float[b];
        var q = new float[b];
        double sd = Schedule.SigmaData;
        for (int r = 0; r < b; r++)
        {
            var (alpha, sigma) = Schedule.AlphaSigma(logSnr[r]);
            double se = Math.Exp(-0.5 * logSnr[r]), norm = Math.Sqrt(se * se + sd * sd);
            scale[r] = (float)(1 / (alpha * norm));
            scaled[r] = (float)Schedule.ScaledLogSnr(logSnr[r]);
            (p[r], q[r]) = Options.Prediction switch
            {
                DiffusionPrediction.Noise => (0f, 1f),
                DiffusionPrediction.X => ((float)(1 / sigma), (float)(-alpha / sigma)),
                DiffusionPrediction.Velocity => ((float)(sigma / (alpha * alpha + sigma * sigma)),
                    (float)(alpha / (alpha * alpha + sigma * sigma))),
                // eps^ = (z - alpha x^) / sigma with x^ = c_skip z / alpha + c_out F, c_skip = sd^2 / (se^2 + sd^2),
                // c_out = se sd / sqrt(se^2 + sd^2), simplified so nothing small is divided by.
                _ => ((float)(se / (alpha * norm * norm)), (float)(-sd / norm)),
            };
        }
        var input = z * Column(scale);
        var level = Column(scaled);
        input = conditions is null || ConditionDim == 0
            ? Tensor.Concat(input, level, 1) : Tensor.Concat([input, level, conditions], 1);
        var output = _subnet.Forward(input);
        return Options.Prediction == DiffusionPrediction.Noise ? output : z * Column(p) + output * Column(q);
    }

    /// <summary>
    /// The weighted denoising loss per row (B), w(lambda_r) m_r^2 mean_d (eps^ - eps)^2, with one low-discrepancy noise
    /// level per row: u_r = (u0 + r / B) mod 1 (BayesFlow), lambda_r = the schedule's training lambda at u_r.
    /// </summary>
    public override Tensor RowLosses(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        int b = x.Shape[0];
        double u0 = NoiseRng.NextDouble();
        var logSnr = new double[b];
        for (int r = 0; r < b; r++) logSnr[r] = Schedule.TrainingLogSnr((u0 + (double)r / b) % 1.0);
        return RowLosses(x, conditions, logSnr, Tensor.RandomNormal(x.Shape, NoiseRng));
    }

    /// <summary>
    /// The loss per row (B) at given noise levels (B) and noise eps (B, D). Every loss type is the noise error times a per-row
    /// factor m: with z = alpha x^ + sigma eps^ = alpha x + sigma eps, x^ - x = -(sigma / alpha)(eps^ - eps), so
    /// v^ - v = ((alpha^2 + sigma^2) / alpha)(eps^ - eps) and F^ - F = (x^ - x) / c_out = -(sqrt(se^2 + sd^2) / sd)
    /// (eps^ - eps). Each row's weight multiplies that row's error: BayesFlow's (B, 1) weight times its (B,) error
    /// broadcasts to (B, B) and optimises mean(w) mean(err) instead (bayesflow-org/bayesflow#787).
    /// </summary>
    internal Tensor RowLosses(Tensor x, Tensor? conditions, double[] logSnr, Tensor eps)
    {
        int b = x.Shape[0];
        var alphas = new float[b];
        var sigmas = new float[b];
        var factors = new float[b];
        double sd = Schedule.SigmaData;
        for (int r = 0; r < b; r++)
        {
            var (alpha, sigma) = Schedule.AlphaSigma(logSnr[r]);
            alphas[r] = (float)alpha;
            sigmas[r] = (float)sigma;
            double m2 = Options.Loss switch
            {
                DiffusionLoss.Velocity => Math.Pow((alpha * alpha + sigma * sigma) / alpha, 2),
                DiffusionLoss.F => (Math.Exp(-logSnr[r]) + sd * sd) / (sd * sd),
                _ => 1,
            };
            factors[r] = (float)(Schedule.Weight(logSnr[r]) * m2);
        }
        var z = x * Column(alphas) + eps * Column(sigmas);
        var error = (PredictNoise(z, logSnr, conditions) - eps).Square().Mean(1, keepDims: true);   // (B, 1)
        return (error * Column(factors)).Reshape(b);
    }

    /// <summary>
    /// The probability-flow velocity dz/dt = a z + sigma (b - a) eps^ at time t (B, 1): the drift f z - g^2 score / 2
    /// of Song et al. 2021 with score = -eps^ / sigma and g^2 = 2 sigma^2 (b - a). z (B, D) -> (B, D).
    /// </summary>
    public Tensor Velocity(Tensor z, Tensor t, Tensor? conditions) => Drift(z, t, conditions, 1);

    /// <summary>a z + k sigma (b - a) eps^: k = 1 the ODE's velocity, k = 2 the reverse SDE's drift.</summary>
    private Tensor Drift(Tensor z, Tensor t, Tensor? conditions, double k)
    {
        var times = t.ToArray();
        int b = times.Length;
        var logSnr = new double[b];
        var linear = new float[b];
        var noise = new float[b];
        for (int r = 0; r < b; r++)
        {
            logSnr[r] = Schedule.LogSnr(times[r]);
            var (a, rate) = Schedule.LogRates(times[r]);
            linear[r] = (float)a;
            noise[r] = (float)(k * Schedule.AlphaSigma(logSnr[r]).Sigma * (rate - a));
        }
        return z * Column(linear) + PredictNoise(z, logSnr, conditions) * Column(noise);
    }

    /// <inheritdoc />
    /// <remarks>log q(x) = log N(z_1; 0, sigma_1^2 I) + int_0^1 tr(dv/dz) dt + D log alpha_0, with z_0 = alpha_0 x
    /// carried to z_1 by the ODE (<see cref="Options"/>' method and steps).</remarks>
    public override Tensor LogProb(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        int b = x.Shape[0];
        var accumulated = new float[b];
        double alpha0 = Schedule.AlphaSigma(Schedule.LogSnrMax).Alpha;
        double sigma1 = Schedule.AlphaSigma(Schedule.LogSnrMin).Sigma;
        var z1 = WithoutDropout(() => VelocityFieldIntegrator.Integrate((zs, t) => Velocity(zs, t, conditions),
            x.Detach() * (float)alpha0, 0.0, 1.0, Options.Method, Options.Steps, Options.RelativeTolerance,
            Options.AbsoluteTolerance, accumulated));
        using var noGrad = Tape.NoGrad();
        double constant = Dimension * (Math.Log(alpha0) - Math.Log(sigma1));
        return _base.LogProb(z1 * (float)(1 / sigma1)) + (float)constant + Tensor.FromArray(accumulated, b);
    }

    /// <inheritdoc />
    protected override Tensor SampleRows(int rows, Tensor? conditions, Rng rng)
    {
        double alpha0 = Schedule.AlphaSigma(Schedule.LogSnrMax).Alpha;
        double sigma1 = Schedule.AlphaSigma(Schedule.LogSnrMin).Sigma;
        var z = _base.Sample(rows, rng) * (float)sigma1;
        z = WithoutDropout(() => Options.Sampler switch
        {
            DiffusionSampler.Sde => EulerMaruyama(z, conditions, rng),
            DiffusionSampler.Heun => Heun(z, conditions),
            _ => VelocityFieldIntegrator.Integrate((zs, t) => Velocity(zs, t, conditions), z, 1.0, 0.0,
                Options.Method, Options.Steps, Options.RelativeTolerance, Options.AbsoluteTolerance, null),
        });
        return z * (float)(1 / alpha0);
    }

    /// <summary>
    /// EDM's Algorithm 1 (Heun's second-order method) on the probability-flow ODE over t_i = 1 - i / N: an Euler
    /// step, then the trapezoidal correction with the velocity at its end. The last step ends at t = 0, where
    /// sigma_min &gt; 0 keeps the velocity finite, so every step is corrected (EDM skips the correction at sigma = 0).
    /// </summary>
    private Tensor Heun(Tensor z, Tensor? conditions)
    {
        int n = Options.Steps;
        VelocityField field = (zs, t) => Velocity(zs, t, conditions);
        for (int i = 0; i < n; i++)
        {
            double t = 1.0 - (double)i / n, next = 1.0 - (double)(i + 1) / n, h = next - t;
            var d = VelocityFieldIntegrator.Evaluate(field, z, t, default);
            var predicted = z + d * (float)h;
            var dNext = VelocityFieldIntegrator.Evaluate(field, predicted, next, default);
            z = z + (d + dNext) * (float)(h / 2);
        }
        return z;
    }

    /// <summary>
    /// Euler-Maruyama on the reverse-time SDE dz = [a z + 2 sigma (b - a) eps^] dt + g dW-bar (Anderson 1982; Song et
    /// al. 2021, eq. 6) from t = 1 to 0 in N equal steps h: z &lt;- z - h drift(z, t) + sqrt(g^2(t) h) xi, with the
    /// Gaussian xi from <paramref name="rng"/>.
    /// </summary>
    private Tensor EulerMaruyama(Tensor z, Tensor? conditions, Rng rng)
    {
        int n = Options.Steps, b = z.Shape[0];
        double h = 1.0 / n;
        using var noGrad = Tape.NoGrad();
        for (int i = 0; i < n; i++)
        {
            double t = 1.0 - i * h;
            var (a, rate) = Schedule.LogRates(t);
            double sigma = Schedule.AlphaSigma(Schedule.LogSnr(t)).Sigma;
            double g2 = 2 * sigma * sigma * (rate - a);
            var drift = Drift(z, Tensor.Full(new Shape(b, 1), (float)t), conditions, 2);
            z = z - drift * (float)h + Tensor.RandomNormal(z.Shape, rng) * (float)Math.Sqrt(g2 * h);
        }
        return z;
    }

    /// <summary>A host column (B) as a (B, 1) tensor on the ambient device.</summary>
    private static Tensor Column(float[] values) => Tensor.FromArray(values, values.Length, 1);

    private T WithoutDropout<T>(Func<T> integrate)
    {
        var previousTraining = Training;
        Training = false;
        try
        {
            return integrate();
        }
        finally
        {
            Training = previousTraining;
        }
    }

    /// <inheritdoc />
    protected override string Describe() => $"DiffusionModel(D={Dimension}, C={ConditionDim}, {Options.Schedule} " +
        $"{Options.Variance}, predicts {Options.Prediction}, {Options.Loss} loss, {Options.Sampler}" +
        (Options.Sampler == DiffusionSampler.Ode ? $" {Options.Method}" : "") + $", {Options.Steps} steps)";
}
