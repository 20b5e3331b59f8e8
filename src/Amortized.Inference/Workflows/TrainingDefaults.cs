using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Tensors;

namespace Amortized.Inference.Workflows;

/// <summary>
/// The defaults <c>amortized fit</c> and the accuracy benchmark train with: rules on the size of the data, never on
/// a task's name, so a user's own model gets the same. Chosen against the accuracy benchmark (C2ST against reference
/// posteriors, <see cref="AccuracyBenchmark"/>); the measurements are in benchmarks/results/.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Simulations per gradient step.</summary>
    public const int BatchSize = 64;

    /// <summary>Peak learning rate of the warm-up-cosine schedule.</summary>
    public const float LearningRate = 1e-3f;

    /// <summary>Gradient steps a fixed budget is trained for, whatever its size (within the epoch bounds).</summary>
    public const int TargetSteps = 20_000;

    /// <summary>Fewest and most passes over a fixed budget.</summary>
    public const int MinEpochs = 20, MaxEpochs = 500;

    /// <summary>
    /// Epochs for <paramref name="trainingRows"/> simulations: enough passes for about <see cref="TargetSteps"/>
    /// steps, so a small budget is seen many times and a large one still gets a full schedule.
    /// </summary>
    public static int OfflineEpochs(int trainingRows, int batchSize = BatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainingRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int stepsPerEpoch = (trainingRows + batchSize - 1) / batchSize;
        return Math.Clamp((TargetSteps + stepsPerEpoch - 1) / stepsPerEpoch, MinEpochs, MaxEpochs);
    }

    /// <summary>
    /// Offline training on a fixed budget: the whole warm-up-cosine schedule runs to its end (stopping early would
    /// cut it while the learning rate is still high), and the weights of the epoch with the best validation loss are
    /// kept; the weight decay follows <see cref="OfflineWeightDecay"/> for the network kind and the number of
    /// variables it models. Set <see cref="TrainingOptions.ValidationData"/> to the held-out part of
    /// <see cref="Split"/>.
    /// </summary>
    public static TrainingOptions Offline(int trainingRows, ulong seed, InferenceNetworkKind inference,
        int dimension) => new()
    {
        Epochs = OfflineEpochs(trainingRows),
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Seed = seed,
        EarlyStoppingPatience = null,
        RestoreBestWeights = true,
        WeightDecay = OfflineWeightDecay(inference, dimension, trainingRows),
    };

    /// <summary>
    /// Decoupled (AdamW) weight decay of a coupling flow trained on up to <see cref="WeightDecayFullRows"/> rows.
    /// </summary>
    public const float CouplingFlowWeightDecay = 1f;

    /// <summary>The fewest dimensions of the modelled variables for which weight decay applies.</summary>
    public const int WeightDecayFromDimension = 8;

    /// <summary>
    /// Training rows up to which the full <see cref="CouplingFlowWeightDecay"/> applies; above, it shrinks as 1/rows.
    /// </summary>
    public const int WeightDecayFullRows = 10_000;

    /// <summary>
    /// The weight decay for training <paramref name="inference"/> on a fixed budget of <paramref name="trainingRows"/>
    /// rows (offline or from disk) to model <paramref name="dimension"/> variables (the parameters for a posterior),
    /// or null for the trainer's own default. A coupling flow over many variables memorises its training rows: on
    /// gaussian_linear_uniform (10 parameters) at 10^4 simulations a single epoch left the training rows 0.6 nats
    /// more likely than held-out ones, even with theta shuffled against x, and no epoch beat the least-squares start.
    /// Decay of <see cref="CouplingFlowWeightDecay"/> (p -= lr * 1 * p each step) took C2ST there from 0.615 to
    /// 0.527 and bernoulli_glm's (10 parameters) from 0.721 to 0.614 (sbi NPE: 0.553, 0.678). With more rows there is
    /// less to memorise: at 10^5 simulations the full decay cost bernoulli_glm 0.573 -> 0.597, so above
    /// <see cref="WeightDecayFullRows"/> the decay falls as 1/rows. Below <see cref="WeightDecayFromDimension"/>
    /// variables it cost more than it gave (two_moons at 10^3 0.672 -> 0.752, slcp at 10^4 0.900 -> 0.921, sir at
    /// 10^4 0.599 -> 0.648), so those keep the trainer's default, as do the other families (not measured with it).
    /// All figures: benchmarks/results/accuracy-2026-12-05-tuning.md.
    /// </summary>
    public static float? OfflineWeightDecay(InferenceNetworkKind inference, int dimension, long trainingRows) =>
        inference == InferenceNetworkKind.CouplingFlow && dimension >= WeightDecayFromDimension
            ? CouplingFlowWeightDecay * (float)Math.Min(1.0, (double)WeightDecayFullRows / Math.Max(1, trainingRows))
            : null;

    /// <summary>From this many simulations on, the default coupling flow uses spline transforms.</summary>
    public const int SplineFromSimulations = 5_000;

    /// <summary>
    /// The coupling transform for a budget of <paramref name="simulations"/>: affine below
    /// <see cref="SplineFromSimulations"/>, rational-quadratic splines from there. Measured on the accuracy
    /// benchmark (C2ST, 5 observations, benchmarks/results/): at 10^3 simulations affine won on 4 of 5 tasks (e.g.
    /// sir 0.685 vs 0.739), at 10^4 splines were needed where the posterior is curved or multimodal (slcp 0.888 vs
    /// 0.921, two_moons 0.564 vs 0.602) and affine was never needed to meet sbi's figure.
    /// </summary>
    public static CouplingTransformKind Transform(long simulations) =>
        simulations >= SplineFromSimulations ? CouplingTransformKind.Spline : CouplingTransformKind.Affine;

    /// <summary>
    /// The default networks for a budget: a coupling flow without dropout (dropout blurs a density estimate: on
    /// gaussian_mixture at 10^4 simulations it cost 0.05 of C2ST) whose transform follows <see cref="Transform"/>,
    /// with the conditional affine layer (the least-squares Gaussian posterior as the starting point; on
    /// gaussian_linear at 10^4 it took C2ST from 0.581 to 0.502), and the given summary network.
    /// </summary>
    public static ApproximatorSpec Spec(ulong seed, long simulations,
        SummaryNetworkKind summary = SummaryNetworkKind.None)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(simulations);
        var spec = new ApproximatorSpec
        {
            Inference = InferenceNetworkKind.CouplingFlow,
            CouplingFlow = new CouplingFlowOptions { Transform = Transform(simulations), ConditionalAffine = true },
            Summary = summary,
            Seed = seed,
        };
        return WithSummaryOptions(spec);
    }

    /// <summary>
    /// <paramref name="spec"/> with default options for its summary network kind (none for
    /// <see cref="SummaryNetworkKind.None"/>).
    /// </summary>
    public static ApproximatorSpec WithSummaryOptions(ApproximatorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Summary switch
        {
            SummaryNetworkKind.DeepSet => spec with { DeepSet = new DeepSetOptions() },
            SummaryNetworkKind.SetTransformer => spec with { SetTransformer = new SetTransformerOptions() },
            SummaryNetworkKind.TimeSeries => spec with { TimeSeries = new TimeSeriesNetworkOptions() },
            SummaryNetworkKind.TimeSeriesTransformer =>
                spec with { TimeSeriesTransformer = new TimeSeriesTransformerOptions() },
            _ => spec,
        };
    }

    /// <summary>A seeded shuffle, then 90% for training and 10% (at least 2 rows) held out for validation.</summary>
    public static (SimulationBatch Train, SimulationBatch Validation) Split(SimulationBatch all, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(all);
        int n = all.BatchSize;
        if (n < 3) throw new ArgumentException($"TrainingDefaults.Split: the data hold {n} rows; expected at " +
            "least 3 (2 to validate, 1 to train).", nameof(all));
        int held = Math.Clamp(n / 10, 2, n - 1);
        var order = new int[n];
        new Rng(seed, StreamRegistry.HoldOutSplitStream).Permutation(order);
        return (all.SelectRows(order.AsSpan(held)), all.SelectRows(order.AsSpan(0, held)));
    }
}
