using System.Runtime.ExceptionServices;
using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>
/// A simulator of nested levels (BayesFlow's <c>HierarchicalSimulator</c>): the top level runs once per data set,
/// each further level runs <c>count</c> times for every item of the level above and sees its ancestors' values by
/// name. With levels of G groups and then N observations, a batch of B data sets holds top-level keys as (B, ...),
/// group-level keys as (B, G, ...) and observation-level keys as (B, G, N, ...), as BayesFlow's batch shapes
/// (B, G, N).
/// </summary>
/// <remarks>
/// Streams: data set r draws from <c>Rng.Derive(seed, batch, r)</c> (<see cref="StreamRegistry.SimulatorRows"/>),
/// one stream shared in order by its top-level function, then its groups, then their items (as the
/// <see cref="Simulator"/>'s prior and likelihood share a row's stream). A data set is therefore a function of
/// (seed, batch, r) alone: the same for any thread count, and the first k data sets of a batch are a batch of k
/// (<see cref="SampleOptions.ChunkSize"/> therefore changes nothing and is not used). A data set that
/// <see cref="SampleOptions.Accept"/> refuses is simulated again from the stream of (seed mixed with the attempt,
/// batch, r), as in <see cref="Simulator"/>. <see cref="SampleOptions.Given"/> is not supported (a given array
/// would need a shape per level); a fixed value (<see cref="SampleOptions.FixedValues"/>) overrides its key at
/// every level and appears once per data set.
/// </remarks>
public sealed class HierarchicalSimulator : ISimulator
{
    private sealed record LevelDef(int Count, Action<RowContext>[] Functions);

    private readonly LevelDef[] _levels;

    private HierarchicalSimulator(LevelDef[] levels) => _levels = levels;

    /// <summary>A simulator whose top level (once per data set) runs <paramref name="top"/>, e.g. hyper-priors.</summary>
    public static HierarchicalSimulator Build(Action<RowContext> top)
    {
        ArgumentNullException.ThrowIfNull(top);
        return new([new LevelDef(1, [top])]);
    }

    /// <summary>The item count of each level below the top: (G, N) for groups and observations per group.</summary>
    public IReadOnlyList<int> Counts => [.. _levels.Skip(1).Select(l => l.Count)];

    /// <summary>
    /// Adds a level that runs <paramref name="function"/> <paramref name="count"/> times for every item of the
    /// current last level; it reads its ancestors' values with <see cref="RowContext.Get"/>. Returns a new simulator.
    /// </summary>
    public HierarchicalSimulator Level(int count, Action<RowContext> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"HierarchicalSimulator.Level: level {_levels.Length} needs a count of at least 1.");
        return new([.. _levels, new LevelDef(count, [function])]);
    }

    /// <summary>
    /// Adds <paramref name="function"/> to the current last level: it runs after that level's earlier functions, for
    /// the same items, and sees what they set (e.g. a group's parameters, then its observations' design).
    /// </summary>
    public HierarchicalSimulator Then(Action<RowContext> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        LevelDef last = _levels[^1];
        return new([.. _levels[..^1], last with { Functions = [.. last.Functions, function] }]);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">options.Given is set (not supported).</exception>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        options ??= new SampleOptions();
        if (options.Given is not null)
            throw new ArgumentException("HierarchicalSimulator.Sample: options.Given is not supported; fix values " +
                "with options.FixedValues instead.", nameof(options));
        var rows = new int[batchSize];
        for (int i = 0; i < batchSize; i++) rows[i] = i;
        SimulationBatch batch = Simulate(rows, seed, options);
        int rejected = 0;
        if (options.Accept is { } accept)
        {
            for (int attempt = 1; ; attempt++)
            {
                var refused = new List<int>();
                for (int i = 0; i < batchSize; i++)
                    if (!accept(new BatchRow(batch, i))) refused.Add(i);
                if (refused.Count == 0) break;
                if (attempt >= options.MaxAttempts)
                    throw new InvalidOperationException($"HierarchicalSimulator.Sample: {refused.Count} data sets " +
                        $"(first: row {refused[0]}) were still rejected after {options.MaxAttempts} attempts.");
                rejected += refused.Count;
                Simulator.Scatter(Simulate([.. refused], Simulator.Mix(seed, (ulong)attempt), options), batch, refused);
            }
        }
        return Simulator.HandleNonFinite(batch, rows, options.NonFinite, rejected);
    }

    /// <summary>One data set's values, level by level: per level, per key, the items' values in order.</summary>
    private sealed class DataSet(int levels)
    {
        public readonly List<OrderedDictionary<string, RowValue>>[] Items =
            [.. Enumerable.Range(0, levels).Select(_ => new List<OrderedDictionary<string, RowValue>>())];
    }

    private SimulationBatch Simulate(int[] rows, ulong streamSeed, SampleOptions options)
    {
        int n = rows.Length;
        var sets = new DataSet[n];
        var errors = new Exception?[n];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, n, parallel, i =>
        {
            try
            {
                sets[i] = SimulateOne(rows[i], Rng.Derive(streamSeed, options.BatchIndex, (ulong)rows[i]), options);
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });
        // The error of the lowest row, so the message does not depend on thread timing.
        foreach (Exception? e in errors)
            if (e is not null) ExceptionDispatchInfo.Capture(e).Throw();
        return Stack(sets, rows, options);
    }

    private DataSet SimulateOne(int row, Rng rng, SampleOptions options)
    {
        var set = new DataSet(_levels.Length);
        // What an item at the current level sees of its ancestors, one merged view per parent item.
        var parents = new List<IReadOnlyDictionary<string, RowValue>> { new Dictionary<string, RowValue>() };
        for (int l = 0; l < _levels.Length; l++)
        {
            LevelDef level = _levels[l];
            var next = new List<IReadOnlyDictionary<string, RowValue>>(parents.Count * level.Count);
            foreach (var ancestors in parents)
            {
                for (int j = 0; j < level.Count; j++)
                {
                    var ctx = new RowContext(rng, row, null, 0, ancestors, options.FixedValues);
                    foreach (var f in level.Functions) f(ctx);
                    set.Items[l].Add(ctx.Values);
                    if (l + 1 < _levels.Length)
                    {
                        var merged = new Dictionary<string, RowValue>(ancestors, StringComparer.Ordinal);
                        foreach (var (key, value) in ctx.Values)
                            if (!merged.TryAdd(key, value))
                                throw new InvalidOperationException($"HierarchicalSimulator: key '{key}' is set at " +
                                    $"level {l} of row {row} and already at a level above; each key belongs to one level.");
                        next.Add(merged);
                    }
                }
            }
            parents = next;
        }
        return set;
    }

    /// <summary>
    /// Level l's keys as (B, c_1, ..., c_l, ...): every item of every data set must set the same keys with the same
    /// shapes (the first item of row 0 defines them). Fixed values are added once per data set.
    /// </summary>
    private SimulationBatch Stack(DataSet[] sets, int[] rows, SampleOptions options)
    {
        int n = sets.Length;
        var batch = new SimulationBatch(n);
        if (options.FixedValues is not null)
            foreach (var (key, value) in options.FixedValues)
            {
                var data = new float[n * value.Data.Length];
                for (int i = 0; i < n; i++) Array.Copy(value.Data, 0, data, i * value.Data.Length, value.Data.Length);
                batch.SetCore(key, data, [n, .. value.Shape], false);
            }
        if (n == 0) return batch;
        var counts = new List<int>();
        for (int l = 0; l < _levels.Length; l++)
        {
            if (l > 0) counts.Add(_levels[l].Count);
            int items = sets[0].Items[l].Count;
            foreach (var (key, first) in sets[0].Items[l][0])
            {
                if (batch.Contains(key))
                    throw new InvalidOperationException($"HierarchicalSimulator: key '{key}' is set at level {l} and " +
                        "at another level (or fixed); each key belongs to one level.");
                int len = first.Data.Length;
                var data = new float[n * items * len];
                bool isInteger = first.IsInteger;
                for (int i = 0; i < n; i++)
                {
                    var list = sets[i].Items[l];
                    for (int j = 0; j < items; j++)
                    {
                        if (!list[j].TryGetValue(key, out RowValue? v) || v is null)
                            throw new InvalidOperationException($"HierarchicalSimulator: key '{key}' was set at level " +
                                $"{l} item 0 of row {rows[0]} but not at item {j} of row {rows[i]}, which set " +
                                $"{ShapeText.Keys(list[j].Keys)}.");
                        if (!ShapeText.Equal(v.Shape, first.Shape))
                            throw new InvalidOperationException($"HierarchicalSimulator: key '{key}' at level {l} item " +
                                $"{j} of row {rows[i]} has shape {ShapeText.Format(v.Shape)}; expected " +
                                $"{ShapeText.Format(first.Shape)} (its shape at item 0 of row {rows[0]}).");
                        isInteger &= v.IsInteger;
                        Array.Copy(v.Data, 0, data, (i * items + j) * len, len);
                    }
                }
                batch.SetCore(key, data, [n, .. counts, .. first.Shape], isInteger);
            }
            for (int i = 0; i < n; i++)
                foreach (var item in sets[i].Items[l])
                    foreach (string key in item.Keys)
                        if (!sets[0].Items[l][0].ContainsKey(key))
                            throw new InvalidOperationException($"HierarchicalSimulator: key '{key}' was set at level " +
                                $"{l} of row {rows[i]} but not at item 0 of row {rows[0]}.");
        }
        return batch;
    }
}
