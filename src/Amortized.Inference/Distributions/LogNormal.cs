using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>LogNormal(mu, sigma): log X ~ Normal(mu, sigma); support x &gt; 0.</summary>
public sealed class LogNormal : IDistribution
{
    private readonly Normal _log;

    /// <summary>A log-normal whose logarithm has mean <paramref name="mu"/> and std <paramref name="sigma"/>.</summary>
    public LogNormal(double mu, double sigma)
    {
        Mu = Check.Finite(mu, nameof(mu), nameof(LogNormal));
        Sigma = Check.Positive(sigma, nameof(sigma), nameof(LogNormal));
        _log = new Normal(mu, sigma);
    }

    /// <summary>Mean of log X.</summary>
    public double Mu { get; }

    /// <summary>Standard deviation of log X.</summary>
    public double Sigma { get; }

    /// <inheritdoc/>
    public double Mean => Math.Exp(Mu + 0.5 * Sigma * Sigma);

    /// <inheritdoc/>
    public double Variance => (Math.Exp(Sigma * Sigma) - 1) * Math.Exp(2 * Mu + Sigma * Sigma);

    /// <inheritdoc/>
    public double Sample(Rng rng) => Math.Exp(_log.Sample(rng));

    /// <inheritdoc/>
    /// <remarks>Change of variables y = log x: p(x) = p_Normal(log x) / x.</remarks>
    public double LogDensity(double x) =>
        x > 0 ? _log.LogDensity(Math.Log(x)) - Math.Log(x) : double.NegativeInfinity;
}
