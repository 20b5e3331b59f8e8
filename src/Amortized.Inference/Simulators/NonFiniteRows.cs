namespace Amortized.Inference.Simulators;

/// <summary>Removes rows with a NaN or infinity in any key, counting them.</summary>
internal static class NonFiniteRows
{
    public static SimulationBatch Drop(SimulationBatch batch, out int dropped)
    {
        var bad = new bool[batch.BatchSize];
        dropped = 0;
        foreach (var key in batch.Keys)
        {
            var data = batch.Get(key);
            int row = batch.RowLength(key);
            for (int r = 0; r < batch.BatchSize; r++)
            {
                if (bad[r]) continue;
                var span = data.AsSpan(r * row, row);
                foreach (float v in span)
                {
                    if (!float.IsFinite(v))
                    {
                        bad[r] = true;
                        break;
                    }
                }
            }
        }
        foreach (bool b in bad) if (b) dropped++;
        if (dropped == 0) return batch;
        var keep = new int[batch.BatchSize - dropped];
        int k = 0;
        for (int r = 0; r < bad.Length; r++) if (!bad[r]) keep[k++] = r;
        return batch.SelectRows(keep);
    }
}
