namespace Amortized.Inference.Diagnostics;

/// <summary>Settings and pass/fail thresholds of <see cref="DiagnosticsReport.Compute"/>.</summary>
public sealed record DiagnosticsOptions
{
    /// <summary>Level of the simultaneous ECDF band and of the TARP KS test (0.95: a calibrated parameter leaves
    /// the band with probability about 0.05).</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Band points K; 0 = min(N, 1000).</summary>
    public int BandPoints { get; init; }

    /// <summary>Uniform samples simulated for the band's gamma and for the log-gamma null distribution.</summary>
    public int Simulations { get; init; } = SimulationBasedCalibration.DefaultSimulations;

    /// <summary>
    /// Null quantile of log gamma (BayesFlow: 0.05): log gamma &lt; 0 rejects uniform ranks at this level.
    /// </summary>
    public double LogGammaQuantile { get; init; } = 0.05;

    /// <summary>Credible levels of the coverage table and the calibration error (BayesFlow: 20).</summary>
    public int CalibrationLevels { get; init; } = 20;

    /// <summary>
    /// Largest calibration error still called calibrated, as a practical tolerance. The rule used is
    /// max(this, 0.8 / sqrt(N)): the exact posterior's calibration error is pure sampling noise of the N coverage
    /// indicators, measured at N = 200 over 300 replicates as median 0.016, 95th percentile 0.040, 99th 0.055
    /// (= 0.78 / sqrt(200)), so the second term keeps false alarms near 1% for small N. A posterior with intervals
    /// 2.5x too narrow scores about 0.3.
    /// </summary>
    public double MaxCalibrationError { get; init; } = 0.05;

    /// <summary>Report contraction as 1 - var / priorVar (BayesFlow) instead of 1 - sd / priorSd.</summary>
    public bool ContractionVarianceRatio { get; init; }

    /// <summary>
    /// Smallest median contraction called informative (0: the posterior is at least narrower than the prior).
    /// </summary>
    public double MinContraction { get; init; }

    /// <summary>Smallest correlation of posterior medians with truths called good recovery.</summary>
    public double MinRecoveryCorrelation { get; init; } = 0.5;

    /// <summary>TARP credibility grid resolution.</summary>
    public int TarpResolution { get; init; } = 100;

    /// <summary>Seed of the band, the log-gamma null and the TARP reference points.</summary>
    public ulong Seed { get; init; }
}
