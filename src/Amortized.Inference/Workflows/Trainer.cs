using System.Diagnostics;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Workflows;

/// <summary>
/// Trains an approximator online (simulator in the loop, next batch simulated on a worker thread while the
/// current one trains), offline (arrays in memory, reshuffled each epoch), from a sharded folder on disk, or from a
/// folder that a producer is still filling (follow mode). Every random choice comes from
/// <see cref="TrainingOptions.Seed"/> and the step number, so the same seed gives the same model on the CPU.
/// </summary>
public sealed class Trainer
{
    private readonly ITrainableApproximator _approximator;
    private readonly TrainingOptions _options;
    private readonly Workspace _workspace = new();
    private readonly Tape _tape = new();
    private Adam? _adam;
    private float[]? _bestValues;
    private IReadOnlyDictionary<string, double[]>? _bestState;
    private double _bestValidation = double.PositiveInfinity;
    private int _epochsWithoutImprovement;
    private int _consecutiveNonFinite;
    private int _skipped, _dropped;
    private Stopwatch _clock = new();
    private long _simulatedBatches;   // online: index of the next batch to simulate (skipped steps included)
    private bool _dataInitialized;
    private TrainerState? _pendingOptimizerState;   // applied when the optimizer is created
    private EpochPosition? _position;   // inside the epoch after the last completed one; null at a boundary
    private TrainerState? _imported;    // checked against this run's settings when it starts
    private string _mode = "";          // online, offline, disk or follow: part of the settings

    /// <summary>Creates a trainer for <paramref name="approximator"/>.</summary>
    public Trainer(ITrainableApproximator approximator, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        _approximator = approximator;
        _options = options ?? new TrainingOptions();
        if (_options.Epochs <= 0 || _options.BatchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Trainer: epochs ({_options.Epochs}) and batch size ({_options.BatchSize}) must be positive.");
    }

    /// <summary>The history so far.</summary>
    public TrainingHistory History { get; } = new();

    /// <summary>The optimizer (created by the first Fit call).</summary>
    public Adam? Optimizer => _adam;

    /// <summary>Trains with fresh simulations every step.</summary>
    public TrainingHistory FitOnline(ISimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        int perEpoch = _options.BatchesPerEpoch;
        SimulationBatch? validation = _options.ValidationData ?? (_options.ValidationSimulations > 0
            ? simulator.Sample(_options.ValidationSimulations, _options.Seed,
                new SampleOptions { BatchIndex = StreamRegistry.ValidationBatch.First })
            : null);
        SimulationBatch Simulate(long index) =>
            simulator.Sample(_options.BatchSize, _options.Seed, new SampleOptions { BatchIndex = (ulong)index });
        // The next batch is simulated on a worker thread while the current one trains; batch i is always batch
        // index i, so a resumed run asks for the batches an uninterrupted one would have.
        Task<SimulationBatch>? pending = null;
        IEnumerable<SimulationBatch> Epoch(int epoch, int firstBatch)
        {
            long first = _simulatedBatches;
            pending ??= Task.Run(() => Simulate(first));
            for (int b = firstBatch; b < perEpoch; b++)
            {
                var batch = pending.GetAwaiter().GetResult();
                long next = ++_simulatedBatches;
                pending = Task.Run(() => Simulate(next));
                yield return batch;
            }
        }
        _mode = "online";
        return Run(perEpoch, defaultWeightDecay: 0f, InitializationSimulations(simulator), validation, Epoch);
    }

    /// <summary>Trains on a fixed set of simulations, reshuffled each epoch; a fraction may be held out.</summary>
    public TrainingHistory FitOffline(SimulationBatch data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation) = SplitValidation(data);
        int perEpoch = (train.BatchSize + _options.BatchSize - 1) / _options.BatchSize;
        var order = new int[train.BatchSize];
        IEnumerable<SimulationBatch> Epoch(int epoch, int firstBatch)
        {
            Rng.Derive(_options.Seed, (ulong)epoch, StreamRegistry.EpochOrderTag).Permutation(order);
            for (int b = firstBatch; b < perEpoch; b++)
            {
                int start = b * _options.BatchSize, count = Math.Min(_options.BatchSize, train.BatchSize - start);
                yield return train.SelectRows(order.AsSpan(start, count));
            }
        }
        _mode = "offline";
        return Run(perEpoch, defaultWeightDecay: 1e-4f, InitializationRows(train), validation, Epoch);
    }

    /// <summary>
    /// Trains on a sharded on-disk dataset, streamed in a seeded random order each epoch with at most
    /// <paramref name="bufferShards"/> shards in memory, whatever the dataset's size.
    /// </summary>
    public TrainingHistory FitDisk(FileFormats.ShardedDataset dataset,
        SimulationBatch? validation = null, int bufferShards = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        validation ??= _options.ValidationData;
        int perEpoch = (int)((dataset.Count + _options.BatchSize - 1) / _options.BatchSize);
        var initialization = dataset.ReadShuffled(_options.BatchSize,
            _options.Seed ^ StreamRegistry.DiskInitializationSalt, bufferShards);
        _mode = "disk";
        // A resumed epoch reads the batches it already trained on again and skips them: the shuffled stream has no
        // random access, and this keeps its order exactly that of the uninterrupted run.
        return Run(perEpoch, defaultWeightDecay: 1e-4f, initialization, validation, (epoch, firstBatch) =>
            dataset.ReadShuffled(_options.BatchSize,
                _options.Seed ^ (ulong)epoch * StreamRegistry.DiskEpochSalt, bufferShards).Skip(firstBatch));
    }

    /// <summary>
    /// Trains on a folder that a producer is still filling (see
    /// <see cref="BasicWorkflow.FitFollow(FileFormats.ShardedDataset, TrainingOptions, FollowOptions?)"/>): epochs of
    /// <see cref="TrainingOptions.BatchesPerEpoch"/> steps, like online training, so the schedule's length is known;
    /// before each epoch the folder is scanned again and new shards join the pool. Batches come from one seeded
    /// stream over the run: shards new to the pool first, otherwise shuffled
    /// passes over the whole pool (re-using rows), with the rows of <see cref="FollowOptions.BufferShards"/> shards
    /// mixed at a time.
    /// </summary>
    /// <param name="folder">The followed folder, holding at least one shard.</param>
    /// <param name="validation">Held-out rows scored after each epoch, or null.</param>
    /// <param name="firstShardTraining">The rows of shard 0 trained on (the rest held out), or null for all.</param>
    internal TrainingHistory FitFollow(FolderFollower folder, SimulationBatch? validation,
        SimulationBatch? firstShardTraining)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var dataset = folder.Dataset;
        FollowOptions follow = folder.Options;
        int perEpoch = _options.BatchesPerEpoch;
        var trained = new HashSet<int>();   // shards whose every row was in a step: not restored by a resume
        int pool = 0;                        // the pool is shards [0, pool): those that arrived within the budget
        bool capped = false;
        validation ??= _options.ValidationData;
        SimulationBatch Read(int shard) =>
            shard == 0 && firstShardTraining is not null ? firstShardTraining : dataset.ReadShard(shard);

        // Shards of the pool arrived within the simulation budget: the first ones whose rows reach it.
        void Grow()
        {
            folder.Refresh();
            long rows = 0;
            for (int i = 0; i < pool; i++) rows += dataset.ShardRows(i);
            while (pool < dataset.ShardCount && !(follow.Simulations is { } budget && rows >= budget))
                rows += dataset.ShardRows(pool++);
            if (pool < dataset.ShardCount && !capped)
            {
                capped = true;
                follow.Log?.Invoke($"{follow.Simulations} simulations reached with {pool} shards; later shards " +
                    "are not used.");
            }
        }

        int reported = 0;   // the pool at the last report
        string? BeforeEpoch(int epoch)
        {
            Grow();
            long rows = 0;
            for (int i = 0; i < pool; i++) rows += dataset.ShardRows(i);
            if (follow.Simulations is { } budget && rows >= budget && trained.Count == pool)
                return $"simulation budget ({rows} rows delivered, every one trained on)";
            if (folder.Idle)
            {
                follow.Log?.Invoke($"no new shard in {dataset.DirectoryPath} for {folder.SinceNewShard:g} and no " +
                    $"{FolderFollower.SuccessMarker}: the producer seems to have stopped; training stops here " +
                    "(raise FollowOptions.IdleTimeout, --follow-timeout, to wait longer).");
                return "follow timeout";
            }
            follow.OnEpochStart?.Invoke(new FollowEpoch(epoch, pool, rows, pool - reported, trained.Count,
                folder.Complete));
            reported = pool;
            return null;
        }

        // One endless stream of batches for the whole run, so no rows are dropped at an epoch's end: shards that
        // joined the pool and were never scheduled come first (in a seeded order), otherwise shuffled passes over the
        // whole pool. Read lazily, so shards that join before an epoch are scheduled at the next window.
        var scheduled = new HashSet<int>();
        IEnumerable<int> Order(Rng rng)
        {
            var pass = new Queue<int>();
            while (true)
            {
                int[] fresh = [.. Enumerable.Range(0, pool).Where(i => !scheduled.Contains(i))];
                if (fresh.Length > 0)
                {
                    Shuffle(fresh, rng);
                    foreach (int i in fresh)
                    {
                        scheduled.Add(i);
                        yield return i;
                    }
                    continue;
                }
                if (pass.Count == 0)
                {
                    var all = new int[pool];
                    rng.Permutation(all);
                    foreach (int i in all) pass.Enqueue(i);
                }
                yield return pass.Dequeue();
            }
        }
        var orderRng = Rng.Derive(_options.Seed, 0, StreamRegistry.EpochOrderTag);
        using IEnumerator<SimulationBatch> stream = dataset.ReadInOrder(_options.BatchSize, Order(orderRng),
            follow.BufferShards, orderRng, Read, shards => trained.UnionWith(shards)).GetEnumerator();

        IEnumerable<SimulationBatch> Epoch(int epoch, int firstBatch)
        {
            // A resumed epoch only takes the batches it still owes (the data order is not replayed).
            for (int b = firstBatch; b < perEpoch && stream.MoveNext(); b++) yield return stream.Current;
        }

        folder.WaitForRows(_options.BatchSize, _options.Cancellation);
        Grow();
        // The initialisation reads the pool present now once, in an order of its own, as disk mode does.
        var initializationRng = new Rng(_options.Seed ^ StreamRegistry.DiskInitializationSalt);
        var initializationOrder = new int[pool];
        initializationRng.Permutation(initializationOrder);
        var initialization = dataset.ReadInOrder(_options.BatchSize, initializationOrder, follow.BufferShards,
            initializationRng, Read, _ => { });
        _mode = "follow";
        return Run(perEpoch, defaultWeightDecay: 0f, initialization, validation, Epoch, BeforeEpoch);
    }

    private static void Shuffle(int[] values, Rng rng)
    {
        if (values.Length < 2) return;
        var order = new int[values.Length];
        rng.Permutation(order);
        int[] copy = [.. values];
        for (int i = 0; i < values.Length; i++) values[i] = copy[order[i]];
    }

    /// <summary>
    /// The one epoch loop of every training mode: creates the optimizer, runs the data-dependent initialisation of a
    /// fresh run, then takes a step per batch of <paramref name="epochBatches"/>(epoch) from the epoch after the
    /// last one recorded (a resumed run) until the last epoch, early stopping, the time budget or cancellation.
    /// </summary>
    /// <param name="perEpoch">Batches per epoch, for the schedule's length and progress reports.</param>
    /// <param name="defaultWeightDecay">Weight decay unless <see cref="TrainingOptions.WeightDecay"/> is set.</param>
    /// <param name="initialization">Raw rows for the initialisation, read only when a fresh run needs them.</param>
    /// <param name="validation">Held-out rows scored after each epoch, or null.</param>
    /// <param name="epochBatches">
    /// The raw batches of one epoch in training order, from the given batch index on (0, or where a resumed run
    /// stopped inside the epoch).
    /// </param>
    /// <param name="beforeEpoch">
    /// Called before each epoch starts (follow mode scans its folder here); a non-null result ends training before
    /// that epoch, with that text as <see cref="TrainingHistory.StopReason"/>.
    /// </param>
    private TrainingHistory Run(int perEpoch, float defaultWeightDecay, IEnumerable<SimulationBatch> initialization,
        SimulationBatch? validation, Func<int, int, IEnumerable<SimulationBatch>> epochBatches,
        Func<int, string?>? beforeEpoch = null)
    {
        _imported?.EnsureSameSettings(Settings());
        _imported = null;
        CreateOptimizer((long)_options.Epochs * perEpoch, weightDecay: _options.WeightDecay ?? defaultWeightDecay);
        _approximator.PlanTraining(Math.Max(1L, (long)_options.Epochs * perEpoch));
        InitializeFromData(initialization, validation);
        _clock = Stopwatch.StartNew();
        for (int epoch = History.Epochs.Count; epoch < _options.Epochs; epoch++)
        {
            if (beforeEpoch?.Invoke(epoch) is { } reason)
            {
                History.StopReason = reason;
                break;
            }
            var start = _position ?? new EpochPosition(0, 0, 0, 0, 0, 0);
            _position = null;
            var epochClock = Stopwatch.StartNew();
            double lossSum = start.LossSum;
            int lossCount = start.LossCount, b = start.NextBatch;
            _skipped = start.SkippedSteps;
            _dropped = start.DroppedRows;
            bool stopped = false;
            foreach (var batch in epochBatches(epoch, b))
            {
                double loss = Step(batch);
                if (double.IsFinite(loss)) { lossSum += loss; lossCount++; }
                Report(epoch, b++, perEpoch, loss);
                stopped = ShouldStop();
                if (stopped) break;
            }
            double seconds = start.Seconds + epochClock.Elapsed.TotalSeconds;
            if (stopped && b < perEpoch)
            {
                // Stopped inside the epoch: the checkpoint keeps the position, taken before the partial epoch is
                // scored below, so a resume continues with batch b as if never stopped.
                _position = new EpochPosition(b, lossSum, lossCount, _skipped, _dropped, seconds);
                if (_options.CheckpointPath is not null)
                    Checkpoint.Save(_options.CheckpointPath, _approximator, ExportState());
                EndEpoch(epoch, lossSum / Math.Max(1, lossCount), validation, seconds, checkpoint: false);
                break;
            }
            if (EndEpoch(epoch, lossSum / Math.Max(1, lossCount), validation, seconds, checkpoint: true)) break;
        }
        Finish();
        return History;
    }

    /// <summary>
    /// The settings a resume must share with the run it continues: the options that decide the result, the
    /// training mode, and the caller's <see cref="TrainingOptions.RunSettings"/>. The number of epochs may change:
    /// a resume can extend a finished run (its learning-rate schedule then stretches, so that is not exact).
    /// </summary>
    private SortedDictionary<string, string> Settings()
    {
        // Invariant and shortest round-trip: equal values give equal text on every machine.
        static string S(IFormattable value) => value.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
        var o = _options;
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["mode"] = _mode,
            ["seed"] = S(o.Seed),
            ["batch_size"] = S(o.BatchSize),
            ["batches_per_epoch"] = S(o.BatchesPerEpoch),
            ["learning_rate"] = S(o.LearningRate),
            ["warmup_fraction"] = S(o.WarmupFraction),
            ["weight_decay"] = o.WeightDecay is { } wd ? S(wd) : "default",
            ["clip_norm"] = o.ClipNorm is { } c ? S(c) : "none",
            ["validation_fraction"] = S(o.ValidationFraction),
            ["validation_simulations"] = S(o.ValidationSimulations),
            ["data_initialization_rows"] = S(o.DataInitializationRows),
            ["early_stopping_patience"] = o.EarlyStoppingPatience is { } p ? S(p) : "none",
        };
        foreach (var (key, value) in o.RunSettings ?? new Dictionary<string, string>()) settings[key] = value;
        return settings;
    }

    /// <summary>
    /// Loads a checkpoint written by an earlier run with the same approximator and options; the next Fit call
    /// continues after its last epoch.
    /// </summary>
    public void Resume(string checkpointPath) => ImportState(Checkpoint.Restore(checkpointPath, _approximator));

    /// <summary>
    /// Everything needed to continue training exactly where it stopped (with the approximator's own state).
    /// </summary>
    public TrainerState ExportState()
    {
        var (step, m, v) = _adam?.ExportState() ?? (0, [], []);
        return new TrainerState(History.Epochs.ToArray(), History.Steps, History.BestEpoch,
            _simulatedBatches, step, m, v,
            _bestValues, _bestState, _bestValidation, _epochsWithoutImprovement,
            _position, _consecutiveNonFinite, Settings());
    }

    /// <summary>
    /// Restores a checkpointed state before calling the same Fit method again with the same options: the run
    /// continues at the next epoch, or at the batch inside it where it stopped, and ends bitwise equal to an
    /// uninterrupted one (CPU, same thread count). The Fit call refuses different settings
    /// (<see cref="TrainerState.EnsureSameSettings"/>).
    /// </summary>
    public void ImportState(TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        History.Restore(state.Epochs);
        History.Steps = state.Steps;
        History.BestEpoch = state.BestEpoch;
        _simulatedBatches = state.SimulatedBatches;
        _pendingOptimizerState = state.FirstMoment.Length > 0 ? state : null;
        _bestValues = state.BestValues;
        _bestState = state.BestState;
        _bestValidation = state.BestScore;
        _epochsWithoutImprovement = state.EpochsWithoutImprovement;
        _position = state.Position;
        _consecutiveNonFinite = state.ConsecutiveNonFinite;
        _imported = state;   // its settings are checked when the next Fit call knows its mode
    }

    /// <summary>
    /// A fresh run (no step taken, nothing resumed) whose approximator has a data-dependent initialisation.
    /// </summary>
    private bool NeedsDataInitialization() =>
        !_dataInitialized && History.Steps == 0 && History.Epochs.Count == 0 && _position is null
            && _options.DataInitializationRows > 0
            && _approximator.HasDataInitialization;

    /// <summary>
    /// Online initialisation rows: batches on their own indices (<see cref="StreamRegistry.InitializationBatches"/>).
    /// </summary>
    private IEnumerable<SimulationBatch> InitializationSimulations(ISimulator simulator)
    {
        for (ulong i = 0; ; i++)
            yield return simulator.Sample(_options.BatchSize, _options.Seed,
                new SampleOptions { BatchIndex = StreamRegistry.InitializationBatches.Down(i) });
    }

    /// <summary>
    /// Offline initialisation rows: the training rows in a seeded order of their own, a batch at a time.
    /// </summary>
    private IEnumerable<SimulationBatch> InitializationRows(SimulationBatch train)
    {
        var order = new int[train.BatchSize];
        Rng.Derive(_options.Seed, 0, StreamRegistry.InitializationOrderTag).Permutation(order);
        for (int start = 0; start < train.BatchSize; start += _options.BatchSize)
            yield return train.SelectRows(order.AsSpan(start, Math.Min(_options.BatchSize, train.BatchSize - start)));
    }

    /// <summary>
    /// Feeds the first DataInitializationRows rows of <paramref name="source"/> (read lazily, only when a fresh run
    /// needs them) through the adapter into the approximator's initialisation. Non-finite rows are dropped as in a
    /// step and still count towards the limit, so a simulator that only yields NaN cannot keep this loop going.
    /// </summary>
    /// <remarks>
    /// An initialised model is already a fitted one (a least-squares Gaussian, say), and with few simulations the
    /// first epochs can be worse than it on held-out data. So with a validation set its loss becomes the score to
    /// beat and its weights the best so far (BestEpoch -1): training then keeps it unless an epoch does better.
    /// </remarks>
    private void InitializeFromData(IEnumerable<SimulationBatch> source, SimulationBatch? validation)
    {
        if (!NeedsDataInitialization()) return;
        _dataInitialized = true;
        var adapted = new List<SimulationBatch>();
        int rows = 0;
        ulong chunk = 0;
        foreach (var next in source)
        {
            if (next.BatchSize == 0) break;
            var raw = next.BatchSize > _options.DataInitializationRows - rows
                ? next.Slice(0, _options.DataInitializationRows - rows) : next;
            rows += raw.BatchSize;
            var batch = NonFiniteRows.Drop(_approximator.Adapter.Forward(raw, strict: true,
                rng: Rng.Derive(_options.Seed, chunk++, StreamRegistry.AdapterInitializationTag)), out _);
            if (batch.BatchSize > 0) adapted.Add(batch);
            if (rows >= _options.DataInitializationRows) break;   // before asking the source for more
        }
        _approximator.InitializeFromData(adapted);
        if (validation is null || _approximator.HasDataInitialization) return;   // nothing to score, or nothing was set
        double score = ValidationLoss(validation);
        if (!double.IsFinite(score)) return;
        _bestValidation = score;
        _bestValues = _approximator.Store.ValuesTensor.ToArray();
        _bestState = _approximator.ExportState();
        History.BestEpoch = -1;
    }

    private (SimulationBatch Train, SimulationBatch? Validation) SplitValidation(SimulationBatch data)
    {
        if (_options.ValidationData is not null) return (data, _options.ValidationData);
        int holdOut = (int)Math.Round(data.BatchSize * _options.ValidationFraction);
        if (holdOut <= 0) return (data, null);
        if (holdOut >= data.BatchSize)
            throw new ArgumentException($"Trainer: validation fraction {_options.ValidationFraction} leaves no " +
                $"training rows out of {data.BatchSize}.");
        var order = new int[data.BatchSize];
        Rng.Derive(_options.Seed, StreamRegistry.ValidationSplitCounter,
            StreamRegistry.ValidationSplitTag).Permutation(order);
        return (data.SelectRows(order.AsSpan(holdOut)), data.SelectRows(order.AsSpan(0, holdOut)));
    }

    private void CreateOptimizer(long totalSteps, float weightDecay)
    {
        if (_adam is not null) return;
        long warmup = (long)Math.Round(totalSteps * _options.WarmupFraction);
        var schedule = totalSteps > warmup
            ? LearningRateSchedule.WarmupCosine(_options.LearningRate, warmup, totalSteps, 0f)
            : LearningRateSchedule.Constant(_options.LearningRate);
        _adam = new Adam(_approximator.Store,
            new AdamOptions { LearningRate = schedule, WeightDecay = weightDecay, ClipNorm = _options.ClipNorm });
        if (_pendingOptimizerState is { } pending)
        {
            _adam.ImportState(pending.OptimizerStep, pending.FirstMoment, pending.SecondMoment);
            _pendingOptimizerState = null;
        }
    }

    /// <summary>One gradient step on a raw batch; returns the loss (NaN when the step was skipped).</summary>
    private double Step(SimulationBatch raw)
    {
        long step = History.Steps;
        // Non-finite values are checked after the adapter, which may legitimately turn NaN padding into a mask.
        var adapted = NonFiniteRows.Drop(
            _approximator.Adapter.Forward(raw, strict: true,
                rng: Rng.Derive(_options.Seed, (ulong)step, StreamRegistry.AdapterStepTag)), out int dropped);
        _dropped += dropped;
        if (adapted.BatchSize == 0)
        {
            _skipped++;
            return double.NaN;
        }
        _approximator.Training = true;
        _approximator.BeginStep(_options.Seed, step);
        _workspace.Reset();
        _approximator.Store.ZeroGrad();
        double loss;
        using (BackendScope.Use(_approximator.Store.Backend))
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var l = _approximator.Loss(adapted, updateStatistics: true);
            loss = l.Item();
            if (double.IsFinite(loss)) _tape.Backward(l);
        }
        if (!double.IsFinite(loss) || !TryUpdate())
        {
            _skipped++;
            if (++_consecutiveNonFinite >= _options.MaxConsecutiveNonFinite)
            {
                RestoreBest();
                throw new InvalidOperationException(
                    $"Trainer: {_consecutiveNonFinite} consecutive steps had a non-finite loss or gradient (last " +
                    $"loss {loss}) at step {step}; " +
                    "training stopped and the best weights so far were kept. Lower the learning rate or " +
                    "check the simulator's outputs.");
            }
            return double.NaN;
        }
        _consecutiveNonFinite = 0;
        History.Steps++;
        return loss;
    }

    private bool TryUpdate()
    {
        try
        {
            _adam!.Update();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;   // non-finite gradient: Adam left everything unchanged
        }
    }

    private double ValidationLoss(SimulationBatch validation)
    {
        double sum = 0;
        int rows = 0;
        using var evaluation = EvaluationScope.Enter(_approximator);
        for (int start = 0; start < validation.BatchSize; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, validation.BatchSize - start);
            var adapted = NonFiniteRows.Drop(_approximator.Adapter.Forward(validation.Slice(start, count), strict: true,
                rng: Rng.Derive(_options.Seed, (ulong)start, StreamRegistry.AdapterValidationTag)), out _);
            if (adapted.BatchSize == 0) continue;
            _workspace.Reset();
            using (_workspace.Activate())
            using (Tape.NoGrad())
            {
                _approximator.BeginStep(_options.Seed ^ StreamRegistry.ValidationStepSalt, start);
                sum += _approximator.Loss(adapted, updateStatistics: false).Item() * adapted.BatchSize;
            }
            rows += adapted.BatchSize;
        }
        return rows == 0 ? double.NaN : sum / rows;
    }

    /// <summary>
    /// Records the epoch, tracks the best weights and (with <paramref name="checkpoint"/>) writes the checkpoint;
    /// true when training should stop.
    /// </summary>
    private bool EndEpoch(int epoch, double trainLoss, SimulationBatch? validation, double seconds, bool checkpoint)
    {
        double? validationLoss = validation is null ? null : ValidationLoss(validation);
        double score = validationLoss ?? trainLoss;
        History.Add(new EpochRecord(epoch, trainLoss, validationLoss,
            _adam!.Options.LearningRate.At(Math.Max(1, History.Steps)),
            seconds, _skipped, _dropped));
        _skipped = 0;
        _dropped = 0;
        // Where the loss does not rank fits, the last finite epoch stands as the best one (and nothing stops early).
        if (double.IsFinite(score) && (score < _bestValidation || !_approximator.LossComparesEpochs))
        {
            _bestValidation = score;
            _epochsWithoutImprovement = 0;
            _bestValues = _approximator.Store.ValuesTensor.ToArray();
            _bestState = _approximator.ExportState();
            History.BestEpoch = epoch;
        }
        else _epochsWithoutImprovement++;
        _options.OnEpochEnd?.Invoke(this);
        if (checkpoint && _options.CheckpointPath is not null)
            Checkpoint.Save(_options.CheckpointPath, _approximator, ExportState());
        if (_options.EarlyStoppingPatience is { } patience && validation is not null
            && _epochsWithoutImprovement >= patience)
        {
            History.StopReason = "early stopping";
            return true;
        }
        return ShouldStop();
    }

    private bool ShouldStop()
    {
        if (_options.Cancellation.IsCancellationRequested)
        {
            History.StopReason = "cancelled";
            return true;
        }
        if (_options.TimeBudget is { } budget && _clock.Elapsed > budget)
        {
            History.StopReason = "time budget";
            return true;
        }
        return false;
    }

    private void Report(int epoch, int batch, int perEpoch, double loss) =>
        _options.Progress?.Report(new TrainingProgress(epoch, batch, perEpoch, loss,
            _adam!.Options.LearningRate.At(Math.Max(1, History.Steps)), _clock.Elapsed));

    private void Finish()
    {
        if (_options.RestoreBestWeights) RestoreBest();
        _approximator.Training = false;
    }

    private void RestoreBest()
    {
        if (_bestValues is null) return;
        _approximator.Store.Backend.Upload(_bestValues, _approximator.Store.ValuesTensor);
        _approximator.ImportState(_bestState!);
    }
}
