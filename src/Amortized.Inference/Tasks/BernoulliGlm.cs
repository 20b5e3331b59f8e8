using System.Globalization;
using Amortized.Networks.Numerics;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// bernoulli_glm (sbibm): theta in R^10 (offset + 9-tap filter) with a Gaussian prior of mean 0 and precision
/// block-diag(0.5, F^T F), F = D D + diag(sqrt(j/9)) for j = 0..8, D lower bidiagonal (1 on the diagonal, -1
/// below). Fixed design X (100 x 10): a column of ones, then lags 0..8 of the stimulus (zero before the start).
/// y_t ~ Bernoulli(sigmoid(X_t . theta)); x = X^T y (10 values), or with <c>raw</c> the 100 spikes.
/// </summary>
public sealed class BernoulliGlm : BenchmarkTask
{
    /// <summary>Time bins.</summary>
    public const int TimeBins = 100;

    private static readonly string[] s_params = Names("theta", 10), s_summary = Names("x", 10),
        s_raw = Names("y", TimeBins);
    private static readonly Lazy<double[]> s_stimulus = new(() => ReadColumn("stimulus.csv", 1));
    private static readonly Lazy<(double[] Precision, double[] Cholesky, double LogDet)> s_prior = new(BuildPrior);

    private readonly bool _raw;
    private readonly double[] _design;

    /// <summary>Creates the task; <paramref name="raw"/> makes x the 100 spikes instead of X^T y.</summary>
    public BernoulliGlm(bool raw = false)
    {
        _raw = raw;
        _design = BuildDesign(s_stimulus.Value);
    }

    /// <inheritdoc/>
    public override string Name => _raw ? "bernoulli_glm_raw" : "bernoulli_glm";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => _raw ? s_raw : s_summary;

    /// <summary>The design X, (100 x 10) row-major.</summary>
    public ReadOnlySpan<double> Design => _design;

    /// <summary>The stimulus (100 values) shipped with the library.</summary>
    public static ReadOnlySpan<double> Stimulus => s_stimulus.Value;

    /// <summary>The prior precision matrix (10 x 10) row-major.</summary>
    public static ReadOnlySpan<double> PriorPrecision => s_prior.Value.Precision;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta)
    {
        // Precision P = L L^T; theta = L^{-T} z has covariance L^{-T} L^{-1} = P^{-1}. Solve L^T theta = z.
        double[] l = s_prior.Value.Cholesky;
        Span<double> z = stackalloc double[10];
        for (int i = 0; i < 10; i++) z[i] = rng.Normal();
        for (int i = 9; i >= 0; i--)
        {
            double s = z[i];
            for (int k = i + 1; k < 10; k++) s -= l[k * 10 + i] * z[k];
            z[i] = s / l[i * 10 + i];
        }
        for (int i = 0; i < 10; i++) theta[i] = (float)z[i];
    }

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        Span<float> y = stackalloc float[TimeBins];
        for (int t = 0; t < TimeBins; t++)
        {
            double eta = 0;
            for (int j = 0; j < 10; j++) eta += _design[t * 10 + j] * theta[j];
            double p = 1 / (1 + Math.Exp(-eta));
            y[t] = rng.NextDouble() < p ? 1f : 0f;
        }
        if (_raw)
        {
            y.CopyTo(x);
            return;
        }
        SummaryStatistics(y, x);
    }

    /// <summary>x = X^T y (length 10) from spikes y (length 100).</summary>
    public void SummaryStatistics(ReadOnlySpan<float> y, Span<float> x)
    {
        for (int j = 0; j < 10; j++)
        {
            double s = 0;
            for (int t = 0; t < TimeBins; t++) s += _design[t * 10 + j] * y[t];
            x[j] = (float)s;
        }
    }

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta)
    {
        CheckTheta(theta);
        double[] p = s_prior.Value.Precision;
        double quad = 0;
        for (int i = 0; i < 10; i++)
            for (int j = 0; j < 10; j++) quad += theta[i] * p[i * 10 + j] * theta[j];
        return -0.5 * quad + 0.5 * s_prior.Value.LogDet - 5 * Math.Log(2 * Math.PI);
    }

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <summary>
    /// Raw (x = y, 100 spikes): sum_t [y_t eta_t - softplus(eta_t)] with eta = X theta; negative infinity when a
    /// spike is not 0 or 1. Summary (x = X^T y): theta . x - sum_t softplus(eta_t), which is log p(x | theta) up to
    /// the theta-independent log #{y in {0,1}^100 : X^T y = x} (zero for this generic real-valued stimulus, where
    /// X^T y identifies y). A constant in theta cancels in every posterior computation (MCMC, importance weights,
    /// normalised grids), so posteriors computed from it are exact.
    /// </summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        double sum = 0;
        if (!_raw)
            for (int j = 0; j < 10; j++) sum += (double)theta[j] * x[j];
        for (int t = 0; t < TimeBins; t++)
        {
            double eta = 0;
            for (int j = 0; j < 10; j++) eta += _design[t * 10 + j] * theta[j];
            if (_raw)
            {
                if (x[t] == 1) sum += eta;
                else if (x[t] != 0) return double.NegativeInfinity;
            }
            sum -= Softplus(eta);
        }
        return sum;
    }

    /// <summary>X[t] = (1, s[t], s[t-1], ..., s[t-8]) with s[k] = 0 for k &lt; 0.</summary>
    internal static double[] BuildDesign(ReadOnlySpan<double> stimulus)
    {
        int n = stimulus.Length;
        var x = new double[n * 10];
        for (int t = 0; t < n; t++)
        {
            x[t * 10] = 1;
            for (int lag = 0; lag < 9; lag++) x[t * 10 + 1 + lag] = t - lag >= 0 ? stimulus[t - lag] : 0;
        }
        return x;
    }

    private static (double[], double[], double) BuildPrior()
    {
        const int m = 9;
        // D: 1 on the diagonal, -1 below; F = D D + diag(sqrt(j / 9)).
        var d = new double[m * m];
        for (int i = 0; i < m; i++)
        {
            d[i * m + i] = 1;
            if (i > 0) d[i * m + i - 1] = -1;
        }
        var f = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += d[i * m + k] * d[k * m + j];
                f[i * m + j] = s + (i == j ? Math.Sqrt(i / 9.0) : 0);
            }
        var p = new double[100];
        p[0] = 0.5;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += f[k * m + i] * f[k * m + j];
                p[(i + 1) * 10 + j + 1] = s;
            }
        double[] l = DenseCholesky.Factor(p, 10);
        double logDet = 0;
        for (int i = 0; i < 10; i++) logDet += 2 * Math.Log(l[i * 10 + i]);
        return (p, l, logDet);
    }

    internal static double[] ReadColumn(string file, int column)
    {
        string name = "Amortized.Inference.bernoulli_glm." + file;
        using Stream stream = typeof(BernoulliGlm).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"BernoulliGlm: embedded resource '{name}' is missing.");
        using var reader = new StreamReader(stream);
        reader.ReadLine(); // header
        var values = new List<double>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            values.Add(double.Parse(line.Split(',')[column], CultureInfo.InvariantCulture));
        }
        return [.. values];
    }

    /// <summary>The design as shipped in design_matrix.csv (100 x 10), for checking <see cref="Design"/>.</summary>
    internal static double[] ShippedDesign()
    {
        var x = new double[TimeBins * 10];
        for (int j = 0; j < 10; j++)
        {
            double[] col = ReadColumn("design_matrix.csv", j);
            for (int t = 0; t < TimeBins; t++) x[t * 10 + j] = col[t];
        }
        return x;
    }
}
