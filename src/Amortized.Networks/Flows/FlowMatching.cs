using Amortized.Kernels.Cpu;
using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>Options of <see cref="FlowMatching"/>.</summary>
public sealed record FlowMatchingOptions
{
    /// <summary>Hidden widths of the vector-field MLP.</summary>
    public IReadOnlyList<int> Widths { get; init; } = [128, 128, 128];

    /// <summary>Activation of the vector-field MLP.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Dropout in the vector-field MLP (training only).</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>Integrator for sampling and density evaluation.</summary>
    public OdeMethod Method { get; init; } = OdeMethod.RungeKutta4;

    /// <summary>Steps of the fixed-step integrators.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Relative tolerance of the adaptive integrator.</summary>
    public double RelativeTolerance { get; init; } = 1e-5;

    /// <summary>Absolute tolerance of the adaptive integrator.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-6;

    /// <summary>
    /// Minibatch optimal transport (Tong et al. 2023; Pooladian et al. 2023; BayesFlow's
    /// <c>use_optimal_transport</c>): within each training batch the base draws are re-paired with the
    /// (target, condition) rows by the exact assignment minimising the summed squared distance, which straightens
    /// the learned paths. Off by default, as in BayesFlow; it costs an O(B^3) assignment per step.
    /// </summary>
    public bool OptimalTransport { get; init; }

    /// <summary>
    /// Weight w of the condition distance w |c_i - c_j|^2 added to the transport cost, so noise is re-paired
    /// mostly among rows of similar conditions; see <see cref="FlowMatchingTraining.PairByOptimalTransport"/>.
    /// 0 is plain (unconditional) minibatch OT, which biases a conditional posterior towards the marginal.
    /// Null (the default) is <see cref="DefaultOptimalTransportConditionWeight"/>. (The tuning options are nullable
    /// rather than initialised so that a model file that leaves them out reads back as the default: the
    /// source-generated JSON reader gives a missing init-only property its type's default, not its initialiser.)
    /// </summary>
    public double? OptimalTransportConditionWeight { get; init; }

    /// <summary>The condition weight when <see cref="OptimalTransportConditionWeight"/> is null.</summary>
    public const double DefaultOptimalTransportConditionWeight = 100;

    /// <summary>
    /// Null (the default): <see cref="OptimalTransport"/> pairs by the exact assignment. A value eps &gt; 0:
    /// entropic OT instead, as BayesFlow's default <c>log_sinkhorn</c> (regularization 0.1 there): the Sinkhorn
    /// plan with regularization eps times the batch's mean pairing cost (so eps is scale-free), from which each
    /// batch row draws its noise partner; see <see cref="FlowMatchingTraining.PairBySinkhorn"/>.
    /// </summary>
    public double? SinkhornRegularization { get; init; }

    /// <summary>
    /// Frequencies of the Fourier time embedding: the vector field sees [t, sin(pi 2^k t), cos(pi 2^k t)] for
    /// k = 0..K-1 instead of t alone. 0 (the default, as in BayesFlow 2.0.6) feeds raw t only.
    /// </summary>
    public int TimeEmbeddingFrequencies { get; init; }

    /// <summary>The distribution of the training times t.</summary>
    public FlowMatchingTimeDistribution TimeDistribution { get; init; } = FlowMatchingTimeDistribution.Uniform;

    /// <summary>
    /// Exponent alpha of <see cref="FlowMatchingTimeDistribution.PowerLaw"/>: t = u^(1/(1+alpha)), u ~ U(0, 1),
    /// i.e. density (1 + alpha) t^alpha, which puts more training times near the data (t = 1) for alpha &gt; 0
    /// (BayesFlow's <c>time_power_law_alpha</c>, after Dax et al. 2023). Must exceed -1.
    /// </summary>
    public double TimePowerLawAlpha { get; init; }

    /// <summary>Mean m of <see cref="FlowMatchingTimeDistribution.LogitNormal"/>: t = sigmoid(m + s n), n ~ N(0, 1).
    /// </summary>
    public double LogitNormalMean { get; init; }

    /// <summary>Scale s (&gt; 0) of <see cref="FlowMatchingTimeDistribution.LogitNormal"/> (Esser et al. 2024);
    /// null (the default) is 1.</summary>
    public double? LogitNormalStd { get; init; }

    /// <summary>The most Fourier frequencies (pi 2^15 t already oscillates far faster than float time resolves).
    /// </summary>
    public const int MaxTimeEmbeddingFrequencies = 16;

    /// <summary>Checks the training options, naming the first one out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (TimeEmbeddingFrequencies is < 0 or > MaxTimeEmbeddingFrequencies)
            throw new ArgumentException($"FlowMatchingOptions.TimeEmbeddingFrequencies is " +
                $"{TimeEmbeddingFrequencies}; expected 0 to {MaxTimeEmbeddingFrequencies}.");
        if (!Enum.IsDefined(TimeDistribution))
            throw new ArgumentException($"FlowMatchingOptions.TimeDistribution is {TimeDistribution}; expected one " +
                $"of {string.Join(", ", Enum.GetNames<FlowMatchingTimeDistribution>())}.");
        if (!(TimePowerLawAlpha > -1) || !double.IsFinite(TimePowerLawAlpha))
            throw new ArgumentException(
                $"FlowMatchingOptions.TimePowerLawAlpha is {TimePowerLawAlpha}; expected a finite value above -1.");
        if (OptimalTransportConditionWeight is double w && (!(w >= 0) || !double.IsFinite(w)))
            throw new ArgumentException($"FlowMatchingOptions.OptimalTransportConditionWeight is " +
                $"{OptimalTransportConditionWeight}; expected a finite value of at least 0.");
        if (SinkhornRegularization is double eps && (!(eps > 0) || !double.IsFinite(eps)))
            throw new ArgumentException($"FlowMatchingOptions.SinkhornRegularization is {eps}; expected a finite " +
                "value above 0 (or null for the exact assignment).");
        if (!double.IsFinite(LogitNormalMean))
            throw new ArgumentException($"FlowMatchingOptions.LogitNormalMean is {LogitNormalMean}; expected finite.");
        if (LogitNormalStd is double s && (!(s > 0) || !double.IsFinite(s)))
            throw new ArgumentException(
                $"FlowMatchingOptions.LogitNormalStd is {LogitNormalStd}; expected a finite value above 0.");
    }
}

/// <summary>How <see cref="FlowMatching"/> draws its training times t in (0, 1).</summary>
public enum FlowMatchingTimeDistribution
{
    /// <summary>t ~ U(0, 1) (the default).</summary>
    Uniform,
    /// <summary>t = u^(1/(1+alpha)), u ~ U(0, 1); see <see cref="FlowMatchingOptions.TimePowerLawAlpha"/>.</summary>
    PowerLaw,
    /// <summary>t = sigmoid(m + s n), n ~ N(0, 1); see <see cref="FlowMatchingOptions.LogitNormalMean"/>.</summary>
    LogitNormal,
}

/// <summary>
/// Conditional flow matching with linear (rectified) paths (Lipman et al. 2023; Liu et al. 2023): a network
/// v(x_t, t, c) is regressed on u = x1 - x0 at x_t = (1 - t) x0 + t x1, x0 ~ N(0, I), t ~ U(0, 1). Sampling
/// integrates dx/dt = v from t = 0 (noise) to 1 (data); the density uses the instantaneous change of variables
/// d log p_t(x_t)/dt = -tr(dv/dx) (Chen et al. 2018) with the exact trace from D reverse passes (small D).
/// Options add minibatch optimal-transport pairing, a Fourier time embedding and other training-time
/// distributions (<see cref="FlowMatchingOptions"/>). Shapes: x (B, D), conditions (B, C).
/// </summary>
public sealed class FlowMatching : InferenceNetwork
{
    private readonly Mlp _field;
    private readonly StandardNormal _base;

    /// <summary>Creates the model over R^D with C condition features.</summary>
    public FlowMatching(ParameterStore store, string name, int dimension, int conditionDim,
        FlowMatchingOptions? options, Rng rng)
        : base(name, dimension, conditionDim)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Options = options ?? new FlowMatchingOptions();
        Options.Validate();
        _field = AddChild(new Mlp(store, $"{name}.field", dimension + TimeFeatures + conditionDim, new MlpOptions
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
    public FlowMatchingOptions Options { get; }

    /// <summary>Features the vector field sees of t: t itself and a sine and cosine per Fourier frequency.</summary>
    private int TimeFeatures => 1 + 2 * Options.TimeEmbeddingFrequencies;

    /// <summary>v(x, t, c): x (B, D), t (B, 1), conditions (B, C) -> (B, D).</summary>
    public Tensor Velocity(Tensor x, Tensor t, Tensor? conditions)
    {
        int k = Options.TimeEmbeddingFrequencies;
        var time = k == 0 ? t : FlowMatchingTraining.Embed(t, k);
        var input = conditions is null || ConditionDim == 0
            ? Tensor.Concat(x, time, 1) : Tensor.Concat([x, time, conditions], 1);
        return _field.Forward(input);
    }

    /// <summary>The flow-matching regression loss per row (B): mean over features of (v(x_t, t, c) - (x1 - x0))^2.
    /// </summary>
    public override Tensor RowLosses(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        int b = x.Shape[0];
        var x0 = Tensor.RandomNormal(x.Shape, NoiseRng);
        // The (x1, c) rows keep their pairing, so the conditional target is unchanged; only the noise is re-paired.
        if (Options.OptimalTransport)
        {
            double w = Options.OptimalTransportConditionWeight
                ?? FlowMatchingOptions.DefaultOptimalTransportConditionWeight;
            x0 = Options.SinkhornRegularization is double eps
                ? FlowMatchingTraining.PairBySinkhorn(x0, x, conditions, w, eps, NoiseRng)
                : FlowMatchingTraining.PairByOptimalTransport(x0, x, conditions, w);
        }
        var t = FlowMatchingTraining.SampleTimes(b, Options, NoiseRng);
        var xt = x0 * (1f - t) + x * t;
        var target = x - x0;
        return (Velocity(xt, t, conditions) - target).Square().Sum(1) * (1f / Dimension);
    }

    /// <inheritdoc />
    public override Tensor LogProb(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        int b = x.Shape[0];
        var accumulated = new float[b];
        // Integrate from the data (t = 1) back to the noise (t = 0), carrying A with dA/dt = tr(dv/dx), A(1) = 0;
        // then log q(x) = log p0(x(0)) + A(0).
        var x0 = Integrate(x.Detach(), 1.0, 0.0, conditions, accumulated);
        using var noGrad = Tape.NoGrad();
        var logp = _base.LogProb(x0);
        var a = Tensor.FromArray(accumulated, b);
        return logp + a;
    }

    /// <inheritdoc />
    protected override Tensor SampleRows(int rows, Tensor? conditions, Rng rng) =>
        Integrate(_base.Sample(rows, rng), 0.0, 1.0, conditions, null);

    private Tensor Integrate(Tensor x, double t0, double t1, Tensor? conditions, float[]? accumulated)
    {
        var previousTraining = Training;
        Training = false;   // no dropout while integrating
        try
        {
            return VelocityFieldIntegrator.Integrate((xs, t) => Velocity(xs, t, conditions), x, t0, t1,
                Options.Method, Options.Steps, Options.RelativeTolerance, Options.AbsoluteTolerance, accumulated);
        }
        finally
        {
            Training = previousTraining;
        }
    }

    /// <inheritdoc />
    protected override string Describe() => $"FlowMatching(D={Dimension}, C={ConditionDim}, {Options.Method}" +
        (Options.OptimalTransport ? Options.SinkhornRegularization is null ? ", OT" : ", Sinkhorn OT" : "") +
        (Options.TimeEmbeddingFrequencies > 0 ? $", Fourier time x{Options.TimeEmbeddingFrequencies}" : "") +
        (Options.TimeDistribution != FlowMatchingTimeDistribution.Uniform ? $", t ~ {Options.TimeDistribution}" : "") +
        ")";
}
