using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>
/// Mixes several simulators into one batch for model comparison: row r comes from model k with probability
/// p_k, and the batch gets a one-hot <c>model_indices</c> array of shape (B, K). An optional shared simulator
/// runs first for the whole batch; every model sees its outputs by name.
/// </summary>
/// <remarks>
/// The model of each row is drawn by inverting the cumulative distribution of p exactly (BayesFlow converts
/// p to logits in a way that does not reproduce p). All models must produce the same keys and shapes.
/// </remarks>
public sealed class ModelComparisonSimulator : ISimulator
{
    /// <summary>Key of the one-hot model indicator.</summary>
    public const string ModelIndicesKey = "model_indices";

    private readonly ISimulator[] _models;
    private readonly double[] _cumulative;
    private readonly ISimulator? _shared;

    /// <summary>Creates the mixture; <paramref name="probabilities"/> defaults to uniform and must sum to 1.</summary>
    public ModelComparisonSimulator(IReadOnlyList<ISimulator> models, IReadOnlyList<double>? probabilities = null,
        ISimulator? sharedSimulator = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0) throw new ArgumentException(
            "ModelComparisonSimulator: expected at least one model, got 0.", nameof(models));
        _models = [.. models];
        _shared = sharedSimulator;
        int k = models.Count;
        if (probabilities is not null && probabilities.Count != k)
            throw new ArgumentException($"ModelComparisonSimulator: {probabilities.Count} probabilities for {k} " +
                "models.", nameof(probabilities));
        _cumulative = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            double p = probabilities is null ? 1.0 / k : probabilities[i];
            if (!(p >= 0) || double.IsInfinity(p))
                throw new ArgumentException($"ModelComparisonSimulator: probability {i} is {p}; expected a finite " +
                    "value >= 0.", nameof(probabilities));
            sum += p;
            _cumulative[i] = sum;
        }
        if (Math.Abs(sum - 1) > 1e-6)
            throw new ArgumentException(
                $"ModelComparisonSimulator: probabilities sum to {sum}; expected 1.", nameof(probabilities));
        _cumulative[k - 1] = 1.0;
    }

    /// <summary>Number of models K.</summary>
    public int ModelCount => _models.Length;

    /// <inheritdoc/>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
    {
        options ??= new SampleOptions();
        int k = _models.Length;
        var indices = new int[batchSize];
        var rng = Rng.Derive(seed, options.BatchIndex, StreamRegistry.ModelChoice.First);
        for (int i = 0; i < batchSize; i++)
        {
            double u = rng.NextDouble();
            int m = 0;
            while (m < k - 1 && u >= _cumulative[m]) m++;
            indices[i] = m;
        }

        // Non-finite handling applies to the mixed batch, so the sub-batches keep every row.
        var inner = options with { NonFinite = NonFiniteHandling.Keep, ChunkSize = 0 };
        SimulationBatch? shared = options.Given;
        if (_shared is not null)
            shared = _shared.Sample(batchSize, Simulator.Mix(seed, 0xC0FFEE), inner);

        SimulationBatch? result = null;
        string? firstModelKeys = null;
        for (int m = 0; m < k; m++)
        {
            var rows = new List<int>();
            for (int i = 0; i < batchSize; i++) if (indices[i] == m) rows.Add(i);
            if (rows.Count == 0) continue;
            SimulationBatch? given = shared?.SelectRows(rows.ToArray());
            SimulationBatch part =
                _models[m].Sample(rows.Count, Simulator.Mix(seed, (ulong)m + 1), inner with { Given = given });
            if (result is null)
            {
                result = new SimulationBatch(batchSize);
                foreach (string key in part.Keys)
                {
                    int[] shape = part.Shape(key).ToArray();
                    shape[0] = batchSize;
                    result.SetCore(key, new float[ShapeText.Product(shape)], shape, part.IsInteger(key));
                }
                firstModelKeys = $"model {m}";
            }
            foreach (string key in result.Keys)
                if (!part.Contains(key))
                    throw new InvalidOperationException($"ModelComparisonSimulator: model {m} does not produce key " +
                        $"'{key}' ({firstModelKeys} does); model {m} has {ShapeText.Keys(part.Keys)}.");
            foreach (string key in part.Keys)
                if (!result.Contains(key))
                    throw new InvalidOperationException(
                        $"ModelComparisonSimulator: model {m} produces key '{key}', which {firstModelKeys} does not.");
            Simulator.Scatter(part, result, rows);
        }
        result ??= new SimulationBatch(batchSize);
        var oneHot = new float[batchSize * k];
        for (int i = 0; i < batchSize; i++) oneHot[i * k + indices[i]] = 1f;
        result.Set(ModelIndicesKey, oneHot, batchSize, k);
        var allRows = new int[batchSize];
        for (int i = 0; i < batchSize; i++) allRows[i] = i;
        return Simulator.HandleNonFinite(result, allRows, options.NonFinite, 0);
    }
}
