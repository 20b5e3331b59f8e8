namespace Amortized.Inference.Simulators;

/// <summary>Read-only view of one row of a <see cref="SimulationBatch"/>.</summary>
public readonly struct BatchRow
{
    private readonly SimulationBatch _batch;

    internal BatchRow(SimulationBatch batch, int row)
    {
        _batch = batch;
        Row = row;
    }

    /// <summary>The row index.</summary>
    public int Row { get; }

    /// <summary>Whether the batch has <paramref name="key"/>.</summary>
    public bool Has(string key) => _batch.Contains(key);

    /// <summary>The scalar value of <paramref name="key"/> in this row.</summary>
    public float Get(string key)
    {
        ReadOnlySpan<float> v = _batch.Row(key, Row);
        if (v.Length != 1)
            throw new InvalidOperationException(
                $"BatchRow: key '{key}' holds {v.Length} values per row; expected a scalar.");
        return v[0];
    }

    /// <summary>The values of <paramref name="key"/> in this row.</summary>
    public ReadOnlySpan<float> GetArray(string key) => _batch.Row(key, Row);
}
