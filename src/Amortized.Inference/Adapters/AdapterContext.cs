using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Adapters;

/// <summary>The working state of one adapter pass: the data, strictness, log-det accumulators and randomness.</summary>
internal sealed class AdapterContext
{
    public AdapterContext(SimulationBatch data, bool strict, bool trackLogDet, Rng? rng)
    {
        Data = data;
        Strict = strict;
        LogDet = trackLogDet ? new Dictionary<string, float[]>(StringComparer.Ordinal) : null;
        Rng = rng;
    }

    public SimulationBatch Data { get; }

    public bool Strict { get; }

    /// <summary>Per key, log|det J| with shape = the key's shape without its last axis (or (B) for 1-D keys).</summary>
    public Dictionary<string, float[]>? LogDet { get; }

    public Rng? Rng { get; }

    /// <summary>
    /// Whether a rejecting constraint clamps a value outside its bounds onto them instead of marking it NaN: the
    /// sampler's last resort for a data set whose posterior barely touches the support.
    /// </summary>
    public bool ClampRejected { get; init; }

    /// <summary>
    /// True if <paramref name="key"/> is present. If not: throws in strict mode (listing the keys present),
    /// returns false in lenient mode so the transform is skipped.
    /// </summary>
    public bool Require(string key, string transform)
    {
        if (Data.Contains(key)) return true;
        if (Strict)
            throw new KeyNotFoundException(
                $"Adapter.{transform}: key '{key}' is missing; the data has {ShapeText.Keys(Data.Keys)}.");
        return false;
    }

    /// <summary>Adds per-row log-det terms for <paramref name="key"/>.</summary>
    public void AddLogDet(string key, float[] terms)
    {
        if (LogDet is null) return;
        if (LogDet.TryGetValue(key, out float[]? existing))
        {
            if (existing.Length != terms.Length)
                throw new InvalidOperationException(
                    $"Adapter: log-det of key '{key}' has {terms.Length} entries; expected {existing.Length}.");
            for (int i = 0; i < terms.Length; i++) existing[i] += terms[i];
        }
        else LogDet[key] = terms;
    }

    public void MoveLogDet(string from, string to)
    {
        if (LogDet is null || !LogDet.Remove(from, out float[]? v)) return;
        AddLogDet(to, v);
    }
}
