using System.Runtime.ExceptionServices;
using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>
/// A simulator composed of functions, in the manner of BayesFlow's <c>make_simulator([context, prior,
/// likelihood])</c>: context functions run once per batch (their outputs are broadcast to every row), prior and
/// likelihood functions run once per row in parallel and see everything drawn before them by name, batched
/// functions see the whole batch so far. Immutable: each builder call returns a new simulator.
/// </summary>
/// <remarks>
/// Streams: the context draws from <c>Rng.Derive(seed, batch, 2^64-1)</c>; row r from
/// <c>Rng.Derive(seed, batch, r)</c> (one stream shared by all of the row's functions, in order); a batched
/// function from a stream keyed by its position. Row r's values are therefore a function of (seed, batch, r)
/// only, which makes a batch identical for any thread count and makes chunked sampling equal to one big batch.
/// A rejected row is simulated again from a stream keyed by (seed, attempt, batch, r).
/// </remarks>
public sealed class Simulator : ISimulator
{
    private enum StageKind { Context, Row, Batched }

    private sealed record Stage(StageKind Kind, Action<RowContext>? RowFunction, Action<BatchContext>? BatchFunction);

    private readonly Stage[] _stages;

    private Simulator(Stage[] stages) => _stages = stages;

    /// <summary>An empty simulator to add functions to.</summary>
    public static Simulator Build() => new([]);

    /// <summary>Adds a function that runs once per batch (e.g. a set size shared by the batch).</summary>
    public Simulator Context(Action<RowContext> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        foreach (Stage s in _stages)
            if (s.Kind != StageKind.Context)
                throw new InvalidOperationException(
                    "Simulator.Context: context functions must come before prior, likelihood and batched functions.");
        return With(new Stage(StageKind.Context, function, null));
    }

    /// <summary>Adds a function that runs once per row (parameters).</summary>
    public Simulator Prior(Action<RowContext> function) => Row(function);

    /// <summary>Adds a function that runs once per row and sees the prior draws (data).</summary>
    public Simulator Likelihood(Action<RowContext> function) => Row(function);

    /// <summary>Adds a per-row function.</summary>
    public Simulator Row(Action<RowContext> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return With(new Stage(StageKind.Row, function, null));
    }

    /// <summary>
    /// Adds an already-batched function that reads the batch so far and adds arrays of shape (B, ...).
    /// </summary>
    public Simulator Batched(Action<BatchContext> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return With(new Stage(StageKind.Batched, null, function));
    }

    private Simulator With(Stage stage) => new([.. _stages, stage]);

    /// <inheritdoc/>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        options ??= new SampleOptions();
        if (options.Given is { } given && given.BatchSize != batchSize)
            throw new ArgumentException($"Simulator.Sample: options.Given has {given.BatchSize} rows; expected " +
                $"{batchSize}.", nameof(options));
        var context = RunContext(seed, options);
        int chunk = options.ChunkSize;
        if (chunk <= 0 || chunk >= batchSize) return SampleRows(0, batchSize, seed, options, context);

        var parts = new List<SimulationBatch>();
        for (int start = 0; start < batchSize; start += chunk)
        {
            int count = Math.Min(chunk, batchSize - start);
            parts.Add(
                SampleRows(start, count, seed, options with { Given = options.Given?.Slice(start, count) }, context));
        }
        SimulationBatch result = SimulationBatch.Concatenate(parts);
        result.Report = MergeReports(parts, batchSize);
        return result;
    }

    internal OrderedDictionary<string, RowValue> RunContext(ulong seed, SampleOptions options)
    {
        var rng = Rng.Derive(seed, options.BatchIndex, StreamRegistry.SimulatorContext.First);
        var ctx = new RowContext(rng, -1, null, 0, null, options.FixedValues);
        foreach (Stage s in _stages)
            if (s.Kind == StageKind.Context) s.RowFunction!(ctx);
        return ctx.Values;
    }

    /// <summary>Simulates global rows [start, start + count) with precomputed context values.</summary>
    internal SimulationBatch SampleRows(int start, int count, ulong seed, SampleOptions options,
        OrderedDictionary<string, RowValue> context)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        SimulationBatch batch = RunPipeline(rows, 0, seed, options, context, options.Given);

        int rejected = 0;
        if (options.Accept is { } accept)
        {
            for (int attempt = 1; ; attempt++)
            {
                var refused = new List<int>();
                for (int i = 0; i < count; i++)
                    if (!accept(new BatchRow(batch, i))) refused.Add(i);
                if (refused.Count == 0) break;
                if (attempt >= options.MaxAttempts)
                    throw new InvalidOperationException(
                        $"Simulator.Sample: {refused.Count} rows (first: row {rows[refused[0]]}) were still rejected " +
                        $"after {options.MaxAttempts} attempts.");
                rejected += refused.Count;
                var globalRows = new int[refused.Count];
                for (int j = 0; j < refused.Count; j++) globalRows[j] = rows[refused[j]];
                SimulationBatch? given = options.Given?.SelectRows(refused.ToArray());
                SimulationBatch redo = RunPipeline(globalRows, attempt, seed, options, context, given);
                Scatter(redo, batch, refused);
            }
        }
        return HandleNonFinite(batch, rows, options.NonFinite, rejected);
    }

    private SimulationBatch RunPipeline(int[] rows, int attempt, ulong seed, SampleOptions options,
        OrderedDictionary<string, RowValue> context, SimulationBatch? given)
    {
        int n = rows.Length;
        var batch = new SimulationBatch(n);
        var protectedKeys = new HashSet<string>(StringComparer.Ordinal);
        if (given is not null)
            foreach (string key in given.Keys)
            {
                batch.SetCore(key, (float[])given.Get(key).Clone(), given.Shape(key).ToArray(), given.IsInteger(key));
                protectedKeys.Add(key);
            }
        if (options.FixedValues is not null)
            foreach (var (key, value) in options.FixedValues)
            {
                Broadcast(batch, key, new RowValue(value.Data, value.Shape, false));
                protectedKeys.Add(key);
            }
        foreach (var (key, value) in context)
            if (!protectedKeys.Contains(key)) Broadcast(batch, key, value);

        ulong streamSeed = attempt == 0 ? seed : Mix(seed, (ulong)attempt);
        var rngs = new Rng[n];
        for (int i = 0; i < n; i++) rngs[i] = Rng.Derive(streamSeed, options.BatchIndex, (ulong)rows[i]);

        for (int s = 0; s < _stages.Length; s++)
        {
            Stage stage = _stages[s];
            if (stage.Kind == StageKind.Batched)
            {
                ulong batchedSeed = Mix(streamSeed, n == 0 ? 0UL : (ulong)rows[0] + 1);
                var rng =
                    Rng.Derive(batchedSeed, options.BatchIndex, StreamRegistry.SimulatorBatchedStages.Down((ulong)s));
                stage.BatchFunction!(new BatchContext(batch, rng, options.FixedValues));
            }
            else if (stage.Kind == StageKind.Row)
            {
                int end = s;
                while (end + 1 < _stages.Length && _stages[end + 1].Kind == StageKind.Row) end++;
                RunRowStage(s, end, rows, rngs, batch, options, protectedKeys);
                s = end;
            }
        }
        return batch;
    }

    private void RunRowStage(int first, int last, int[] rows, Rng[] rngs, SimulationBatch batch, SampleOptions options,
        HashSet<string> protectedKeys)
    {
        int n = rows.Length;
        var results = new OrderedDictionary<string, RowValue>[n];
        var errors = new Exception?[n];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, n, parallel, i =>
        {
            try
            {
                var ctx = new RowContext(rngs[i], rows[i], batch, i, null, options.FixedValues, protectedKeys);
                for (int s = first; s <= last; s++) _stages[s].RowFunction!(ctx);
                results[i] = ctx.Values;
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        });
        // Report the error of the lowest row, so the message does not depend on thread timing.
        for (int i = 0; i < n; i++)
            if (errors[i] is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        Stack(results, rows, batch);
    }

    /// <summary>Stacks per-row outputs into (B, ...) arrays; row 0 defines the expected keys and shapes.</summary>
    private static void Stack(OrderedDictionary<string, RowValue>[] results, int[] rows, SimulationBatch batch)
    {
        int n = results.Length;
        if (n == 0) return;
        foreach (var (key, first) in results[0])
        {
            int len = first.Data.Length;
            var data = new float[n * len];
            bool isInteger = first.IsInteger;
            for (int i = 0; i < n; i++)
            {
                if (!results[i].TryGetValue(key, out RowValue? v))
                    throw new InvalidOperationException(
                        $"Simulator: key '{key}' was set at row {rows[0]} but not at row {rows[i]}; row {rows[i]} " +
                        $"set {ShapeText.Keys(results[i].Keys)}.");
                if (!ShapeText.Equal(v.Shape, first.Shape))
                    throw new InvalidOperationException(
                        $"Simulator: key '{key}' at row {rows[i]} has shape {ShapeText.Format(v.Shape)}; expected " +
                        $"{ShapeText.Format(first.Shape)} (the shape at row {rows[0]}).");
                isInteger &= v.IsInteger;
                Array.Copy(v.Data, 0, data, i * len, len);
            }
            batch.SetCore(key, data, [n, .. first.Shape], isInteger);
        }
        for (int i = 1; i < n; i++)
            foreach (string key in results[i].Keys)
                if (!results[0].ContainsKey(key))
                    throw new InvalidOperationException(
                        $"Simulator: key '{key}' was set at row {rows[i]} but not at row {rows[0]}.");
    }

    private static void Broadcast(SimulationBatch batch, string key, RowValue value)
    {
        int n = batch.BatchSize, len = value.Data.Length;
        var data = new float[n * len];
        for (int i = 0; i < n; i++) Array.Copy(value.Data, 0, data, i * len, len);
        batch.SetCore(key, data, [n, .. value.Shape], value.IsInteger);
    }

    /// <summary>
    /// Copies the rows of <paramref name="source"/> into rows <paramref name="targetRows"/> of
    /// <paramref name="target"/>.
    /// </summary>
    internal static void Scatter(SimulationBatch source, SimulationBatch target, IReadOnlyList<int> targetRows)
    {
        foreach (string key in source.Keys)
        {
            if (!target.Contains(key))
                throw new InvalidOperationException($"Simulator: key '{key}' appeared in a re-simulated row but not " +
                    $"in the first pass; the batch has {ShapeText.Keys(target.Keys)}.");
            if (!ShapeText.Equal(source.Shape(key)[1..], target.Shape(key)[1..]))
                throw new InvalidOperationException(
                    $"Simulator: key '{key}' at row {targetRows[0]} has shape " +
                    $"{ShapeText.Format(source.Shape(key)[1..])}; expected " +
                    $"{ShapeText.Format(target.Shape(key)[1..])}.");
            int len = target.RowLength(key);
            float[] src = source.Get(key), dst = target.Get(key);
            for (int j = 0; j < targetRows.Count; j++) Array.Copy(src, j * len, dst, targetRows[j] * len, len);
        }
    }

    internal static SimulationBatch HandleNonFinite(SimulationBatch batch, int[] rows,
        NonFiniteHandling mode, int rejected)
    {
        int n = batch.BatchSize;
        var bad = new bool[n];
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string key in batch.Keys)
        {
            float[] data = batch.Get(key);
            int len = batch.RowLength(key), count = 0;
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = data.AsSpan(i * len, len);
                for (int j = 0; j < row.Length; j++)
                {
                    if (float.IsFinite(row[j])) continue;
                    if (mode == NonFiniteHandling.Throw)
                        throw new InvalidOperationException(
                            $"Simulator: key '{key}' at row {rows[i]} holds {row[j]} (element {j}).");
                    count++;
                    bad[i] = true;
                    break;
                }
            }
            if (count > 0) counts[key] = count;
        }
        int total = 0;
        foreach (bool b in bad) if (b) total++;
        SimulationBatch result = batch;
        int dropped = 0;
        if (mode == NonFiniteHandling.Drop && total > 0)
        {
            var keep = new List<int>(n - total);
            for (int i = 0; i < n; i++) if (!bad[i]) keep.Add(i);
            result = batch.SelectRows(keep.ToArray());
            dropped = total;
        }
        result.Report = new SimulationReport(n, rejected, counts, dropped) { NonFiniteTotal = total };
        return result;
    }

    internal static SimulationReport MergeReports(IReadOnlyList<SimulationBatch> parts, int requested)
    {
        int rejected = 0, dropped = 0, total = 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in parts)
        {
            if (p.Report is not { } r) continue;
            rejected += r.Rejected;
            dropped += r.Dropped;
            total += r.NonFiniteTotal;
            foreach (var (k, c) in r.NonFiniteRows) counts[k] = counts.GetValueOrDefault(k) + c;
        }
        return new SimulationReport(requested, rejected, counts, dropped) { NonFiniteTotal = total };
    }

    internal static ulong Mix(ulong a, ulong b)
    {
        ulong x = a ^ (b * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
