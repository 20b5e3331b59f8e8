using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;

namespace Amortized.Native;

/// <summary>
/// Finds the raw observation keys a model reads, and their per-data-set shapes where the model fixes them, by
/// asking the adapter to trace the network's inputs backwards through its transforms (<see cref="Adapter.RawInputs"/>).
/// Shapes exclude the batch axis; -1 marks a dimension the model leaves open (the size of a set), and a null shape
/// a key whose rank is unknown too.
/// </summary>
/// <remarks>
/// The trace starts from what sampling consumes: <c>inference_conditions</c> (C,) when the spec has direct
/// conditions, <c>summary_variables</c> (N, F) with a summary network (one pair per member of a fusion summary, <see cref="ApproximatorSpec.NetworkInputs"/>), and <c>summary_mask</c> (N,) if some
/// transform produces it (a mask that no transform produces is optional: the encoder uses it only if present).
/// The result is checked afterwards by pushing zeros through the real adapter and networks, so a gap here shows up
/// as a load error, never as a wrong layout.
/// </remarks>
internal static class AdapterKeyFlow
{
    /// <summary>
    /// The raw keys in order of first mention in the adapter (keys never mentioned last) with their shapes.
    /// </summary>
    public static List<KeyValuePair<string, int[]?>> Trace(Adapter adapter, ApproximatorSpec spec) =>
        adapter.RawInputs(spec.NetworkInputs());
}
