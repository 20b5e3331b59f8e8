namespace Amortized.Inference;

/// <summary>
/// An inclusive range [<see cref="First"/>, <see cref="Last"/>] of reserved values with a name, so that
/// <see cref="StreamRegistry"/> can prove that no two uses share a value.
/// </summary>
public readonly record struct ReservedRange(string Name, ulong First, ulong Last)
{
    /// <summary>Number of values in the range (0 means all 2^64, which no range here reserves).</summary>
    public ulong Count => Last - First + 1;

    /// <summary>Whether the two ranges share a value.</summary>
    public bool Overlaps(ReservedRange other) => First <= other.Last && other.First <= Last;

    /// <summary>Whether <paramref name="value"/> lies in the range.</summary>
    public bool Contains(ulong value) => value >= First && value <= Last;

    /// <summary>The <paramref name="i"/>-th value counted up from <see cref="First"/>.</summary>
    /// <exception cref="InvalidOperationException">The range holds fewer than i + 1 values.</exception>
    public ulong Up(ulong i) => i <= Last - First ? First + i : throw Exhausted(i);

    /// <summary>The <paramref name="i"/>-th value counted down from <see cref="Last"/>.</summary>
    /// <exception cref="InvalidOperationException">The range holds fewer than i + 1 values.</exception>
    public ulong Down(ulong i) => i <= Last - First ? Last - i : throw Exhausted(i);

    private InvalidOperationException Exhausted(ulong i) =>
        new($"StreamRegistry: {Name} reserves {Last - First + 1} values; value {i} was asked for.");
}

/// <summary>
/// Every reserved simulator batch index and random-stream tag of the library, named in one place. Streams come from
/// <c>Rng.Derive(seed, a, b)</c>; a simulator's batch <c>i</c> draws from <c>(seed, i, row)</c>. Two uses that share
/// a seed must not share a stream, or data meant to be fresh (held-out diagnostics, validation) repeat data that
/// training has seen. The ranges of each family below are disjoint, which a test checks.
/// </summary>
/// <remarks>
/// The values are those the library used before this registry existed, so seeds keep giving the same runs, except
/// where two uses collided: the held-out diagnostics batch sat at 2^64 - 8 inside the data-initialisation batches
/// (counted down from 2^64 - 2), so with 16,384 initialisation rows the diagnostics data sets had been seen.
/// </remarks>
public static class StreamRegistry
{
    // --- Simulator batch indices (SampleOptions.BatchIndex) under the training seed or the user's seed ---

    /// <summary>Online training simulates batches 0, 1, 2, ... in order (skipped steps included).</summary>
    public static readonly ReservedRange TrainingBatches = new("training batches", 0, (1UL << 62) - 1);

    /// <summary>Misspecification-reference data sets, one batch each, counted up.</summary>
    public static readonly ReservedRange ReferenceBatches = new("misspecification reference batches", 1UL << 63,
        (1UL << 63) + uint.MaxValue);

    /// <summary>The held-out data sets of the posterior diagnostics (one batch of N rows).</summary>
    public static readonly ReservedRange HeldOutBatch = new("held-out diagnostics batch", 0xC000_0000_0000_0000UL,
        0xC000_0000_0000_0000UL);

    /// <summary>The few rows a workflow simulates to read the network sizes off the adapted data.</summary>
    public static readonly ReservedRange ShapeProbeBatch = new("shape probe batch", 0xC000_0000_0000_0001UL,
        0xC000_0000_0000_0001UL);

    /// <summary>Online data-dependent initialisation batches, counted down from 2^64 - 2.</summary>
    public static readonly ReservedRange InitializationBatches = new("data-initialisation batches",
        ulong.MaxValue - 1 - uint.MaxValue, ulong.MaxValue - 1);

    /// <summary>The validation set simulated for online training (and by the command line's fit).</summary>
    public static readonly ReservedRange ValidationBatch = new("validation batch", ulong.MaxValue, ulong.MaxValue);

    /// <summary>Every reserved batch-index range.</summary>
    public static IReadOnlyList<ReservedRange> BatchIndices { get; } =
        [TrainingBatches, ReferenceBatches, HeldOutBatch, ShapeProbeBatch, InitializationBatches, ValidationBatch];

    // --- Stream tags inside one simulator batch: Rng.Derive(seed, batchIndex, tag) ---

    /// <summary>
    /// Row r of a batch draws from tag r (a <c>Simulator</c>'s row; a <c>HierarchicalSimulator</c>'s data set r, all
    /// of its levels in order from that one stream).
    /// </summary>
    public static readonly ReservedRange SimulatorRows = new("simulator rows", 0, int.MaxValue);

    /// <summary>The model choice of a model-comparison simulator.</summary>
    public static readonly ReservedRange ModelChoice =
        new("model choice", ulong.MaxValue - 0x1000, ulong.MaxValue - 0x1000);

    /// <summary>Batched stage s draws from tag 2^64 - 2 - s (under a seed mixed with the first row).</summary>
    public static readonly ReservedRange SimulatorBatchedStages = new(
        "simulator batched stages", ulong.MaxValue - 0xFFF,
        ulong.MaxValue - 1);

    /// <summary>The once-per-batch context.</summary>
    public static readonly ReservedRange SimulatorContext = new("simulator context", ulong.MaxValue, ulong.MaxValue);

    /// <summary>Every reserved in-batch stream tag.</summary>
    public static IReadOnlyList<ReservedRange> SimulatorTags { get; } =
        [SimulatorRows, ModelChoice, SimulatorBatchedStages, SimulatorContext];

    // --- Training and sampling streams: Rng.Derive(seed, counter, tag) ---

    /// <summary>Posterior sampling, counter = first data set of a chunk (tag 0).</summary>
    public const ulong SamplingTag = 0;

    /// <summary>
    /// Redraws of posterior draws outside a rejecting support, counter = data set x 2^32 + round; the draw of a
    /// round takes its seed from this stream.
    /// </summary>
    public const ulong RejectionTag = 0x4E7EC7;

    /// <summary>Offline epoch order, counter = epoch.</summary>
    public const ulong EpochOrderTag = 0x5F;

    /// <summary>Offline validation split, counter = <see cref="ValidationSplitCounter"/>.</summary>
    public const ulong ValidationSplitTag = 0x5A;

    /// <summary>The one counter of <see cref="ValidationSplitTag"/>.</summary>
    public const ulong ValidationSplitCounter = 0xFA11;

    /// <summary>The adapter's randomness in a training step, counter = step.</summary>
    public const ulong AdapterStepTag = 0xAD;

    /// <summary>The adapter's randomness on validation rows, counter = first row of the chunk.</summary>
    public const ulong AdapterValidationTag = 0xAE;

    /// <summary>The adapter's randomness on data-initialisation rows, counter = chunk.</summary>
    public const ulong AdapterInitializationTag = 0x1D17;

    /// <summary>Offline data-initialisation row order (counter 0).</summary>
    /// <remarks>Was the epoch-order stream at counter 0x1D17, that is epoch 7447's order.</remarks>
    public const ulong InitializationOrderTag = 0x1D170;

    /// <summary>Dropout masks, counter = step.</summary>
    public const ulong DropoutTag = 0xD0;

    /// <summary>The inference network's training noise (flow matching's x0 and t, diffusion noise levels, probe
    /// vectors), counter = step.</summary>
    public const ulong TrainingNoiseTag = 0xF1;

    /// <summary>MCMC chains, counter = chain.</summary>
    public const ulong McmcChainTag = 0x4D434D43;

    /// <summary>
    /// The command line's hold-out split of a fixed budget: the stream of <c>new Rng(seed, stream)</c>, listed with
    /// the tags so that no tag takes its value.
    /// </summary>
    public const ulong HoldOutSplitStream = 0x5EED;

    /// <summary>The MMD test's bootstrap (<c>new Rng(seed, stream)</c>; 0x4D4D44 is "MMD").</summary>
    public const ulong MmdBootstrapStream = 0x4D4D44;

    /// <summary>Every training and sampling tag.</summary>
    public static IReadOnlyList<ReservedRange> TrainingTags { get; } =
    [
        Single("sampling", SamplingTag), Single("epoch order", EpochOrderTag),
        Single("validation split", ValidationSplitTag), Single("adapter step", AdapterStepTag),
        Single("adapter validation", AdapterValidationTag), Single("adapter initialisation", AdapterInitializationTag),
        Single("initialisation order", InitializationOrderTag), Single("dropout", DropoutTag),
        Single("training noise", TrainingNoiseTag), Single("MCMC chains", McmcChainTag),
        Single("hold-out split", HoldOutSplitStream), Single("MMD bootstrap", MmdBootstrapStream),
    ];

    // --- Seed salts: a derived seed = seed ^ salt, for a stream family of its own ---

    /// <summary>The approximator's step streams while scoring validation rows (dropout off, noise on).</summary>
    public const ulong ValidationStepSalt = 0xFFFF;

    /// <summary>The disk dataset's shuffle of data-initialisation rows.</summary>
    public const ulong DiskInitializationSalt = 0x1D17;

    /// <summary>The disk dataset's epoch shuffle: seed ^ (epoch * salt).</summary>
    public const ulong DiskEpochSalt = 0x9E3779B97F4A7C15UL;

    /// <summary>The shape probe a workflow simulates before building its networks.</summary>
    public const ulong ShapeProbeSalt = 0xB0B;

    /// <summary>The report's posterior draws on the held-out data sets.</summary>
    public const ulong ReportDrawsSalt = 0xD1A6;

    /// <summary>The report's prior draws.</summary>
    public const ulong ReportPriorSalt = 0x9713;

    /// <summary>The accuracy benchmark's fixed observations (seed ^ salt, independent of the training seed).</summary>
    public const ulong AccuracyObservationSalt = 0xACC1_0000_0000_0000UL;

    /// <summary>The accuracy benchmark's reference posterior of observation o: seed ^ salt ^ o.</summary>
    public const ulong AccuracyReferenceSalt = 0xACC2_0000_0000_0000UL;

    /// <summary>The accuracy benchmark's posterior draws for observation o: seed ^ salt ^ o.</summary>
    public const ulong AccuracyDrawsSalt = 0xACC3_0000_0000_0000UL;

    /// <summary>Every seed salt (the disk epoch salt is multiplied by the epoch, so only epoch 1 is listed).</summary>
    public static IReadOnlyList<ReservedRange> SeedSalts { get; } =
    [
        Single("validation step", ValidationStepSalt), Single("disk initialisation", DiskInitializationSalt),
        Single("disk epoch", DiskEpochSalt), Single("shape probe", ShapeProbeSalt),
        Single("report draws", ReportDrawsSalt), Single("report prior", ReportPriorSalt),
        Single("accuracy observations", AccuracyObservationSalt),
        new("accuracy references", AccuracyReferenceSalt, AccuracyReferenceSalt | 0xFFFF),
        new("accuracy draws", AccuracyDrawsSalt, AccuracyDrawsSalt | 0xFFFF),
    ];

    private static ReservedRange Single(string name, ulong value) => new(name, value, value);
}
