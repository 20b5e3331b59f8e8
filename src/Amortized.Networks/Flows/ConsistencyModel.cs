using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>
/// A consistency model trained by consistency training (Song et al. 2023, "Consistency models"; Song &amp; Dhariwal
/// 2023, "Improved techniques for training consistency models" (iCT); for simulation-based inference Schmitt et al.
/// 2023), after BayesFlow 2.0.6's <c>ConsistencyModel</c>. The consistency function
/// f(x, t, c) = c_skip(t) x + c_out(t) F(c_in(t) x, ln(t) / 4, c) maps a point x = x_data + t z of the noising path at
/// any level t in [eps, T] to the path's origin; it is sampled in 1 to a few steps and has no density
/// (<see cref="LogProb"/> throws). Shapes: x (B, D), t (B, 1), conditions (B, C).
/// </summary>
/// <remarks>
/// Unlike BayesFlow, which feeds raw x (scale up to T = 200) and raw t to the MLP, the network input is
/// preconditioned as in EDM (Karras et al. 2022, Table 1) and the consistency-model papers' code:
/// c_in(t) = 1 / sqrt(sigma^2 + t^2) and the time feature ln(t) / 4, so every input feature is O(1) at every level.
/// c_skip and c_out are BayesFlow's (Song et al. 2023, Appendix C), so f(x, eps) = x exactly.
/// Training: iCT with the teacher the stop-gradient of the same network (no EMA), the discretisation curriculum
/// N(k) (<see cref="Discretization"/>), the Karras grid (<see cref="KarrasGrid"/>), the log-normal index distribution
/// (<see cref="IndexProbabilities"/>), shared noise z for teacher and student and the pseudo-Huber distance
/// weighted by 1 / (t_{i+1} - t_i).
/// </remarks>
public sealed class ConsistencyModel : InferenceNetwork
{
    /// <summary>Mean of log t of iCT's log-normal index distribution (Song &amp; Dhariwal 2023, Section 3.5).</summary>
    public const double IndexLogMean = -1.1;

    /// <summary>Standard deviation of log t of iCT's log-normal index distribution.</summary>
    public const double IndexLogStd = 2.0;

    /// <summary>The pseudo-Huber constant per sqrt(D): c = 0.00054 sqrt(D) (Song &amp; Dhariwal 2023, Section 3.3).</summary>
    public const double HuberConstantPerSqrtDim = 0.00054;

    private readonly Mlp _net;
    private long _step;
    private long? _plannedSteps;
    private int? _samplingStepsOverride;

    /// <summary>Creates the model over R^D with C condition features.</summary>
    public ConsistencyModel(ParameterStore store, string name, int dimension, int conditionDim,
        ConsistencyModelOptions? options, Rng rng)
        : base(name, dimension, conditionDim)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Options = options ?? new ConsistencyModelOptions();
        Options.Validate();
        // Zero output layer (as BayesFlow's output projector): a fresh model is f(x, t) = c_skip(t) x.
        _net = AddChild(new Mlp(store, $"{name}.net", dimension + 1 + conditionDim, new MlpOptions
        {
            Widths = Options.Widths,
            Activation = Options.Activation,
            Dropout = Options.Dropout,
            OutputDim = dimension,
            ZeroOutput = true,
        }, rng));
        NoiseRng = rng.Fork(rng.NextUInt32() | ((ulong)rng.NextUInt32() << 32));
    }

    /// <summary>The options.</summary>
    public ConsistencyModelOptions Options { get; }

    /// <inheritdoc />
    /// <remarks>The curriculum refines the discretisation as training goes, so later epochs' losses measure a
    /// different (finer) objective than earlier ones.</remarks>
    public override bool LossComparesEpochs => false;

    /// <summary>k, the training step last passed to <see cref="BeginStep"/> (0 before training).</summary>
    public long TrainingStep => _step;

    /// <summary>K: <see cref="ConsistencyModelOptions.TotalSteps"/>, else the trainer's plan, else null.</summary>
    public long? TotalSteps => Options.TotalSteps ?? _plannedSteps;

    /// <inheritdoc />
    public override void BeginStep(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        _step = step;
    }

    /// <inheritdoc />
    public override void PlanTraining(long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1L);
        _plannedSteps = totalSteps;
    }

    /// <summary>
    /// N(k), the number of grid points of the curriculum at training step k of K (iCT, Section 3.4):
    /// N(k) = min(s0 2^floor(k / K'), s1) + 1 with K' = floor(K / (log2 floor(s1 / s0) + 1)) (at least 1), so the
    /// number of intervals doubles from s0 every K' steps up to s1.
    /// </summary>
    public static int Discretization(long step, long totalSteps, int s0, int s1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1L);
        ArgumentOutOfRangeException.ThrowIfLessThan(s0, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(s1, s0);
        long kPrime = Math.Max(1L, (long)Math.Floor(totalSteps / (Math.Log2(Math.Floor((double)s1 / s0)) + 1.0)));
        long doublings = step / kPrime;
        long intervals = doublings >= 31 ? s1 : Math.Min((long)s0 << (int)doublings, s1);
        return (int)intervals + 1;
    }

    /// <summary>
    /// The Karras et al. (2022) grid of <paramref name="points"/> (N &gt;= 2) levels ascending from eps to T:
    /// t_i = (eps^(1/rho) + (i - 1) / (N - 1) (T^(1/rho) - eps^(1/rho)))^rho, i = 1..N, rho = 7 (Song et al. 2023,
    /// Section 5).
    /// </summary>
    public static double[] KarrasGrid(int points, double eps, double maxTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 2);
        double lo = Math.Pow(eps, 1.0 / ConsistencyModelOptions.Rho);
        double hi = Math.Pow(maxTime, 1.0 / ConsistencyModelOptions.Rho);
        var grid = new double[points];
        for (int i = 0; i < points; i++)
            grid[i] = Math.Pow(lo + (double)i / (points - 1) * (hi - lo), ConsistencyModelOptions.Rho);
        grid[0] = eps;
        grid[points - 1] = maxTime;
        return grid;
    }

    /// <summary>
    /// The probability of training on interval i (t_i, t_{i+1}) of <paramref name="grid"/> (N levels, N - 1
    /// intervals): p(i) proportional to erf((ln t_{i+1} - P_mean) / (sqrt 2 P_std)) - erf((ln t_i - P_mean) /
    /// (sqrt 2 P_std)), P_mean = -1.1, P_std = 2 (iCT, Section 3.5): the mass of a log-normal over the interval.
    /// </summary>
    public static double[] IndexProbabilities(ReadOnlySpan<double> grid)
    {
        if (grid.Length < 2) throw new ArgumentException($"The grid has {grid.Length} levels; expected at least 2.");
        var p = new double[grid.Length - 1];
        double total = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double a = (Math.Log(grid[i]) - IndexLogMean) / IndexLogStd;
            double b = (Math.Log(grid[i + 1]) - IndexLogMean) / IndexLogStd;
            total += p[i] = NormalMass(a, b);
        }
        for (int i = 0; i < p.Length; i++) p[i] /= total;
        return p;
    }

    /// <summary>
    /// f(x, t, c) = c_skip(t) x + c_out(t) F(c_in(t) x, ln(t) / 4, c) with c_skip = sigma^2 / ((t - eps)^2 + sigma^2),
    /// c_out = sigma (t - eps) / sqrt(sigma^2 + t^2), c_in = 1 / sqrt(sigma^2 + t^2). x (B, D), t (B, 1) in
    /// [eps, T], conditions (B, C) or null -> (B, D).
    /// </summary>
    public Tensor Consistency(Tensor x, Tensor t, Tensor? conditions)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        float s2 = (float)Options.Sigma2, sigma = (float)Math.Sqrt(Options.Sigma2), eps = (float)Options.Eps;
        var shifted = t - eps;
        var scale = (t.Square() + s2).Pow(-0.5f);                 // 1 / sqrt(sigma^2 + t^2)
        var cSkip = (shifted.Square() + s2).Pow(-1f) * s2;
        var cOut = shifted * scale * sigma;
        var time = t.Log() * 0.25f;
        var input = conditions is null || ConditionDim == 0
            ? Tensor.Concat(x * scale, time, 1) : Tensor.Concat([x * scale, time, conditions], 1);
        return x * cSkip + _net.Forward(input) * cOut;
    }

    /// <summary>
    /// The consistency-training loss at the current curriculum step (iCT): for each row an interval i drawn from
    /// <see cref="IndexProbabilities"/> over the grid of N(k) levels and noise z ~ N(0, I) shared by teacher and
    /// student, per row (B) lambda_i d(f(x + t_{i+1} z, t_{i+1}), sg f(x + t_i z, t_i)) with
    /// lambda_i = 1 / (t_{i+1} - t_i) and the pseudo-Huber distance d(a, b) = sqrt(|a - b|^2 + c^2) - c,
    /// c = 0.00054 sqrt(D). The noise and the indices come from <see cref="InferenceNetwork.NoiseRng"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">K is unknown: neither <see cref="ConsistencyModelOptions.TotalSteps"/>
    /// nor a trainer's <see cref="PlanTraining"/> set it.</exception>
    public override Tensor RowLosses(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        long total = TotalSteps ?? throw new InvalidOperationException(
            $"ConsistencyModel '{Name}': ConsistencyModelOptions.TotalSteps is not set and no trainer planned the " +
            "number of training steps (PlanTraining); the discretisation curriculum N(k) needs it.");
        int b = x.Shape[0];
        int points = Discretization(_step, total, Options.S0, Options.S1);
        var grid = KarrasGrid(points, Options.Eps, Options.MaxTime);
        var cumulative = IndexProbabilities(grid);
        for (int i = 1; i < cumulative.Length; i++) cumulative[i] += cumulative[i - 1];
        var lower = new float[b];
        var upper = new float[b];
        var weight = new float[b];
        for (int r = 0; r < b; r++)
        {
            // Inverse-CDF draw of the interval index.
            double u = NoiseRng.NextDouble() * cumulative[^1];
            int i = 0;
            while (i < cumulative.Length - 1 && u >= cumulative[i]) i++;
            lower[r] = (float)grid[i];
            upper[r] = (float)grid[i + 1];
            weight[r] = (float)(1.0 / (grid[i + 1] - grid[i]));
        }
        var tLow = Tensor.FromArray(lower, b, 1);
        var tHigh = Tensor.FromArray(upper, b, 1);
        var z = Tensor.RandomNormal(x.Shape, NoiseRng);
        Tensor teacher;
        using (Tape.NoGrad()) teacher = Consistency(x + z * tLow, tLow, conditions).Detach();
        var student = Consistency(x + z * tHigh, tHigh, conditions);
        float c = (float)(HuberConstantPerSqrtDim * Math.Sqrt(Dimension));
        var distance = ((student - teacher).Square().Sum(1, keepDims: true) + c * c).Sqrt() - c;
        return (distance * Tensor.FromArray(weight, b, 1)).Reshape(b);
    }

    /// <summary>Not available: a consistency model has no density.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor LogProb(Tensor x, Tensor? conditions) => throw new NotSupportedException(
        $"ConsistencyModel '{Name}' has no density: it maps noise to samples in a few non-invertible denoising " +
        "steps, so log q(x | c) cannot be evaluated. It is a posterior sampler only; use a family with a density " +
        "(--inference-network coupling, spline, flow-matching, diffusion or free-form-flow) for log densities, " +
        "likelihood estimation or density-based diagnostics.");

    /// <summary>
    /// <see cref="InferenceNetwork.Sample"/> with <paramref name="steps"/> (1 to
    /// <see cref="ConsistencyModelOptions.MaxSamplingSteps"/>) denoising steps instead of
    /// <see cref="ConsistencyModelOptions.SamplingSteps"/>. Shapes as there.
    /// </summary>
    public Tensor Sample(int numSamples, Tensor? conditions, Rng rng, int steps)
    {
        if (steps is < 1 or > ConsistencyModelOptions.MaxSamplingSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps,
                $"expected 1 to {ConsistencyModelOptions.MaxSamplingSteps} sampling steps.");
        var previous = _samplingStepsOverride;
        _samplingStepsOverride = steps;
        try
        {
            return Sample(numSamples, conditions, rng);
        }
        finally
        {
            _samplingStepsOverride = previous;
        }
    }

    /// <summary>
    /// Multistep consistency sampling (Song et al. 2023, Algorithm 1; BayesFlow's <c>_inverse</c>): over the Karras
    /// grid of S + 1 levels in descending order tau_0 = T &gt; tau_1 &gt; ... &gt; tau_S = eps, x = f(T z, T), then
    /// for n = 1..S-1 x = f(x + sqrt(tau_n^2 - eps^2) xi, tau_n) with fresh xi ~ N(0, I). Draws (rows, D).
    /// </summary>
    protected override Tensor SampleRows(int rows, Tensor? conditions, Rng rng)
    {
        int steps = _samplingStepsOverride ?? Options.SamplingSteps;
        var grid = KarrasGrid(steps + 1, Options.Eps, Options.MaxTime);
        var previousTraining = Training;
        Training = false;   // no dropout while sampling
        try
        {
            var shape = new Shape(rows, Dimension);
            var x = Tensor.RandomNormal(shape, rng, 0f, (float)Options.MaxTime);
            x = Consistency(x, Tensor.Full(new Shape(rows, 1), (float)Options.MaxTime), conditions);
            for (int n = 1; n < steps; n++)
            {
                double tau = grid[steps - n];
                float noise = (float)Math.Sqrt(Math.Max(tau * tau - Options.Eps * Options.Eps, 0));
                x = Consistency(x + Tensor.RandomNormal(shape, rng, 0f, noise), Tensor.Full(new Shape(rows, 1),
                    (float)tau), conditions);
            }
            return x;
        }
        finally
        {
            Training = previousTraining;
        }
    }

    /// <summary>P(a &lt; Z &lt; b) for a standard normal Z, without cancellation in either tail.</summary>
    internal static double NormalMass(double a, double b) =>
        a >= 0 ? 0.5 * (Erfc(a / Math.Sqrt(2)) - Erfc(b / Math.Sqrt(2)))
        : b <= 0 ? 0.5 * (Erfc(-b / Math.Sqrt(2)) - Erfc(-a / Math.Sqrt(2)))
        : 1 - 0.5 * (Erfc(-a / Math.Sqrt(2)) + Erfc(b / Math.Sqrt(2)));

    /// <summary>
    /// erfc(x) with relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit, Press et al. 2007,
    /// Section 6.2): ample for interval weights that are renormalised anyway.
    /// </summary>
    internal static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 2.0 / (2.0 + z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
            t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"ConsistencyModel(D={Dimension}, C={ConditionDim}, T={Options.MaxTime}, s0={Options.S0}, s1={Options.S1}, " +
        $"{Options.SamplingSteps} sampling steps)";
}
