using System.Text.Json;

namespace Amortized.Inference.Adapters;

/// <summary>One step of an <see cref="Adapter"/>: a map from simulation outputs to network inputs and back.</summary>
internal interface IAdapterTransform
{
    /// <summary>The JSON type name (BayesFlow's snake_case transform names).</summary>
    string TypeName { get; }

    /// <summary>The name <see cref="Adapter.TransformNames"/> shows (a custom transform's registered name).</summary>
    string DisplayName => TypeName;

    /// <summary>Simulation outputs to network inputs; adds log|det J| per row where it changes densities.</summary>
    void Forward(AdapterContext context);

    /// <summary>Network outputs (samples) back to simulation space; adds log|det J| of the inverse.</summary>
    void Inverse(AdapterContext context);

    /// <summary>Writes the transform's fields (the caller writes the type and the surrounding object).</summary>
    void Write(Utf8JsonWriter writer);

    /// <summary>The keys the transform names, in the order of its definition.</summary>
    IEnumerable<string> NamedKeys { get; }

    /// <summary>
    /// Backward shape flow (<see cref="Adapter.RawInputs"/>): replaces the needed keys this transform produced by
    /// the keys it read, with their shapes before it. The default keeps every key and shape (elementwise transforms;
    /// drop, keep and to_float32 produce nothing a network reads).
    /// </summary>
    void TraceBack(InputTrace trace) { }
}
